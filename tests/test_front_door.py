"""The front door (:func:`engineroom.open` -> :class:`engineroom.corpus.Corpus`) over the store.

The store (:class:`engineroom.store.Store`) is the file and its tables; the front door adds ingest,
analyses, report and exports as one call each, the same library functions the command line calls.
These tests run the four calls on a real ingest of the test fixtures, compare each with what the
library function or the command line gives, and check that an engine works on a bare store.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import engineroom
from engineroom.corpus import Corpus
from engineroom.engines import make_engine
from engineroom.store import Store

DATA = Path(__file__).parent / "data" / "ingest"
FILES = [DATA / "twarc2_pages.jsonl", DATA / "twitter_v1.jsonl"]


def test_open_gives_the_store_with_the_entry_points(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as corpus:
        assert isinstance(corpus, Corpus) and isinstance(corpus, Store)
        for method in ("ingest", "analyze", "report", "export", "engine"):
            assert callable(getattr(corpus, method))
    # the store alone is the file and its tables, nothing above it
    with Store(tmp_path / "c.duckdb", read_only=True) as store:
        assert store.count("posts") == 0
        for method in ("ingest", "analyze", "report", "export", "engine"):
            assert not hasattr(store, method)


def test_ingest_analyze_export_report_through_the_front_door(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as corpus:
        reports = corpus.ingest(FILES)
        assert [r.format for r in reports] == ["twarc2", "twitter-v1"]
        stored = sum(r.stored for r in reports)
        assert stored > 0 and stored == corpus.count("posts")
        for r in reports:
            assert r.read == r.stored + r.duplicate + r.quarantined

        summary = corpus.analyze(only=["trends"])
        assert set(summary) == {"trends"}
        runs = corpus.query("SELECT analysis, engine, finished_at IS NOT NULL FROM runs")
        assert runs.values.tolist() == [["trends", "duckdb", True]]

        for table in ("trends", "posts"):
            out = corpus.export(table, tmp_path / f"{table}.csv")
            with open(out, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                rows = list(reader)
            assert reader.fieldnames == list(corpus.query(f"SELECT * FROM {table} LIMIT 0").columns)
            assert len(rows) == corpus.count(table)
        assert sorted(r["post_id"] for r in rows) == sorted(corpus.query("SELECT post_id FROM posts").post_id)

        page = corpus.report(tmp_path / "report.html")
        assert page == tmp_path / "report.html"
        assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


@pytest.mark.slow  # a second interpreter loads the whole command line
def test_front_door_and_command_line_agree(tmp_path):
    """The same ingest through ``engineroom.open`` and through ``engineroom ingest`` stores the same posts."""
    with engineroom.open(tmp_path / "door.duckdb") as corpus:
        corpus.ingest(FILES)
        door = corpus.query("SELECT platform, post_id, text FROM posts ORDER BY ALL").values.tolist()
    cli = subprocess.run([sys.executable, "-m", "engineroom.cli", "ingest", *map(str, FILES),
                          "--db", str(tmp_path / "cli.duckdb"), "--json"], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout.strip().splitlines()[-1])["stored"] == len(door)
    with engineroom.open(tmp_path / "cli.duckdb", read_only=True) as corpus:
        assert corpus.query("SELECT platform, post_id, text FROM posts ORDER BY ALL").values.tolist() == door


def test_an_engine_runs_on_a_bare_store(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as corpus:
        corpus.ingest(FILES)
        n = corpus.count("posts")
    with Store(tmp_path / "c.duckdb") as store:
        engine = make_engine(store)
        assert engine.to_pandas(engine.table("posts").count()) == n
        engine.write("scratch", engine.table("posts").select("post_id"))
        assert store.count("scratch") == n
        engine.drop_table("scratch")
        assert not store.has_table("scratch")


def test_every_format_name_has_its_adapter_in_its_own_module():
    """``--format`` names (``ingest.FORMATS``) and the adapters (``ingest.formats.ADAPTERS``) agree,
    and each adapter lives in the module of its format (``ingest/formats/<format>.py``)."""
    from engineroom.ingest import FORMATS
    from engineroom.ingest.formats import ADAPTERS

    assert set(FORMATS) == set(ADAPTERS)
    modules = {cls.__module__.rpartition(".")[2] for cls in ADAPTERS.values()}
    assert modules == {"twarc2", "twitter_v1", "bluesky", "telegram", "io_archive", "ira", "crowdtangle", "generic_csv",
                       "mastodon", "reddit", "youtube", "tiktok", "fourchan", "telethon", "meta"}
