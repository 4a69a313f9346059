"""The self-contained HTML report and its pseudonymised form."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import engineroom
import er_sample
from engineroom.report import build_report, safe_url, write_report
from engineroom.report.pseudonym import Pseudonymizer

KEY = "an analyst's secret key 0123456789"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "c.duckdb"
    with engineroom.open(path) as c:
        planted = er_sample.build(c)
    return path, planted


@pytest.fixture(scope="module")
def report_html(sample, tmp_path_factory):
    path, _ = sample
    out = tmp_path_factory.mktemp("out") / "report.html"
    with engineroom.open(path) as c:
        write_report(c, out)
    return out.read_text(encoding="utf-8")


def figures(page: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', page, re.S)}


def test_report_has_every_section_whose_table_exists(report_html):
    for sid in ("summary", "corpus", "time", "hate", "narratives", "trends", "engine-room", "network",
                "coordination", "operations", "domains", "methods"):
        assert f'<section id="{sid}">' in report_html, sid
    # the opening (report/summary.py): counts from the findings tables, antisemitic from the hate table
    assert "6 core accounts drove the “antisemitism_smear” narrative (" in report_html
    assert "21,000 followers between them" in report_html and "posted content labelled antisemitic" in report_html


def test_report_is_self_contained(report_html):
    # plotly.js inlined once; nothing fetched from elsewhere
    assert report_html.count("<script") >= 2 and "Plotly.newPlot" in report_html
    assert len(report_html) > 3_000_000  # plotly.js itself
    assert not re.search(r'<script[^>]+src=', report_html)
    assert not re.search(r'<link[^>]+href=', report_html)
    assert "cdn.plot.ly" not in report_html.split("</script>", 1)[1]


def test_network_map_is_laid_out_in_python(report_html):
    figs = figures(report_html)
    assert {"fig-time", "fig-network", "fig-hashtags"} <= set(figs)
    net = figs["fig-network"]
    markers = [t for t in net["data"] if t.get("mode") == "markers"]
    comms = [t for t in markers if t["name"].startswith("community ")]
    assert len(comms) == 4  # one trace per community, each named with its size (15 accounts each)
    assert all(t["name"].endswith("(15)") for t in comms)
    core = [t for t in markers if t["name"].startswith("engine-room core")]
    assert len(core) == 1 and len(core[0]["x"]) == 6 and all("(engine room)" in t for t in core[0]["text"])
    assert all("x" in tr and "y" in tr for tr in markers)


def test_methods_lists_parameters_and_versions(report_html):
    methods = report_html.split('<section id="methods">', 1)[1]
    assert "tfidf-lr-v1" in methods and "core_size" in methods and "time_window" in methods
    assert "2024-03-01" in methods  # data range


def test_sections_absent_without_findings(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=40, findings=False)
        out = write_report(c, tmp_path / "r.html")
    page = out.read_text()
    assert '<section id="corpus">' in page and '<section id="time">' in page
    for sid in ("engine-room", "network", "coordination", "operations", "domains", "hate"):
        assert f'<section id="{sid}">' not in page


def test_empty_corpus_and_findings_of_nulls(tmp_path):
    """An empty corpus gets a report; so do findings tables in their declared shape whose values
    are mostly NULL (no core account, no score, an edge without ends: the map is left out)."""
    with engineroom.open(tmp_path / "c.duckdb") as c:
        write_report(c, tmp_path / "empty.html")
        er_sample.build(c, n_accounts=10, n_posts=40, findings=False)
        er_sample.write_declared(c, "engine_room", {"platform": ["twitter"], "account_id": ["x1"]})
        er_sample.write_declared(c, "hate", {"platform": ["twitter"], "post_id": ["p"], "label": ["antisemitic"]})
        er_sample.write_declared(c, "graph_edges", {"weight": [1]})
        er_sample.write_declared(c, "graph_nodes", {"account_id": pd.Series(dtype=str)})
        er_sample.write_declared(c, "account_scores", {"platform": ["twitter"], "account_id": ["x1"]})
        out = write_report(c, tmp_path / "partial.html")
    page = out.read_text()
    assert '<section id="engine-room">' in page and '<section id="operations">' in page
    assert '<section id="network">' not in page
    assert "<section" in (tmp_path / "empty.html").read_text()


@pytest.mark.slow
def test_pseudonymised_report_contains_no_identifier(sample, tmp_path):
    path, planted = sample
    with engineroom.open(path) as c:
        out = write_report(c, tmp_path / "p.html", pseudonymize=True, key=KEY)
    page = out.read_text(encoding="utf-8").lower()
    body = page.split("</script>", 1)[1]  # after plotly.js
    idents = planted["account_ids"] + planted["handles"] + planted["post_ids"] + planted["names"]
    assert len(idents) > 700
    leaked = [x for x in idents if x.lower() in page]
    assert leaked == []
    assert "user_" in body and "post_" in body
    # the same figures are still there
    assert "6 core accounts drove" in body
    names = [t["name"] for t in figures(out.read_text())["fig-network"]["data"]]
    assert len([n for n in names if n.startswith("community ")]) == 5  # 4 communities and their labels


def test_pseudonyms_are_stable_keyed_and_allow_list_keeps_public_figures(sample, tmp_path):
    path, planted = sample
    public = planted["handles"][0]
    allow = tmp_path / "allow.txt"
    allow.write_text(f"# public figures\n@{public}\n")
    with engineroom.open(path) as c:
        a = build_report(c, pseudonymize=True, key=KEY)
        other = build_report(c, pseudonymize=True, key=KEY + "x")
        kept = write_report(c, tmp_path / "k.html", pseudonymize=True, key=KEY, allow_file=allow)
    ja, jo = (json.dumps(x["sections"][1:-1], sort_keys=True) for x in (a, other))
    assert ja != jo
    page = kept.read_text()
    assert public in page
    assert all(h not in page for h in planted["handles"][1:])
    # stable: the pseudonyms are those a fresh pseudonymiser with the same key computes
    ps = Pseudonymizer(KEY)
    assert ps.handle(planted["handles"][3]) in ja and ps.handle(planted["handles"][3]) in page
    assert ps.post_id(planted["posts"][0]["post_id"]) == Pseudonymizer(KEY).post_id(planted["posts"][0]["post_id"])
    assert Pseudonymizer(KEY + "x").handle(planted["handles"][3]) in jo


def test_pseudonymise_needs_a_key(sample, tmp_path):
    path, _ = sample
    with engineroom.open(path) as c, pytest.raises(ValueError, match="key"):
        write_report(c, tmp_path / "p.html", pseudonymize=True)
    with pytest.raises(ValueError, match="16"):
        Pseudonymizer("short")
    with pytest.raises(ValueError, match="whitespace"):
        Pseudonymizer(" " * 16)
    with pytest.raises(ValueError, match="whitespace"):
        Pseudonymizer("abc def\tghi\njkl  m")
    with pytest.raises(ValueError, match="different"):
        Pseudonymizer("ab" * 12)


def test_display_name_pseudonyms_hold_64_bits():
    ps = Pseudonymizer(KEY)
    body = ps.name("Jane Roe").split(" ", 1)[1]
    assert len(body) * 5 >= 64 and len(ps.handle("x")) - len("user_") >= 13
    names = {ps.name(f"Person number {i}") for i in range(20000)}
    assert len(names) == 20000


def test_scrub_after_case_folding_url_decoding_and_around_digits():
    ps = Pseudonymizer(KEY)
    ps.add_account("1234567890123", "irem_k", "Jane Roe")
    ps.add_account(handle="Strasse")
    ps.add_account(handle="TIME")
    h = ps.handle("irem_k")
    cases = {
        "İstanbul says @IREM_K is right": "İstanbul says @" + h + " is right",  # İ elsewhere keeps folding on
        "@İrem_k": None,  # İ folds to i + combining dot: a different handle, left as it is
        "see https://twitter.com/%40irem_k and %40IREM_K": "see https://twitter.com/%40" + h + " and %40" + h,
        "x%20irem_k": "x%20" + h,
        "2irem_k_2024 _irem_k_": "2" + h + "_2024 _" + h + "_",
        "STRASSE and straße": None,
    }
    for text, want in cases.items():
        out = ps.scrub(text)
        if want is not None:
            assert out == want, (text, out)
    assert "irem" not in ps.scrub("%49REM_K @%69rem_k").casefold()
    assert ps.scrub("STRASSE and straße").count(ps.handle("strasse")) == 2
    assert ps.scrub("@TIME_ at time 3 sometimes Timeline") == f"@{ps.handle('TIME')}_ at {ps.handle('TIME')} 3 sometimes Timeline"
    # values are scrubbed, keys and the report's own structure never are
    data = {"time": "@TIME", "kind": "table", "title": "Posts over time",
            "rows": [[{"text": "TIME", "url": "https://twitter.com/TIME/status/1"}]],
            "figure": {"data": [{"mode": "markers", "type": "scatter", "text": ["@time"], "hovertemplate": "%{text}"}]}}
    out = ps.scrub_obj(data)
    assert set(out) == set(data) and out["kind"] == "table" and out["title"] == "Posts over time"
    assert out["time"] == "@" + ps.handle("TIME") and out["rows"][0][0]["text"] == ps.handle("TIME")
    assert out["figure"]["data"][0]["mode"] == "markers" and out["figure"]["data"][0]["hovertemplate"] == "%{text}"
    assert out["figure"]["data"][0]["text"] == ["@" + ps.handle("TIME")]


def test_scrub_token_boundaries_and_urls():
    ps = Pseudonymizer(KEY)
    ps.add_account("1234567890123", "JaneRoe", "Jane Roe")
    ps.add_post("9876543210987")
    text = ("@janeroe said https://twitter.com/JaneRoe/status/9876543210987 — Jane Roe; "
            "not 12345678901234 nor janeroe2 nor xjaneroe")
    out = ps.scrub(text)
    assert "JaneRoe" not in out and "janeroe said" not in out and "9876543210987" not in out
    assert "Jane Roe" not in out
    # ids inside a longer number are kept; a handle touched by a letter is another word, but one
    # glued to digits or underscores is still replaced
    assert "12345678901234" in out and "xjaneroe" in out and "janeroe2" not in out
    assert out.count(ps.handle("JaneRoe")) == 3


def test_xss_payloads_are_escaped_in_report(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.build(c, n_accounts=30, n_posts=140, xss=True)
        out = write_report(c, tmp_path / "x.html")
    page = out.read_text(encoding="utf-8")
    body = page.split("</script>", 1)[1]
    assert "&lt;script&gt;xss(1)&lt;/script&gt;" in body
    for raw in ("<script>xss(", "<img src=x onerror", "<svg onload", "<iframe", 'href="javascript:'):
        assert raw not in body
    # JSON for charts cannot close its script element
    for m in re.finditer(r'<script type="application/json"[^>]*>(.*?)</script>', body, re.S):
        assert "<" not in m.group(1)


def test_safe_url():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:xss(1)", " JaVaScRiPt:xss(1)", "data:text/html,x", 'https://a.org/"><script>', None, 3):
        assert safe_url(bad) is None


def test_cli_report(sample, tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app

    path, _ = sample
    res = CliRunner().invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "x.html"), "--pseudonymize"],
                             env={"ENGINEROOM_PSEUDONYM_KEY": ""})
    assert res.exit_code != 0 and "key" in res.output
    res = CliRunner().invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "cli.html"),
                                   "--pseudonymize", "--key", KEY])
    assert res.exit_code != 0  # a key on the command line shows in ps: there is no such option
    keyfile = tmp_path / "key.txt"
    keyfile.write_text(" " * 20 + "\n")
    res = CliRunner().invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "cli.html"),
                                   "--pseudonymize", "--key-file", str(keyfile)], env={"ENGINEROOM_PSEUDONYM_KEY": ""})
    assert res.exit_code != 0 and "whitespace" in res.output
    keyfile.write_text(KEY + "\n")
    res = CliRunner().invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "cli.html"),
                                   "--pseudonymize", "--key-file", str(keyfile)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "env.html"),
                                   "--pseudonymize"], env={"ENGINEROOM_PSEUDONYM_KEY": KEY})
    assert res.exit_code == 0, res.output
    assert (tmp_path / "env.html").read_text() .count(Pseudonymizer(KEY).handle(_["handles"][3])) > 0
    assert (tmp_path / "cli.html").stat().st_size > 1_000_000


def test_pseudonymised_report_of_an_ingested_corpus(tmp_path):
    # the XSS corpus through the real twarc2 adapter: ids, handles and names in every column
    with engineroom.open(tmp_path / "x.duckdb") as c:
        planted = er_sample.ingest_xss(c)
        mentioned = [r[0] for r in c.con.execute(
            "SELECT DISTINCT target_handle FROM interactions WHERE target_handle IS NOT NULL").fetchall()]
        out = write_report(c, tmp_path / "p.html", pseudonymize=True, key=KEY)
    page = out.read_text(encoding="utf-8").lower()
    idents = planted["account_ids"] + planted["handles"] + planted["post_ids"] + mentioned
    assert len(idents) >= 90
    assert [x for x in idents if x.lower() in page] == []


def test_sections_ask_only_whether_an_analysis_ran_and_read_declared_columns(tmp_path):
    """``Findings.exists`` knows corpus and findings tables and refuses a name that is neither (a
    typo is not an absent analysis); a findings table is read by its declared columns only."""
    from engineroom.report.context import Context
    from engineroom.report.data import Findings
    from engineroom.report.tables import generic_rows

    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=40, findings=False)
        f = Findings(c)
        assert f.exists("posts") and not f.exists("trends") and not f.nonempty("trends")
        with pytest.raises(KeyError, match="no analysis writes a table 'trend'"):
            f.exists("trend")
        er_sample.write_declared(c, "trends", {"tag": ["a", "b"], "posts": [3, 9], "peak_posts": [2, 5]})
        ctx = Context(Findings(c))
        assert ctx.f.exists("trends")
        cols, rows = generic_rows(ctx, "trends", "posts", 5, ["tag", "posts"])
        assert cols == ["tag", "posts"] and rows == [["b", "9"], ["a", "3"]]
        with pytest.raises(KeyError, match="declares no column 'score'"):
            generic_rows(ctx, "trends", "score", 5)


def test_images_section_lists_image_clusters_largest_first(tmp_path):
    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=40, findings=False)
        er_sample.write_declared(c, "image_clusters", {
            "platform": "twitter", "cluster_id": ["c1", "c1", "c2", "c2", "c2"], "post_id": list("abcde"),
            "media_key": list("abcde"), "account_id": ["x", "y", "x", "y", "z"], "hash_type": "pdq",
            "size": [2, 2, 3, 3, 3], "posts": [2, 2, 3, 3, 3], "accounts": [2, 2, 3, 3, 3], "representative": "ff"})
        sec = build_report(c)["sections"]
    images = [s for s in sec if s["id"] == "images"][0]["blocks"][0]
    assert images["columns"][:3] == ["cluster_id", "post_id", "media_key"] and "platform" not in images["columns"]
    assert [r[0] for r in images["rows"]] == ["c2", "c2", "c2", "c1", "c1"]


def test_network_map_without_communities_table(tmp_path):
    """The map's node / edge selection runs in SQL: the strongest nodes, the heaviest ties between
    them, and the community sizes from graph_nodes (the communities table is not needed)."""
    from engineroom.report import network as rb
    from engineroom.report.context import Context
    from engineroom.report.data import Findings

    hub = [f"a{i}" for i in range(6)]
    edges = [("a0", x, 5) for x in hub[1:]] + [("a1", "a2", 1), ("a3", "a4", 2), ("b0", "b1", 1)]
    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.write_declared(c, "graph_edges", pd.DataFrame(edges, columns=["source", "target", "weight"]))
        er_sample.write_declared(c, "graph_nodes", pd.DataFrame({
            "account_id": hub + ["b0", "b1"], "handle": [f"h{i}" for i in range(6)] + [None, None],
            "community": [0] * 6 + [1, 1]}))
        sec = rb.network_section(Context(Findings(c)))
    fig = sec["blocks"][0]["figure"]["data"]
    drawn = [t for t in fig if t["name"].startswith("community ") and t["mode"] == "markers"]
    assert sum(len(t["x"]) for t in drawn) == 8 and len(fig[0]["x"]) == 3 * len(edges)
    assert drawn[0]["name"] == "community 0 (6)" and "@h0 · community 0 · strength 25" in drawn[0]["text"]
    # a0's ties are 5 of community 0's 7: a star, its hub named on the map and in the table
    hub = [t for t in fig if t["name"].startswith("hub of a star-shaped community")]
    assert hub and hub[0]["text"] == ["@h0"]
    rows = sec["blocks"][1]["rows"]
    assert rows[0][:2] == ["0", "6"] and rows[0][3] == "star: @h0 (71% of its ties)"
    assert rows[0][4] == "@h0, @h1, @h2, @h3, @h4" and rows[1][:2] == ["1", "2"]
    assert rows[1][4] == "@b0, @b1"
    old = rb.MAP_NODES, rb.MAP_EDGES
    try:
        rb.MAP_NODES, rb.MAP_EDGES = 3, 2
        with engineroom.open(tmp_path / "c.duckdb") as c:
            sec = rb.network_section(Context(Findings(c)))
    finally:
        rb.MAP_NODES, rb.MAP_EDGES = old
    fig = sec["blocks"][0]["figure"]["data"]
    assert sum(len(t["x"]) for t in fig if t["name"].startswith("community ") and t["mode"] == "markers") == 3  # a0, a3 and a4 by strength (25, 7, 7)
    assert len(fig[0]["x"]) == 3 * 2  # the two heaviest ties among them: a0-a3 and a0-a4 (5), not a3-a4 (2)
    assert "strength 25" in fig[1]["text"][0]
    assert fig[1]["name"] == "community 0 (6)"  # the legend counts the community, not the drawn nodes


def test_pseudonymised_report_of_accounts_named_like_its_fields(tmp_path):
    """Accounts named TIME, text and url (words the report's data and template use as keys),
    mentioned after a dotted capital İ, URL-encoded, glued to digits and underscores and in status
    URLs: the report is written and names none of them."""
    names = {0: "TIME", 1: "text", 2: "url"}
    with engineroom.open(tmp_path / "c.duckdb") as c:
        planted = er_sample.build(c, n_accounts=40, n_posts=420, rename=names)
        out = write_report(c, tmp_path / "p.html", pseudonymize=True, key=KEY)
        plain = write_report(c, tmp_path / "plain.html")
    page = out.read_text(encoding="utf-8")
    body = page.split("</script>", 1)[1].casefold()  # after plotly.js
    plain_body = plain.read_text(encoding="utf-8").split("</script>", 1)[1].casefold()
    ps = Pseudonymizer(KEY)
    for h in names.values():
        h = h.casefold()
        forms = [f.format(h=h, H=h).casefold() for f in er_sample.MENTION_FORMS]
        forms = [f for f in forms if not f.startswith("İstanbul".casefold())] + [f"@{h}", f"twitter.com/{h}/"]
        assert any(f in plain_body for f in forms), h  # the plain report does name them
        assert [f for f in forms if f in body] == [], h
        assert ps.handle(h).casefold() in body
    # no post text shown keeps one of the names as a word of its own
    texts = re.findall(r'<div class="t">(.*?)</div>', body, re.S)
    assert len(texts) > 20
    assert [t for t in texts if re.search(r"(?<![a-z])(time|text|url)(?![a-z])", t)] == []
    assert [x for x in planted["account_ids"] + planted["post_ids"] if x in body] == []


def test_layout_separates_communities_and_labels_name_them():
    """Group-in-a-box layout: within-community distances below between-community ones; log-odds
    labels name each community by what sets it apart, not by the tags every community uses."""
    import random
    from collections import Counter

    from engineroom.report.netmap import community_layout, distinctive_terms, separation, star_hub

    rng = random.Random(1)
    memb = [i // 40 for i in range(200)]
    edges = [(a, b, 1.0) for a in range(200) for b in range(a + 1, 200)
             if rng.random() < (0.15 if memb[a] == memb[b] else 0.01)]
    coords = community_layout(200, edges, memb)
    within, between = separation(coords, memb)
    assert within * 2 < between
    # an edge-less graph still gets one point per node, communities apart
    assert len(community_layout(5, [], [0, 0, 1, 1, 2])) == 5
    counts = {c: Counter({"pmqs": 100, "nhs": 50}) for c in range(3)}
    counts[0]["witchhunt"] = 40
    counts[1]["football"] = 30
    counts[2]["brexit"] = 35
    names = distinctive_terms(counts)
    assert [n[0][0] for n in names.values()] == ["witchhunt", "football", "brexit"]
    assert all(t != "pmqs" for n in names.values() for t, _ in n)
    assert star_hub([("a", 9), ("b", 1)], 10) == ("a", 0.9)


def test_cli_version_help_and_one_line_notes(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app
    from engineroom.ingest import FORMATS

    runner = CliRunner()
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"engineroom {engineroom.__version__}"
    res = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert "…" not in res.output and all(f in res.output for f in FORMATS)
    for cmd in (["report"], ["export"], ["analyze"], ["synth"], ["demo"], ["serve"], ["bench"]):
        res = runner.invoke(app, cmd + ["--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert res.exit_code == 0 and "…" not in res.output, cmd
    res = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert all(x in res.output for x in ("platform-report", "labels-accounts", ".jsonl", ".graphml"))
    db = tmp_path / "empty.duckdb"
    engineroom.open(db).close()
    res = runner.invoke(app, ["analyze", "--db", str(db)])
    assert res.exit_code == 1 and "holds no posts" in res.output
    res = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0 and "no analysis has run" in res.output


def test_notebook_report_and_export(sample, tmp_path):
    path, _ = sample
    with engineroom.open(path) as c:
        out = c.report(tmp_path / "nb.html")
        csv_out = c.export("engine_room", tmp_path / "er.csv")
        pq = c.export("communities", tmp_path / "c.parquet")
    assert '<section id="engine-room">' in out.read_text(encoding="utf-8")
    assert len(pd.read_csv(csv_out)) == 10 and len(pd.read_parquet(pq)) == 4  # one row per community


def test_evidence_chips_and_marked_words():
    from engineroom.report.evidence import chips, highlight, terms

    ev = json.dumps({"lexicon": [{"term": "zionists control", "match": "owned by jews", "category": "jewish_power_conspiracy",
                                  "weight": 0.8, "source": "IHRA"}],
                     "cues": ["jewish_reference"], "tokens": [{"token": "owned", "weight": 0.31}, {"token": "the", "weight": 0.9}]})
    cs = chips(ev)
    assert [(c["label"], c["text"], c["weight"]) for c in cs] == [
        ("lexicon", "“owned by jews” ≈ zionists control", "0.80"), ("cue", "jewish reference", None),
        ("token", "owned", "0.31"), ("token", "the", "0.90")]
    assert "jewish power conspiracy" in cs[0]["title"]
    assert terms(ev) == ["owned by jews", "owned"]  # stop words (under 4 letters) are not marked
    segs = highlight("It is all Owned-by Jews, owned since the start", terms(ev))
    assert [s for s, marked in segs if marked] == ["Owned-by Jews", "owned"]
    assert "".join(s for s, _ in segs) == "It is all Owned-by Jews, owned since the start"
    # signals, counts and nested lists read as words, never JSON
    sig = chips('[{"signal": "behaviour_model", "value": 0.93, "reason": "posting style resembles troll accounts"}]')
    assert sig == [{"label": "behaviour model", "text": "posting style resembles troll accounts", "weight": "0.93", "title": ""}]
    er = chips('{"narrative_posts": 4, "top_posts": [{"post_id": "1"}, {"post_id": "2"}], "edges": {"co_tweet": 3}}')
    assert [(c["label"], c["text"]) for c in er] == [("narrative posts", "4"), ("top posts", "2 posts"), ("edges", "co tweet 3")]
    assert not any("{" in c["text"] for c in er) and chips(None) == [] and chips('{"lexicon": []}') == []


def test_network_map_of_one_large_community_is_linear(tmp_path):
    """Ties inside a community are counted per edge, never by joining the community's members to
    each other: 20,000 accounts in one community (400M member pairs) take well under a second
    (the pairwise plan ran for minutes and spilled GBs at 1M posts)."""
    import time

    from engineroom.report import network as rb
    from engineroom.report.context import Context
    from engineroom.report.data import Findings

    n = 20_000
    ids = [f"a{i}" for i in range(n)]
    edges = [(ids[i], ids[i + 1], 1) for i in range(n - 1)] + [("a0", ids[i], 3) for i in range(2, 200)]
    with engineroom.open(tmp_path / "c.duckdb") as c:
        er_sample.write_declared(c, "graph_edges", pd.DataFrame(edges, columns=["source", "target", "weight"]))
        er_sample.write_declared(c, "graph_nodes", pd.DataFrame({"account_id": ids, "handle": ids, "community": [0] * n}))
        t0 = time.perf_counter()
        sec = rb.network_section(Context(Findings(c)))
        took = time.perf_counter() - t0
    assert took < 30, f"network section took {took:.1f}s"
    row = sec["blocks"][1]["rows"][0]
    # a0 has 199 of the community's 20,197 ties (1 %): the most connected, no star
    assert row[:2] == ["0", "20,000"] and row[3] == "@a0 (1% of its ties)" and row[4].startswith("@a0, ")
