"""``engineroom demo`` end to end on a small corpus: synth -> ingest -> every analysis -> report."""

from __future__ import annotations

import json

import pytest

import engineroom.analyses as analyses_pkg
from engineroom.analyses import Analysis

POSTS = 3000


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    pytest.importorskip("engineroom.ingest")
    pytest.importorskip("engineroom.report")
    from engineroom.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, posts=POSTS, seed=0)


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


def test_demo_recovers_planted_structures(demo):
    _out, result = demo
    checks = result["checks"]
    reg = analyses_pkg.registry()
    if "engine_room" in reg:
        er = checks["engine_room"]
        assert er["available"] and er["recovered"] >= er["planted"] // 2, er
    if "campaigns" in reg:
        assert checks["campaign"]["found"] and checks["campaign"]["target_ok"], checks["campaign"]
    if "trends" in reg:
        b = checks["burst"]
        assert b["found"] and abs(b["onset_error_hours"]) <= 24, b
    if "coordination" in reg:
        assert checks["operation"]["clusters"]["recall"] >= 0.5, checks["operation"]


class _Broken(Analysis):
    """An analysis that fails: the demo must fail with it, not hide it."""

    name = "aaa_broken"

    def run(self, engine):
        raise RuntimeError("planted failure")


def test_failing_analysis_fails_the_demo(tmp_path, monkeypatch):
    pytest.importorskip("engineroom.ingest")
    from engineroom.demo import run_demo

    real = analyses_pkg.registry
    monkeypatch.setattr(analyses_pkg, "registry", lambda: {**real(), "aaa_broken": _Broken})
    with pytest.raises(RuntimeError, match="planted failure"):
        run_demo(tmp_path, posts=400, seed=1)
