"""Exports: findings tables to CSV / Parquet / JSON, the graph, the platform report and labels."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pandas as pd
import pytest

import engineroom
import er_sample
from engineroom.export import PLATFORM_REPORT_COLUMNS, export_table, platform_report, review_labels


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "c.duckdb"
    with engineroom.open(path) as c:
        planted = er_sample.build(c, n_accounts=30, n_posts=200)
        hate = c.query("SELECT post_id, label FROM hate ORDER BY score DESC")
        anti = hate[hate.label == "antisemitic"].post_id.tolist()
        ops = c.query("SELECT account_id FROM account_scores WHERE operation_label ORDER BY account_id").account_id.tolist()
        t = datetime(2024, 5, 1, 12)
        rows = [
            ("r1", "post", "twitter", anti[0], "hate", "reject", "first look", "alice", t),
            ("r2", "post", "twitter", anti[0], "hate", "confirm", "=cmd|' /C calc'!A0", "bob", t.replace(hour=13)),
            ("r3", "post", "twitter", anti[1], "hate", "reject", None, "alice", t),
            ("r4", "post", "twitter", anti[2], "hate", "escalate", "ask legal", "alice", t),
            ("r5", "account", "twitter", ops[0], "accounts", "confirm", None, "alice", t),
            ("r6", "account", "twitter", ops[1], "accounts", "reject", None, "alice", t),
            ("r7", "cluster", "twitter", "1", "coordination", "confirm", "same retweets", "alice", t),
            ("r8", "post", "twitter", anti[3], "narratives", "confirm", None, "alice", t),
        ]
        for r in rows:
            c.con.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(r))
    return path, planted, anti, ops


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".jsonl"])
def test_any_table_in_any_format(db, tmp_path, suffix):
    path, *_ = db
    with engineroom.open(path) as c:
        n = c.count("engine_room")
        out = export_table(c, "engine_room", tmp_path / f"er{suffix}")
    if suffix == ".csv":
        df = pd.read_csv(out, dtype=str)
    elif suffix == ".parquet":
        df = pd.read_parquet(out)
    elif suffix == ".json":
        df = pd.DataFrame(json.loads(out.read_text()))
    else:
        df = pd.DataFrame([json.loads(line) for line in out.read_text().splitlines()])
    assert len(df) == n and {"account_id", "rank", "score", "in_core", "evidence"} <= set(df.columns)
    assert str(df["account_id"].iloc[0]).startswith("14")  # ids stay strings, not floats


def test_bad_table_or_format(db, tmp_path):
    path, *_ = db
    with engineroom.open(path) as c:
        with pytest.raises(KeyError, match="no table 'nope'"):
            export_table(c, "nope", tmp_path / "x.csv")
        with pytest.raises(ValueError, match="only 'graph'"):
            export_table(c, "engine_room", tmp_path / "x.gexf")
        with pytest.raises(ValueError, match="format"):
            export_table(c, "engine_room", tmp_path / "x.xlsx")


def test_findings_of_an_analysis_not_run_name_the_analysis(tmp_path):
    """A findings table whose analysis has not run: the export says which analysis to run (it never
    runs one), on the command line too; a corpus table is exported whatever ran."""
    from typer.testing import CliRunner

    from engineroom.cli import app
    from engineroom.findings import MissingFindings

    path = tmp_path / "c.duckdb"
    with engineroom.open(path) as c:
        er_sample.build(c, n_accounts=10, n_posts=40, findings=False)
        with pytest.raises(MissingFindings, match=r"run the trends analysis \(engineroom analyze --only trends\)"):
            export_table(c, "trends", tmp_path / "t.csv")
        assert not (tmp_path / "t.csv").exists() and not c.has_table("trends")
        assert len(pd.read_csv(export_table(c, "posts", tmp_path / "p.csv"))) == 40
    r = CliRunner().invoke(app, ["export", "engine_room", "--db", str(path), "--out", str(tmp_path / "e.csv")])
    assert r.exit_code != 0 and "engineroom analyze --only engine_room" in r.output


def test_platform_report_has_confirmed_items_only(db, tmp_path):
    path, planted, anti, ops = db
    with engineroom.open(path) as c:
        df = platform_report(c)
        csv_out = export_table(c, "platform-report", tmp_path / "pr.csv")
        json_out = export_table(c, "platform_report", tmp_path / "pr.json")
    assert list(df.columns) == PLATFORM_REPORT_COLUMNS
    assert set(df.reviewer_decision) == {"confirm"}
    posts = df[df.item_type == "post"]
    # anti[0]: rejected then confirmed -> in; anti[1] rejected, anti[2] escalated -> out
    assert set(posts.post_id) == {anti[0], anti[3]}
    row = posts[posts.post_id == anti[0]].iloc[0]
    assert row.reason == "antisemitic" and row.category in ("conspiracy", "dehumanisation", "holocaust_denial")
    assert row.post_url.startswith("https://twitter.com/") and row.post_url.endswith(anti[0])
    assert row.account in planted["handles"] and row.reviewer == "bob" and row.time.startswith("2024-03")
    assert "spans" in row.evidence
    assert set(df[df.item_type == "account"].account_id) == {ops[0]}
    clusters = df[df.item_type == "cluster"]
    assert len(clusters) == 1 and clusters.iloc[0].reason.startswith("coordinated cluster of 6")
    rows = list(csv.DictReader(open(csv_out, encoding="utf-8")))
    assert len(rows) == len(df)
    note = [r["note"] for r in rows if r["post_id"] == anti[0]][0]
    assert note.startswith("'=")  # CSV injection neutralised
    js = json.loads(json_out.read_text())
    assert len(js) == len(df) and js[0]["reviewer_decision"] == "confirm"


def test_labels_for_eval(db, tmp_path):
    path, planted, anti, ops = db
    with engineroom.open(path) as c:
        posts = review_labels(c, "post")
        accounts = review_labels(c, "account")
        out = export_table(c, "labels-posts", tmp_path / "labels.csv")
        export_table(c, "labels-accounts", tmp_path / "acc.csv")
        texts = dict(c.con.execute("SELECT post_id, text FROM posts").fetchall())
    # hate decisions only (the narrative confirmation is not a hate label); escalations left out
    assert sorted(posts.itertuples(index=False, name=None)) == sorted([(texts[anti[0]], 1), (texts[anti[1]], 0)])
    assert sorted(accounts.itertuples(index=False, name=None)) == sorted([(ops[0], 1), (ops[1], 0)])
    assert next(csv.reader(open(out, newline=""))) == ["text", "label"]
    assert next(csv.reader(open(tmp_path / "acc.csv", newline=""))) == ["account_id", "label"]
    assert len(pd.read_csv(out)) == len(posts)  # what eval hate --data reads


def test_graph_export_dispatches_to_network(tmp_path):
    from engineroom.findings import MissingFindings

    with engineroom.open(tmp_path / "g.duckdb") as c:
        er_sample.build(c, n_accounts=20, n_posts=120, findings=False)
        # the export never runs the analysis itself: it says which one to run
        with pytest.raises(MissingFindings, match="engineroom analyze --only network"):
            export_table(c, "graph", tmp_path / "g.gexf", edge_type="retweet")
        c.analyze(only=["network"])
        out = export_table(c, "graph", tmp_path / "g.gexf", edge_type="retweet")
    text = out.read_text()
    assert text.startswith("<?xml") and "<gexf" in text and "<edge " in text


def test_cli_export(db, tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    path, *_ = db
    r = CliRunner().invoke(app, ["export", "coordination", "--db", str(path), "--out", str(tmp_path / "co.parquet")])
    assert r.exit_code == 0, r.output
    assert len(pd.read_parquet(tmp_path / "co.parquet")) == 15
    r = CliRunner().invoke(app, ["export", "nope", "--db", str(path), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code != 0 and "no table" in r.output


HOSTILE = [
    "=1+1", "+cmd", "-2+3", "@SUM(A1)", " =1+1", "\t=1+1", "\r=1+1", "\n=1+1", "\x00=1", "\u00a0=HYPERLINK(1)",
    "\uff1d1+1", "\tplain", "ok\r=1+1,row", "line\n@evil", 'quote " and , comma', "plain text", "",
]


def test_every_csv_cell_is_quoted_and_neutralised(tmp_path):
    """A hostile post cannot start a formula or a row in any CSV the project writes."""
    from engineroom.export import csv_cell

    for v in HOSTILE:
        out = csv_cell(v)
        if v and (v.lstrip(" \t\r\n\x00\u00a0")[:1] in "=+-@\uff1d" or v[0] in "\t\r\n"):
            assert out == "'" + v, repr(v)
        else:
            assert out == v, repr(v)
    assert csv_cell(-1.5) == -1.5 and csv_cell(None) == "" and csv_cell(["=a"]) == '["=a"]'
    with engineroom.open(tmp_path / "h.duckdb") as c:
        c.con.execute("CREATE TABLE hostile (i INTEGER, text VARCHAR, tags VARCHAR[])")
        for i, v in enumerate(HOSTILE):
            c.con.execute("INSERT INTO hostile VALUES (?, ?, ?)", [i, v, [v]])
        out = export_table(c, "hostile", tmp_path / "h.csv")
    raw = out.read_bytes()
    rows = list(csv.reader(open(out, encoding="utf-8", newline="")))
    assert len(rows) == len(HOSTILE) + 1  # no forged rows
    for i, v in enumerate(HOSTILE):
        assert rows[i + 1][1] == csv_cell(v)
    # every cell quoted: no line of the file starts with a formula character
    for line in raw.split(b"\r\n"):
        assert not line[:1] in (b"=", b"+", b"-", b"@")
    assert pd.read_csv(out)["text"].fillna("").tolist() == [csv_cell(v) for v in HOSTILE]
    from engineroom.export import csv_value

    assert [csv_value(r[1]) for r in rows[1:]] == HOSTILE  # what a reader of our CSVs gets back


def test_cli_dsa_notices(db, tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    path, planted, anti, ops = db
    r = CliRunner().invoke(app, ["export", "dsa-notices", "--db", str(path), "--out", str(tmp_path / "n.json")])
    assert r.exit_code != 0 and "notifier" in r.output
    r = CliRunner().invoke(app, ["export", "dsa-notices", "--db", str(path), "--out", str(tmp_path / "n.json"),
                                 "--notifier-name", "Ada Analyst", "--notifier-email", "ada@example.org"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "n.json").read_text())
    # confirmed: post anti[0], narrative post anti[3], account ops[0] (URL from its handle), cluster 1 (no URL)
    assert {n["item_id"] for n in doc["notices"]} == {anti[0], anti[3], ops[0]}
    assert [(x["item_type"], x["item_id"]) for x in doc["not_included"]] == [("cluster", "1")]
    assert "1 confirmed item left out" in " ".join(r.output.split())
    post = [n for n in doc["notices"] if n["item_id"] == anti[0]][0]
    assert post["exact_url"].endswith(anti[0]) and post["notifier_email"] == "ada@example.org"
    assert "'=cmd" not in post["explanation"] and "=cmd" in post["explanation"]  # JSON keeps the note as written
    r = CliRunner().invoke(app, ["export", "dsa-notices", "--db", str(path), "--out", str(tmp_path / "n.csv"),
                                 "--notifier-name", "Ada", "--notifier-email", "ada@example.org"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(open(tmp_path / "n.csv", encoding="utf-8", newline="")))
    assert len(rows) == 3 and all(r["statement_of_good_faith"].startswith("I confirm my bona fide belief") for r in rows)
    assert [r for r in rows if r["item_id"] == anti[0]][0]["explanation"].count("=cmd") == 1


def test_dsa_notice_needs_a_real_url(tmp_path):
    """A post whose id is no platform id (an opaque key) and that carries no URL gets no made-up URL."""
    from engineroom.export import dsa_notices
    from engineroom.serve.store import open_store

    with engineroom.open(tmp_path / "o.duckdb") as c:
        c.con.execute("INSERT INTO posts (platform, post_id, account_id, handle, text) VALUES "
                      "('twitter', 'p_0a1b2c', 'a1', 'someone', 'x'), ('twitter', '1234567890', 'a1', 'someone', 'y'), "
                      "('telegram', '77', 'a2', 'chan', 'z')")
        store = open_store(c.path, con=c.con)
        store.record([{"item_type": "post", "platform": p, "item_id": i, "decision": "confirm"}
                      for p, i in (("twitter", "p_0a1b2c"), ("twitter", "1234567890"), ("telegram", "77"))], "ada")
        df = dsa_notices(c, store, "Ada", "ada@example.org")
    assert df.exact_url.tolist() == ["https://twitter.com/someone/status/1234567890"]
    assert sorted(x["item_id"] for x in df.attrs["not_included"]) == ["77", "p_0a1b2c"]
