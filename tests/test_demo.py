"""``engineroom demo`` end to end on a small corpus: synth -> ingest -> every analysis -> report."""

from __future__ import annotations

import json

import pytest

import engineroom.analyses as analyses_pkg
from engineroom.analyses import Analysis

POSTS = 3000


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from engineroom.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, posts=POSTS, seed=0)


@pytest.mark.slow
def test_demo_writes_report_and_summary(demo):
    out, result = demo
    report = out / "report.html"
    assert result["report"] == str(report) and report.exists()
    html = report.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "<script src=\"http" not in html  # self-contained
    assert (out / "engineroom.duckdb").exists() and (out / "demo_corpus.jsonl.truth.json").exists()
    saved = json.loads((out / "demo_summary.json").read_text())
    assert saved["checks"]["ingest"]["ok"] is True
    assert saved["seconds"]["total"] > 0 and "analyze" in saved["seconds"]
    assert set(result["analyses"]) == set(analyses_pkg.registry())  # every registered analysis ran
    assert result["summary"][0].startswith(f"ingest: {POSTS:,}/{POSTS:,} posts")


@pytest.mark.slow
def test_demo_recovers_planted_structures(demo):
    _out, result = demo
    checks = result["checks"]
    assert {"engine_room", "campaigns", "trends", "coordination"} <= set(analyses_pkg.registry())
    er = checks["engine_room"]
    assert er["available"] and er["recovered"] >= er["planted"] // 2, er
    assert checks["campaign"]["found"] and checks["campaign"]["target_ok"], checks["campaign"]
    b = checks["burst"]
    assert b["found"] and abs(b["onset_error_hours"]) <= 24, b
    assert checks["operation"]["clusters"]["recall"] >= 0.5, checks["operation"]


class _Broken(Analysis):
    """An analysis that fails: the demo must fail with it, not hide it."""

    name = "aaa_broken"

    def run(self, engine):
        raise RuntimeError("planted failure")


def test_failing_analysis_fails_the_demo(tmp_path, monkeypatch):
    from engineroom.demo import run_demo

    real = analyses_pkg.registry
    monkeypatch.setattr(analyses_pkg, "registry", lambda: {**real(), "aaa_broken": _Broken})
    with pytest.raises(RuntimeError, match="planted failure"):
        run_demo(tmp_path, posts=400, seed=1)


def test_compare_with_truth_scores_findings_tables(tmp_path):
    """The planted-vs-found arithmetic, on findings tables written by hand (no analysis involved)."""
    import csv

    import pandas as pd

    import engineroom
    from engineroom.demo import compare_with_truth, summary_lines
    from engineroom.synth import synthesize

    truth = synthesize(800, tmp_path / "c.jsonl", seed=4)
    with open(truth["posts_truth_path"], newline="") as f:
        rows = list(csv.DictReader(f))
    rows = [r for r in rows if r["kind"] != "retweet"]  # scored on posts other than retweets
    hateful = [r["post_id"] for r in rows if r["hateful"] == "1"]
    clean = [r["post_id"] for r in rows if r["hateful"] == "0" and r["narrative"] == "0"]
    narrative = [r["post_id"] for r in rows if r["narrative"] == "1"]
    with engineroom.open(tmp_path / "c.duckdb") as corpus:
        corpus.ingest([tmp_path / "c.jsonl"])
        predicted = hateful[: len(hateful) // 2] + clean[:5]
        corpus.write_table("hate", pd.DataFrame({"platform": "twitter", "post_id": predicted, "label": "antisemitic"}))
        corpus.write_table("narratives", pd.DataFrame({
            "platform": "twitter", "post_id": narrative + clean[:3], "kind": "narrative",
            "narrative": ["antisemitism_smear"] * len(narrative) + ["other"] * 3}))
        er = truth["engine_room"]["accounts"]
        others = [a for a in truth["operation"]["accounts"]][:4]
        core = er[:30] + others
        corpus.write_table("engine_room", pd.DataFrame({
            "platform": "twitter", "account_id": core + er[30:], "narrative": "antisemitism_smear",
            "rank": list(range(1, len(core) + 7)), "in_core": [True] * len(core) + [False] * 6}))
        corpus.write_table("coordination_clusters", pd.DataFrame({
            "platform": "twitter", "cluster_id": "c1", "account_id": truth["operation"]["accounts"][:20] + er[:5]}))
        checks = compare_with_truth(corpus, truth)
    assert checks["ingest"]["ok"]
    h = checks["hate"]
    assert h["tp"] == len(hateful) // 2 and h["predicted"] == len(predicted) and h["planted"] == len(hateful)
    assert h["recall"] == round((len(hateful) // 2) / len(hateful), 4)
    n = checks["narratives"]
    assert n["narratives"] == ["antisemitism_smear"] and n["recall"] == 1.0 and n["precision"] == 1.0
    e = checks["engine_room"]
    assert (e["recovered"], e["core_size"], e["planted"]) == (30, 34, 36)
    assert e["top_k_recovered"] == 32  # ranks 1-36: 30 core + the 4 others + the next 2 planted
    o = checks["operation"]["clusters"]
    assert (o["tp"], o["predicted"], o["planted"]) == (20, 25, len(truth["operation"]["accounts"]))
    assert not checks["campaign"]["available"] and not checks["burst"]["available"]
    lines = summary_lines(checks)
    assert any(line.startswith("engine room: 30/36") for line in lines)
