"""Benchmark the coordination analysis (every network) and compare with the Coordination Network Toolkit.

Usage::

    # every network on a corpus (synthesized with engineroom.synth and ingested when --posts is given)
    python benchmarks/bench_coordination.py --posts 1000000 --seed 3 --workdir /tmp/bench
    python benchmarks/bench_coordination.py --db corpus.duckdb --truth corpus.jsonl.truth.json

    # CNT vs engineroom on the CNT networks (edges must be equal), at one or more corpus sizes
    python benchmarks/bench_coordination.py --posts 100000 --cnt --workdir /tmp/bench

Prints one JSON object on the last line: wall and CPU seconds per stage, peak memory (RSS of this
process, where DuckDB runs, and of the largest worker process of the text pass), the machine's load average (the machine is shared: wall time
under load overstates what the analysis needs, CPU seconds do not), edges per network, precision
and recall of the planted operation's accounts when a truth file is there, and with ``--cnt`` the
comparison from :func:`engineroom.cnt.compare`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_corpus(posts: int, seed: int, workdir: Path) -> tuple[Path, Path]:
    import engineroom
    from engineroom.synth import synthesize

    src = workdir / f"synth_{posts}_{seed}.jsonl"
    db = workdir / f"synth_{posts}_{seed}.duckdb"
    if not db.exists():
        synthesize(posts, src, seed=seed)
        with engineroom.open(db) as corpus:
            corpus.ingest([src])
            corpus.con.execute("CHECKPOINT")
    return db, Path(str(src) + ".truth.json")


def run_coordination(db: Path, truth: Path | None, params: dict) -> dict:
    import engineroom
    from engineroom.analyses.coordination import Coordination

    out: dict = {"db": str(db), "load_before": os.getloadavg()}
    with engineroom.open(db) as corpus:
        out["posts"] = corpus.count("posts")
        w0, c0 = time.perf_counter(), _cpu()
        summary = Coordination(**params).run(corpus.engine())
        out["wall_seconds"] = round(time.perf_counter() - w0, 2)
        out["cpu_seconds"] = round(_cpu() - c0, 2)
        out["stage_seconds"] = summary["seconds"]
        out["stage_cpu_seconds"] = summary.get("cpu_seconds")  # incl. map_batches' worker processes
        out["networks"] = summary["networks"]
        out["lsh"] = summary.get("lsh")
        if truth and truth.exists():
            ops = set(json.loads(truth.read_text())["operation"]["accounts"])
            found = {r[0] for r in corpus.con.execute(
                "SELECT DISTINCT account_id FROM coordination_clusters").fetchall()}
            tp = len(found & ops)
            out["operation"] = {
                "planted": len(ops),
                "found": len(found),
                "precision": round(tp / len(found), 4) if found else 0.0,
                "recall": round(tp / len(ops), 4),
            }
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    # the largest map_batches worker process (the text pass runs on a pool of forked workers)
    out["peak_rss_child_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    out["load_after"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--truth", type=Path)
    ap.add_argument("--posts", type=int, nargs="*", default=[])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("bench-coordination"))
    ap.add_argument("--networks", default=None, help="comma-separated (default: all)")
    ap.add_argument("--cnt", action="store_true", help="compare with CNT on co_retweet, co_tweet, co_link, co_similar_tweet")
    ap.add_argument("--time-window", type=int, default=60)
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    targets: list[tuple[Path, Path | None]] = []
    if args.db:
        targets.append((args.db, args.truth))
    for n in args.posts:
        targets.append(make_corpus(n, args.seed, args.workdir))
    if not targets:
        ap.error("give --db or --posts")

    results = []
    for db, truth in targets:
        if args.cnt:
            from engineroom.cnt import compare

            w0, c0 = time.perf_counter(), _cpu()
            r = compare(db, time_window=args.time_window, workdir=args.workdir / f"cnt_{db.stem}")
            r["compare_wall_seconds"] = round(time.perf_counter() - w0, 2)
            r["compare_cpu_seconds_incl_cnt_children"] = round(_cpu() - c0, 2)
            r["load_after"] = os.getloadavg()
            results.append({"cnt_compare": r, "db": str(db)})
        else:
            copy = args.workdir / (db.stem + "_bench.duckdb")
            shutil.copyfile(db, copy)
            params = {"time_window": args.time_window}
            if args.networks:
                params["networks"] = tuple(args.networks.split(","))
            results.append(run_coordination(copy, truth, params))
            copy.unlink()
    final = {"results": results}
    print(json.dumps(final, default=str))
    return final


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
