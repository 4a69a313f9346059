"""benchmarks/compare_corpora.py: two corpora compared table by table, run columns left out."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

import engineroom
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import compare_corpora  # noqa: E402

DATA = Path(__file__).parent / "data" / "ingest"


def _corpus(path: Path) -> Path:
    with engineroom.open(path) as c:
        c.ingest([DATA / "twarc2_pages.jsonl", DATA / "reddit_dump.ndjson"])
    return path


@pytest.mark.slow  # a few seconds: the full tier
def test_two_ingests_of_the_same_files_are_equal_and_a_changed_row_is_found(tmp_path):
    a = _corpus(tmp_path / "a.duckdb")
    b = _corpus(tmp_path / "b.duckdb")  # other ingest ids, clocks: left out
    result = compare_corpora.compare(str(a), str(b))
    assert {r["status"] for r in result.values()} == {"equal"}
    assert "ingest_id" in result["posts"]["left_out"]
    assert compare_corpora.main([str(a), str(b)]) == 0

    c = tmp_path / "c.duckdb"
    shutil.copy(b, c)
    con = duckdb.connect(str(c))
    con.execute("UPDATE posts SET text = text || '!' WHERE post_id = (SELECT min(post_id) FROM posts)")
    con.execute("CREATE TABLE extra_findings AS SELECT 1 AS x")
    con.close()
    result = compare_corpora.compare(str(a), str(c))
    assert result["posts"]["status"] == "differs" and result["posts"]["value_differences"] == [1, 1]
    assert result["extra_findings"]["status"] == "only after"
    assert result["accounts"]["status"] == "equal"
    assert compare_corpora.main([str(a), str(c)]) == 1


def test_json_key_order_and_last_bits_of_floats_are_equal_as_values(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path, ev, x in ((a, '{"k": 1, "j": [1, 2]}', 0.1 + 0.2), (b, '{"j": [1, 2], "k": 1}', 0.3)):
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE f AS SELECT ? AS evidence, ? AS score, [1, 2] AS ids", [ev, x])
        con.close()
    r = compare_corpora.compare(str(a), str(b))["f"]
    assert r["status"] == "equal as values" and r["exact_differences"] == [1, 1]
    con = duckdb.connect(str(b))
    con.execute("UPDATE f SET score = 0.30001")
    con.close()
    assert compare_corpora.compare(str(a), str(b))["f"]["status"] == "differs"
