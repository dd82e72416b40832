/* Everything datasets/ offers, for the rest of nasfit. */
#ifndef NF_DATASETS_H
#define NF_DATASETS_H

#include "datasets/batch.h"
#include "datasets/dataset.h"
#include "datasets/load.h"
#include "datasets/normalize.h"
#include "datasets/prepare.h"
#include "datasets/split.h"

#endif
