/* The nasfit subcommands. Each takes argc/argv starting at its own name
 * (argv[0] == "data") and returns the process exit status: 0 success,
 * 1 failure while working, 2 bad usage or bad input. Each prints its own
 * --help. */
#ifndef NF_COMMANDS_H
#define NF_COMMANDS_H

int nf_cmd_data(int argc, char **argv);
int nf_cmd_train(int argc, char **argv);
int nf_cmd_fit(int argc, char **argv);

#endif
