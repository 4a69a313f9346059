"""The review app: authentication, CSRF, rate limits, headers, the queue, decisions and exports."""

from __future__ import annotations

import csv
import html
import io
import re
import time

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import engineroom
import er_sample
from engineroom.serve import create_app
from engineroom.serve.auth import RateLimiter, SessionStore, add_user, hash_password, verify_password
from engineroom.serve.queue import build_queue, ensure_queue, query_queue

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "c.duckdb"
    with engineroom.open(path) as c:
        er_sample.build(c, xss=True)
        add_user(c, "alice", PASSWORD)
        add_user(c, "bob", PASSWORD, is_admin=True)
    return path


@pytest.fixture(scope="module")
def app(db):
    return create_app(db)


def login(client: TestClient, user: str = "alice", password: str = PASSWORD, next_: str = "/queue"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": user, "password": password, "csrf_token": token, "next": next_},
                       follow_redirects=False)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def first_form(page: str, analysis: str | None = None) -> dict:
    for form in re.findall(r'<form class="review".*?</form>', page, re.S):
        fields = {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', form)}
        fields.pop("decision", None)
        if analysis is None or fields.get("analysis") == analysis:
            return fields
    raise AssertionError("no review form")


@pytest.fixture
def client(app):
    c = TestClient(app)
    assert login(c).status_code == 303
    return c


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_needs_a_session(app):
    anon = TestClient(app)
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 12
    checked = 0
    for r in routes:
        for method in r.methods:
            path = _fill(r.path)
            if path == "/login":
                continue
            resp = anon.request(method, path, follow_redirects=False)
            if method == "GET" and not path.startswith("/api/"):
                assert resp.status_code == 303, (method, path)
                assert resp.headers["location"].startswith("/login?next="), path
            else:
                assert resp.status_code == 401, (method, path, resp.status_code)
            checked += 1
    assert checked >= 12
    # a forged or stale cookie is no session either
    anon.cookies.set("er_session", "forged-token")
    assert anon.get("/queue", follow_redirects=False).status_code == 303
    assert anon.get("/api/queue").status_code == 401


def test_login_and_logout(app):
    c = TestClient(app)
    r = login(c, next_="/reviews")
    assert r.status_code == 303 and r.headers["location"] == "/reviews"
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    page = c.get("/queue")
    assert page.status_code == 200 and "alice" in page.text
    assert c.post("/logout", data={}, follow_redirects=False).status_code == 403  # no CSRF token
    assert c.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    assert c.get("/queue", follow_redirects=False).status_code == 303


def test_login_refuses_without_csrf_and_open_redirects(app):
    c = TestClient(app)
    r = c.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = login(c, next_="//evil.example/phish")
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_failed_logins_are_rate_limited(db):
    app = create_app(db, max_login_failures=3, login_window=60)
    c = TestClient(app)
    for _ in range(3):
        assert login(c, "bob", "wrong password!!").status_code == 401
    r = login(c, "bob", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert login(c, "nobody", "whatever1234").status_code == 429  # same client address


def test_sessions_expire(db):
    app = create_app(db, session_idle=0.6)
    c = TestClient(app)
    assert login(c).status_code == 303
    assert c.get("/queue", follow_redirects=False).status_code == 200
    time.sleep(0.8)
    assert c.get("/queue", follow_redirects=False).status_code == 303
    store = SessionStore(idle_timeout=100, max_age=0.2)
    token, _ = store.create("x")
    assert store.get(token) is not None
    time.sleep(0.3)
    assert store.get(token) is None


def test_security_headers_everywhere(app, client):
    for resp in (TestClient(app).get("/login"), client.get("/queue"), client.get("/static/app.js"),
                 TestClient(app).get("/queue", follow_redirects=False)):
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert resp.headers["x-content-type-options"] == "nosniff"
    page = client.get("/queue").text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # no inline script at all


def test_unknown_host_is_refused(app):
    assert TestClient(app).get("/login", headers={"host": "evil.example"}).status_code == 400


def test_writes_without_csrf_are_refused(app, client, db):
    page = client.get("/queue?analysis=hate").text
    fields = first_form(page)
    before = client.get("/reviews").text.count('class="d d-')
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"} | {"decision": "confirm"}
    assert client.post("/review", data=no_token, follow_redirects=False).status_code == 403
    assert client.post("/review", data=no_token | {"csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    body = {"item_type": "post", "platform": "twitter", "item_id": fields["item_id"], "analysis": "hate",
            "decision": "confirm"}
    assert client.post("/api/review", json=body).status_code == 403
    assert client.post("/api/review", json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
    # another user's token does not work either
    other = TestClient(client.app)
    login(other, "bob")
    bob_token = csrf_of(other.get("/queue").text)
    assert client.post("/review", data=no_token | {"csrf_token": bob_token}, follow_redirects=False).status_code == 403
    assert client.get("/reviews").text.count('class="d d-') == before
    # with the token it is stored
    ok = client.post("/api/review", json=body, headers={"X-CSRF-Token": fields["csrf_token"]})
    assert ok.status_code == 200 and ok.json() == {"ok": True}


def test_queue_sorted_filtered_and_escaped(client):
    data = client.get("/api/queue?status=all").json()
    scores = [i["score"] for i in data["items"]]
    assert scores == sorted(scores, reverse=True) and data["total"] > 100
    kinds = {i["analysis"] for i in client.get("/api/queue?status=all&page=2").json()["items"]}
    assert kinds
    for analysis in ("hate", "narratives", "engine_room", "accounts", "coordination"):
        items = client.get(f"/api/queue?status=all&analysis={analysis}").json()["items"]
        assert items and all(i["analysis"] == analysis for i in items), analysis
    comm = client.get("/api/queue?status=all&community=2").json()["items"]
    assert comm and all(i["community"] == "2" for i in comm)
    narr = client.get("/api/queue?status=all&narrative=antisemitism_smear").json()["items"]
    assert narr and all(i["narrative"] == "antisemitism_smear" for i in narr)
    page = client.get("/queue?status=all&analysis=hate").text
    assert "&lt;script&gt;xss(1)&lt;/script&gt;" in page or "&lt;img src=x onerror" in page
    for raw in ("<script>xss(", "<img src=x onerror", "<svg onload", "<iframe", 'href="javascript:'):
        assert raw not in page


def test_confirm_reject_escalate_audit_log(client):
    page = client.get("/queue?analysis=narratives").text
    fields = first_form(page)
    item = fields["item_id"]
    for decision, note in (("reject", "not the narrative"), ("confirm", "on second look: <b>yes</b>")):
        r = client.post("/review", data=fields | {"decision": decision, "note": note}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/queue?analysis=narratives"
    log = client.get("/reviews").text
    assert "on second look: &lt;b&gt;yes&lt;/b&gt;" in log and "not the narrative" in log
    # no longer pending; its latest decision is confirm
    pending = client.get("/api/queue?analysis=narratives&page=1").json()["items"]
    assert item not in [i["item_id"] for i in pending]
    confirmed = client.get("/api/queue?analysis=narratives&status=confirm").json()["items"]
    assert item in [i["item_id"] for i in confirmed]
    assert confirmed[0]["reviewer"] == "alice"
    bad = client.post("/review", data=fields | {"decision": "delete"}, follow_redirects=False)
    assert bad.status_code == 400
    bad = client.post("/review", data=fields | {"decision": "confirm", "item_id": "not-a-post"}, follow_redirects=False)
    assert bad.status_code == 400


def test_item_pages_render_escaped(client):
    page = client.get("/queue?analysis=accounts").text
    acc = re.search(r'href="(/account/[^"]+)"', page).group(1)
    ap = client.get(acc)
    assert ap.status_code == 200
    for section in ("Signals", "Neighbours", "Timeline", "Coordinated with", "Decisions (audit log)"):
        assert section in ap.text
    cl = client.get("/cluster/1")
    assert cl.status_code == 200 and "Posts that tie them" in cl.text and "co_retweet" in cl.text
    post = re.search(r'href="(/post/[^"]+)"', client.get("/queue?analysis=hate").text).group(1)
    pp = client.get(post)
    assert pp.status_code == 200 and "Hate classifier" in pp.text
    for text in (ap.text, cl.text, pp.text):
        for raw in ("<script>xss(", "<img src=x onerror", "<svg onload", 'href="javascript:', "<iframe"):
            assert raw not in text
    assert client.get("/post/twitter/nope").status_code == 404
    assert client.get("/cluster/nope").status_code == 404


def test_exports_of_confirmed_items(client):
    fields = first_form(client.get("/queue?analysis=hate").text)
    client.post("/review", data=fields | {"decision": "confirm", "note": "=HYPERLINK(\"x\")"}, follow_redirects=False)
    acc = first_form(client.get("/queue?analysis=accounts").text)
    client.post("/review", data=acc | {"decision": "reject"}, follow_redirects=False)
    r = client.get("/export/platform-report.csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    mine = [x for x in rows if x["post_id"] == fields["item_id"]]
    assert mine and mine[0]["reviewer_decision"] == "confirm" and mine[0]["reason"] == "antisemitic"
    assert mine[0]["post_url"].startswith("https://twitter.com/") and mine[0]["account"] in mine[0]["post_url"]
    assert mine[0]["note"].startswith("'=")  # no spreadsheet formula
    assert all(x["reviewer_decision"] == "confirm" for x in rows)
    j = client.get("/export/platform-report.json").json()
    assert {"account", "post_url", "time", "reason", "category", "evidence", "reviewer_decision"} <= set(j[0])
    labels = list(csv.DictReader(io.StringIO(client.get("/export/labels-posts.csv").text)))
    assert labels and set(labels[0]) == {"text", "label"} and "1" in {x["label"] for x in labels}
    accl = list(csv.DictReader(io.StringIO(client.get("/export/labels-accounts.csv").text)))
    assert set(accl[0]) == {"account_id", "label"} and accl[0]["label"] == "0"
    assert client.get("/export/passwords.csv").status_code == 404


def test_passwords_are_scrypt_hashed(db):
    with engineroom.open(db) as c:
        stored = c.con.execute("SELECT password_hash FROM users WHERE username = 'alice'").fetchall()[0][0]
        with pytest.raises(ValueError, match="exists"):
            add_user(c, "alice", PASSWORD)
        with pytest.raises(ValueError, match="10 characters"):
            add_user(c, "carol", "short")
        with pytest.raises(ValueError, match="user names"):
            add_user(c, "<script>", PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "x", stored)
    assert not verify_password(PASSWORD, None) and not verify_password(PASSWORD, "md5$abc")
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


def test_rate_limiter_window():
    rl = RateLimiter(2, window=0.3)
    rl.fail("k")
    assert rl.blocked("k") == 0
    rl.fail("k")
    assert rl.blocked("k") > 0
    time.sleep(0.35)
    assert rl.blocked("k") == 0


def test_queue_rebuilds_when_findings_change(tmp_path):
    import pandas as pd

    with engineroom.open(tmp_path / "q.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=30, findings=False)
        assert ensure_queue(c) and not ensure_queue(c)
        rows, total = query_queue(c.con.cursor(), status="all")
        assert total == 0
        c.write_table("hate", pd.DataFrame({"platform": ["twitter"], "post_id": [c.posts()["post_id"][0]],
                                            "label": ["antisemitic"], "score": [0.9]}))
        assert ensure_queue(c)
        rows, total = query_queue(c.con.cursor(), status="all")
        assert total == 1 and rows[0]["reason"] == "antisemitic" and rows[0]["snippet"]
        assert build_queue(c) == 1
        # an item flagged for two narratives (or in two engine rooms) is one queue row
        pid, acc = c.posts()["post_id"][1], c.accounts()["account_id"][0]
        c.write_table("narratives", pd.DataFrame({"platform": ["twitter"] * 2, "post_id": [pid] * 2,
                                                  "narrative": ["a", "b"], "kind": ["narrative"] * 2,
                                                  "score": [0.4, 0.7]}))
        c.write_table("engine_room", pd.DataFrame({"platform": ["twitter"] * 2, "account_id": [acc] * 2,
                                                   "narrative": ["a", "b"], "rank": [1, 3], "score": [0.9, 0.5],
                                                   "in_core": [True, True]}))
        assert ensure_queue(c)
        rows, total = query_queue(c.con.cursor(), status="all")
        assert total == 3 and len(rows) == 3
        by = {r["analysis"]: r for r in rows}
        assert by["narratives"]["narrative"] == "b" and set(by["narratives"]["reason"][11:].split(", ")) == {"a", "b"}
        assert "a (rank 1)" in by["engine_room"]["reason"] and "b (rank 3)" in by["engine_room"]["reason"]
        c.con.execute("INSERT INTO reviews VALUES ('x', 'account', 'twitter', ?, 'engine_room', 'confirm', NULL, 'a', "
                      "TIMESTAMP '2024-01-01')", [acc])
        assert not ensure_queue(c)  # state synced from the log
        assert query_queue(c.con.cursor(), status="pending")[1] == 2


def test_cli_users_add(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app as cli

    db = tmp_path / "u.duckdb"
    engineroom.open(db).close()
    r = CliRunner().invoke(cli, ["users", "add", "dana", "--db", str(db), "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["users", "add", "dana", "--db", str(db), "--password", PASSWORD])
    assert r.exit_code != 0 and "exists" in r.output


def test_queue_counts_match_the_rows(db, app, client):
    # a few decisions first, then every count must equal a brute-force count of the queue
    for analysis in ("hate", "narratives", "accounts"):
        fields = first_form(client.get(f"/queue?analysis={analysis}").text)
        client.post("/review", data=fields | {"decision": "escalate"}, follow_redirects=False)
    with app.state.pool.cursor() as cur:
        for f in ({}, {"analysis": "hate"}, {"community": "1"}, {"narrative": "antisemitism_smear"},
                  {"item_type": "account"}, {"analysis": "narratives", "community": "2"}):
            for status in ("all", "pending", "confirm", "escalate"):
                _, total = query_queue(cur, status=status, **f)
                where = " AND ".join([f"q.{k} = '{v}'" for k, v in f.items()] or ["TRUE"])
                latest = ("LEFT JOIN (SELECT * FROM reviews QUALIFY row_number() OVER (PARTITION BY item_type, "
                          "platform, item_id, analysis ORDER BY decided_at DESC, review_id DESC) = 1) r "
                          "ON r.item_type = q.item_type AND r.platform = q.platform AND r.item_id = q.item_id "
                          "AND r.analysis = q.analysis")
                cond = {"all": "TRUE", "pending": "r.decision IS NULL"}.get(status, f"r.decision = '{status}'")
                brute = cur.execute(f"SELECT count(*) FROM review_queue q {latest} WHERE {where} AND {cond}").fetchall()[0][0]
                assert total == brute, (f, status)
                rows, _ = query_queue(cur, status=status, page_size=1000, **f)
                assert len(rows) == min(brute, 1000)
