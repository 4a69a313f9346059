"""Compare engineroom's coordination networks with the Coordination Network Toolkit (CNT) 1.5.2.

:func:`compare` exports a corpus to CNT's CSV input, runs CNT's command line end to end
(``preprocess`` then ``compute`` for each network, in a subprocess, timed), runs engineroom's
``coordination`` analysis for the same networks with the same window, minimum weight and
similarity threshold (timed), and checks that the edge sets and weights are identical.

CNT's output tables hold both directions of every edge with its own weight (the number of the
first account's posts matched by the second account within the window) and self-loops;
engineroom keeps one row per undirected edge with both directed weights (``weight_1_2``,
``weight_2_1``), so the comparison expands engineroom's rows into CNT's directed rows and drops
CNT's self-loops (CNT's own exports drop them too by default).

Two CNT quirks are corrected in CNT's database between ``preprocess`` and ``compute`` (each
with a documented SQL statement, timed separately and not counted in CNT's time), because
engineroom deliberately differs there (see ``docs/coordination.md``):

1. *Empty URL.* CNT's CSV reader turns an empty ``urls`` cell into the URL ``''``, so every pair
   of posts without links within the window becomes a false co-link. Fix: delete CNT's
   ``message_url`` rows whose URL is ``''``.
2. *Empty normalised text.* Posts whose text normalises to ``''`` (e.g. mentions only) are all
   co-tweets of each other in CNT; engineroom never matches them. Fix: give those posts a
   unique placeholder transformed text that matches nothing (CNT keeps already transformed text).

CNT's co-similar-tweet run uses its CLI defaults otherwise (``--min_document_size_similarity 1``:
empty token sets are never similar).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from .coordination.network import CNT_NETWORKS, epoch_seconds
from .progress import Stopwatch

CNT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")
CNT_TABLES = {
    "co_retweet": "co_retweet_network",
    "co_tweet": "co_tweet_network",
    "co_link": "co_link_network",
    "co_similar_tweet": "co_similar_tweet_network",
    "co_reply": "co_reply_network",
}


def cnt_csv_expr(engine) -> ibis.Table:
    """The corpus as CNT's CSV rows (an Ibis expression; ids prefixed with the platform when
    the corpus holds more than one platform)."""
    posts = engine.table("posts")
    urls = engine.table("urls")
    p = posts.filter(posts.account_id.notnull() & posts.created_at.notnull())
    multi = int(engine.to_pandas(p.aggregate(n=p.platform.nunique()))["n"].iloc[0]) > 1

    def pid(platform, value):
        return (platform + ibis.literal(":") + value) if multi else value

    u = urls.mutate(link=ibis.coalesce(urls.expanded_url, urls.url))
    u = u.filter(u.link.notnull() & (u.link != ""))
    u = u.mutate(item=u.position.cast("string").lpad(6, "0") + ibis.literal(":") + u.link.replace(" ", "%20"))
    per_post = u.group_by(["platform", "post_id"]).aggregate(items=u.item.collect(distinct=True))
    per_post = per_post.mutate(urls=per_post.items.sort().join(" ").re_replace("(^| )[0-9]{6}:", " ").strip())
    j = p.left_join(per_post, [p.platform == per_post.platform, p.post_id == per_post.post_id])
    return j.select(
        message_id=pid(j.platform, j.post_id),
        user_id=pid(j.platform, j.account_id),
        username=ibis.coalesce(j.handle, j.account_id),
        repost_id=ibis.coalesce(pid(j.platform, j.retweet_of_post_id), ibis.literal("")),
        reply_id=ibis.coalesce(pid(j.platform, j.reply_to_post_id), ibis.literal("")),
        message=ibis.coalesce(j.text, ibis.literal("")),
        timestamp=epoch_seconds(j.created_at),
        urls=ibis.coalesce(j.urls, ibis.literal("")),
    )


def export_cnt_csv(engine, path: str | os.PathLike) -> int:
    """Write the corpus as CNT's 8-column CSV; returns the number of rows."""
    table = engine.to_arrow(cnt_csv_expr(engine))
    table = table.select(list(CNT_COLUMNS))
    table = table.set_column(6, "timestamp", table.column("timestamp").cast(pa.string()))
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return table.num_rows


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run_cnt(args: list[str], timeout: float | None, cpu: dict | None = None) -> float:
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "coordination_network_toolkit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"CNT {' '.join(args[1:3])} failed: {proc.stderr[-2000:]}")
    if cpu is not None:  # CPU seconds of the CNT process and its worker processes
        cpu[args[1] if args[1] == "preprocess" else args[2]] = _children_cpu() - c0
    return time.perf_counter() - t0


def fix_cnt_quirks(db_path: str | os.PathLike) -> dict[str, int]:
    """Correct CNT's empty-URL and empty-text quirks in a preprocessed CNT database (see module doc)."""
    from coordination_network_toolkit.similarity import message_preprocessor

    con = sqlite3.connect(str(db_path))
    try:
        con.create_function("cnt_pre", 1, lambda m: message_preprocessor(m or ""), deterministic=True)
        with con:
            empty_urls = con.execute("DELETE FROM message_url WHERE url = ''").rowcount
            empty_text = con.execute(
                """
                UPDATE edge SET
                    transformed_message = char(0) || 'engineroom-empty:' || message_id,
                    transformed_message_length = -1,
                    transformed_message_hash = -1
                WHERE repost_id IS NULL AND cnt_pre(message) = ''
                """
            ).rowcount
    finally:
        con.close()
    return {"empty_url_rows_deleted": int(empty_urls), "empty_text_posts_marked": int(empty_text)}


def cnt_edges(db_path: str | os.PathLike, network: str) -> set[tuple[str, str, int]]:
    """CNT's directed edges of a network, without self-loops: {(user_1, user_2, weight)}."""
    con = sqlite3.connect(str(db_path))
    try:
        rows = con.execute(f"SELECT user_1, user_2, weight FROM {CNT_TABLES[network]} WHERE user_1 != user_2").fetchall()
    finally:
        con.close()
    return {(str(a), str(b), int(w)) for a, b, w in rows}


def engineroom_directed_edges(engine, network: str, min_weight: int, multi_platform: bool = False) -> set[tuple[str, str, int]]:
    """engineroom's edges of a network as CNT's directed rows (both directions, weight >= min)."""
    c = engine.table("coordination")
    df = engine.to_pandas(
        c.filter(c.network == network).select("platform", "account_1", "account_2", "weight_1_2", "weight_2_1")
    )
    out: set[tuple[str, str, int]] = set()
    for r in df.itertuples(index=False):
        a1 = f"{r.platform}:{r.account_1}" if multi_platform else r.account_1
        a2 = f"{r.platform}:{r.account_2}" if multi_platform else r.account_2
        if r.weight_1_2 >= min_weight:
            out.add((a1, a2, int(r.weight_1_2)))
        if r.weight_2_1 >= min_weight:
            out.add((a2, a1, int(r.weight_2_1)))
    return out


def compare(
    db_path_or_corpus: Any,
    networks: Iterable[str] = CNT_NETWORKS,
    time_window: int = 60,
    workdir: str | os.PathLike | None = None,
    min_weight: int = 1,
    similarity_threshold: float = 0.8,
    n_cpus: int | None = None,
    timeout: float | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """Time CNT end to end against engineroom on the same corpus and check the edges are equal.

    ``db_path_or_corpus`` is a corpus file or an open :class:`~engineroom.corpus.Corpus`; it is
    copied into ``workdir`` (a temporary folder by default) so that the corpus's own
    ``coordination`` table is left as it was. Returns timings (seconds), edge counts per
    network, whether the edge sets and weights are equal, ``speedup`` = CNT wall seconds /
    engineroom wall seconds and ``speedup_cpu`` = CNT CPU seconds (its process and workers) /
    engineroom CPU seconds (on a shared machine the CPU ratio is the steadier figure).
    ``timeout`` bounds each CNT command (seconds).
    """
    import engineroom
    from .analyses.coordination import Coordination

    networks = tuple(networks)
    bad = [n for n in networks if n not in CNT_TABLES]
    if bad:
        raise ValueError(f"CNT does not compute {', '.join(bad)}; comparable: {', '.join(CNT_TABLES)}")
    own_tmp = workdir is None
    work = Path(tempfile.mkdtemp(prefix="engineroom-cnt-")) if own_tmp else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        if isinstance(db_path_or_corpus, (str, os.PathLike)):
            src = Path(db_path_or_corpus)
            if not src.exists():
                raise FileNotFoundError(f"no corpus at {src}")
        else:
            db_path_or_corpus.con.execute("CHECKPOINT")
            src = Path(db_path_or_corpus.path)
        db_copy = work / "engineroom-compare.duckdb"
        shutil.copyfile(src, db_copy)
        csv_path = work / "cnt_input.csv"
        cnt_db = work / "cnt.sqlite"
        for f in (cnt_db, Path(str(cnt_db) + "-wal"), Path(str(cnt_db) + "-shm")):
            if f.exists():
                f.unlink()

        result: dict[str, Any] = {
            "networks": {},
            "time_window": int(time_window),
            "min_weight": int(min_weight),
            "similarity_threshold": float(similarity_threshold),
        }
        with engineroom.open(db_copy) as corpus:
            engine = corpus.engine()
            multi = int(corpus.con.execute("SELECT count(DISTINCT platform) FROM posts").fetchall()[0][0]) > 1
            t0 = time.perf_counter()
            rows = export_cnt_csv(engine, csv_path)
            result["posts"] = int(rows)
            result["export_seconds"] = round(time.perf_counter() - t0, 3)

            # CNT end to end
            cnt_times: dict[str, float] = {}
            cnt_cpu: dict[str, float] = {}
            cnt_times["preprocess"] = _run_cnt([str(cnt_db), "preprocess", "--format", "csv", str(csv_path)], timeout, cnt_cpu)
            t0 = time.perf_counter()
            result["quirk_fixes"] = fix_cnt_quirks(cnt_db)
            result["quirk_fix_seconds"] = round(time.perf_counter() - t0, 3)
            cpus = ["--n_cpus", str(n_cpus)] if n_cpus else []
            for network in networks:
                args = [str(cnt_db), "compute", network, "--time_window", str(int(time_window)), "--min_edge_weight", str(int(min_weight)), *cpus]
                if network == "co_similar_tweet":
                    args += ["--similarity_threshold", repr(float(similarity_threshold))]
                try:
                    cnt_times[network] = _run_cnt(args, timeout, cnt_cpu)
                except subprocess.TimeoutExpired:
                    cnt_times[network] = float("nan")
                    result["networks"].setdefault(network, {})["cnt_timed_out_after"] = timeout
            result["cnt_seconds"] = {k: round(v, 3) for k, v in cnt_times.items()}
            result["cnt_total_seconds"] = round(sum(cnt_times.values()), 3)
            result["cnt_cpu_seconds"] = {k: round(v, 3) for k, v in cnt_cpu.items()}
            result["cnt_total_cpu_seconds"] = round(sum(cnt_cpu.values()), 3)

            # engineroom
            analysis = Coordination(
                networks=networks,
                time_window=int(time_window),
                min_weight=int(min_weight),
                similarity_threshold=float(similarity_threshold),
            )
            # CPU of this process and of the map_batches workers it forks (children reaped meanwhile)
            clock = Stopwatch()
            summary = analysis.run(engine)
            er = clock.wall()
            result["engineroom_seconds"] = round(er, 3)
            result["engineroom_cpu_seconds"] = round(clock.cpu(), 3)
            result["engineroom_stage_seconds"] = summary.get("seconds", {})

            all_equal = True
            for network in networks:
                info = result["networks"].setdefault(network, {})
                ours = engineroom_directed_edges(engine, network, min_weight, multi)
                info["engineroom_directed_edges"] = len(ours)
                if "cnt_timed_out_after" in info:
                    info["equal"] = None
                    all_equal = False
                    continue
                theirs = cnt_edges(cnt_db, network)
                info["cnt_directed_edges"] = len(theirs)
                info["missing"] = len(theirs - ours)
                info["extra"] = len(ours - theirs)
                info["equal"] = ours == theirs
                info["cnt_seconds"] = result["cnt_seconds"].get(network)
                if not info["equal"]:
                    all_equal = False
                    info["examples_missing"] = sorted(theirs - ours)[:5]
                    info["examples_extra"] = sorted(ours - theirs)[:5]
            result["edges_equal"] = all_equal
            result["speedup"] = round(result["cnt_total_seconds"] / er, 2) if er > 0 else None
            er_cpu = result["engineroom_cpu_seconds"]
            result["speedup_cpu"] = round(result["cnt_total_cpu_seconds"] / er_cpu, 2) if er_cpu > 0 else None
            result["load_average"] = os.getloadavg()
            engine.close()
        result["workdir"] = str(work) if keep or not own_tmp else None
        return result
    finally:
        if own_tmp and not keep:
            shutil.rmtree(work, ignore_errors=True)


__all__ = ["compare", "export_cnt_csv", "cnt_csv_expr", "fix_cnt_quirks", "cnt_edges", "engineroom_directed_edges"]
