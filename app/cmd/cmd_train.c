/* nasfit train: trains the reference CNN (the network of
 * bench/torch_reference.py), or an architecture from a JSON file
 * (--arch, from scratch), on a data set and reports, per epoch, the mean
 * training loss and the test accuracy; --save writes the trained network
 * as a model file (.nfm). It is the engine's learning check against
 * PyTorch (scripts/learning-curve.sh); `make run` runs a search (nasfit
 * fit, see scripts/run.sh), not this. */
#include <getopt.h>
#include <math.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/clock.h"
#include "app/formats/arch_json.h"
#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/formats/model_file.h"
#include "app/session/progress.h"
#include "app/cmd/run_read.h"
#include "app/session/signals.h"
#include "datasets/batch.h"
#include "datasets/prepare.h"
#include "engine/exec.h"
#include "engine/models.h"
#include "engine/threads.h"
#include "engine/train.h"

typedef struct train_options {
    const char *data;  /* data set spec; NULL = fashion-mnist */
    const char *arch;  /* architecture JSON file; NULL = the reference CNN */
    const char *db;    /* a run file to take the architecture of candidate `which` from */
    const char *which; /* ID or best */
    int cosine;        /* 1: the learning rate decays to 0 over the run (as a search's final training) */
    const char *save;  /* model file to write after training; NULL = none */
    int epochs, batch, threads, train_limit;
    double lr;
    unsigned long long seed;
} train_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit train [options]\n"
            "Trains the reference CNN (conv32 conv32 pool conv64 conv64 pool gap dense), or the\n"
            "architecture of --arch from scratch, and\n"
            "prints each epoch's mean training loss and test accuracy: first with the batchnorm\n"
            "statistics kept during training (as PyTorch), then with statistics re-measured\n"
            "on 200 training batches at the final weights.\n\n"
            "  --data SPEC        data set: a directory, a file, or 'fashion-mnist' (default)\n"
            "  --epochs N         passes over the training set (default 1)\n"
            "  --batch N          images per step (default 64)\n"
            "  --lr X             Adam learning rate (default 0.001)\n"
            "  --seed N           seed for initialisation and batch order (default 1)\n"
            "  --threads N        threads sharing each batch (default 2)\n"
            "  --train-limit N    train on N images only, stratified (default: all)\n"
            "  --arch FILE.json   train this architecture (as `nasfit show --json` prints it)\n"
            "                     from new weights instead of the reference CNN\n"
            "  --db FILE ID|best  train the architecture of a candidate of a run file\n"
            "                     (best: the run's winner) from new weights\n"
            "  --schedule S       constant or cosine (decays to 0, as a search's final\n"
            "                     training); default cosine with --arch or --db, else constant\n"
            "  --save FILE.nfm    write the trained model (weights, re-measured batchnorm\n"
            "                     statistics, normalisation, class names) to FILE.nfm\n"
            "  --help             this text\n\n"
            "exit status: 0 done, 1 usage, 2 bad input (data, architecture, run file), 3 interrupted\n"
            "(SIGINT or SIGTERM), 4 failed (the training diverged, --save could not be written,\n"
            "out of memory)\n");
}

/* Parses argv into o; returns 0, or 1 (usage) after printing what is wrong. */
static int parse(int argc, char **argv, train_options *o)
{
    static const struct option longs[] = {
        {"data", required_argument, 0, 'd'}, {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'}, {"lr", required_argument, 0, 'l'},
        {"seed", required_argument, 0, 's'}, {"threads", required_argument, 0, 't'},
        {"train-limit", required_argument, 0, 'n'}, {"arch", required_argument, 0, 'a'},
        {"save", required_argument, 0, 'o'}, {"db", required_argument, 0, 'D'},
        {"schedule", required_argument, 0, 'S'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *schedule = NULL;
    *o = (train_options){.epochs = 1, .batch = 64, .threads = 2, .lr = 1e-3f, .seed = 1};
    optind = 1;
    int c, which = 0;
    while ((c = getopt_long(argc, argv, "", longs, &which)) != -1) {
        int ok = 1;
        switch (c) {
        case 'd': o->data = optarg; break;
        case 'a': o->arch = optarg; break;
        case 'o': o->save = optarg; break;
        case 'D': o->db = optarg; break;
        case 'S': schedule = optarg; break;
        case 'e': ok = nf_arg_int("train", "--epochs", optarg, 1, 1000000, &o->epochs); break;
        case 'b': ok = nf_arg_int("train", "--batch", optarg, 1, 65536, &o->batch); break;
        case 'l': ok = nf_arg_double("train", "--lr", optarg, 1e-10, 1e3, &o->lr); break;
        case 's': ok = nf_arg_seed("train", "--seed", optarg, &o->seed); break;
        case 't': ok = nf_arg_int("train", "--threads", optarg, 1, 1024, &o->threads); break;
        case 'n': ok = nf_arg_int("train", "--train-limit", optarg, 0, INT_MAX, &o->train_limit); break;
        case 'h': usage(stdout); exit(NF_EXIT_OK);
        default: usage(stderr); return NF_EXIT_USAGE;
        }
        if (!ok) return NF_EXIT_USAGE;
    }
    if (o->db && optind < argc) o->which = argv[optind++];
    if (optind < argc) { fprintf(stderr, "nasfit train: unexpected argument '%s'\n", argv[optind]); return NF_EXIT_USAGE; }
    if (o->db && (!o->which || o->arch)) {
        fprintf(stderr, "nasfit train: --db FILE takes a candidate (ID or best), and not with --arch\n");
        return NF_EXIT_USAGE;
    }
    if (schedule && strcmp(schedule, "constant") && strcmp(schedule, "cosine")) {
        fprintf(stderr, "nasfit train: --schedule %s is neither constant nor cosine\n", schedule);
        return NF_EXIT_USAGE;
    }
    o->cosine = schedule ? !strcmp(schedule, "cosine") : (o->arch || o->db);
    return 0;
}

/* Training batches that batchnorm statistics are re-measured on after an epoch. */
#define REFRESH_BATCHES 200


typedef struct step_display {
    nf_progress progress;
    int batch;
    double loss_sum;   /* over the steps so far, for the running mean */
} step_display;

static int on_step(void *user, long step, int n, float loss)
{
    (void)n;
    step_display *d = user;
    d->loss_sum += loss;
    char detail[64];
    snprintf(detail, sizeof detail, "loss %.4f", d->loss_sum / step);
    long images = step * d->batch; /* the last batch may be partial */
    nf_progress_update(&d->progress, images < d->progress.total ? images : d->progress.total, detail);
    return nf_signals_stop_requested();
}

/* Trains for o->epochs, printing a line per epoch. */
/* The cosine schedule: o->lr decaying to 0 over every step of the run. */
typedef struct schedule { float lr; long steps_per_epoch, total, epoch; } schedule;

static float cosine_rate(void *user, long step)
{
    const schedule *s = user;
    return nf_optim_cosine(s->lr, (double)(s->epoch * s->steps_per_epoch + step - 1) / (double)s->total);
}

static nf_status train_and_report(const train_options *o, const nf_ds_splits *data, nf_graph *g)
{
    const nf_dataset *train = data->train, *test = data->test ? data->test : data->val;
    const nf_ds_norm norm = data->norm;
    nf_batcher *train_batches = NULL, *test_batches = NULL;
    nf_exec *e = NULL;
    nf_status st;
    if ((st = nf_batcher_create(train, &norm, NULL, o->batch, o->seed, &train_batches)) ||
        (st = nf_batcher_create(test, &norm, NULL, o->batch, o->seed, &test_batches)) ||
        (st = nf_exec_create(g, o->batch, &e)))
        goto done;
    nf_exec_set_threads(e, o->threads);
    nf_train_params p = nf_train_defaults();
    p.optim.lr = (float)o->lr;
    schedule sched = {(float)o->lr, nf_batcher_batches(train_batches), 0, 0};
    sched.total = sched.steps_per_epoch * o->epochs;
    if (o->cosine) {
        p.rate = cosine_rate;
        p.rate_user = &sched;
    }
    nf_rng rng;
    nf_rng_seed(&rng, o->seed, 0, NF_RNG_DROPOUT);
    double started = nf_clock();
    for (int epoch = 0; epoch < o->epochs && !st; epoch++) {
        char label[48];
        snprintf(label, sizeof label, "epoch %d/%d", epoch + 1, o->epochs);
        step_display d = {.batch = o->batch};
        nf_progress_start(&d.progress, label, nf_ds_count(train));
        p.hook = on_step;
        p.hook_user = &d;
        nf_batcher_start_epoch(train_batches, epoch, 1);
        sched.epoch = epoch;
        double loss, accuracy, refreshed;
        st = nf_train_epoch(e, g, nf_batcher_source, train_batches, &p, &rng, &loss);
        nf_progress_end(&d.progress);
        if (st) break;
        nf_batcher_start_epoch(test_batches, 0, 0);
        if ((st = nf_evaluate(e, g, nf_batcher_source, test_batches, &accuracy, NULL))) break;
        /* The same weights with batchnorm statistics measured on them, not trailing them. */
        nf_batcher_start_epoch(train_batches, epoch, 1);
        nf_batcher_start_epoch(test_batches, 0, 0);
        if ((st = nf_refresh_batchnorm(e, g, nf_batcher_source, train_batches, REFRESH_BATCHES)) ||
            (st = nf_evaluate(e, g, nf_batcher_source, test_batches, &refreshed, NULL)))
            break;
        printf("epoch %d  mean_train_loss %.4f  test_accuracy %.4f  refreshed_bn_test_accuracy %.4f  elapsed %.1f s\n",
               epoch + 1, loss, accuracy, refreshed, nf_clock() - started);
        fflush(stdout);
    }
done:
    nf_exec_destroy(e);
    nf_batcher_destroy(train_batches);
    nf_batcher_destroy(test_batches);
    return st;
}

/* Whether path's folder takes a new file: checked before training, so a
 * long run does not end in an unwritable --save path. */
static int folder_writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) return access(".", W_OK) == 0;
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return 0;
    memcpy(dir, path, n);
    dir[n ? n : 1] = 0;
    if (!n) dir[0] = '/';
    return access(dir, W_OK) == 0;
}

/* The reference CNN for the data set, or the --arch (or --db) architecture,
 * which must take the data set's images and give its classes. Returns the
 * exit status, after printing why when it is not 0. */
static int make_model(const train_options *o, const nf_dataset *train, nf_graph **g)
{
    nf_rng rng;
    nf_rng_seed(&rng, o->seed, 0, NF_RNG_INIT);
    int c = nf_ds_channels(train), h = nf_ds_height(train), w = nf_ds_width(train), k = nf_ds_classes(train);
    nf_status st;
    if (!o->arch && !o->db) {
        st = nf_model_reference_cnn(c, h, w, k, &rng, g);
        return st ? nf_cmd_fail("train", st, NF_DOING_WORK) : NF_EXIT_OK;
    }
    if (o->db) {
        int code = nf_read_architecture("train", o->db, o->which, &rng, g); /* it says why */
        if (code) return code;
    } else if ((st = nf_arch_load(o->arch, &rng, g))) {
        return nf_cmd_fail("train", st, NF_DOING_READ);
    }
    const nf_graph *a = *g;
    if (a->in_c == c && a->in_h == h && a->in_w == w && nf_graph_classes(a) == k) return NF_EXIT_OK;
    st = nf_fail(NF_ERR_ARG, "%s: the architecture takes %dx%dx%d images and gives %d classes; the data set has "
                 "%dx%dx%d images and %d classes", o->db ? o->db : o->arch, a->in_c, a->in_h, a->in_w, nf_graph_classes(a), c, h, w, k);
    nf_graph_destroy(*g);
    *g = NULL;
    return nf_cmd_fail("train", st, NF_DOING_READ);
}

int nf_cmd_train(int argc, char **argv)
{
    train_options o;
    int bad = parse(argc, argv, &o);
    if (bad) return bad;
    if (o.save && !folder_writable(o.save)) {
        fprintf(stderr, "nasfit train: --save %s: its folder does not exist or cannot be written\n", o.save);
        return NF_EXIT_FAILED; /* an output that cannot be written, found before the training rather than after */
    }
    if (o.threads > omp_get_num_procs())
        fprintf(stderr, "nasfit train: note: %d threads on %d cores; more threads than cores only slows training\n",
                o.threads, omp_get_num_procs());
    nf_signals_install();
    /* The whole training part is trained on; the test part (or, for a
     * data set without one, a held-out 10 %) is what accuracy is measured on. */
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    po.seed = o.seed;
    po.train_limit = o.train_limit;
    po.val_fraction = 0;
    nf_graph *g = NULL;
    nf_ds_splits data = {0};
    double t0 = nf_clock();
    nf_status st = nf_ds_prepare(o.data, &po, &data);
    if (!st && !data.test) {
        po.val_fraction = 0.1;
        nf_ds_splits_free(&data);
        st = nf_ds_prepare(o.data, &po, &data);
    }
    if (st) {
        nf_ds_splits_free(&data);
        return nf_cmd_fail("train", st, NF_DOING_READ);
    }
    const nf_dataset *train = data.train;
    printf("data: %s, %d training and %d test images of %dx%dx%d, %d classes (loaded in %.2f s)\n",
           nf_ds_format(train), nf_ds_count(train), nf_ds_count(data.test ? data.test : data.val),
           nf_ds_channels(train), nf_ds_height(train), nf_ds_width(train), nf_ds_classes(train), nf_clock() - t0);
    int code = make_model(&o, train, &g);
    if (code) {
        nf_ds_splits_free(&data);
        return code;
    }
    char what[1100];
    if (o.db) snprintf(what, sizeof what, "candidate %s of %s (new weights)", o.which, o.db);
    else snprintf(what, sizeof what, "%s", o.arch ? o.arch : "reference CNN");
    printf("model: %s, %zu parameters; batch %d, Adam lr %g%s, %d thread(s), OpenBLAS %s kernels\n", what,
           nf_graph_param_count(g), o.batch, o.lr, o.cosine ? " decaying to 0 (cosine)" : "", o.threads,
           nf_threads_blas_core());
    fflush(stdout);
    st = train_and_report(&o, &data, g);
    if (!st && o.save) {
        st = nf_model_save(o.save, g, &data.norm, train->class_names, nf_ds_classes(train));
        if (!st) printf("saved: %s\n", o.save);
    }
    if (st == NF_ERR_INTERRUPTED) fprintf(stderr, "nasfit train: stopped\n");
    else if (st == NF_ERR_DIVERGED) fprintf(stderr, "nasfit train: %s; try a lower --lr\n", nf_last_error());
    else if (st) fprintf(stderr, "nasfit train: %s\n", nf_last_error());
    nf_graph_destroy(g);
    nf_ds_splits_free(&data);
    return nf_exit_code(st, NF_DOING_WORK);
}
