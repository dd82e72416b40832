/* The image sizes every part of nasfit accepts, in one small header so
 * that the data set loaders need not include the graph. */
#ifndef NF_IMAGE_LIMITS_H
#define NF_IMAGE_LIMITS_H

/* The largest input image: sides of NF_IMAGE_MAX_SIDE pixels (one float
 * plane of 8192 x 8192 is 256 MiB per image and channel, beyond what one
 * candidate may hold in training; it is also libpng's limit as the loader
 * sets it) and NF_IMAGE_MAX_CHANNELS channels (far beyond any image
 * format; it bounds what a damaged serialised graph can ask for). The data
 * set loaders, the serialiser and nf_graph_create share them. */
#define NF_IMAGE_MAX_SIDE 8192
#define NF_IMAGE_MAX_CHANNELS 4096

#endif
