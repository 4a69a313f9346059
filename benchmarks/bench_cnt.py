"""engineroom against the Coordination Network Toolkit, end to end, on corpora of several shapes.

Usage::

    # three 1M-post shapes, both tools through their public command lines, edges checked
    python benchmarks/bench_cnt.py --posts 1000000 --shape retweet-heavy --shape link-heavy \
        --shape text-reuse-heavy --workdir /tmp/bench_cnt

    # engineroom again against the CNT run kept from the last --reuse-cnt run with the same parameters
    python benchmarks/bench_cnt.py --posts 1000000 --reuse-cnt --workdir /tmp/bench_cnt

    # one shape with its parameters changed
    python benchmarks/bench_cnt.py --posts 200000 --shape retweet-heavy --set retweet_share=0.6 --set sources=2000

For each shape the script writes a corpus in CNT's 8-column CSV
(``message_id,user_id,username,repost_id,reply_id,message,timestamp,urls``; epoch seconds, URLs
space-separated) with :func:`generate`, then runs

- CNT 1.5.2: ``compute_networks DB preprocess --format csv FILE`` and ``compute_networks DB compute
  NETWORK --time_window W --min_edge_weight 1`` for each network (``co_similar_tweet`` with
  ``--similarity_threshold``), each as its own process;
- engineroom: ``engineroom ingest FILE --format csv`` and ``engineroom analyze --only coordination
  --set coordination.networks=...`` with the same window, minimum weight and threshold, each as its
  own process;

checks that the directed edge sets and weights are identical (CNT's two documented quirks, the
empty URL and the empty normalised text, are corrected in CNT's database between its preprocess and
its compute with :func:`engineroom.cnt.fix_cnt_quirks`, untimed: see ``engineroom/cnt.py``), and
prints a table of seconds, CPU seconds, peak memory and ratios, end to end and per network. The
last line is one JSON object with every figure.

Timings are of whole processes (``os.wait4``: wall, user + system CPU of the process and the
workers it reaped, peak RSS of the largest of them). Per-network engineroom seconds come from the
``coordination`` run's own per-network clock in the ``runs`` table; its end-to-end figure is the
two processes' wall time. On a shared machine CPU seconds are the steadier figure; the load
average is printed with the results.

The shapes (every parameter can be changed with ``--set NAME=VALUE``):

- ``retweet-heavy``: 30% retweets of 10,000 popular posts (Zipf popularity, lognormal delays);
- ``link-heavy``: 40% of posts share one of 5,000 URLs, 40% of those with the link's title as text;
- ``text-reuse-heavy``: 35% of posts reuse one of 3,000 phrases (half of them with a word added,
  for the similarity network).

Each has 50,000 organic accounts with heavy-tailed activity over 30 days and 200 planted coordinated
accounts in 20 groups that retweet, post and link the same thing within seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NETWORKS = ("co_retweet", "co_tweet", "co_link", "co_similar_tweet")


@dataclass(frozen=True)
class Shape:
    """Parameters of a synthetic corpus in CNT's CSV (defaults: the retweet-heavy shape)."""

    posts: int = 1_000_000
    accounts: int = 50_000
    activity_alpha: float = 1.3        # Zipf-like exponent of accounts' activity (heavy tail)
    days: int = 30
    retweet_share: float = 0.30        # share of posts that are retweets
    sources: int = 10_000              # popular posts that get retweeted
    source_alpha: float = 1.1          # Zipf exponent of sources' popularity
    delay_median: float = 900.0        # seconds from a source to its retweets (lognormal median)
    delay_sigma: float = 1.6
    url_share: float = 0.20            # share of original posts that carry a link
    urls: int = 5_000                  # distinct links
    url_alpha: float = 1.1
    title_share: float = 0.40          # of link posts: text is the link's title
    reuse_share: float = 0.0           # share of original posts whose text is a common phrase
    phrases: int = 3_000
    phrase_edit_share: float = 0.5     # of reused phrases: one word added (near-duplicates)
    reply_share: float = 0.05          # share of original posts that reply to an earlier post
    groups: int = 20                   # planted coordinated groups
    group_size: int = 10
    group_acts: int = 30               # coordinated acts per group (a retweet, a text and a link each)
    group_spread: int = 20             # seconds within which a group acts
    vocabulary: int = 20_000
    seed: int = 0


SHAPES: dict[str, Shape] = {
    "retweet-heavy": Shape(),
    "link-heavy": Shape(retweet_share=0.10, url_share=0.45, urls=5_000, title_share=0.40),
    "text-reuse-heavy": Shape(retweet_share=0.10, url_share=0.10, reuse_share=0.35, phrases=3_000),
}


def _zipf_choice(rng: np.random.Generator, n_items: int, alpha: float, size: int) -> np.ndarray:
    """``size`` draws of item indexes 0..n_items-1 with probability proportional to 1 / rank**alpha."""
    w = 1.0 / np.arange(1, n_items + 1, dtype=np.float64) ** alpha
    w /= w.sum()
    return rng.choice(n_items, size=size, p=w)


def _texts(rng: np.random.Generator, words: np.ndarray, n: int, lo: int = 6, hi: int = 16) -> list[str]:
    """``n`` texts of ``lo``..``hi`` words drawn with Zipf frequencies from ``words``."""
    lengths = rng.integers(lo, hi + 1, size=n)
    idx = _zipf_choice(rng, len(words), 1.05, int(lengths.sum()))
    picked = words[idx]
    out, at = [], 0
    for k in lengths:
        out.append(" ".join(picked[at:at + k]))
        at += k
    return out


def generate(shape: Shape, path: str | os.PathLike) -> dict[str, Any]:
    """Write a corpus of ``shape`` as CNT's CSV at ``path``; returns its counts and planted accounts."""
    rng = np.random.default_rng(shape.seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = np.array(["".join(rng.choice(letters, size=rng.integers(3, 10))) for _ in range(shape.vocabulary)])
    span = shape.days * 86_400
    t0 = 1_700_000_000

    n_planted = shape.groups * shape.group_size
    planted_rows = shape.groups * shape.group_size * shape.group_acts * 3
    n = max(shape.posts - planted_rows, 0)
    n_rt = int(n * shape.retweet_share)
    n_orig = n - n_rt

    # organic originals: heavy-tailed authors, uniform times; the first `sources` are the popular posts
    authors = _zipf_choice(rng, shape.accounts, shape.activity_alpha, n_orig)
    rng.shuffle(authors)  # popularity of an account's posts independent of its rank
    times = rng.integers(t0, t0 + span, size=n_orig)
    kind = rng.random(n_orig)
    has_url = kind < shape.url_share
    reuse = (~has_url) & (kind < shape.url_share + shape.reuse_share)
    text = np.array(_texts(rng, words, n_orig), dtype=object)
    url_idx = np.full(n_orig, -1)
    url_idx[has_url] = _zipf_choice(rng, shape.urls, shape.url_alpha, int(has_url.sum()))
    titles = np.array(_texts(rng, words, shape.urls, 5, 12), dtype=object)
    titled = has_url & (rng.random(n_orig) < shape.title_share)
    text[titled] = titles[url_idx[titled]]
    if reuse.any():
        phrases = np.array(_texts(rng, words, shape.phrases, 6, 14), dtype=object)
        which = _zipf_choice(rng, shape.phrases, 1.0, int(reuse.sum()))
        reused = phrases[which]
        edit = rng.random(len(reused)) < shape.phrase_edit_share
        extra = words[rng.integers(0, len(words), size=int(edit.sum()))]
        reused[edit] = [f"{p} {w}" for p, w in zip(reused[edit], extra)]
        text[reuse] = reused
    urls = np.full(n_orig, "", dtype=object)
    urls[has_url] = [f"https://news{u % 97}.example/story/{u}" for u in url_idx[has_url]]
    ids = np.array([f"m{i}" for i in range(n_orig)], dtype=object)
    reply = np.full(n_orig, "", dtype=object)
    is_reply = rng.random(n_orig) < shape.reply_share
    is_reply[: shape.sources] = False
    reply[is_reply] = ids[rng.integers(0, n_orig, size=int(is_reply.sum()))]

    # organic retweets of popular posts, after them with lognormal delays
    n_src = min(shape.sources, n_orig) or 1
    src = _zipf_choice(rng, n_src, shape.source_alpha, n_rt)
    delay = rng.lognormal(np.log(shape.delay_median), shape.delay_sigma, size=n_rt).astype(np.int64)
    rt_times = times[src] + np.minimum(delay, span)
    rt_authors = _zipf_choice(rng, shape.accounts, shape.activity_alpha, n_rt)

    # planted groups: each act is a retweet, a post of one text and a post of one link, within seconds
    p_ids, p_users, p_rep, p_text, p_time, p_urls = [], [], [], [], [], []
    k = 0
    for g in range(shape.groups):
        members = [f"op{g}_{m}" for m in range(shape.group_size)]
        for a in range(shape.group_acts):
            at = int(rng.integers(t0, t0 + span - 3600))
            target = f"m{int(rng.integers(0, n_src))}" if n_orig else ""
            phrase = " ".join(words[rng.integers(0, len(words), size=12)])
            link = f"https://op{g}.example/a/{a}"
            for m in members:
                for what in ("rt", "text", "link"):
                    p_ids.append(f"p{k}")
                    k += 1
                    p_users.append(m)
                    p_time.append(at + int(rng.integers(0, shape.group_spread + 1)))
                    p_rep.append(target if what == "rt" else "")
                    p_text.append("" if what == "rt" else (phrase if what == "text" else f"read this {g} {a}"))
                    p_urls.append(link if what == "link" else "")

    user_ids = np.concatenate([authors, rt_authors]).astype(str)
    user_ids = np.char.add("u", user_ids).astype(object)
    table = pa.table({
        "message_id": pa.array(list(ids) + [f"r{i}" for i in range(n_rt)] + p_ids, pa.string()),
        "user_id": pa.array(list(user_ids) + p_users, pa.string()),
        "username": pa.array(list(user_ids) + p_users, pa.string()),
        "repost_id": pa.array([""] * n_orig + list(ids[src]) + p_rep, pa.string()),
        "reply_id": pa.array(list(reply) + [""] * n_rt + [""] * len(p_ids), pa.string()),
        "message": pa.array(list(text) + [""] * n_rt + p_text, pa.string()),
        "timestamp": pa.array(np.concatenate([times, rt_times, np.array(p_time, dtype=np.int64)]).astype(str), pa.string()),
        "urls": pa.array(list(urls) + [""] * n_rt + p_urls, pa.string()),
    })
    order = np.argsort(np.array(table.column("timestamp").to_pylist(), dtype=np.int64), kind="stable")
    table = table.take(pa.array(order))
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return {
        "posts": table.num_rows,
        "retweets": n_rt + shape.groups * shape.group_size * shape.group_acts,
        "link_posts": int(has_url.sum()) + shape.groups * shape.group_size * shape.group_acts,
        "planted_accounts": n_planted,
    }


def _run(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> dict[str, float]:
    """Run a command to the end; its wall seconds, CPU seconds (with reaped workers) and peak RSS (MB)."""
    # a forked child's peak RSS starts at this (large) process's; GNU time, a small process, starts
    # the command so that its peak is the command's own
    peak_file = None
    if shutil.which("time") == "/usr/bin/time":
        fd, peak_file = tempfile.mkstemp(prefix="bench_cnt_peak")
        os.close(fd)
        cmd = ["/usr/bin/time", "-q", "-f", "%M", "-o", peak_file, *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = None if timeout is None else t0 + timeout
    out_chunks: list[str] = []
    # communicate() would reap the child itself; wait4 is needed for its rusage
    def drain(stream, sink):
        sink.append(stream.read())

    err_chunks: list[str] = []
    threads = [threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
               threading.Thread(target=drain, args=(proc.stderr, err_chunks))]
    for t in threads:
        t.start()
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}): {''.join(err_chunks)[-2000:]}")
    peak_kb = ru.ru_maxrss  # an upper bound without GNU time
    if peak_file:
        text = Path(peak_file).read_text().split()
        os.unlink(peak_file)
        peak_kb = int(text[-1]) if text and text[-1].isdigit() else peak_kb
    return {"seconds": round(wall, 3), "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 3),
            "peak_mb": round(peak_kb / 1024, 1), "stdout": "".join(out_chunks)}


def run_cnt(csv_path: Path, work: Path, networks: tuple[str, ...], window: int, min_weight: int,
            threshold: float, timeout: float | None) -> dict[str, Any]:
    """CNT's preprocess and one compute per network, each a process; quirks fixed in between (untimed)."""
    from engineroom.cnt import fix_cnt_quirks

    db = work / "cnt.sqlite"
    for f in work.glob("cnt.sqlite*"):
        f.unlink()
    cnt = [sys.executable, "-m", "coordination_network_toolkit", str(db)]
    steps: dict[str, dict[str, float]] = {}
    steps["preprocess"] = _run(cnt + ["preprocess", "--format", "csv", str(csv_path)], timeout=timeout)
    fix_cnt_quirks(db)
    for net in networks:
        args = ["compute", net, "--time_window", str(window), "--min_edge_weight", str(min_weight)]
        if net == "co_similar_tweet":
            args += ["--similarity_threshold", repr(threshold)]
        steps[net] = _run(cnt + args, timeout=timeout)
    return {"db": db, "steps": steps}


def run_engineroom(csv_path: Path, work: Path, networks: tuple[str, ...], window: int, min_weight: int,
                   threshold: float, timeout: float | None) -> dict[str, Any]:
    """``engineroom ingest`` and ``engineroom analyze --only coordination`` with the same settings, each a process."""
    db = work / "engineroom.duckdb"
    for f in work.glob("engineroom.duckdb*"):
        f.unlink()
    er = [sys.executable, "-m", "engineroom.cli"]
    env = {**os.environ, "ENGINEROOM_QUIET": "1"}
    steps: dict[str, dict[str, float]] = {}
    steps["ingest"] = _run(er + ["ingest", str(csv_path), "--format", "csv", "--db", str(db)], env=env, timeout=timeout)
    sets = [f"coordination.networks={','.join(networks)}", f"coordination.time_window={window}",
            f"coordination.min_weight={min_weight}", f"coordination.similarity_threshold={threshold}"]
    args = ["analyze", "--db", str(db), "--only", "coordination"]
    for s in sets:
        args += ["--set", s]
    steps["analyze"] = _run(er + args, env=env, timeout=timeout)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        summary = json.loads(con.execute(
            "SELECT summary FROM runs WHERE analysis = 'coordination' ORDER BY finished_at DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()
    return {"db": db, "steps": steps, "network_seconds": summary.get("seconds", {}),
            "network_cpu_seconds": summary.get("cpu_seconds", {})}


def engineroom_edges(db: Path, network: str, min_weight: int) -> set[tuple[str, str, int]]:
    """engineroom's edges of ``network`` as CNT's directed rows (both directions, weight >= min)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT account_1, account_2, weight_1_2, weight_2_1 FROM coordination WHERE network = ?",
                           [network]).fetchall()
    finally:
        con.close()
    out: set[tuple[str, str, int]] = set()
    for a1, a2, w12, w21 in rows:
        if w12 >= min_weight:
            out.add((a1, a2, int(w12)))
        if w21 >= min_weight:
            out.add((a2, a1, int(w21)))
    return out


#: Where a shape's CNT run is remembered for ``--reuse-cnt`` (in the shape's work folder).
CNT_RUN = "cnt_run.json"


def compare_shape(name: str, shape: Shape, work: Path, networks: tuple[str, ...], window: int,
                  min_weight: int, threshold: float, timeout: float | None,
                  reuse_cnt: bool = False) -> dict[str, Any]:
    """Generate one shape, run both tools, check the edges; every figure as a dict.

    With ``reuse_cnt`` the corpus, CNT's database and CNT's timings of an earlier run in ``work``
    with the same parameters are used again (CNT's code does not change between runs of
    engineroom's); the result says when that CNT run was measured (``cnt_measured``)."""
    from engineroom.cnt import cnt_edges

    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"{name}.csv"
    ident = {"params": asdict(shape), "networks": list(networks), "window": window, "min_weight": min_weight,
             "threshold": threshold}
    cache = work / CNT_RUN
    cached = json.loads(cache.read_text()) if reuse_cnt and cache.exists() else None
    if cached and cached["ident"] == ident and csv_path.exists() and (work / "cnt.sqlite").exists():
        result: dict[str, Any] = {"shape": name, "params": asdict(shape), "counts": cached["counts"],
                                  "generate_seconds": cached["generate_seconds"], "cnt_measured": cached["measured"]}
        cnt = {"db": work / "cnt.sqlite", "steps": cached["steps"]}
    else:
        t0 = time.perf_counter()
        counts = generate(shape, csv_path)
        result = {"shape": name, "params": asdict(shape), "counts": counts,
                  "generate_seconds": round(time.perf_counter() - t0, 1)}
        cnt = run_cnt(csv_path, work, networks, window, min_weight, threshold, timeout)
        result["cnt_measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        cnt["steps"] = {k: {m: v for m, v in s.items() if m != "stdout"} for k, s in cnt["steps"].items()}
        cache.write_text(json.dumps({"ident": ident, "counts": counts, "generate_seconds": result["generate_seconds"],
                                     "measured": result["cnt_measured"], "steps": cnt["steps"],
                                     "load_average": [round(x, 2) for x in os.getloadavg()]}))
    er = run_engineroom(csv_path, work, networks, window, min_weight, threshold, timeout)
    result["cnt"] = {k: {m: v for m, v in s.items() if m != "stdout"} for k, s in cnt["steps"].items()}
    result["engineroom"] = {k: {m: v for m, v in s.items() if m != "stdout"} for k, s in er["steps"].items()}
    result["engineroom_network_seconds"] = er["network_seconds"]
    result["engineroom_network_cpu_seconds"] = er["network_cpu_seconds"]
    nets: dict[str, Any] = {}
    for net in networks:
        theirs = cnt_edges(cnt["db"], net)
        ours = engineroom_edges(er["db"], net, min_weight)
        c_s = cnt["steps"][net]["seconds"]
        e_s = er["network_seconds"].get(net)
        nets[net] = {"cnt_edges": len(theirs), "engineroom_edges": len(ours), "equal": theirs == ours,
                     "missing": len(theirs - ours), "extra": len(ours - theirs),
                     "cnt_seconds": c_s, "engineroom_seconds": e_s,
                     "ratio": round(c_s / e_s, 2) if e_s else None}
    result["networks"] = nets
    cnt_total = sum(s["seconds"] for s in cnt["steps"].values())
    er_total = sum(s["seconds"] for s in er["steps"].values())
    cnt_cpu = sum(s["cpu_seconds"] for s in cnt["steps"].values())
    er_cpu = sum(s["cpu_seconds"] for s in er["steps"].values())
    result["end_to_end"] = {
        "cnt_seconds": round(cnt_total, 2), "engineroom_seconds": round(er_total, 2),
        "ratio": round(cnt_total / er_total, 2) if er_total else None,
        "cnt_cpu_seconds": round(cnt_cpu, 2), "engineroom_cpu_seconds": round(er_cpu, 2),
        "cpu_ratio": round(cnt_cpu / er_cpu, 2) if er_cpu else None,
        "cnt_peak_mb": max(s["peak_mb"] for s in cnt["steps"].values()),
        "engineroom_peak_mb": max(s["peak_mb"] for s in er["steps"].values()),
    }
    result["edges_equal"] = all(v["equal"] for v in nets.values())
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _parse_value(current: Any, text: str) -> Any:
    return type(current)(text) if not isinstance(current, bool) else text.lower() in ("1", "true", "yes")


def print_table(results: list[dict[str, Any]]) -> None:
    """One block per shape: end to end, then each network."""
    for r in results:
        e = r["end_to_end"]
        print(f"\n{r['shape']}: {r['counts']['posts']:,} posts, edges equal: {r['edges_equal']}, load {r['load_average']}"
              f", CNT measured {r.get('cnt_measured', 'now')}")
        print(f"{'step':<18}{'CNT s':>9}{'CNT CPU-s':>11}{'CNT MB':>9}{'ER s':>9}{'ER CPU-s':>10}{'ER MB':>9}{'ratio':>8}")
        print(f"{'end to end':<18}{e['cnt_seconds']:>9.2f}{e['cnt_cpu_seconds']:>11.2f}{e['cnt_peak_mb']:>9.0f}"
              f"{e['engineroom_seconds']:>9.2f}{e['engineroom_cpu_seconds']:>10.2f}{e['engineroom_peak_mb']:>9.0f}"
              f"{(e['ratio'] or 0):>7.2f}x")
        c, g = r["cnt"]["preprocess"], r["engineroom"]["ingest"]
        print(f"{'preprocess/ingest':<18}{c['seconds']:>9.2f}{c['cpu_seconds']:>11.2f}{c['peak_mb']:>9.0f}"
              f"{g['seconds']:>9.2f}{g['cpu_seconds']:>10.2f}{g['peak_mb']:>9.0f}{c['seconds'] / g['seconds']:>7.2f}x")
        for net, v in r["networks"].items():
            es = v["engineroom_seconds"]
            print(f"{net:<18}{v['cnt_seconds']:>9.2f}{r['cnt'][net]['cpu_seconds']:>11.2f}{r['cnt'][net]['peak_mb']:>9.0f}"
                  f"{(es if es is not None else float('nan')):>9.2f}{r['engineroom_network_cpu_seconds'].get(net, float('nan')):>10.2f}"
                  f"{'':>9}{(v['ratio'] or 0):>7.2f}x  edges {v['cnt_edges']:,}/{v['engineroom_edges']:,}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES), help="repeatable (default: all three)")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                    help=f"change a shape parameter: {', '.join(f.name for f in Shape.__dataclass_fields__.values())}")
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--time-window", type=int, default=60)
    ap.add_argument("--min-weight", type=int, default=1)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=None, help="seconds allowed to each command")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/engineroom-bench-cnt"))
    ap.add_argument("--keep", action="store_true", help="keep the generated files and databases")
    ap.add_argument("--reuse-cnt", action="store_true",
                    help="use the corpus, database and timings of CNT's earlier run in WORKDIR with the same "
                         "parameters, if any (and keep them for the next run): only engineroom runs again")
    args = ap.parse_args(argv)

    networks = tuple(n for n in args.networks.split(",") if n)
    bad = [n for n in networks if n not in NETWORKS]
    if bad:
        ap.error(f"unknown network {', '.join(bad)}; CNT computes {', '.join(NETWORKS)}")
    results = []
    for name in args.shape or list(SHAPES):
        shape = replace(SHAPES[name], posts=args.posts, seed=args.seed)
        for item in args.sets:
            key, _, value = item.partition("=")
            if key not in Shape.__dataclass_fields__:
                ap.error(f"unknown shape parameter {key!r}")
            shape = replace(shape, **{key: _parse_value(getattr(shape, key), value)})
        work = args.workdir / name
        results.append(compare_shape(name, shape, work, networks, args.time_window, args.min_weight,
                                     args.threshold, args.timeout, reuse_cnt=args.reuse_cnt))
        if args.reuse_cnt and not args.keep:  # CNT's side stays for the next run
            for f in work.glob("engineroom.duckdb*"):
                f.unlink()
        elif not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    print(json.dumps({"results": results}, default=str))
    return 0 if all(r["edges_equal"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
