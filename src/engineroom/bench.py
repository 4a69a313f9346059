"""``engineroom bench``: time every stage of the pipeline on N synthetic posts.

:func:`run_bench` synthesizes N posts (:mod:`engineroom.synth`: twarc2 JSONL by default, or the
Information Operations archive's tweets + users CSV with ``format="io-archive"``, which is smaller
and faster to write and ingest; ``seed`` picks the synthetic corpus), then times each stage
separately — synth, ingest, every registered analysis (in dependency order, one at a time) and the
report — and records posts per second and peak memory per stage. Peak memory is the memory of
this process and its child processes (map_batches workers, Spark's JVM, the coordination-network-
toolkit subprocess): the kernel's high-water mark ``VmHWM`` of this process is reset at the start
of each stage (``/proc/self/clear_refs``) and read at its end, and a background thread samples the
process tree every 50 ms — this process's resident set size (RSS) when it runs alone, the sum of
proportional set sizes (PSS) while children run, so that pages forked workers share with this
process are counted once; the larger of the two is reported (``peak_rss_mb``).

With ``compare="cnt"`` it also runs :func:`engineroom.cnt.compare` (coordination-network-toolkit
on the same corpus, for the network types both tools build) and includes its timings, edge
equality and speed ratio.

The result is one JSON-able dict; the CLI prints it as the last line with ``--json``.
"""

from __future__ import annotations

import inspect
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .progress import cpu_seconds
from .synth import synthesize



#: synthetic export formats the benchmark can write and ingest
BENCH_FORMATS: tuple[str, ...] = ("twarc2", "io-archive")


class BenchError(RuntimeError):
    """The benchmark cannot run as asked (e.g. ``--compare cnt`` without :mod:`engineroom.cnt`)."""


def _status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively (Linux ``/proc/PID/task/TID/children``)."""
    out: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(x) for x in f.read().split()]
            except (OSError, ValueError):
                continue
            out.extend(kids)
            stack.extend(kids)
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size (KiB) of ``pid``: its private pages plus its share of shared ones."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return _status_kb(pid, "VmRSS")


def tree_rss_kb() -> int:
    """Memory (KiB) of this process plus all its descendants.

    Alone, this process's RSS. With child processes, the sum of their proportional set sizes
    (PSS): workers forked from this process (``map_batches``) share its pages copy-on-write, and
    adding up RSS would count every shared page once per process — at 10M posts that overstated
    the tree's memory by several GB.
    """
    me = os.getpid()
    kids = _descendants(me)
    if not kids:
        return _status_kb(me, "VmRSS")
    return _pss_kb(me) + sum(_pss_kb(c) for c in kids)


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemorySampler:
    """Samples the process tree's RSS in a background thread; :meth:`stage` measures one stage."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.can_reset_hwm = sys.platform.startswith("linux") and os.path.exists("/proc/self/status")

    def __enter__(self) -> "MemorySampler":
        if self.can_reset_hwm:
            self._thread = threading.Thread(target=self._run, name="engineroom-bench-rss", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            t = time.perf_counter()
            kb = tree_rss_kb()
            # reading PSS walks page tables: keep the sampler under ~5% of a core on large processes
            wait = max(self.interval, 20 * (time.perf_counter() - t))
            with self._lock:
                if kb > self._peak:
                    self._peak = kb

    @contextmanager
    def stage(self) -> Iterator[dict[str, Any]]:
        """Measure wall time and peak memory of the enclosed block into the yielded dict."""
        rec: dict[str, Any] = {}
        with self._lock:
            self._peak = tree_rss_kb() if self.can_reset_hwm else 0
        reset = _reset_hwm() if self.can_reset_hwm else False
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        try:
            yield rec
        finally:
            rec["seconds"] = round(time.perf_counter() - t0, 3)
            # CPU time of this process's threads and of children that exited during the stage (on a
            # shared machine wall time alone says little; a running JVM's CPU is not included)
            rec["cpu_seconds"] = round(cpu_seconds() - cpu0, 3)
            peaks = [self._peak]
            if reset:
                peaks.append(_status_kb(os.getpid(), "VmHWM"))
            elif not self.can_reset_hwm:  # not Linux: lifetime maximum is the best there is
                peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1))
            # children (forked map_batches workers, Spark's JVM, the CNT subprocess) are counted by
            # the sampler while they run; their ``ru_maxrss`` is not added, since for forked workers
            # it counts every page shared with this process again
            rec["peak_rss_mb"] = round(max(peaks) / 1024, 1)


def _reusable_truth(corpus_path: Path, posts: int, seed: int, format: str = "twarc2") -> dict[str, Any] | None:  # noqa: A002
    """The truth of a complete earlier synth of the same size, seed and format at ``corpus_path``,
    if any (the truth file is written last, so an interrupted synth is never reused)."""
    import json

    from .synth import truth_paths

    tp, ptp = truth_paths(corpus_path)
    if not (corpus_path.exists() and tp.exists() and ptp.exists()):
        return None
    try:
        truth = json.loads(tp.read_text())
    except (OSError, ValueError):
        return None
    if truth.get("posts") == posts and truth.get("seed") == seed and truth.get("format") == format:
        users = truth.get("users_path")
        if users is not None and not Path(users).exists():
            return None
        return truth
    return None


def _rate(n: int, seconds: float) -> float | None:
    return round(n / seconds, 1) if seconds > 0 else None


def run_bench(
    posts: int = 100_000,
    compare: str | None = None,
    engine: str = "duckdb",
    workdir: str | Path | None = None,
    console=None,
    seed: int = 0,
    only: list[str] | None = None,
    reuse: bool = True,
    format: str = "twarc2",  # noqa: A002
) -> dict[str, Any]:
    """Synthesize ``posts`` posts and time every pipeline stage; return one JSON-able dict.

    ``engine``: ``duckdb`` or ``spark`` for the analyses. ``workdir``: keep the corpus files and
    the DuckDB file there (default: a temporary folder, removed afterwards). ``seed``: the synth's
    random seed. ``format``: the synthetic export format, ``twarc2`` (JSONL) or ``io-archive``
    (tweets + users CSV, ingested together). ``only``: time just
    these analyses (default: every registered one). ``reuse``: with a ``workdir`` that already
    holds a complete synthetic corpus of the same size and seed, skip the synth stage (10M posts
    take minutes to write). ``compare="cnt"``:
    also run coordination-network-toolkit on the same corpus via :func:`engineroom.cnt.compare`.

    Keys: ``posts``, ``engine``, ``stages`` (name -> seconds, posts_per_s, peak_rss_mb; analyses
    are named ``analysis:NAME``; ``engine_start`` is the engine's start, e.g. Spark's JVM),
    ``seconds`` (synth, ingest, engine_start, analyses, report, pipeline = all but synth),
    ``posts_per_s`` (ingest, pipeline), ``cpu_seconds`` (pipeline, synth), ``peak_rss_mb`` (all
    stages), ``load_average`` (at the end: other work on the machine slows wall times), ``cnt``
    (with ``compare``), ``machine``.
    """
    if format not in BENCH_FORMATS:
        raise ValueError(f"unknown bench format {format!r}; choose one of {', '.join(BENCH_FORMATS)}")
    if compare not in (None, "cnt"):
        raise ValueError(f"unknown --compare {compare!r}: the one comparison is 'cnt' (coordination-network-toolkit)")
    cnt_mod = None
    if compare == "cnt":
        try:
            from . import cnt as cnt_mod  # type: ignore[no-redef]
        except ImportError as exc:
            raise BenchError(
                "--compare cnt needs engineroom.cnt (the coordination-network-toolkit comparison), "
                f"which this install does not have: {exc}"
            ) from exc
        if not hasattr(cnt_mod, "compare"):
            raise BenchError("engineroom.cnt has no compare() function")

    import duckdb

    import engineroom

    from .analyses import order, registry, run_analyses
    from .analyses._by_text import drop_norms
    from .engines import Engine, make_engine

    available = registry()
    names = order(sorted(available) if only is None else only, available)  # unknown names fail before any work

    say = console.print if console is not None else (lambda *a, **k: None)
    tmp = None
    if workdir is None:
        tmp = tempfile.mkdtemp(prefix="engineroom-bench-")
        wd = Path(tmp)
    else:
        wd = Path(workdir)
        wd.mkdir(parents=True, exist_ok=True)
    corpus_path = wd / (f"bench_{posts}.jsonl" if format == "twarc2" else f"bench_{posts}_s{seed}_tweets.csv")
    db = wd / "bench.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        if stale.exists():
            stale.unlink()

    stages: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {"posts": int(posts), "engine": engine, "format": format, "seed": seed}
    try:
        with MemorySampler() as mem:
            truth = _reusable_truth(corpus_path, posts, seed, format) if reuse and tmp is None else None
            if truth is not None:  # same N and seed already synthesized in this workdir
                rec = {"reused": True, "seconds": 0.0, "posts_per_s": None, "peak_rss_mb": 0.0}
                say(f"synth          reusing {corpus_path}")
            else:
                with mem.stage() as rec:
                    truth = synthesize(posts, corpus_path, format=format, seed=seed)
                rec["posts_per_s"] = _rate(posts, rec["seconds"])
                say(f"synth          {rec['seconds']:8.2f}s  {rec['posts_per_s'] or 0:>10,.0f} posts/s  {rec['peak_rss_mb']:8.1f} MB")
            # the files ingest reads (IO-archive: the tweets CSV and the users CSV beside it); ingest
            # streams them, so no stage holds the corpus in memory
            inputs = [corpus_path] + ([Path(truth["users_path"])] if truth.get("users_path") else [])
            rec["file_mb"] = round(sum(p.stat().st_size for p in inputs) / 2**20, 1)
            stages["synth"] = rec

            with engineroom.open(db) as corpus:
                with mem.stage() as rec:
                    reports = corpus.ingest(inputs)
                rec["posts_per_s"] = _rate(posts, rec["seconds"])
                # posts only (an IO-archive users file stores accounts, not posts)
                rec["stored"] = int(sum(r.stored for r in reports if r.format != "io-users"))
                rec["quarantined"] = int(sum(r.quarantined for r in reports))
                stages["ingest"] = rec
                say(f"ingest         {rec['seconds']:8.2f}s  {rec['posts_per_s'] or 0:>10,.0f} posts/s  {rec['peak_rss_mb']:8.1f} MB")
                if rec["stored"] != truth["counts"]["posts"]:
                    raise BenchError(f"ingest stored {rec['stored']} posts of {truth['counts']['posts']} synthesized")

                # engine start (Spark: the JVM and the corpus's Parquet copy) is its own stage, so the
                # first analysis is not charged for it
                with mem.stage() as rec:
                    eng: Engine = make_engine(corpus, engine)
                    eng.to_pandas(eng.table("posts").count())
                stages["engine_start"] = rec
                say(f"{'engine start':<14} {rec['seconds']:8.2f}s  {'':>19}  {rec['peak_rss_mb']:8.1f} MB  ({eng.name})")
                try:
                    for name in names:
                        if eng.name not in available[name].engines:
                            stages[f"analysis:{name}"] = {"skipped": f"does not run on {eng.name}"}
                            continue
                        with mem.stage() as rec:
                            # hate's normalised texts stay for narratives (dropped by it, or below)
                            summary = run_analyses(corpus, only=[name], engine=eng, keep_text_norms=True)
                        rec["posts_per_s"] = _rate(posts, rec["seconds"])
                        stages[f"analysis:{name}"] = rec
                        say(f"{name:<14} {rec['seconds']:8.2f}s  {rec['posts_per_s'] or 0:>10,.0f} posts/s  {rec['peak_rss_mb']:8.1f} MB")
                        del summary
                finally:
                    try:
                        drop_norms(eng)
                    finally:
                        eng.close()

                from .report import write_report

                with mem.stage() as rec:
                    write_report(corpus, wd / "report.html", pseudonymize=False, key=None, allow_file=None)
                rec["posts_per_s"] = _rate(posts, rec["seconds"])
                stages["report"] = rec
                say(f"report         {rec['seconds']:8.2f}s  {rec['posts_per_s'] or 0:>10,.0f} posts/s  {rec['peak_rss_mb']:8.1f} MB")

            if cnt_mod is not None:
                params = inspect.signature(cnt_mod.compare).parameters
                kwargs = {k: v for k, v in (("workdir", wd), ("console", console), ("engine", engine),
                                            ("truth", truth), ("corpus_file", corpus_path)) if k in params}
                with mem.stage() as rec:
                    cmp = cnt_mod.compare(db, **kwargs)
                stages["cnt"] = rec
                result["cnt"] = cmp
                ratio = cmp.get("speedup", cmp.get("speed_ratio")) if isinstance(cmp, dict) else None
                result["cnt_speedup"] = ratio
                say(f"{'cnt':<14} {rec['seconds']:8.2f}s  {'':>19}  {rec['peak_rss_mb']:8.1f} MB  "
                    f"CNT / engineroom time: {ratio}, identical edges: {cmp.get('edges_equal') if isinstance(cmp, dict) else '?'}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    analysis_s = sum(v.get("seconds", 0.0) for k, v in stages.items() if k.startswith("analysis:"))
    pipeline_s = stages["ingest"]["seconds"] + stages["engine_start"]["seconds"] + analysis_s + stages["report"]["seconds"]
    result["stages"] = stages
    result["seconds"] = {
        "synth": None if stages["synth"].get("reused") else stages["synth"]["seconds"],
        "ingest": stages["ingest"]["seconds"],
        "engine_start": stages["engine_start"]["seconds"],
        "analyses": round(analysis_s, 3),
        "report": stages["report"]["seconds"],
        "pipeline": round(pipeline_s, 3),
    }
    result["posts_per_s"] = {"ingest": stages["ingest"]["posts_per_s"], "pipeline": _rate(posts, pipeline_s)}
    result["cpu_seconds"] = {
        "pipeline": round(sum(v.get("cpu_seconds", 0.0) for k, v in stages.items() if k not in ("synth", "cnt")), 3),
        "synth": stages["synth"].get("cpu_seconds"),
    }
    try:
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    result["peak_rss_mb"] = max(v.get("peak_rss_mb", 0.0) for v in stages.values())
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }
    result["workdir"] = None if tmp is not None else str(wd)
    if console is not None:
        console.print(f"pipeline (ingest + engine start + analyses + report): {pipeline_s:.1f}s, "
                      f"{result['posts_per_s']['pipeline'] or 0:,.0f} posts/s, peak {result['peak_rss_mb']} MB")
    return result
