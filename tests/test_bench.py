"""``engineroom bench``: per-stage timings, posts/s and peak memory as one JSON object."""

from __future__ import annotations

import json
import os

import pytest

from engineroom.bench import MemorySampler, run_bench, tree_rss_kb


def test_memory_sampler_sees_an_allocation():
    with MemorySampler(interval=0.01) as mem:
        with mem.stage() as small:
            pass
        with mem.stage() as big:
            block = b"\x01" * (300 * 2**20)  # written, so every page is resident
            del block
    assert big["peak_rss_mb"] >= small["peak_rss_mb"] + 250
    assert tree_rss_kb() > 0


@pytest.mark.slow
def test_bench_tiny_corpus(tmp_path):
    from engineroom.analyses import registry

    only = ["trends"]
    assert "trends" in registry()
    result = run_bench(posts=500, workdir=tmp_path, only=only)
    json.dumps(result)  # JSON-able, as the CLI prints it
    stages = result["stages"]
    assert list(stages)[:3] == ["synth", "ingest", "engine_start"] and "report" in stages
    assert [k for k in stages if k.startswith("analysis:")] == [f"analysis:{n}" for n in only]
    for name, rec in stages.items():
        assert rec["seconds"] > 0 and rec["peak_rss_mb"] > 10 and rec["cpu_seconds"] >= 0, name
    assert stages["ingest"]["stored"] == 500
    assert result["posts_per_s"]["ingest"] == pytest.approx(500 / stages["ingest"]["seconds"], rel=0.01)
    assert result["peak_rss_mb"] == max(r["peak_rss_mb"] for r in stages.values())
    assert (tmp_path / "bench.duckdb").exists() and result["workdir"] == str(tmp_path)
    again = run_bench(posts=500, workdir=tmp_path, only=[])  # same N and seed: the corpus is reused
    assert again["stages"]["synth"]["reused"] is True and again["seconds"]["synth"] is None
    assert again["stages"]["ingest"]["stored"] == 500  # into a fresh corpus file


def test_bench_rejects_unknown_comparison():
    with pytest.raises(ValueError, match="cnt"):
        run_bench(posts=500, compare="networkx")


def test_cli_synth_writes_corpus_and_truth(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    os.environ.setdefault("ENGINEROOM_QUIET", "1")
    res = CliRunner().invoke(app, ["synth", "--posts", "300", "--out", str(tmp_path / "s.jsonl"), "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s.jsonl.truth.json").exists()


def test_cli_bench_unknown_analysis_is_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    res = CliRunner().invoke(app, ["bench", "--posts", "300", "--only", "no_such_analysis", "--workdir", str(tmp_path)])
    assert res.exit_code == 1
    assert "unknown analysis no_such_analysis" in res.output
    assert not (tmp_path / "bench.duckdb").exists()  # failed before doing any work


@pytest.mark.slow
def test_bench_io_archive_with_seed(tmp_path):
    result = run_bench(posts=400, workdir=tmp_path, only=[], seed=3, format="io-archive")
    assert result["format"] == "io-archive" and result["seed"] == 3
    assert result["stages"]["ingest"]["stored"] == 400  # posts only; the users file adds accounts
    truth = json.loads((tmp_path / "bench_400_s3_tweets.csv.truth.json").read_text())
    assert truth["seed"] == 3 and truth["format"] == "io-archive"
    again = run_bench(posts=400, workdir=tmp_path, only=[], seed=3, format="io-archive")
    assert again["stages"]["synth"].get("reused") is True
    other = run_bench(posts=400, workdir=tmp_path, only=[], seed=4, format="io-archive")
    assert not other["stages"]["synth"].get("reused")  # another seed is another corpus


def test_bench_rejects_unknown_format():
    with pytest.raises(ValueError, match="io-archive"):
        run_bench(posts=500, format="parquet")


@pytest.mark.slow
def test_ingest_benchmark_scripts_run(tmp_path):
    """benchmarks/bench_ingest.py and benchmarks/profile_ingest.py on a small synthetic file: they
    use the ingest's internals (the staging pipeline, prepare / export / merge), so they break
    when those change."""
    import subprocess
    import sys

    from conftest import ROOT

    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_ingest.py"), "--posts", "3000",
                          "--formats", "twarc2", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])["twarc2"]
    assert res["read"] == res["stored"] + res["duplicate"] + res["quarantined"] > 0
    prof = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile_ingest.py"), str(tmp_path / "twarc2_3000.jsonl")],
                          capture_output=True, text=True, timeout=600)
    assert prof.returncode == 0, prof.stderr[-2000:]
    steps = json.loads(prof.stdout.strip().splitlines()[-1])
    assert steps["stored"] == res["stored"] and set(steps["steps_cpu_s"]) == {"read", "stage", "export", "store", "other"}
