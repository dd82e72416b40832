/* nasfit fit's settings: an INI-style file (configs/default.conf documents
 * every key), then command-line flags on top. An INI reader of nasfit's
 * own (lines of any length; app/formats/config.c says why not libinih) with a
 * table of known keys and their ranges, so an unknown key, a bad value, a
 * NUL byte or a special file is refused naming the file, the line and the
 * key. */
#ifndef NF_CONFIG_H
#define NF_CONFIG_H

#include "nas/search.h"

typedef struct nf_fit_config {
    nf_search_config search;
    char data[512];          /* data set spec ("fashion-mnist" by default) */
    char arch[512];          /* the fixed strategy's architecture JSON ("": the reference CNN) */
    double val_fraction;     /* share of each class held out for validation (0.1) */
    int train_limit;         /* 0: every training image */
} nf_fit_config;

nf_fit_config nf_fit_config_defaults(void);

/* Largest configuration read: the full one is ~3 KB; a file far beyond is
 * not a configuration (and a stored one is text in the run file). */
#define NF_CONFIG_MAX_BYTES ((size_t)1 << 20)

/* Reads path over *c. NF_ERR_IO when it cannot be read; NF_ERR_FORMAT with
 * "path:line: ..." for a syntax error, an unknown section or key, or a value
 * out of range. */
nf_status nf_config_read(const char *path, nf_fit_config *c);

/* The same from text (a run store's copy); `source` names it in messages. */
nf_status nf_config_parse(const char *text, const char *source, nf_fit_config *c);

/* Sets one key ("section.key" or a bare key when unique) from text, as a
 * line of the file would; `origin` names where it came from in messages. */
nf_status nf_config_set(nf_fit_config *c, const char *key, const char *value, const char *origin);

/* "90s", "30m", "8h", "1h30m", "2d" or plain seconds into seconds; -1 if not a duration. */
double nf_parse_duration(const char *text);

/* The whole configuration as INI text, every key (malloc'd), for the run
 * store and for `nasfit fit --print-config`. */
char *nf_config_text(const nf_fit_config *c);

#endif
