/* Ready-made graphs: the reference CNN that the PyTorch comparison uses
 * (bench/torch_reference.py). */
#ifndef NF_MODELS_H
#define NF_MODELS_H

#include "engine/graph.h"

/* conv3x3 32, BN, relu, conv3x3 32, BN, relu, maxpool, conv3x3 64, BN, relu,
 * conv3x3 64, BN, relu, maxpool, gap, dense classes (with bias); convs
 * without bias. Built, checked and initialised from rng. */
nf_status nf_model_reference_cnn(int c, int h, int w, int classes, nf_rng *rng, nf_graph **out);

#endif
