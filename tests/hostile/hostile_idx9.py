#!/usr/bin/env python3
"""Writes a tiny IDX data set of 9x9 gray images of 4 classes into DIR
(another image size than tests/store/tiny_idx.py's 8x8), for the hostile
test's candidates that do not fit the run's data."""
import os
import random
import struct
import sys

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
r = random.Random(9)
for prefix, n in [("train", 400), ("t10k", 100)]:
    labels = bytes(k % 4 for k in range(n))
    pixels = bytes(r.randrange(256) for _ in range(n * 81))
    with open(os.path.join(d, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 9, 9) + pixels)
    with open(os.path.join(d, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels)
