/* JSON documents for the read commands' --json (history, top, lineage):
 * a thin layer over jansson so that the commands never include it (it is
 * included here and in app/formats/arch_json.c only). Objects and arrays are built
 * from the leaves up; a setter that fails (out of memory) marks the
 * document, and nf_json_print then reports it. */
#ifndef NF_JSON_OUT_H
#define NF_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "engine/status.h"

typedef struct nf_json nf_json; /* an object or an array */

nf_json *nf_json_object(void);
nf_json *nf_json_array(void);
void nf_json_free(nf_json *j);

void nf_json_int(nf_json *o, const char *key, int64_t v);
void nf_json_real(nf_json *o, const char *key, double v); /* non-finite: null */
void nf_json_text(nf_json *o, const char *key, const char *v); /* NULL: null */
void nf_json_null(nf_json *o, const char *key);
/* Puts child under key (an object) or at the end (an array, key NULL); takes it. */
void nf_json_put(nf_json *o, const char *key, nf_json *child);
/* Parses text (JSON) and puts it under key; NF_ERR_FORMAT if it is not JSON. */
nf_status nf_json_put_parsed(nf_json *o, const char *key, const char *text);

/* Writes j to f, indented, with a newline; NF_ERR_NOMEM if building failed. */
nf_status nf_json_print(const nf_json *j, FILE *f);

#endif
