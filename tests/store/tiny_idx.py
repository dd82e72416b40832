#!/usr/bin/env python3
"""Writes a tiny IDX data set into DIR: 8x8 gray images of 4 classes (a
bright bar in one quadrant, on noise), 1200 for training and 300 for
testing, the files nasfit fit --data DIR reads. An optional second
argument seeds it (1 by default)."""
import os
import random
import struct
import sys


def images(n, seed):
    r = random.Random(seed)
    pix, lab = bytearray(), bytearray()
    for _ in range(n):
        k = r.randrange(4)
        y0, x0 = (k // 2) * 4, (k % 2) * 4
        px = [r.randrange(200) for _ in range(64)]
        for x in range(4):
            px[(y0 + 1 + r.randrange(2)) * 8 + x0 + x] = 120 + r.randrange(136)
        pix += bytes(px)
        lab.append(k)
    return pix, lab


def write(d, prefix, n, seed):
    pix, lab = images(n, seed)
    with open(os.path.join(d, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + pix)
    with open(os.path.join(d, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + lab)


d = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
os.makedirs(d, exist_ok=True)
write(d, "train", 1200, seed)
write(d, "t10k", 300, seed + 1)
