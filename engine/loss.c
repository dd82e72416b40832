#include "engine/loss.h"

#include <math.h>

nf_status nf_loss_check_labels(const int *labels, int n, int classes)
{
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return nf_fail(NF_ERR_ARG, "image %d of the batch has label %d; the network has %d classes (0..%d)",
                           i, labels[i], classes, classes - 1);
    return NF_OK;
}

/* The mean of one image's k_count logits, stride n apart. */
static double mean_logit(const float *z, int n, int k_count)
{
    double sum = 0;
    for (int k = 0; k < k_count; k++) sum += z[(size_t)k * n];
    return sum / k_count;
}

float nf_loss_xent(const nf_tensor *logits, const int *labels, nf_tensor *dlogits, int *correct)
{
    return nf_loss_xent_smoothed(logits, labels, 0, dlogits, correct);
}

float nf_loss_xent_smoothed(const nf_tensor *logits, const int *labels, float smoothing, nf_tensor *dlogits,
                            int *correct)
{
    int k_count = logits->c, n = logits->n;
    double spread = (double)smoothing / k_count, on_label = 1.0 - smoothing; /* the target's two values */
    if (nf_loss_check_labels(labels, n, k_count)) return NAN; /* never read outside the logits */
    double total = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits->data + i; /* stride n between classes */
        int best = 0;
        float max = z[0];
        for (int k = 1; k < k_count; k++)
            if (z[(size_t)k * n] > max) { max = z[(size_t)k * n]; best = k; }
        double sum = 0;
        for (int k = 0; k < k_count; k++) sum += exp((double)z[(size_t)k * n] - max);
        double log_sum = log(sum) + max;
        /* -sum_k target_k log p_k, with log p_k = z_k - log_sum */
        total += log_sum - on_label * z[(size_t)labels[i] * n] - (smoothing > 0 ? smoothing * mean_logit(z, n, k_count) : 0);
        if (correct && best == labels[i]) (*correct)++;
        if (!dlogits) continue;
        for (int k = 0; k < k_count; k++) {
            double p = exp((double)z[(size_t)k * n] - log_sum);
            double target = spread + (k == labels[i] ? on_label : 0);
            dlogits->data[(size_t)k * n + i] = (float)((p - target) / n);
        }
    }
    return n ? (float)(total / n) : 0.0f;
}
