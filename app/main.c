/* nasfit: evolves neural-network architectures for image classification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/commands.h"

typedef struct command {
    const char *name;                 /* as typed after nasfit */
    int (*run)(int argc, char **argv); /* argv[0] is the name */
    const char *summary;              /* one line for nasfit --help */
} command;

static const command commands[] = {
    {"data", nf_cmd_data, "load a data set exactly as fit would and describe it"},
    {"train", nf_cmd_train, "train the reference CNN and report loss and test accuracy per epoch"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nasfit COMMAND [options]   (nasfit COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* OpenBLAS reads OPENBLAS_CORETYPE only when it loads, before main runs.
 * Its Haswell (AVX2) kernels beat the AVX-512 ones it picks on Zen4 by
 * 5-50 % on a CNN's skinny GEMMs (shared/PERF.md), so on a CPU with AVX2
 * nasfit sets the variable and starts itself again, once. A user's own
 * setting is respected. */
static void choose_blas_kernels(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: go on with the default kernels */
}

int main(int argc, char **argv)
{
    choose_blas_kernels(argv);
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
