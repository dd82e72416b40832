#!/usr/bin/python3
"""The PyTorch side of `make bench`: the reference CNN (engine/models.c's
nf_model_reference_cnn, layer for layer) or a small MLP, trained on
Fashion-MNIST on the CPU, so that the C engine is measured against PyTorch
in the same run, on the same load.

  /usr/bin/python3 bench/torch_reference.py [--model cnn|mlp] [--threads 2]
      [--batch 64] [--batches 200] [--epochs 0] [--seed 1] [--data DIR]

By default it times --batches training steps after 20 warm-up steps;
--epochs E > 0 trains E whole epochs instead and prints, per epoch, the mean
training loss and the test accuracy. Every figure is one `key: value` line
(scripts/bench.sh and scripts/learning-curve.sh read them). Debian's
interpreter (/usr/bin/python3) has python3-torch; another python3 may not.
scripts/torch_match.py imports load, reference_cnn and accuracy from here.
"""
import argparse
import gzip
import os
import resource
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION = "/usr/share/datasets/fashion-mnist"


def idx_array(path):
    """An IDX file (gzip'd): its magic's last byte is the number of dimensions."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def split(data_dir, prefix):
    images = idx_array(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz"))
    labels = idx_array(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def load(data_dir):
    """Training and test images, normalised by the training set's mean and std."""
    xtr, ytr = split(data_dir, "train")
    xte, yte = split(data_dir, "t10k")
    mean, std = xtr.mean(), xtr.std()
    return (xtr - mean) / std, ytr, (xte - mean) / std, yte


def conv_block(cin, cout):
    """3x3 same-padded conv without bias (batchnorm follows), batchnorm, ReLU."""
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def reference_cnn():
    """conv32 conv32 pool conv64 conv64 pool, global average pool, dense 10."""
    layers = conv_block(1, 32) + conv_block(32, 32) + [nn.MaxPool2d(2)]
    layers += conv_block(32, 64) + conv_block(64, 64) + [nn.MaxPool2d(2)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def accuracy(model, x, y, batch=1000):
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            right += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return right / len(x)


def train_epochs(model, step, xtr, ytr, xte, yte, epochs, batch):
    start = time.perf_counter()
    for e in range(epochs):
        model.train()
        order = torch.randperm(len(xtr))
        total, seen = 0.0, 0
        for i in range(0, len(xtr) - batch + 1, batch):
            pick = order[i:i + batch]
            total += step(xtr[pick], ytr[pick]).item() * len(pick)
            seen += len(pick)
        print("epoch %d mean_train_loss: %.4f  test_accuracy: %.4f  elapsed_s: %.1f"
              % (e + 1, total / seen, accuracy(model, xte, yte), time.perf_counter() - start))


def time_steps(step, xtr, ytr, batches, batch):
    order = torch.randperm(len(xtr))
    per_epoch = len(xtr) // batch

    def run(i):
        pick = order[(i % per_epoch) * batch:(i % per_epoch + 1) * batch]
        step(xtr[pick], ytr[pick])
    for i in range(20):
        run(i)
    start = time.perf_counter()
    for i in range(20, 20 + batches):
        run(i)
    print("train_images_per_s: %.1f" % (batches * batch / (time.perf_counter() - start)))


def time_inference(model, xte):
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(xte), 1000):
            model(xte[i:i + 1000])
    print("infer_images_per_s: %.1f" % (len(xte) / (time.perf_counter() - start)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="cnn", choices=["cnn", "mlp"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=FASHION)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr, xte, yte = load(a.data)
    model = reference_cnn() if a.model == "cnn" else mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print("torch: %s  threads: %d  model: %s  batch: %d" % (torch.__version__, a.threads, a.model, a.batch))
    print("params: %d" % sum(p.numel() for p in model.parameters()))

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    if a.epochs > 0:
        train_epochs(model, step, xtr, ytr, xte, yte, a.epochs, a.batch)
    else:
        model.train()
        time_steps(step, xtr, ytr, a.batches, a.batch)
    time_inference(model, xte)
    print("peak_rss_mb: %.0f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
