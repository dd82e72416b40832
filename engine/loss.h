/* Softmax cross-entropy on logits [K][n][1][1] (class k of image i at
 * data[k*n + i]). */
#ifndef NF_LOSS_H
#define NF_LOSS_H

#include "engine/status.h"
#include "engine/tensor.h"

/* NF_ERR_ARG (naming the image and label) unless every labels[0..n) is a
 * class of a classes-way output, 0..classes-1. */
nf_status nf_loss_check_labels(const int *labels, int n, int classes);

/* Mean loss over the n images; if dlogits is not NULL writes the gradient of
 * the mean loss there; if correct is not NULL adds the number of images
 * whose largest logit is their label. Stable for any finite logits. A
 * label outside 0..K-1 gives NaN (detail in nf_last_error), nothing
 * written: check labels first with nf_loss_check_labels. */
float nf_loss_xent(const nf_tensor *logits, const int *labels, nf_tensor *dlogits, int *correct);

/* The same against smoothed targets: each image's target puts 1 - smoothing
 * on its label and smoothing / K on every class (label smoothing; 0 is
 * nf_loss_xent). The accuracy counted is the plain one. */
float nf_loss_xent_smoothed(const nf_tensor *logits, const int *labels, float smoothing, nf_tensor *dlogits,
                            int *correct);

#endif
