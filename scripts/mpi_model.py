#!/usr/bin/python3
"""A MODEL of a run on W trainer ranks, W = 1..64, from a run file.

Replays the run's measured task times (candidate_fitness.seconds of each
generation) through the MPI pool's dispatch: biggest task first to the next
idle trainer (here "biggest" is the measured time; the pool orders by the
predicted cost). A generation then takes its serial part on rank 0
(mutation, planning, commits: the generation's seconds less its training's
wall time, as the run file records them) plus the dispatch's makespan plus a
per-task overhead (bench_mpi's task_overhead_ms, --overhead-ms). A model, not
a measurement: it knows nothing of the network or of a slower node, and it
treats a culled generation's two parts as one task per candidate.

    python3 scripts/mpi_model.py RUN.sqlite [--overhead-ms 8] [--max-w 64]
"""
import argparse
import heapq
import sqlite3


def makespan(times, w, overhead):
    """Biggest first to whichever of w trainers is idle first."""
    idle = [0.0] * min(w, max(1, len(times)))
    for t in sorted(times, reverse=True):
        heapq.heapreplace(idle, idle[0] + t + overhead)
    return max(idle) if times else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--overhead-ms", type=float, default=8.0)
    ap.add_argument("--max-w", type=int, default=64)
    a = ap.parse_args()
    db = sqlite3.connect("file:%s?mode=ro" % a.run, uri=True)
    gens = {}
    for g, s in db.execute("SELECT generation, seconds FROM candidate_fitness WHERE seconds > 0"):
        gens.setdefault(g, []).append(s)
    serial = {}
    cols = {r[1] for r in db.execute("PRAGMA table_info(generations)")}
    workers = db.execute("SELECT coalesce(workers, 1), coalesce(trainer, 'local') FROM run").fetchone() \
        if "trainer" in {r[1] for r in db.execute("PRAGMA table_info(run)")} else (1, "local")
    for row in db.execute("SELECT generation, seconds, %s FROM generations" %
                          ("coalesce(train_seconds, 0) + coalesce(idle_seconds, 0)" if "idle_seconds" in cols else "0")):
        g, seconds, training = row
        serial[g] = max(0.0, seconds - training / max(1, workers[0]))
    if not gens:
        raise SystemExit("%s: no task times (candidate_fitness.seconds)" % a.run)
    pop = max(len(t) for t in gens.values())
    # a generation's usual size (the screen's or a first rung's are larger)
    usual = sorted(len(t) for t in gens.values())[len(gens) // 2]
    ov = a.overhead_ms / 1e3
    measured = sum(s for (s,) in db.execute("SELECT seconds FROM generations"))
    print("MODEL (not a measurement): %s, %d generations, up to %d tasks each, %.1f s of tasks, "
          "rank 0 serial %.1f s, overhead %.1f ms per task" %
          (a.run, len(gens), pop, sum(map(sum, gens.values())), sum(serial.values()), a.overhead_ms))
    print("measured: %.1f s of generations on %s with %d worker(s)" % (measured, workers[1], workers[0]))
    own = sum(serial.get(g, 0) + makespan(t, workers[0], ov) for g, t in gens.items())
    print("check: the model at the run's own W = %d gives %.1f s" % (workers[0], own))
    base = None
    print("%4s %10s %8s %10s" % ("W", "seconds", "speedup", "efficiency"))
    for w in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]:
        if w > a.max_w:
            break
        total = sum(serial.get(g, 0) + makespan(t, w, ov) for g, t in gens.items())
        base = base or total
        print("%4d %10.1f %8.2f %10.2f" % (w, total, base / total, base / total / w))
    # The population 64 trainers keep 80 % busy: each generation's tasks (and
    # rank 0's serial work, which grows with the children made) k times over.
    for k in range(1, 65):
        t1 = sum(k * serial.get(g, 0) + makespan(t * k, 1, ov) for g, t in gens.items())
        t64 = sum(k * serial.get(g, 0) + makespan(t * k, 64, ov) for g, t in gens.items())
        if t1 / t64 / 64 >= 0.8:
            print("population for 80 %% efficiency on 64 trainers: about %d (%d x this run's %d)" % (usual * k, k, usual))
            break
    else:
        print("64 trainers never reach 80 % efficiency here: rank 0's serial work dominates")


if __name__ == "__main__":
    main()
