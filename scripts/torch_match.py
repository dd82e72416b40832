#!/usr/bin/python3
"""Writes what build/bench/torch_match needs to replay PyTorch's training of
the reference CNN step for step: PyTorch's initial weights, the batches it
trained on, its loss at every step, its weights and batchnorm running
statistics afterwards, its normalised test images and its test accuracy.

  /usr/bin/python3 scripts/torch_match.py OUT_DIR [--steps 300] [--seed 1]

Files (raw little-endian float32 unless noted), in OUT_DIR:
  init.f32 final.f32   parameters in model.parameters() order, which is
                       nasfit's vertex order and layout
  running.f32          batchnorm running mean and variance per layer
  x.f32 y.i32          the training batches (64 images each), labels int32
  loss.f32             the loss of every step
  xte.f32              the normalised test images
  accuracy.txt         test accuracy after the steps (running statistics)
"""
import argparse, os, sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from torch_reference import accuracy, load, reference_cnn  # noqa: E402


def flat(tensors):
    return np.concatenate([t.detach().numpy().ravel() for t in tensors]).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    a.steps = min(a.steps, 60000 // 64)  # one epoch at most
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    xtr, ytr, xte, yte = load(a.data)
    model = reference_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    flat(model.parameters()).tofile(os.path.join(a.out, "init.f32"))
    perm = torch.randperm(len(xtr))
    xs, ys, losses = [], [], []
    model.train()
    for s in range(a.steps):
        idx = perm[s * 64:(s + 1) * 64]
        xs.append(xtr[idx].numpy())
        ys.append(ytr[idx].numpy().astype(np.int32))
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.concatenate(xs).astype(np.float32).tofile(os.path.join(a.out, "x.f32"))
    np.concatenate(ys).tofile(os.path.join(a.out, "y.i32"))
    np.array(losses, dtype=np.float32).tofile(os.path.join(a.out, "loss.f32"))
    flat(model.parameters()).tofile(os.path.join(a.out, "final.f32"))
    flat(b for n, b in model.named_buffers() if "running" in n).tofile(os.path.join(a.out, "running.f32"))
    xte.numpy().astype(np.float32).tofile(os.path.join(a.out, "xte.f32"))
    with open(os.path.join(a.out, "accuracy.txt"), "w") as f:
        f.write("%.4f\n" % accuracy(model, xte, yte))


if __name__ == "__main__":
    main()
