"""Where an ingest's CPU goes: read, stage, export and store, timed one after the other.

    python benchmarks/profile_ingest.py /tmp/bench/io_1m_tweets.csv
    python benchmarks/profile_ingest.py /tmp/bench/twarc2_1m.jsonl --db /tmp/profile.duckdb

The file is ingested into a new corpus with staging on the calling thread (no worker threads), so
each step's CPU time (``time.thread_time``) is its own: *read* (decompress, hash, split lines or
parse CSV: the adapter's ``units``), *stage* (normalise with SQL on the staging connection:
``stage_unit`` and :func:`engineroom.ingest.merge.prepare_batch`), *export* (the staged batch to
Arrow: :func:`engineroom.ingest.merge.export_batch`) and *store* (into the corpus inside the
file's transaction: :func:`engineroom.ingest.merge.merge_batch`). ``other`` is the rest of the
process's CPU (opening the corpus, the commit, Python). With staging on two worker threads (the
default) the same steps cost 10-20% more CPU, shared between the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path


def profile(path: str, db: str) -> dict:
    """Ingest ``path`` into a new corpus at ``db``; CPU seconds per step and the counts."""
    os.environ.setdefault("ENGINEROOM_QUIET", "1")
    import engineroom
    from engineroom.ingest import core, merge

    cpu: Counter = Counter()

    def timed(step: str, fn):
        def run(*a, **k):
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[step] += time.thread_time() - t
        return run

    def serial_batches(adapter, hasher, mode, workers, connect):
        sc = connect()
        try:
            units = iter(adapter.units(hasher))
            while True:
                t = time.thread_time()
                try:
                    unit = next(units)
                except StopIteration:
                    return
                finally:
                    cpu["read"] += time.thread_time() - t
                timed("stage", adapter.stage_unit)(sc, unit)
                timed("stage", merge.prepare_batch)(sc, mode, adapter.post_keys_checked)
                yield timed("export", merge.export_batch)(sc, mode, adapter.unique_accounts)
        finally:
            sc.close()

    for p in (Path(db), Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    saved = core.staged_batches, core.merge_batch
    core.staged_batches, core.merge_batch = serial_batches, timed("store", merge.merge_batch)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        with engineroom.open(db) as corpus:
            [rep] = corpus.ingest(path)
        total = time.process_time() - c0
    finally:
        core.staged_batches, core.merge_batch = saved
    steps = {k: round(cpu[k], 2) for k in ("read", "stage", "export", "store")}
    steps["other"] = round(total - sum(cpu.values()), 2)
    return {"file": path, "format": rep.format, "read": rep.read, "stored": rep.stored, "cpu_s": round(total, 2),
            "wall_s": round(time.perf_counter() - t0, 2), "steps_cpu_s": steps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--db", default=None, help="corpus to create (default: a temp file, removed after)")
    args = ap.parse_args()
    db = args.db or os.path.join(tempfile.mkdtemp(prefix="engineroom-profile-"), "profile.duckdb")
    res = profile(args.file, db)
    if not args.db:
        for p in (Path(db), Path(db + ".wal")):
            p.unlink(missing_ok=True)
    for step, s in res["steps_cpu_s"].items():
        print(f"{step:7s} {s:7.2f} CPU-s")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
