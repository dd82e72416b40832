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

float nf_loss_xent(const nf_tensor *logits, const int *labels, nf_tensor *dlogits, int *correct)
{
    int k_count = logits->c, n = logits->n;
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
        total += log_sum - z[(size_t)labels[i] * n];
        if (correct && best == labels[i]) (*correct)++;
        if (!dlogits) continue;
        for (int k = 0; k < k_count; k++) {
            double p = exp((double)z[(size_t)k * n] - log_sum);
            dlogits->data[(size_t)k * n + i] = (float)((p - (k == labels[i])) / n);
        }
    }
    return n ? (float)(total / n) : 0.0f;
}
