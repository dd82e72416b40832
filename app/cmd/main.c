/* nasfit: evolves neural-network architectures for image classification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cmd/commands.h"

typedef struct command {
    const char *name;                 /* as typed after nasfit */
    int (*run)(int argc, char **argv); /* argv[0] is the name */
    const char *summary;              /* one line for nasfit --help */
} command;

static const command commands[] = {
    {"fit", nf_cmd_fit, "search for a network architecture by evolution and train the winner"},
    {"resume", nf_cmd_resume, "continue a stopped or killed run from its run file, exactly"},
    {"history", nf_cmd_history, "a run's generations: best and median fitness, population, images, time"},
    {"top", nf_cmd_top, "a run's best candidates with fitness, parameters, FLOPs, generation born"},
    {"lineage", nf_cmd_lineage, "a candidate's ancestry, with the changes and fitness at each step"},
    {"show", nf_cmd_show, "a candidate's architecture as a table of layers (or JSON)"},
    {"export", nf_cmd_export, "a candidate of a run as a model file (.nfm) or ONNX"},
    {"plot", nf_cmd_plot, "a run's progress as a PNG: accuracy per generation, parameters against accuracy"},
    {"report", nf_cmd_report, "a run (or several) as one self-contained HTML page, live while the run goes on"},
    {"data", nf_cmd_data, "load a data set exactly as fit would and describe it"},
    {"train", nf_cmd_train, "train the reference CNN (or --arch FILE.json) and report loss and test accuracy per epoch"},
    {"evaluate", nf_cmd_evaluate, "a model file's test accuracy, per class, and its confusion matrix"},
    {"predict", nf_cmd_predict, "the most likely classes of PNG images, with probabilities"},
    {"dot", nf_cmd_dot, "draw a model's architecture (Graphviz DOT, or PNG through dot)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nasfit COMMAND [options]   (nasfit COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit status, every command: 0 done, 1 usage, 2 bad input (a file nasfit reads is refused),\n"
               "3 interrupted (SIGINT or SIGTERM), 4 failed (anything else)\n");
}

/* libgomp reads OMP_WAIT_POLICY when it loads, before main runs. Its
 * default spins idle threads, and when another process wants a core that
 * made training a network on 2 threads 7x slower (1,750 -> 240 images/s);
 * passive waiting cost nothing measurable on a quiet machine. So nasfit
 * sets it and starts itself again, once. A user's own setting is kept. */
static void choose_thread_waiting(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: go on with the default policy */
}

int main(int argc, char **argv)
{
    choose_thread_waiting(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? NF_EXIT_USAGE : NF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nasfit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return NF_EXIT_USAGE;
}
