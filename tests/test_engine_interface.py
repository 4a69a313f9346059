"""The engine interface covers scratch tables and session settings, so no analysis touches DuckDB
or Spark directly, and a Spark run leaves no scratch tables or Parquet folders behind."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import engineroom
from engineroom.engines.duckdb import DuckDBEngine

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


def test_duckdb_beside_works_on_its_own_connection(corpus):
    from concurrent.futures import ThreadPoolExecutor

    eng = DuckDBEngine(corpus)
    eng.write("_main_side", pd.DataFrame({"a": [1, 2]}))
    with eng.beside() as side, ThreadPoolExecutor(1) as pool:
        assert side is not eng and side.has_table("_main_side") and not side.has_table("_nope")
        pool.submit(side.write, "_beside_side", pd.DataFrame({"b": [3]})).result()
        assert eng.to_pandas(eng.table("_beside_side"))["b"].tolist() == [3]  # its writes are committed
        assert side.to_pandas(side.table("_main_side"))["a"].tolist() == [1, 2]
    with pytest.raises(Exception):  # its connection is closed on leaving the block
        side.to_pandas(side.table("_main_side"))


def _setting(corpus, name):
    return corpus.con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]


def test_duckdb_settings_are_put_back_as_set_not_as_reported(corpus):
    """DuckDB reports memory_limit '3GB' as '2.7 GiB' (and that as '2.6 GiB'): a value the engine
    set is put back as given, so nested settings do not drift the limit down."""
    eng = DuckDBEngine(corpus)
    with eng.settings({"memory_limit": "3GB"}):
        for _ in range(3):
            with eng.settings({"memory_limit": "64MB"}):
                pass
        with eng.settings({"memory_limit": "1GB"}):
            pass
        corpus.con.execute("SET memory_limit = '3GB'")  # what '3GB' looks like, set directly
        exact = _setting(corpus, "memory_limit")
        with eng.settings({"memory_limit": "64MB"}):
            pass
        assert _setting(corpus, "memory_limit") == exact


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


# The Spark side (drop_table removes the Parquet folders, settings are put back, a run of every
# analysis leaves no scratch table or folder) is tested in test_spark.py, on its shared session
# and parity runs.


def test_duckdb_release_memory_keeps_the_limit_as_the_store_set_it(corpus):
    """Releasing memory after every analysis must not drift the corpus's limit down (DuckDB reports
    '4GB' as '3.7 GiB', and setting that gives '3.6 GiB'); what DuckDB holds afterwards is within
    the release limit."""
    eng = DuckDBEngine(corpus)
    before = _setting(corpus, "memory_limit")
    corpus.con.execute("SELECT count(*), max(text) FROM posts").fetchall()  # (some cached pages)
    for _ in range(5):
        eng.release_memory()
    assert _setting(corpus, "memory_limit") == before
    held = corpus.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    assert held <= 64 * 2**20
    with eng.settings({"memory_limit": "3GB"}):
        limited = _setting(corpus, "memory_limit")
        eng.release_memory()
        assert _setting(corpus, "memory_limit") == limited
    assert _setting(corpus, "memory_limit") == before


def test_run_analyses_leaves_the_memory_limit_as_it_was(corpus):
    from engineroom.analyses import run_analyses

    before = _setting(corpus, "memory_limit")
    run_analyses(corpus, only=["hate", "coordination"])
    assert _setting(corpus, "memory_limit") == before
