#!/usr/bin/env python3
"""Generated hostile inputs for nasfit (run by tests/hostile_check.sh).

Valid files are made first by nasfit itself (a tiny IDX data set, a run
file stopped mid-search, the best's architecture JSON, a model file, a PNG
image); then every surface is mutated field by field and the real binary
runs on each case with a time limit and a memory limit. A case passes when
the command
  - does not crash (no signal), hang (time limit) or print a sanitizer report;
  - exits with an expected status (2 bad input, 1 usage; 0 where the
    mutation may be harmless, which the case says);
  - names the file it refuses (or the option, for arguments);
  - leaves the run file it failed on byte for byte unchanged.
Prints the cases per surface and every failure; exits 1 on any failure."""
import re
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zlib

NASFIT = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
ASAN = os.environ.get("NASFIT_ASAN") == "1"
SEED = int(os.environ.get("HOSTILE_SEED", "1"))
LIMIT_S = 60 if ASAN else 20
MEM_KB = 2 * 1024 * 1024  # 2 GiB of address space: a multi-GB allocation fails the case
rng = random.Random(SEED)
counts, failures = {}, []


def run(args, timeout=LIMIT_S):
    env = dict(os.environ)
    if ASAN:  # ASan reserves terabytes of address space: bound the heap its own way
        env["ASAN_OPTIONS"] = "allocator_may_return_null=1:max_allocation_size_mb=2048:hard_rss_limit_mb=3072:detect_leaks=1"
        pre = None
    else:
        pre = lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (MEM_KB * 1024, MEM_KB * 1024))
    try:
        p = subprocess.run([NASFIT] + args, capture_output=True, timeout=timeout, preexec_fn=pre, env=env)
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "hang", ""


def md5(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def check(surface, name, args, want=(2,), names=None, db=None):
    """Runs one case; want: the exit statuses accepted; names: text the
    message must hold when the status is not 0; db: a run file a failing
    command must leave unchanged."""
    counts[surface] = counts.get(surface, 0) + 1
    before = md5(db) if db else None
    rc, out = run(args)
    why = None
    if rc == "hang":
        why = "no end within %d s" % LIMIT_S
    elif rc < 0 or rc >= 128:
        why = "killed by signal %d" % (-rc if rc < 0 else rc - 128)
    elif "Sanitizer" in out or "runtime error:" in out:
        why = "sanitizer report"
    elif rc not in want:
        why = "exit %d, expected %s" % (rc, "/".join(map(str, want)))
    elif rc != 0 and names and names not in out:
        why = "the message does not name %r" % names
    elif rc != 0 and db and md5(db) != before:
        why = "the run file changed although the command failed"
    if why:
        failures.append("%s: %s: %s\n    nasfit %s\n    %s" % (surface, name, why, " ".join(args)[:300], out.strip()[-600:]))


# ==== the valid files ======================================================

T = tempfile.mkdtemp(prefix="nf_hostile_")
os.chdir(T)
subprocess.run([sys.executable, os.path.join(HERE, "..", "store", "tiny_idx.py"), "data"], check=True)
CONF_SRC = open(os.path.join(HERE, "..", "store", "tiny.conf")).read()
BASE_CONF = os.path.join(T, "base.conf")
with open(BASE_CONF, "w") as f:
    f.write(CONF_SRC.replace("[data]\n", "[data]\npath = %s\n" % os.path.join(T, "data"), 1))


def fresh_run(path, extra=()):
    """A run file stopped mid-search (SIGINT), resumable."""
    p = subprocess.Popen([NASFIT, "fit", "--config", BASE_CONF, "--db", path, "--quiet", "--threads", "1",
                          "--set", "search.generations=100000"] + list(extra),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.3)
        try:
            c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
            n = c.execute("SELECT count(*) FROM generations").fetchone()[0]
            c.close()
            if n >= 3:
                break
        except sqlite3.Error:
            pass
    p.send_signal(signal.SIGINT)
    p.wait(timeout=120)


BASE_DB = os.path.join(T, "base.sqlite")
fresh_run(BASE_DB)
ARCH = os.path.join(T, "arch.json")
with open(ARCH, "w") as f:
    f.write(subprocess.run([NASFIT, "show", "--db", BASE_DB, "best", "--json"], capture_output=True, text=True).stdout)
MODEL = os.path.join(T, "model.nfm")
subprocess.run([NASFIT, "export", "--db", BASE_DB, "best", "-o", MODEL], check=True, capture_output=True)


def png(width, height, pixels=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes((x * 31 + y * 17) & 255 for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


IMG = os.path.join(T, "img.png")
open(IMG, "wb").write(png(8, 8))
FIFO = os.path.join(T, "fifo")
os.mkfifo(FIFO)
SPECIAL = [T, "/dev/zero", "/dev/null", "/dev/urandom", FIFO]

# ==== configuration ========================================================

BAD_VALUES = ["", "x", "nan", "1e400", " -1", "-1", "1" + "0" * 30, "5 5", "\x01", "9" * 5000]


def conf_case(name, text, want=(2,), names=None, extra=()):
    path = os.path.join(T, "case.conf")
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape"))
    check("config", name, ["fit", "--config", path, "--print-config"] + list(extra), want, names or path)


full = subprocess.run([NASFIT, "fit", "--config", BASE_CONF, "--print-config"], capture_output=True, text=True).stdout
lines = full.split("\n")
for i, line in enumerate(lines):  # every key, every bad value, at its own line
    if "=" not in line or line.startswith("path"):
        continue
    key, printed = (part.strip() for part in line.split("=", 1))
    bad = [v for v in BAD_VALUES if v != printed]  # what --print-config wrote is valid (an empty arch: the reference CNN)
    for v in rng.sample(bad, 4):  # a different draw per key: every value is tried across the keys
        text = "\n".join(lines[:i] + ["%s = %s" % (key, v)] + lines[i + 1:])
        conf_case("%s = %r" % (key, v[:12]), text, names="case.conf:%d:" % (i + 1))
for pad in list(range(150, 260, 7)) + [1000, 5000, 70000]:  # long lines: no setting smuggled, line numbers right
    conf_case("comment of %d bytes hiding a setting" % pad, "[search]\n#" + "x" * pad + " population = 1\n", want=(0,))
    conf_case("bad line after a %d-byte comment" % pad, "[search]\n;" + "y" * pad + "\npopulation = 1\n",
              names="case.conf:3:")
    conf_case("data path of %d bytes" % pad, "[data]\npath = /" + "d" * pad + "\n", want=(0,) if pad < 511 else (2,))
base_bytes = open(BASE_CONF, "rb").read()
for k in range(12):  # a NUL byte anywhere
    at = rng.randrange(len(base_bytes))
    conf_case("NUL at offset %d" % at, base_bytes[:at] + b"\0" + base_bytes[at:], names="NUL")
for k in range(40):  # random bytes anywhere: never a crash; refused naming the file if refused
    b = bytearray(base_bytes)
    for _ in range(rng.randrange(1, 4)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    conf_case("random bytes #%d" % k, bytes(b), want=(0, 2))
conf_case("2 MB file", b"# " + b"z" * (2 << 20) + b"\n")
for s in SPECIAL:
    check("config", "special file " + s, ["fit", "--config", s, "--print-config"], (2,), s)
for key in ["max_width", "min_width"] if False else ["max_width"]:  # a bare key two sections have
    check("config", "ambiguous --set " + key, ["fit", "--config", BASE_CONF, "--set", key + "=8", "--print-config"],
          (1, 2), "[limits]")

# ==== run file =============================================================

db0 = sqlite3.connect(BASE_DB)
best = db0.execute("SELECT candidate_id FROM weights WHERE role = 'best'").fetchone()[0]
some_ids = [r[0] for r in db0.execute("SELECT id FROM candidates ORDER BY random() LIMIT 3")]
gen = db0.execute("SELECT generation FROM run").fetchone()[0]
db0.close()
READERS = [["history"], ["history", "--json"], ["top"], ["top", "--json"], ["lineage", "best"], ["lineage", "best", "--json"],
           ["show", "best"], ["show", "best", "--json"], ["export", "best", "-o", os.path.join(T, "x.nfm")], ["plot", "-o", os.path.join(T, "x.png")]]
BIG = [-1, -(2 ** 63), 2 ** 31, 2 ** 32, 2 ** 62, 2 ** 63 - 1, "'x'", 1e300]
MUTATIONS = []  # (name, SQL, resume must fail)
for col in ["generation", "next_id", "final_images"]:
    for v in BIG:  # ids of 2^31 and 2^32 are fine (64-bit); generations and image counts that large are not
        MUTATIONS.append(("run.%s = %s" % (col, v), "UPDATE run SET %s = %s" % (col, v),
                          not (col == "next_id" and v in (2 ** 31, 2 ** 32))))
MUTATIONS += [("run.next_id below the ids", "UPDATE run SET next_id = 1", True),
              ("run.generation before the history", "UPDATE run SET generation = 0", True),
              ("run.winner_id dangling", "UPDATE run SET winner_id = 999999", False),
              ("run.elapsed_seconds = -1", "UPDATE run SET elapsed_seconds = -1", True),
              ("run row deleted", "DELETE FROM run", True),
              ("a second generations row ahead", "INSERT INTO generations SELECT generation + 7, started, ended, seconds, "
               "best_fitness, median_fitness, best_accuracy, best_id, population, failed, images, commit_seconds, "
               "culled, train_seconds, score_seconds, idle_seconds, predicted_seconds FROM generations LIMIT 1", True),
              ("best weights naming no candidate", "UPDATE weights SET candidate_id = 999999 WHERE role = 'best'", True),
              ("population twice the same candidate", "UPDATE weights SET candidate_id = (SELECT candidate_id FROM weights "
               "WHERE role = 'population' AND slot = 0) WHERE role = 'population' AND slot = 1", True),
              ("a population slot out of order", "UPDATE weights SET slot = 40 WHERE role = 'population' AND slot = 0", True),
              ("a second best row", "INSERT INTO weights SELECT role, 1, candidate_id, trained_gen, bytes, data FROM weights "
               "WHERE role = 'best'", True),
              ("best candidate's architecture not JSON", "UPDATE candidates SET architecture = '{\"format\":' WHERE id = %d" % best, False),
              ("best candidate's architecture invalid UTF-8", "UPDATE candidates SET architecture = CAST(x'7bff22' AS TEXT) WHERE id = %d" % best, False),
              ("a brief in invalid UTF-8", "UPDATE candidates SET brief = CAST(x'63ff' AS TEXT)", False),
              ("best candidate's architecture for 9x9 images", "UPDATE candidates SET architecture = replace(replace(architecture, "
               "'\"height\": 8', '\"height\": 9'), '\"width\": 8', '\"width\": 9') WHERE id = %d" % best, False),
              ("run.normalization not numbers", "UPDATE run SET normalization = 'mean nan std 0'", True),
              ("run.normalization zero std", "UPDATE run SET normalization = 'mean 0.5 std 0'", True)]
for i in some_ids + [best]:
    MUTATIONS += [("candidate %d its own parent" % i, "UPDATE candidates SET parent1 = id WHERE id = %d" % i, False),
                  ("candidate %d with a dangling parent" % i, "UPDATE candidates SET parent1 = 987654 WHERE id = %d" % i, False)]
MUTATIONS.append(("a parent cycle through the best's line",
                  "UPDATE candidates SET parent1 = %d WHERE id = (WITH RECURSIVE l(id) AS (SELECT %d UNION SELECT c.parent1 FROM "
                  "candidates c JOIN l ON c.id = l.id WHERE c.parent1 IS NOT NULL) SELECT min(id) FROM l)" % (best, best), False))
for cut in ["length(data) / 2", "10", "0", "length(data) - 1"]:
    MUTATIONS.append(("population blob cut to %s" % cut, "UPDATE weights SET data = substr(data, 1, %s) WHERE role = 'population'" % cut, True))
for k in range(8):
    at = rng.randrange(40, 4000)
    MUTATIONS.append(("population blob byte %d flipped" % at, "UPDATE weights SET data = substr(data, 1, %d) || x'a5' || "
                      "substr(data, %d) WHERE role = 'population'" % (at, at + 2), False))
SCHEMA = int(re.search(r"#define NF_STORE_SCHEMA (\d+)", open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "app", "store", "store.h")).read()).group(1))
for v in [-1, -(2 ** 31), SCHEMA + 1, 99, 2 ** 31 - 1]:
    MUTATIONS.append(("user_version %d" % v, "PRAGMA user_version = %d" % v, True))
MUTATIONS.append(("application_id 0", "PRAGMA application_id = 0", True))

# Another image size's candidates in this run's population (graphs that take 9x9).
OTHER = os.path.join(T, "other")
subprocess.run([sys.executable, os.path.join(HERE, "hostile_idx9.py"), OTHER], check=True)
OTHER_DB = os.path.join(T, "other.sqlite")
with open(os.path.join(T, "other.conf"), "w") as f:
    f.write(open(BASE_CONF).read().replace(os.path.join(T, "data"), OTHER))
p = subprocess.run([NASFIT, "fit", "--config", os.path.join(T, "other.conf"), "--db", OTHER_DB, "--quiet", "--set",
                    "search.generations=1", "--threads", "1"], capture_output=True)
MUTATIONS.append(("population of 9x9 graphs", "ATTACH '%s' AS o; UPDATE weights SET data = (SELECT data FROM o.weights "
                  "ORDER BY role LIMIT 1), candidate_id = (SELECT candidate_id FROM o.weights ORDER BY role LIMIT 1) "
                  "WHERE role = 'population' AND slot = 0" % OTHER_DB, True))

for name, sql, must_fail in MUTATIONS:
    path = os.path.join(T, "case.sqlite")
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copy(BASE_DB, path)
    r = subprocess.run(["sqlite3", path], input=sql + ";\n", capture_output=True, text=True)
    if r.returncode != 0:  # a constraint refused the edit: not a case; any other SQL error is the test's own
        if "constraint" not in r.stderr.lower():
            failures.append("run file: %s: the edit itself failed: %s" % (name, r.stderr.strip()))
        continue
    for args in rng.sample(READERS, 4):
        check("run file", "%s: %s" % (name, args[0]), [args[0], "--db", path] + args[1:], (0, 2), path, db=path)
    check("run file", "%s: resume" % name, ["resume", "--db", path, "--quiet", "--time", "3s", "--threads", "1"],
          (2,) if must_fail else (0, 2), path, db=path)
    if name == "run row deleted":
        check("run file", "fit on history without a run row", ["fit", "--config", BASE_CONF, "--db", path, "--quiet"], (1, 2), path, db=path)
for s in SPECIAL:
    for cmd in ["history", "show"]:
        check("run file", "special file %s: %s" % (s, cmd), [cmd, "--db", s] + (["best"] if cmd == "show" else []), (2,), s)

# ==== architecture JSON ====================================================

arch = json.loads(open(ARCH).read())
ODD = [None, "x", -1, 0, 2 ** 31, 2 ** 63 - 1, 1e300, 0.5, [], {}, True]


def arch_case(name, doc, raw=None, want=(0, 2)):
    path = os.path.join(T, "case.json")
    with open(path, "wb") as f:
        f.write(raw if raw is not None else json.dumps(doc).encode())
    check("architecture", name, ["dot", path], want, path)


for key in list(arch):
    d = json.loads(json.dumps(arch)); del d[key]; arch_case("no %s" % key, d)
    for v in ODD:
        d = json.loads(json.dumps(arch)); d[key] = v; arch_case("%s = %r" % (key, v), d)
for key in list(arch["input"]):
    d = json.loads(json.dumps(arch)); del d["input"][key]; arch_case("no input.%s" % key, d, want=(2,))
    for v in ODD + [8193, 65536, 4097]:
        d = json.loads(json.dumps(arch)); d["input"][key] = v; arch_case("input.%s = %r" % (key, v), d)
VERTS = sorted(set([0, 1, len(arch["vertices"]) - 1] + rng.sample(range(len(arch["vertices"])), 3)))
for i in VERTS:
    vx = arch["vertices"][i]
    for key in list(vx):
        d = json.loads(json.dumps(arch)); del d["vertices"][i][key]; arch_case("vertex %d without %s" % (i, key), d)
        for v in rng.sample(ODD, 5) + ([[999], [-1], [vx["id"]]] if key == "inputs" else [65537]):
            d = json.loads(json.dumps(arch)); d["vertices"][i][key] = v
            arch_case("vertex %d %s = %r" % (i, key, v), d)
# concats of concats: channel counts that double past int
d = json.loads(json.dumps(arch))
vs = [d["vertices"][0], {"id": 1, "op": "conv2d", "inputs": [0], "nout": 65536, "kernel": 1}]
for k in range(2, 40):
    vs.append({"id": k, "op": "concat", "inputs": [k - 1] * 64})
vs += [{"id": 40, "op": "gap", "inputs": [39]}, {"id": 41, "op": "dense", "inputs": [40], "nout": 4}]
d["vertices"] = vs
d.pop("parameters", None)
arch_case("concat channels past 2^31", d, want=(2,))
text = open(ARCH, "rb").read()
for cut in range(0, len(text), max(1, len(text) // 25)):
    arch_case("cut at %d" % cut, None, raw=text[:cut], want=(2,) if cut < len(text) - 2 else (0, 2))
arch_case("NUL inside", None, raw=text[:20] + b"\0" + text[20:], want=(2,))
arch_case("invalid UTF-8", None, raw=text.replace(b"conv2d", b"conv\xff2d", 1), want=(2,))
for s in SPECIAL:
    check("architecture", "special file " + s, ["dot", s], (2,), s)
    check("architecture", "train --arch special file " + s, ["train", "--arch", s, "--data", os.path.join(T, "data")], (2,), s)

# ==== model file ===========================================================

m = open(MODEL, "rb").read()


def model_fields(b):
    """(offset, size, name) of every field of a version-1 .nfm file."""
    f = [(0, 8, "magic"), (8, 4, "version"), (12, 8, "total length"), (20, 4, "channels"), (24, 4, "height"),
         (28, 4, "width"), (32, 4, "architecture length")]
    at = 36 + struct.unpack("<I", b[32:36])[0]
    c = struct.unpack("<I", b[20:24])[0]
    f += [(36, 1, "architecture text")] + [(at + 4 * k, 4, "normalisation %d" % k) for k in range(2 * c)]
    at += 8 * c
    f.append((at, 4, "class count"))
    n = struct.unpack("<I", b[at:at + 4])[0]
    at += 4
    for k in range(n):
        ln = struct.unpack("<I", b[at:at + 4])[0]
        f.append((at, 4, "class name %d length" % k))
        at += 4 + ln
    f.append((at, 8, "parameter count"))
    np_ = struct.unpack("<Q", b[at:at + 8])[0]
    f.append((at + 8, 4, "first parameter"))
    at += 8 + 4 * np_
    f.append((at, 8, "statistics count"))
    return f


def sealed(b):
    """b with its length field and CRC-32 made right again."""
    b = bytearray(b[:-4])
    b[12:20] = struct.pack("<Q", len(b) + 4)
    return bytes(b) + struct.pack("<I", zlib.crc32(bytes(b)))


def model_case(name, b, want=(2,)):
    path = os.path.join(T, "case.nfm")
    open(path, "wb").write(b)
    readers = [["evaluate", path, "--data", os.path.join(T, "data")], ["predict", path, IMG], ["dot", path]]
    for args in rng.sample(readers, 2):  # the three share the loader: two of them, drawn, per case
        check("model file", name + ": " + args[0], args, want, path)


for off, size, name in model_fields(m):
    for v in [0, 1, 2 ** 31, 2 ** (8 * size) - 1]:
        if m[off:off + size] == (v.to_bytes(size, "little") if size > 1 else bytes([v & 255])):
            continue  # the value it has: not a mutation
        b = bytearray(m)
        b[off:off + size] = v.to_bytes(size, "little") if size > 1 else bytes([v & 255])
        ok = (0, 2) if name.startswith("normalisation") or name == "first parameter" or name == "architecture text" else (2,)
        model_case("%s = %d (CRC recomputed)" % (name, v), sealed(bytes(b)) if off >= 20 or off == 8 else bytes(b), ok)
for off, size, name in model_fields(m)[3:]:
    model_case("cut before %s (sealed)" % name, sealed(m[:off] + b"\0\0\0\0"))
# An architecture declaring 268 M parameters in a file of a few KB.
jl = struct.unpack("<I", m[32:36])[0]
big = json.loads(m[36:36 + jl])
for vx in big["vertices"]:
    if vx["op"] == "dense":
        vx["nout"] = 4
    if vx["op"] == "conv2d":
        vx["nout"] = 16384
j = json.dumps(big).encode()
model_case("architecture of ~1e9 parameters in a small file", sealed(m[:32] + struct.pack("<I", len(j)) + j + m[36 + jl:]))
model_case("one byte flipped, CRC not recomputed", m[:100] + bytes([m[100] ^ 1]) + m[101:])
for s in SPECIAL:
    check("model file", "special file " + s, ["evaluate", s, "--data", os.path.join(T, "data")], (2,), s)
    check("model file", "special file (predict) " + s, ["predict", s, IMG], (2,), s)

# ==== PNG inputs ===========================================================

good = png(8, 8)


def png_case(name, b, want=(2,)):
    path = os.path.join(T, "case.png")
    open(path, "wb").write(b)
    check("png", name, ["predict", MODEL, path], want, path)


def with_ihdr(width, height, depth=8, color=0, inter=0):
    b = bytearray(good)
    b[16:29] = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, inter)
    b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])))
    return bytes(b)


for w, h in [(0, 8), (8, 0), (2 ** 31, 8), (8, 2 ** 31 - 1), (9000, 9000), (8192, 8192), (1, 1)]:
    png_case("IHDR %dx%d" % (w, h), with_ihdr(w, h))
for depth in [0, 3, 7, 17, 255]:
    png_case("bit depth %d" % depth, with_ihdr(8, 8, depth))
for color in [1, 5, 7, 255]:
    png_case("colour type %d" % color, with_ihdr(8, 8, 8, color))
png_case("interlace 7", with_ihdr(8, 8, inter=7))
for cut in range(0, len(good), 6):
    png_case("cut at %d" % cut, good[:cut])
for k in range(20):
    b = bytearray(good)
    b[rng.randrange(8, len(b))] ^= 1 << rng.randrange(8)
    png_case("bit flipped #%d" % k, bytes(b))
png_case("chunk length 2^31", good[:33] + struct.pack(">I", 2 ** 31) + good[37:])
for s in SPECIAL:
    png_case_path = s
    check("png", "special file " + s, ["predict", MODEL, s], (2,), s)

# ==== arguments ============================================================

NUMBERS = ["", "x", "-1", " -1", "+1", "99999999999999999999", "1e400", "nan", "0x10", "1.5.5"]
OPTIONS = {
    "fit": ["--generations", "--population", "--time", "--target", "--seed", "--threads"],
    "resume": ["--time", "--threads"],
    "top": ["-n"],
    "data": ["--val-fraction", "--seed", "--train-limit", "--size"],
    "train": ["--epochs", "--batch", "--lr", "--seed", "--threads", "--train-limit", "--schedule"],
    "evaluate": ["--batch", "--threads"],
    "predict": ["--top"],
}
POSITIONAL = {"fit": ["--config", BASE_CONF, "--print-config"], "resume": ["--db", BASE_DB], "top": ["--db", BASE_DB],
              "data": [os.path.join(T, "data")], "train": ["--data", os.path.join(T, "data")],
              "evaluate": [MODEL, "--data", os.path.join(T, "data")], "predict": [MODEL, IMG]}
for cmd, opts in OPTIONS.items():
    for o in opts:
        for v in NUMBERS:
            accepts = (0, 1, 2) if (v == "+1" and o != "--seed") or (cmd == "fit" and v in ("1.5.5",)) else (1, 2)
            if v == "+1" and cmd in ("train", "resume"):
                continue  # a valid value would start a real training
            check("arguments", "%s %s %r" % (cmd, o, v), [cmd] + POSITIONAL[cmd] + [o, v], accepts, o.lstrip("-"),
                  db=BASE_DB)
        check("arguments", "%s %s without a value" % (cmd, o), [cmd] + POSITIONAL[cmd] + [o], (1, 2))
for cmd in ["fit", "resume", "history", "top", "lineage", "show", "export", "plot", "data", "train", "evaluate", "predict", "dot"]:
    check("arguments", cmd + " --no-such-option", [cmd, "--no-such-option"], (1, 2) if cmd in ("train", "data") else (1,))
    if cmd not in ("fit", "train", "data"):  # those three start real work on the default data set
        check("arguments", cmd + " with nothing", [cmd], (1, 2))
for which in ["-1", "x", "99999999999999999999", "1e3", "0x1"]:
    for cmd in ["lineage", "show", "export"]:
        check("arguments", "%s %r" % (cmd, which), [cmd, "--db", BASE_DB, which] + (["-o", "o.nfm"] if cmd == "export" else []),
              (1, 2), db=BASE_DB)

# ==== the result ===========================================================

os.chdir("/")
shutil.rmtree(T, ignore_errors=True)
for f in failures:
    print("FAIL:", f)
total = sum(counts.values())
print("hostile inputs (seed %d): %s; %d cases, %d failed" % (SEED, ", ".join("%s %d" % kv for kv in counts.items()), total,
                                                            len(failures)))
sys.exit(1 if failures else 0)
