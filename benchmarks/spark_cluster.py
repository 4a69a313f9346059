"""Time every analysis on DuckDB, Spark local and a two-worker Spark standalone cluster.

    python benchmarks/spark_cluster.py --posts 100000 --workdir /tmp/spark-bench [--json]
        [--modes duckdb,local,cluster] [--only trends,hate] [--keep-post-findings]

Synthesizes N posts (IO-archive CSV, :mod:`engineroom.synth`, reused when the workdir has them),
ingests them once with ``engineroom ingest --engine spark`` (the corpus and its Parquet layout),
then for each mode copies the corpus and runs ``engineroom analyze`` in a fresh process:

* ``duckdb``: the default engine;
* ``local``: ``--engine spark --spark-master local[2]`` (one JVM, executors in the driver);
* ``cluster``: a standalone master and two workers on 127.0.0.1 (``engineroom.engines.cluster``:
  1 core and 1 GB per worker, executors of 640 MB, driver 1 GB), ``--spark-master
  spark://127.0.0.1:PORT``; the cluster is stopped afterwards, also on failure.

Per analysis it reports seconds from the ``runs`` table (start to finish of each analysis), the
engine start (JVM, Parquet export: the command's wall time less the analyses), the command's wall
time and the CPU seconds of its process tree; for the cluster also the tasks each worker ran and
the executors' CPU seconds from Spark's event log. CPU seconds are sampled from ``/proc`` for the
analyze process's group (its Python, the driver JVM, map_batches workers) and, on the cluster, the
daemons' groups (master, workers, executors and their Python workers). The load average is printed next to the
figures: on a shared machine the wall times depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import engineroom
from engineroom.engines.cluster import LocalCluster
from engineroom.synth import io_users_path, synthesize


class GroupCPU:
    """CPU seconds of every process in some process groups, sampled from ``/proc`` twice a second.

    A Spark driver's JVM is not waited for by the Python process that started it, and a cluster's
    executors are children of the worker daemons, so ``RUSAGE_CHILDREN`` misses them; sampling
    each process's ``utime + stime`` and keeping the last value
    seen counts them, less what a process spends after its last sample (at most half a second).
    """

    def __init__(self) -> None:
        self.groups: set[int] = set()
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "GroupCPU":
        self._thread.start()
        return self

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            f = stat[stat.rindex(")") + 2:].split()
            if int(f[2]) in self.groups:  # process group
                self.seen[int(entry.name)] = (int(f[11]) + int(f[12])) / self._tick  # utime + stime

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def stop(self) -> float:
        self.sample()
        self._stop.set()
        self._thread.join()
        return round(sum(self.seen.values()), 1)


def prepare(posts: int, workdir: Path) -> Path:
    """The ingested corpus of ``posts`` synthetic posts (made once per workdir)."""
    base = workdir / f"base-{posts}.duckdb"
    if base.exists():
        return base
    tweets = workdir / f"synth-{posts}_tweets.csv"
    users = io_users_path(tweets)
    if not (tweets.exists() and users.exists()):
        synthesize(posts=posts, out=tweets, format="io-archive", seed=0)
    inputs = [str(tweets), str(users)]
    subprocess.run([sys.executable, "-m", "engineroom.cli", "ingest", *inputs, "--db", str(base),
                    "--engine", "spark"], check=True, stdout=subprocess.DEVNULL)
    return base


def run_mode(mode: str, base: Path, workdir: Path, only: str | None, extra: list[str]) -> dict:
    db = workdir / f"{mode}.duckdb"
    for old in (db, db.with_name(db.name + ".wal")):
        old.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".parquet"), ignore_errors=True)
    shutil.copy(base, db)
    cmd = [sys.executable, "-m", "engineroom.cli", "analyze", "--db", str(db), "--json", *extra]
    if only:
        cmd += ["--only", only]
    env = dict(os.environ, ENGINEROOM_QUIET="1", SPARK_LOCAL_IP="127.0.0.1")
    cluster = None
    out: dict = {"mode": mode, "load_before": os.getloadavg()[0]}
    try:
        if mode == "local":
            cmd += ["--engine", "spark", "--spark-master", "local[2]"]
        elif mode == "cluster":
            shutil.rmtree(workdir / "cluster", ignore_errors=True)  # the event log of this run only
            cluster = LocalCluster(workers=2, worker_cores=1, worker_memory="1g", folder=workdir / "cluster").start()
            env = cluster.client_env(env)
            env["ENGINEROOM_SPARK_DRIVER_MEMORY"] = "1g"
            cmd += ["--engine", "spark", "--spark-master", cluster.master_url]
        cpu = GroupCPU()
        if cluster is not None:
            cpu.groups.update(p.pid for p in cluster.procs)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        cpu.groups.add(proc.pid)
        cpu.start()
        stdout, stderr = proc.communicate()
        out["wall_s"] = round(time.perf_counter() - t0, 1)
        out["cpu_s"] = cpu.stop()
        if proc.returncode != 0:
            raise SystemExit(f"{mode}: analyze failed\n{stderr[-4000:]}")
        if cluster is not None:
            out["cluster"] = cluster.task_usage()
    finally:
        if cluster is not None:
            cluster.stop()
    out["load_after"] = os.getloadavg()[0]
    with engineroom.open(db, read_only=True) as corpus:
        runs = corpus.query("SELECT analysis, epoch(finished_at) - epoch(started_at) AS s FROM runs ORDER BY started_at")
    out["analyses"] = {r.analysis: round(float(r.s), 1) for r in runs.itertuples()}
    out["engine_start_s"] = round(out["wall_s"] - sum(out["analyses"].values()), 1)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--modes", default="duckdb,local,cluster")
    ap.add_argument("--only", default=None, help="comma-separated analyses (default: all)")
    ap.add_argument("--keep-post-findings", action="store_true",
                    help="Spark modes: per-post findings stay in Parquet (analyze --keep-post-findings)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    base = prepare(args.posts, args.workdir)
    result = {"posts": args.posts, "prepare_s": round(time.perf_counter() - t0, 1), "cores": os.cpu_count(), "modes": {}}
    for mode in args.modes.split(","):
        extra = ["--keep-post-findings"] if args.keep_post_findings and mode != "duckdb" else []
        result["modes"][mode] = run_mode(mode, base, args.workdir, args.only, extra)
        print(f"{mode}: {json.dumps(result['modes'][mode])}", file=sys.stderr, flush=True)
    modes = list(result["modes"])
    names = sorted({n for m in modes for n in result["modes"][m]["analyses"]})
    print(f"\n{args.posts:,} posts; seconds per stage\n")
    print("| stage | " + " | ".join(modes) + " |")
    print("|---|" + "---:|" * len(modes))
    print("| engine start (JVM, Parquet export) | " + " | ".join(f"{result['modes'][m]['engine_start_s']}" for m in modes) + " |")
    for n in names:
        print(f"| {n} | " + " | ".join(str(result["modes"][m]["analyses"].get(n, "")) for m in modes) + " |")
    print("| **analyze, wall** | " + " | ".join(f"**{result['modes'][m]['wall_s']}**" for m in modes) + " |")
    print("| CPU-s (analyze process group; cluster: + daemons, executors) | " + " | ".join(str(result["modes"][m]["cpu_s"]) for m in modes) + " |")
    print("| load average before / after | " + " | ".join(
        f"{result['modes'][m]['load_before']:.1f} / {result['modes'][m]['load_after']:.1f}" for m in modes) + " |")
    if "cluster" in result["modes"]:
        c = result["modes"]["cluster"]["cluster"]
        print(f"\ncluster: tasks per worker {c['tasks_per_worker']}, {c['stages']} stages "
              f"({c['stages_with_several_tasks']} with several tasks), executors' CPU {c['executor_cpu_s']} s")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return result


if __name__ == "__main__":
    main()
