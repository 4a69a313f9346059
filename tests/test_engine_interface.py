"""The engine interface covers scratch tables and session settings, so no analysis touches DuckDB
or Spark directly, and a Spark run leaves no scratch tables or Parquet folders behind."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import engineroom
from engineroom.analyses import run_analyses
from engineroom.engine import DuckDBEngine

ANALYSES = Path(engineroom.__file__).parent / "analyses"


def test_no_analysis_reaches_past_the_engine():
    for path in sorted(ANALYSES.glob("*.py")):
        if path.name == "__init__.py":  # run_analyses records runs in the corpus (the store)
            continue
        source = path.read_text(encoding="utf-8")
        found = re.findall(r"\bengine\.corpus\b|\.con\.execute\b|\bduckdb\.|\bcorpus\.con\b", source)
        assert not found, f"{path.name} reaches past the engine: {found}"


def test_duckdb_drop_table(corpus):
    eng = DuckDBEngine(corpus)
    eng.write('_scratch x', pd.DataFrame({"a": [1]}))
    assert corpus.has_table('_scratch x')
    eng.drop_table('_scratch x')
    assert not corpus.has_table('_scratch x')
    eng.drop_table("_never_written")  # nothing to drop: no error


def _setting(corpus, name):
    return corpus.con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]


def test_duckdb_settings_are_put_back(corpus):
    eng = DuckDBEngine(corpus)
    corpus.con.execute("SET memory_limit = '2GiB'")  # DuckDB reports it rounded to 0.1 GiB
    before = _setting(corpus, "memory_limit")
    with eng.settings({"memory_limit": "1GB", "threads": 1}):
        assert _setting(corpus, "memory_limit") != before and _setting(corpus, "threads") == 1
    assert _setting(corpus, "memory_limit") == before
    with pytest.raises(RuntimeError, match="inside"):
        with eng.settings({"memory_limit": "1GB"}):
            raise RuntimeError("inside")
    assert _setting(corpus, "memory_limit") == before  # also when the block raises
    with pytest.raises(ValueError, match="not a setting name"):
        with eng.settings({"memory_limit = '1GB'; DROP TABLE posts; --": "1GB"}):
            pass
    assert corpus.has_table("posts")


def test_coordination_memory_limit_holds_only_while_it_runs(corpus, monkeypatch):
    from engineroom.analyses.coordination import Coordination

    seen = []
    corpus.con.execute("SET memory_limit = '2GiB'")
    monkeypatch.setattr(Coordination, "_run", lambda self, engine: seen.append(_setting(corpus, "memory_limit")) or {})
    before = _setting(corpus, "memory_limit")
    Coordination(memory_limit="1GB").run(DuckDBEngine(corpus))
    assert seen and seen[0] != before and _setting(corpus, "memory_limit") == before


# -- Spark ------------------------------------------------------------------------------------------

def _spark_or_skip():
    from engineroom.spark import spark_unavailable_reason

    reason = spark_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def spark_corpus(tmp_path_factory):
    _spark_or_skip()
    from engineroom.synth import synthesize

    folder = tmp_path_factory.mktemp("spark_scratch")
    synthesize(posts=600, out=folder / "p.jsonl", format="twarc2", seed=4)
    corpus = engineroom.open(folder / "c.duckdb")
    corpus.ingest([folder / "p.jsonl"])
    yield corpus
    corpus.close()


@pytest.mark.slow
@pytest.mark.spark
def test_spark_drop_table_and_settings(spark_corpus):
    eng = spark_corpus.engine("spark", shuffle_partitions=2)
    try:
        eng.write("_scratch", pd.DataFrame({"a": [1, 2]}))
        folder = eng.workdir / "findings" / "_scratch"
        assert folder.is_dir() and spark_corpus.has_table("_scratch")
        eng.drop_table("_scratch")
        assert not folder.exists() and not spark_corpus.has_table("_scratch") and not eng.has_table("_scratch")
        key = "spark.sql.shuffle.partitions"
        with eng.settings({key: 3}):
            assert eng.session.conf.get(key) == "3"
        assert eng.session.conf.get(key) == "2"
    finally:
        eng.close()


@pytest.mark.slow
@pytest.mark.spark
def test_spark_run_leaves_no_scratch_tables_or_folders(spark_corpus):
    """network, engine_room, targets, campaigns and coordination write scratch tables on their way."""
    run_analyses(spark_corpus, only=["network", "engine_room", "targets", "campaigns", "coordination"],
                 params={"coordination": {"networks": ["co_similar_tweet", "co_retweet"]}},
                 engine="spark", shuffle_partitions=2)
    scratch_tables = [t for t in spark_corpus.tables() if t.startswith("_")]
    assert not scratch_tables
    workdir = spark_corpus.path.with_name(spark_corpus.path.name + ".parquet") / "findings"
    folders = sorted(p.name for p in workdir.iterdir())
    assert not [f for f in folders if f.startswith("_")], folders
    assert "graph_nodes" in folders and "coordination" in folders  # findings stay
