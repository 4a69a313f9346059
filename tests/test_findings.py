"""Findings declared once: the declarations, the generated doc, the reader, and every analysis's
tables checked against its declaration on a small synthetic corpus."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import engineroom
from engineroom import findings
from engineroom.analyses import Analysis, findings_table, registry, run_analyses
from engineroom.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """A 1,500-post synthetic corpus (engine room, campaign, burst, operation planted) with every
    analysis run on DuckDB."""
    folder = tmp_path_factory.mktemp("findings")
    synthesize(posts=1500, out=folder / "posts.jsonl", format="twarc2", seed=3)
    corpus = engineroom.open(folder / "c.duckdb")
    corpus.ingest([folder / "posts.jsonl"])
    run_analyses(corpus)
    yield corpus
    corpus.close()


def test_every_analysis_declares_what_it_writes():
    for name, cls in registry().items():
        assert cls.writes, f"{name} declares no findings tables"
        assert cls.tables == tuple(t.name for t in cls.writes)
        for t in cls.writes:
            assert t.doc and t.columns, t.name
            names = [c.name for c in t.columns]
            assert len(names) == len(set(names)), t.name
            for c in t.columns:
                assert c.doc and findings.type_family(c.type) in (
                    "integer", "float", "text", "boolean", "timestamp", "date"), (t.name, c)
    assert len(findings.declared()) == sum(len(c.writes) for c in registry().values())  # no name twice


def test_reads_name_every_table_the_module_opens_by_name():
    """``engine.table("x")`` / ``has_table("x")`` in an analysis module: x is read (or written) by it."""
    for name, cls in registry().items():
        source = Path(inspect.getfile(cls)).read_text(encoding="utf-8")
        opened = set(re.findall(r"""(?:table|has_table)\(\s*["']([a-z][a-z_]*)["']""", source))
        undeclared = opened - set(cls.reads) - set(cls.tables)
        assert not undeclared, f"{name} opens {sorted(undeclared)} without declaring them in reads"


def test_checked_in_doc_is_generated_from_the_declarations():
    doc = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert doc.rstrip("\n") == findings.markdown().rstrip("\n"), (
        "docs/findings.md is stale: run  python -m engineroom.findings > docs/findings.md")


@pytest.mark.slow
def test_every_table_written_matches_its_declaration(analysed):
    problems = [p for t in findings.declared().values() for p in findings.check_table(analysed.con, t)]
    assert not problems, "\n".join(problems)
    # the corpus is rich enough that the check saw rows, not only empty tables
    filled = [t for t in findings.declared() if analysed.count(t) > 0]
    assert len(filled) >= len(findings.declared()) - 3, filled  # images' tables need local media files


@pytest.mark.slow  # a few seconds: the full tier
def test_an_empty_corpus_gets_every_declared_table_and_column(corpus):
    """With nothing to find, every analysis still writes its tables, with the declared columns."""
    run_analyses(corpus)
    problems = [p for t in findings.declared().values() for p in findings.check_table(corpus.con, t)]
    assert not problems, "\n".join(problems)


def test_check_table_reports_each_kind_of_difference(corpus):
    t = findings_table("t", "a test table", ("a", "BIGINT", "a"), ("band_*", "BIGINT", "bands"), ("b", "VARCHAR", "b"))
    assert findings.check_table(corpus.con, t) == ["t: table not written"]
    corpus.con.execute("CREATE TABLE t (a INTEGER, band_0 BIGINT, band_1 BIGINT, b VARCHAR)")
    assert findings.check_table(corpus.con, t) == []  # INTEGER and BIGINT are one family
    corpus.con.execute("CREATE OR REPLACE TABLE t (a DOUBLE, c VARCHAR, band_x BIGINT)")
    assert findings.check_table(corpus.con, t) == [
        "t.a: declared BIGINT, written DOUBLE", "t.b: declared, not written",
        "t.c: written (VARCHAR), not declared", "t.band_x: written (BIGINT), not declared"]
    corpus.con.execute("CREATE OR REPLACE TABLE t (b VARCHAR, a BIGINT)")
    assert findings.check_table(corpus.con, t) == ["t: columns written in another order than declared"]


def test_reader_says_which_analysis_to_run_and_never_runs_it(corpus):
    assert findings.writer("coordination_clusters") == "coordination"
    assert findings.writer("graph_nodes") == "network"
    assert "weight" in findings.columns("coordination")
    with pytest.raises(KeyError, match="no analysis writes a table 'nope'"):
        findings.writer("nope")
    assert not findings.exists(corpus, "hate")
    with pytest.raises(findings.MissingFindings, match=r"run the hate analysis \(engineroom analyze --only hate\)"):
        findings.read(corpus, "hate")
    assert not corpus.has_table("hate")  # reading did not run the analysis
    corpus.write_table("hate", __import__("pandas").DataFrame({"platform": ["x"], "post_id": ["1"], "label": ["none"]}))
    assert findings.exists(corpus, "hate")
    assert findings.read(corpus, "hate", columns=["post_id", "label"]).to_dict("records") == [
        {"post_id": "1", "label": "none"}]
    with pytest.raises(KeyError, match="has no column 'nope'"):
        findings.read(corpus, "hate", columns=["nope"])


def test_tables_follow_from_writes():
    class A(Analysis):
        name = "a"
        writes = (findings_table("x", "x", ("c", "BIGINT", "c")), findings_table("y", "y", ("c", "BIGINT", "c")))

    assert A.tables == ("x", "y")
    assert Analysis.tables == () and Analysis.writes == ()


def test_checked_in_schema_doc_is_generated_from_the_schema():
    from engineroom import schema

    doc = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert doc.rstrip("\n") == schema.markdown().rstrip("\n"), (
        "docs/schema.md is stale: run  python -m engineroom.schema > docs/schema.md")


#: what a reader must not ask: whether a column exists, or which of several names a column has
COLUMN_CHECKS = ("has", "pick", "cols", "has_table")


def test_report_review_app_and_exports_hold_no_column_existence_checks():
    """The report, the review app, the export and the graph export read the declared columns: they
    ask only whether an analysis ran (``findings.exists`` / ``Findings.exists``), never whether a
    column is there. (The review app lists its own ``review_*`` tables from ``information_schema``:
    those are not findings.)"""
    package = Path(engineroom.__file__).parent
    serve = sorted((package / "serve").glob("*.py"))
    files = sorted((package / "report").glob("*.py")) + serve + [package / "export.py", package / "graph_export.py"]
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in COLUMN_CHECKS):
                found.append(f"{path.relative_to(package)}:{node.lineno} .{node.func.attr}(...)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "information_schema" in node.value \
                    and path.name != "data.py" and path not in serve:
                found.append(f"{path.relative_to(package)}:{node.lineno} information_schema")
    assert found == []

