#include "engine/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/loss.h"
#include "engine/neuron_value.h"

/* The next batch of source into the executor's input, whose capacity is
 * reset to the full batch first (the previous batch may have been partial).
 * *n receives the number of images, 0 at the end; a failing source (a
 * negative count, or more than the batch) is an error, not an end. */
static nf_status fetch(nf_exec *e, nf_batch_source source, void *user, int *labels, int *n)
{
    nf_tensor *x = nf_exec_input(e);
    x->n = nf_exec_batch(e);
    *n = source(user, x, labels);
    if (*n < 0 || *n > nf_exec_batch(e)) {
        char why[256];
        snprintf(why, sizeof why, "%s", nf_last_error());
        int got = *n;
        *n = 0;
        return nf_fail(NF_ERR_ARG, "the batch source failed (returned %d): %s", got, why[0] ? why : "no detail");
    }
    return NF_OK;
}

nf_train_params nf_train_defaults(void)
{
    return (nf_train_params){.optim = nf_optim_defaults(NF_OPTIM_ADAM), .value_every = 8, .value_decay = 0.9f};
}

static nf_status step(nf_exec *e, nf_graph *g, int n, const int *labels, const nf_optim *o, float smoothing,
                     nf_rng *rng, float *loss)
{
    nf_status st;
    if ((st = nf_loss_check_labels(labels, n, nf_graph_classes(g))) || (st = nf_exec_forward(e, g, n, 1, rng)))
        return st;
    *loss = nf_loss_xent_smoothed(nf_exec_output(e), labels, smoothing, nf_exec_output_grad(e), NULL);
    memset(g->grad, 0, g->n_param * sizeof(float));
    if ((st = nf_exec_backward(e, g))) return st;
    nf_optim_step(g, o);
    return NF_OK;
}

nf_status nf_train_step(nf_exec *e, nf_graph *g, int n, const int *labels, const nf_optim *o,
                        nf_rng *rng, float *loss)
{
    return step(e, g, n, labels, o, 0, rng, loss);
}

nf_status nf_train_epoch(nf_exec *e, nf_graph *g, nf_batch_source source, void *user,
                         const nf_train_params *p, nf_rng *rng, double *mean_loss)
{
    int *labels = malloc((size_t)nf_exec_batch(e) * sizeof *labels);
    if (!labels) return nf_fail(NF_ERR_NOMEM, "cannot allocate a label buffer");
    nf_status st = NF_OK;
    double total = 0;
    long seen = 0, steps = 0;
    int n;
    while (!(st = fetch(e, source, user, labels, &n)) && n > 0) {
        float loss;
        nf_optim o = p->optim;
        if (p->rate) o.lr = p->rate(p->rate_user, steps + 1);
        if ((st = step(e, g, n, labels, &o, p->label_smoothing, rng, &loss))) break;
        if (!isfinite(loss)) {
            st = nf_fail(NF_ERR_DIVERGED, "training diverged at step %ld of the epoch (loss %g)", steps + 1, loss);
            break;
        }
        /* The executor still holds this step's activations and gradients. */
        if (p->value_every > 0 && steps % p->value_every == 0 && (st = nf_value_update(g, e, n, p->value_decay)))
            break;
        total += (double)loss * n;
        seen += n;
        steps++;
        if (p->hook && p->hook(p->hook_user, steps, n, loss)) { st = nf_fail(NF_ERR_INTERRUPTED, "training stopped"); break; }
    }
    free(labels);
    if (mean_loss) *mean_loss = seen ? total / seen : 0;
    return st;
}

nf_status nf_evaluate(nf_exec *e, nf_graph *g, nf_batch_source source, void *user,
                      double *accuracy, double *mean_loss)
{
    int *labels = malloc((size_t)nf_exec_batch(e) * sizeof *labels);
    if (!labels) return nf_fail(NF_ERR_NOMEM, "cannot allocate a label buffer");
    double total = 0;
    long seen = 0;
    int correct = 0, n;
    nf_status st;
    while (!(st = fetch(e, source, user, labels, &n)) && n > 0) {
        if ((st = nf_loss_check_labels(labels, n, nf_graph_classes(g))) || (st = nf_exec_forward(e, g, n, 0, NULL)))
            break;
        total += (double)nf_loss_xent(nf_exec_output(e), labels, NULL, &correct) * n;
        seen += n;
    }
    free(labels);
    if (accuracy) *accuracy = seen ? (double)correct / seen : 0;
    if (mean_loss) *mean_loss = seen ? total / seen : 0;
    return st;
}

nf_status nf_refresh_batchnorm(nf_exec *e, nf_graph *g, nf_batch_source source, void *user, int max_batches)
{
    float *kept = malloc((size_t)g->n * sizeof *kept);
    int *labels = malloc((size_t)nf_exec_batch(e) * sizeof *labels);
    if (!kept || !labels) {
        free(kept); free(labels);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate buffers to refresh batchnorm statistics");
    }
    for (int i = 0; i < g->n; i++) kept[i] = g->v[i].attr.momentum;
    int n;
    nf_status st = NF_OK;
    /* Momentum 1/k at the k-th batch makes the running value the plain mean. */
    for (int k = 1; k <= max_batches && !(st = fetch(e, source, user, labels, &n)) && n > 0; k++) {
        for (int i = 0; i < g->n; i++)
            if (g->v[i].op == NF_OP_BATCHNORM) g->v[i].attr.momentum = 1.0f / k;
        if ((st = nf_exec_forward(e, g, n, 1, NULL))) break;
    }
    for (int i = 0; i < g->n; i++) g->v[i].attr.momentum = kept[i];
    free(kept);
    free(labels);
    return st;
}
