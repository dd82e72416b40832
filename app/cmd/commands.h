/* The nasfit subcommands. Each takes argc/argv starting at its own name
 * (argv[0] == "data"), prints its own --help, and returns the process exit
 * status, the same convention for every command (app/session/exit_code.h). */
#ifndef NF_COMMANDS_H
#define NF_COMMANDS_H

#include "app/session/exit_code.h"

int nf_cmd_data(int argc, char **argv);
int nf_cmd_train(int argc, char **argv);
int nf_cmd_fit(int argc, char **argv);
int nf_cmd_evaluate(int argc, char **argv);
int nf_cmd_predict(int argc, char **argv);
int nf_cmd_dot(int argc, char **argv);
int nf_cmd_resume(int argc, char **argv);
int nf_cmd_history(int argc, char **argv);
int nf_cmd_top(int argc, char **argv);
int nf_cmd_lineage(int argc, char **argv);
int nf_cmd_show(int argc, char **argv);
int nf_cmd_export(int argc, char **argv);
int nf_cmd_plot(int argc, char **argv);
int nf_cmd_report(int argc, char **argv);

#endif
