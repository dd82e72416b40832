/* Running a loaded model on images as the data set stores them (uint8
 * [n][C][H][W]): normalised with the model's own statistics, batchnorm in
 * inference, logits or probabilities out. What evaluate and predict share. */
#ifndef NF_MODEL_RUN_H
#define NF_MODEL_RUN_H

#include <stdint.h>

#include "app/formats/model_file.h"

/* Class probabilities (softmax of the logits), probs[i * classes + k], for
 * n images of the model's input shape. threads as nf_exec_set_threads. */
nf_status nf_model_probabilities(nf_model *m, const uint8_t *images, int n, int threads, float *probs);

/* The confusion matrix of m on ds (shape and classes must match the
 * model's): counts[true * classes + predicted], classes * classes ints,
 * the prediction the most probable class. flip: test-time mirroring, the
 * class of the mean of the probabilities of each image and its left-right
 * mirror (right for data trained with mirrored images, such as clothes;
 * wrong for digits and text). */
nf_status nf_model_confusion(nf_model *m, const nf_dataset *ds, int batch, int threads, int flip, long *counts);

#endif
