/* The nasfit subcommands. Each takes argc/argv starting at its own name
 * (argv[0] == "data") and returns the process exit status, and prints its
 * own --help. data and train: 0 success, 1 failure while working, 2 bad
 * usage or bad input. evaluate, predict, dot (issue 15's convention, as
 * the run-store commands): 0 ok, 1 bad usage, 2 bad input; dot 3 when
 * rendering fails. */
#ifndef NF_COMMANDS_H
#define NF_COMMANDS_H

int nf_cmd_data(int argc, char **argv);
int nf_cmd_train(int argc, char **argv);
int nf_cmd_fit(int argc, char **argv);
int nf_cmd_evaluate(int argc, char **argv);
int nf_cmd_predict(int argc, char **argv);
int nf_cmd_dot(int argc, char **argv);
/* The run store (issue 13): 0 ok, 1 bad usage, 2 bad input (run file,
 * data), 3 interrupted and resumable (fit, resume), 4 failed. */
int nf_cmd_resume(int argc, char **argv);
int nf_cmd_history(int argc, char **argv);
int nf_cmd_top(int argc, char **argv);
int nf_cmd_lineage(int argc, char **argv);
int nf_cmd_show(int argc, char **argv);
int nf_cmd_export(int argc, char **argv);
int nf_cmd_plot(int argc, char **argv);
/* 0 ok, 1 bad usage, 2 bad input, 3 the page could not be written. */
int nf_cmd_report(int argc, char **argv);

#endif
