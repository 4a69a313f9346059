"""benchmarks/bench_cnt.py: its corpora have the shape asked for, and a small run checks equal edges."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_cnt  # noqa: E402

from engineroom.cnt import CNT_COLUMNS  # noqa: E402


def test_generated_corpus_has_the_shape_asked_for(tmp_path):
    shape = replace(bench_cnt.SHAPES["retweet-heavy"], posts=20_000, groups=2, group_size=5, group_acts=4)
    counts = bench_cnt.generate(shape, tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CNT_COLUMNS
    assert len(rows) == counts["posts"] == 20_000
    assert len({r["message_id"] for r in rows}) == len(rows)
    retweets = [r for r in rows if r["repost_id"]]
    assert len(retweets) == counts["retweets"]
    # 30% organic retweets of the non-planted posts, plus one retweet per planted act and member
    planted = 2 * 5 * 4
    assert abs(len(retweets) - planted - 0.3 * (20_000 - 3 * planted)) <= 1
    ids = {r["message_id"] for r in rows}
    assert all(r["repost_id"] in ids for r in retweets)
    times = [int(r["timestamp"]) for r in rows]
    assert times == sorted(times)
    assert {r["user_id"] for r in rows if r["user_id"].startswith("op")} == {f"op{g}_{m}" for g in range(2) for m in range(5)}


@pytest.mark.slow
def test_small_run_gives_equal_edges(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_cnt.py"), "--posts", "6000", "--shape", "link-heavy",
         "--networks", "co_retweet,co_tweet,co_link", "--set", "groups=3", "--set", "group_acts=5",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])["results"][0]
    assert result["edges_equal"] is True
    nets = result["networks"]
    assert set(nets) == {"co_retweet", "co_tweet", "co_link"}
    # the planted groups alone give edges in every network
    assert all(v["cnt_edges"] >= 3 * 5 * 4 for v in nets.values())


@pytest.mark.slow
def test_reuse_cnt_runs_engineroom_alone_against_the_kept_cnt_run(tmp_path):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_cnt.py"), "--posts", "4000", "--shape", "retweet-heavy",
           "--networks", "co_retweet,co_link", "--set", "groups=2", "--set", "group_acts=4",
           "--workdir", str(tmp_path), "--reuse-cnt"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    kept = json.loads((tmp_path / "retweet-heavy" / bench_cnt.CNT_RUN).read_text())
    assert not list((tmp_path / "retweet-heavy").glob("engineroom.duckdb*"))  # engineroom's side is not kept
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    a = json.loads(first.stdout.strip().splitlines()[-1])["results"][0]
    b = json.loads(second.stdout.strip().splitlines()[-1])["results"][0]
    assert b["cnt_measured"] == a["cnt_measured"] == kept["measured"]
    assert b["cnt"] == a["cnt"] and b["edges_equal"] and a["edges_equal"]
    # another parameter: CNT runs again
    third = subprocess.run(cmd[:-1] + ["--set", "seed=0", "--time-window", "30", "--reuse-cnt"],
                           capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-3000:]
    c = json.loads(third.stdout.strip().splitlines()[-1])["results"][0]
    assert c["cnt"] != a["cnt"] and c["edges_equal"]
