/* Softmax cross-entropy on logits [K][n][1][1] (class k of image i at
 * data[k*n + i]). */
#ifndef NF_LOSS_H
#define NF_LOSS_H

#include "engine/tensor.h"

/* Mean loss over the n images; if dlogits is not NULL writes the gradient of
 * the mean loss there; if correct is not NULL adds the number of images
 * whose largest logit is their label. Stable for any finite logits. */
float nf_loss_xent(const nf_tensor *logits, const int *labels, nf_tensor *dlogits, int *correct);

#endif
