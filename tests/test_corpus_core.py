"""The corpus file, its schema and the analysis registry."""

from __future__ import annotations

import pytest

import engineroom
from engineroom import schema
from engineroom.analyses import Analysis, order, run_analyses


def test_open_creates_every_schema_table(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as c:
        for t in schema.ALL_TABLES:
            assert c.has_table(t.name)
            cols = list(c.query(f"DESCRIBE {t.name}")["column_name"])
            assert cols == t.column_names
        assert c.count("posts") == 0


def test_reopen_keeps_rows(tmp_path):
    path = tmp_path / "c.duckdb"
    with engineroom.open(path) as c:
        c.con.execute("INSERT INTO posts (platform, post_id, text) VALUES ('twitter', '1', 'hi')")
    with engineroom.open(path, read_only=True) as c:
        assert c.posts()["text"].tolist() == ["hi"]


def test_keys_are_unique_after_ingesting_overlapping_files(corpus):
    """The corpus tables' keys hold by construction (ingest stores each key once), not by an index."""
    from pathlib import Path

    d = Path(__file__).parent / "data" / "ingest"
    reps = corpus.ingest([d / "twarc2_pages.jsonl", d / "twarc2_flat.jsonl", d / "twarc2_pages.jsonl.gz",
                          d / "twitter_v1.jsonl"])
    assert sum(r.stored for r in reps) > 0 and sum(r.duplicate for r in reps) > 0
    for t in schema.CORPUS_TABLES:
        key = ", ".join(t.key)
        dup = corpus.con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {t.name} GROUP BY {key} HAVING count(*) > 1)").fetchone()[0]
        assert dup == 0, t.name
        assert corpus.count(t.name) > 0 or t.name == "media"
    # the same post id on another platform is another post
    corpus.con.execute("INSERT INTO posts (platform, post_id) VALUES ('bluesky', '1'), ('twitter', '1')")
    assert corpus.count("posts") == sum(r.stored for r in reps) + 2


def test_schema_markdown_mentions_every_column():
    md = schema.markdown()
    for t in schema.ALL_TABLES:
        for c in t.columns:
            assert f"`{c.name}`" in md


def test_order_puts_requirements_first():
    class A(Analysis):
        name = "a"

    class B(Analysis):
        name = "b"
        requires = ("a",)

    avail = {"a": A, "b": B}
    assert order(["b", "a"], avail) == ["a", "b"]
    assert order(["b"], avail) == ["b"]
    with pytest.raises(ValueError, match="unknown analysis"):
        order(["nope"], avail)


def test_run_records_params_and_findings(corpus, monkeypatch):
    class Counter(Analysis):
        name = "counter"
        tables = ("post_counts",)

        def __init__(self, min_posts: int = 1):
            self.min_posts = min_posts

        def run(self, engine):
            posts = engine.table("posts")
            expr = posts.group_by("platform").agg(n=posts.count()).filter(lambda t: t.n >= self.min_posts)
            engine.write("post_counts", expr)
            return {"platforms": int(engine.to_pandas(expr.count().as_table()).iloc[0, 0])}

    import engineroom.analyses as reg

    monkeypatch.setattr(reg, "registry", lambda: {"counter": Counter})
    corpus.con.execute("INSERT INTO posts (platform, post_id) VALUES ('twitter', '1'), ('twitter', '2')")
    out = run_analyses(corpus, params={"counter": {"min_posts": 2}})
    assert out == {"counter": {"platforms": 1}}
    assert corpus.table("post_counts").to_dict("records") == [{"platform": "twitter", "n": 2}]
    runs = corpus.table("runs")
    assert runs["analysis"].tolist() == ["counter"]
    assert '"min_posts": 2' in runs["params"].iloc[0]
