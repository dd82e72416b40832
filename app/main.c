/* nasfit: evolves neural-network architectures for image classification. */
#include <stdio.h>
#include <string.h>

#include "app/commands.h"

typedef struct command {
    const char *name;                 /* as typed after nasfit */
    int (*run)(int argc, char **argv); /* argv[0] is the name */
    const char *summary;              /* one line for nasfit --help */
} command;

static const command commands[] = {
    {"data", nf_cmd_data, "load a data set exactly as fit would and describe it"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nasfit COMMAND [options]   (nasfit COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nasfit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
