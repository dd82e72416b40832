/* The process exit status of every nasfit command, one convention
 * (README, "Exit codes"):
 *
 *   0  done
 *   1  usage: a bad option or argument on the command line, an unknown command
 *   2  bad input: a file nasfit reads is refused (data, config, run file,
 *      architecture, model, image), or names no candidate that exists
 *   3  interrupted by SIGINT or SIGTERM (fit and resume: resumable)
 *   4  failed: anything else (out of memory, an output that cannot be
 *      written, a full disk, a training that diverged)
 *
 * In the session room so that the commands (app/cmd) and the session that
 * runs fit and resume both use it without an arrow from session to cmd. */
#ifndef NF_EXIT_CODE_H
#define NF_EXIT_CODE_H

#include "engine/status.h"

typedef enum nf_exit {
    NF_EXIT_OK = 0,
    NF_EXIT_USAGE = 1,
    NF_EXIT_INPUT = 2,
    NF_EXIT_INTERRUPTED = 3,
    NF_EXIT_FAILED = 4,
} nf_exit;

/* What a command was doing when it failed (see nf_exit_code). */
typedef enum nf_doing {
    NF_DOING_READ, /* opening, parsing or checking a file it was given */
    NF_DOING_WORK, /* training, evaluating, writing what it makes */
} nf_doing;

/* The exit status of a command that ended with st: NF_OK 0; a signal
 * (NF_ERR_INTERRUPTED) 3; out of memory 4 whatever the command did. While
 * reading, every other status is the input's (2: missing, unreadable,
 * malformed, not what the command takes). While working, a file that
 * turned out malformed or not to fit (NF_ERR_FORMAT, NF_ERR_ARG) is still
 * 2, and anything else (an I/O error writing, the database, divergence) 4. */
int nf_exit_code(nf_status st, nf_doing doing);

/* Prints "nasfit COMMAND: " and the recorded detail (nf_last_error) on
 * standard error and returns nf_exit_code(st, doing). */
int nf_cmd_fail(const char *command, nf_status st, nf_doing doing);

#endif
