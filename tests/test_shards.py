"""Shards ingested apart and merged: each post once, duplicates counted (``engineroom merge-shards``).

Needs no JVM: the shards' Parquet layouts are written by ``ingest --engine spark`` (DuckDB's COPY)
and the merge runs in DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engineroom
from engineroom.cli import app
from engineroom.shards import ShardError, merge_shards, shard_layout
from engineroom.engines.spark import export_parquet
from engineroom.synth import synthesize

N_POSTS = 1000


def _split(src: Path, folder: Path) -> tuple[Path, Path, int]:
    """Two CSV shards of a synthetic export: rows 0-549 and 450-999, i.e. 10% of posts in both."""
    header, *rows = src.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(rows) == N_POSTS
    a, b = folder / "shard_a.csv", folder / "shard_b.csv"
    a.write_text(header + "".join(rows[:550]), encoding="utf-8")
    b.write_text(header + "".join(rows[450:]), encoding="utf-8")
    return a, b, 100


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shards")
    out = folder / "all.csv"
    synthesize(posts=N_POSTS, out=out, format="csv", seed=3)
    return out


def _ingest(path: Path, db: Path) -> dict:
    res = CliRunner().invoke(app, ["ingest", str(path), "--db", str(db), "--format", "csv", "--engine", "spark", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output.strip().splitlines()[-1])


def _rows(db: Path, table: str, cols: str) -> list[tuple]:
    with engineroom.open(db, read_only=True) as c:
        return sorted(c.con.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)


@pytest.mark.slow  # three ingests and a merge: ~5 s on an idle 2-core machine
def test_overlapping_shards_merge_to_the_distinct_posts(export, tmp_path):
    a, b, overlap = _split(export, tmp_path)
    ingested_a = _ingest(a, tmp_path / "a.duckdb")
    ingested_b = _ingest(b, tmp_path / "b.duckdb")
    assert ingested_a["stored"] == ingested_b["stored"] == 550

    res = CliRunner().invoke(app, ["merge-shards", str(tmp_path / "a.duckdb.parquet"), str(tmp_path / "b.duckdb"),
                                   "--db", str(tmp_path / "merged.duckdb"), "--json"])
    assert res.exit_code == 0, res.output
    counts = json.loads(res.output.strip().splitlines()[-1])
    assert counts == {"read": 1100, "stored": N_POSTS, "duplicate": overlap, "quarantined": 0,
                      "shards": 2, "posts": N_POSTS}
    assert "duplicate" in res.output and "1,100" in res.output  # the table ingest prints

    # the merged corpus holds what one ingest of the whole export holds, row for row
    _ingest(export, tmp_path / "whole.duckdb")
    merged, whole = tmp_path / "merged.duckdb", tmp_path / "whole.duckdb"
    with engineroom.open(whole, read_only=True) as c:
        tables = {t.name: ", ".join(x for x in t.column_names if x != "ingest_id")
                  for t in engineroom.schema.CORPUS_TABLES}
    for table, cols in tables.items():
        if table == "accounts":  # profile fields: first shard's, filled from the second (ingest's rule)
            cols = "platform, account_id"
        assert _rows(merged, table, cols) == _rows(whole, table, cols), table
    with engineroom.open(merged, read_only=True) as c:
        ingests = c.query("SELECT format, records_read, records_stored, records_duplicate, records_quarantined, "
                          "options FROM ingests ORDER BY started_at")
        # the duplicate posts' hashtags were read from shard b and left out
        details = json.loads(ingests["options"][1])["tables"]
        assert details["hashtags"]["read"] > details["hashtags"]["stored"]
        assert c.count("posts") == N_POSTS
    assert ingests["format"].tolist() == ["shard", "shard"]
    assert ingests["records_duplicate"].tolist() == [0, overlap]
    assert (ingests["records_read"] == ingests["records_stored"] + ingests["records_duplicate"]
            + ingests["records_quarantined"]).all()

    # the merged corpus's own Parquet layout is written, ready for analyze --engine spark
    manifest = json.loads((shard_layout(merged) / "_manifest.json").read_text())
    assert manifest["counts"]["posts"] == N_POSTS

    # a shard merged before is skipped, not counted twice
    with engineroom.open(merged) as c:
        again = merge_shards(c, [tmp_path / "b.duckdb.parquet"])
        assert again[0].skipped and again[0].read == 0 and c.count("posts") == N_POSTS


def test_rows_without_a_key_are_quarantined_and_bad_paths_fail(tmp_path):
    shard = tmp_path / "s.duckdb"
    with engineroom.open(shard) as c:
        c.con.execute("INSERT INTO posts (platform, post_id, account_id, text) VALUES "
                      "('twitter', '1', 'a', 'one'), ('twitter', '', 'a', 'no id'), ('twitter', '1', 'a', 'again')")
        c.con.execute("INSERT INTO hashtags (platform, post_id, tag) VALUES ('twitter', '1', 'x'), ('twitter', '', 'y')")
        export_parquet(c)
    with engineroom.open(tmp_path / "m.duckdb") as c:
        (r,) = merge_shards(c, [shard])
        assert (r.read, r.stored, r.duplicate, r.quarantined) == (3, 1, 1, 1)
        q = c.query("SELECT file, line, reason FROM quarantine")
        assert q["line"].tolist() == [2] and "post_id" in q["reason"][0] and q["file"][0].endswith("posts")
        assert c.query("SELECT text FROM posts")["text"].tolist() == ["one"]  # the first copy
        assert c.query("SELECT tag FROM hashtags")["tag"].tolist() == ["x"]

    with pytest.raises(ShardError, match="no Parquet layout"):
        shard_layout(tmp_path / "nothing.duckdb")
    res = CliRunner().invoke(app, ["merge-shards", str(tmp_path / "nothing"), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 1 and "no Parquet layout" in " ".join(res.output.split())  # rich wraps lines


@pytest.mark.slow
def test_real_twarc2_shards_merge_to_one_ingest_of_all_files(tmp_path):
    """Genuine twarc2 files (twarc-csv's test data): two shards sharing one file merge to exactly
    what one ingest of all the files stores, every column of every corpus table."""
    from conftest import shared_dataset

    src = shared_dataset("real_exports") / "twarc2_twarc-csv"
    a = [src / f for f in ("2sets.jsonl", "brexit.jsonl", "kpop.jsonl", "flat.jsonl")]
    b = [src / f for f in ("flat.jsonl", "noflat.jsonl", "withheld.jsonl", "entities_test.jsonl")]
    for files, db in ((a, "a.duckdb"), (b, "b.duckdb")):
        with engineroom.open(tmp_path / db) as c:
            c.ingest(files)
            export_parquet(c)
    with engineroom.open(tmp_path / "whole.duckdb") as c:
        c.ingest(list(dict.fromkeys(a + b)))
    with engineroom.open(tmp_path / "merged.duckdb") as c:
        reports = merge_shards(c, [tmp_path / "a.duckdb", tmp_path / "b.duckdb"])
    shard_posts = [r.read for r in reports]
    assert sum(r.stored for r in reports) + sum(r.duplicate for r in reports) == sum(shard_posts)
    assert reports[0].duplicate == 0 and reports[1].duplicate > 0  # flat.jsonl is in both
    for t in engineroom.schema.CORPUS_TABLES:
        cols = ", ".join(f'"{x}"' for x in t.column_names if x != "ingest_id")
        assert _rows(tmp_path / "merged.duckdb", t.name, cols) == _rows(tmp_path / "whole.duckdb", t.name, cols), t.name
