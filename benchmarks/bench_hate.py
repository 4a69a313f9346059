"""Throughput of the `hate` and `narratives` analyses over a corpus (posts per second).

    python benchmarks/bench_hate.py [--posts 50000] [--data ../shared/data] [--json]

Builds a DuckDB corpus of ``--posts`` posts whose texts are drawn (with replacement, each with a
unique suffix so no two posts are identical) from the development datasets (Jikeli, HateXplain,
Davidson, RedditBias: ~50k distinct real posts), or from engineroom's synthetic generator when the
datasets are absent, then runs each analysis through ``run_analyses`` (DuckDB engine,
``map_batches`` on ``--workers`` processes, default ``ENGINEROOM_WORKERS`` or one per core) and
reports wall-clock posts/s and posts per CPU-second of this process and its worker processes
together (the machine is shared: CPU time is the figure that does not depend on other people's
load).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("ENGINEROOM_QUIET", "1")


def texts_from(data: Path, n: int, seed: int = 0) -> list[str]:
    from engineroom.hate.train import load_frames

    try:
        pool = load_frames(data)["text"].astype(str).tolist()
    except FileNotFoundError:
        words = ("the people vote today for change and the council said the weather in the city is fine "
                 "jews israel media bankers news report police antisemitism tories nhs").split()
        rng = np.random.default_rng(seed)
        pool = [" ".join(rng.choice(words, 20)) for _ in range(20000)]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(pool), n)
    return [f"{pool[i]} #{k % 997}" for k, i in enumerate(idx)]


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished children (the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=50_000)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--only", default="hate,narratives")
    ap.add_argument("--workers", type=int, default=None,
                    help="map_batches worker processes (default: ENGINEROOM_WORKERS, else one per core)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.workers is not None:
        os.environ["ENGINEROOM_WORKERS"] = str(args.workers)

    import engineroom
    from engineroom.analyses import run_analyses
    from engineroom.engines.pool import worker_count
    from engineroom.hate.model import shipped_model

    texts = texts_from(args.data, args.posts)
    shipped_model()  # load once (not part of the throughput)
    results = {"posts": args.posts, "workers": worker_count(), "load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        c = engineroom.open(Path(tmp) / "bench.duckdb")
        df = pd.DataFrame({"platform": "twitter", "post_id": [str(i) for i in range(len(texts))],
                           "account_id": [f"a{i % 5000}" for i in range(len(texts))], "text": texts, "kind": "post"})
        c.con.register("bench_posts", df)
        c.con.execute("INSERT INTO posts (platform, post_id, account_id, text, kind) SELECT * FROM bench_posts")
        c.con.unregister("bench_posts")
        for name in args.only.split(","):
            w0, c0 = time.perf_counter(), _cpu_seconds()
            summary = run_analyses(c, only=[name])[name]
            wall, cpu = time.perf_counter() - w0, _cpu_seconds() - c0
            results[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                             "posts_per_s": round(args.posts / wall), "posts_per_cpu_s": round(args.posts / cpu),
                             "summary": summary}
            print(f"{name}: {args.posts / wall:,.0f} posts/s wall, {args.posts / cpu:,.0f} posts per CPU-second "
                  f"({wall:.1f} s wall, {cpu:.1f} s CPU with {results['workers']} worker(s); "
                  f"load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
        c.close()
    if args.json:
        print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
