"""The review app: authentication, CSRF, login limits, roles, headers, the queue, decisions, bulk
decisions and undo, exports, and the review store beside the corpus."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import engineroom
import er_sample
from engineroom.serve import create_app
from engineroom.serve.auth import LoginLimiter, SessionStore, add_user, hash_password, verify_password
from engineroom.serve.queue import build_queue, ensure_queue, query_queue
from engineroom.serve.reader import register_decisions
from engineroom.serve.store import open_store, store_path

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "c.duckdb"
    with engineroom.open(path) as c:
        er_sample.build(c, xss=True)
        add_user(c, "alice", PASSWORD, is_admin=True)
        add_user(c, "bob", PASSWORD)
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
            if path in ("/login", "/favicon.ico"):  # the public ones
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
    assert r.status_code == 403 and "log in again" in r.text and "er_session" not in r.headers.get("set-cookie", "")
    r = login(c, next_="//evil.example/phish")
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_login_survives_the_browsers_own_requests(app):
    """favicon, a second login tab and the back button do not make the login form stale."""
    c = TestClient(app)
    first = c.get("/login?next=/reviews")
    token = csrf_of(first.text)
    assert c.get("/favicon.ico", follow_redirects=False).status_code == 204  # public, no redirect
    img = c.get("/queue", headers={"sec-fetch-dest": "image"}, follow_redirects=False)
    assert img.status_code == 401  # a sub-resource is refused, not sent to a new login page
    second = c.get("/login")  # a second tab
    assert csrf_of(second.text) == token
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": "/reviews"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reviews"
    # back to the login page while logged in: straight on
    back = c.get("/login?next=/queue", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/queue"


def test_six_wrong_passwords_for_one_user_do_not_block_another(db):
    # a user of its own: the lock-out lasts seconds, and other tests log "bob" in
    add_user(db, "gina", PASSWORD)
    app = create_app(db, login_backoff=60.0)  # a lock-out that outlasts a slow (loaded) machine's logins
    c = TestClient(app)
    for _ in range(6):
        assert login(c, "gina", "wrong password!!").status_code in (401, 429)
    r = login(c, "gina", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert login(TestClient(app), "alice").status_code == 303  # same address, other user: in at once


def test_parallel_guesses_are_not_all_checked(db):
    from concurrent.futures import ThreadPoolExecutor

    import engineroom.serve.auth as auth

    add_user(db, "hank", PASSWORD)  # a user of its own (see above)
    app = create_app(db, login_backoff=60.0)
    checked = []
    real = auth.verify_password

    def counting(password, stored):
        checked.append(1)
        return real(password, stored)

    clients = []
    for _ in range(60):
        cl = TestClient(app)
        clients.append((cl, csrf_of(cl.get("/login").text)))
    auth.verify_password = counting
    try:
        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda ct: ct[0].post("/login", data={
                "username": "hank", "password": "guess number x", "csrf_token": ct[1]}, follow_redirects=False).status_code,
                clients))
    finally:
        auth.verify_password = real
    assert codes.count(401) == len(checked) <= 5 and codes.count(429) >= 55


def test_sessions_expire(db):
    app = create_app(db, session_idle=0.6)
    c = TestClient(app)
    assert login(c).status_code == 303
    assert c.get("/queue", follow_redirects=False).status_code == 200
    time.sleep(0.8)
    assert c.get("/queue", follow_redirects=False).status_code == 303
    store = SessionStore(open_store(db), idle_timeout=100, max_age=0.2)
    token, _ = store.create("alice")
    assert store.get(token) is not None
    time.sleep(0.3)
    assert store.get(token) is None


def test_team_sessions_removal_and_second_login(db):
    from engineroom.serve.auth import remove_user, set_password

    app = create_app(db)
    add_user(db, "erin", PASSWORD)
    one, two = TestClient(app), TestClient(app)
    assert login(one, "erin").status_code == 303 and login(two, "erin").status_code == 303
    page = one.get("/queue")
    assert page.status_code == 200 and "1 other live session" in page.text  # the second login ended nothing
    set_password(db, "erin", PASSWORD + "2")
    assert one.get("/queue", follow_redirects=False).status_code == 303  # new password: sessions end
    assert login(one, "erin", PASSWORD + "2").status_code == 303
    assert remove_user(db, "erin") == 1
    assert one.get("/queue", follow_redirects=False).status_code == 303  # removed: the session ends at once
    assert login(TestClient(app), "erin", PASSWORD + "2").status_code == 401


def test_reviewers_decide_only_admins_export(app):
    bob = TestClient(app)
    assert login(bob, "bob").status_code == 303
    assert bob.get("/export/platform-report.csv").status_code == 403
    assert bob.get("/export/dsa-notices.json?notifier_name=x&notifier_email=x@example.org").status_code == 403
    assert "Downloads are for admins" in bob.get("/export").text


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
    assert ok.status_code == 200 and ok.json()["ok"] is True and len(ok.json()["review_ids"]) >= 1


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
        assert r.status_code == 303 and r.headers["location"].startswith("/queue?analysis=narratives&done=")
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
    assert 'name="analysis" value="hate"' in pp.text  # its flags, found through review_post_rows
    author = re.search(r'href="(/account/[^"]+)"', client.get("/queue?analysis=hate").text).group(1)
    assert "its flagged posts" in client.get(author).text  # through review_account_posts.queue_rows
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
    # a GET changes nothing: the review store is byte for byte the same after every download
    before = store_path(client.app.state.store.path.name.replace(".review.sqlite", ""))
    version = client.app.state.store.state_version()
    n = client.app.state.store.scalar("SELECT count(*) FROM reviews")
    for name in ("platform-report.csv", "platform-report.json", "labels-posts.csv", "labels-accounts.json",
                 "dsa-notices.json?notifier_name=A&notifier_email=a@example.org"):
        assert client.get("/export/" + name).status_code == 200
    assert client.app.state.store.state_version() == version and client.app.state.store.scalar(
        "SELECT count(*) FROM reviews") == n and before


def test_dsa_notices(client):
    fields = first_form(client.get("/queue?analysis=hate").text)
    client.post("/review", data=fields | {"decision": "confirm", "note": "slur against Jews"}, follow_redirects=False)
    doc = client.get("/export/dsa-notices.json?notifier_name=Ada+Analyst&notifier_email=ada@example.org").json()
    assert "Article 16" in doc["legal_basis"] and doc["notifier"] == {"name": "Ada Analyst", "email": "ada@example.org"}
    mine = [n for n in doc["notices"] if n["item_id"] == fields["item_id"]]
    assert mine and mine[0]["exact_url"].startswith("https://twitter.com/")
    assert "bona fide belief" in mine[0]["statement_of_good_faith"]
    assert "slur against Jews" in mine[0]["explanation"] and "confirmed" in mine[0]["explanation"]
    # every confirmed item is either a notice or listed as left out, with the reason
    confirmed = client.app.state.store.scalar("SELECT count(*) FROM review_state WHERE decision = 'confirm'")
    assert len(doc["notices"]) + len(doc["not_included"]) == confirmed
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/export/dsa-notices.csv?notifier_name=Ada&notifier_email=ada@example.org").text)))
    assert len(rows) == len(doc["notices"]) and rows[0]["notifier_email"] == "ada@example.org"
    assert client.get("/export/dsa-notices.json?notifier_name=Ada&notifier_email=nope").status_code == 400


def test_bulk_confirm_and_undo_keep_the_audit(client):
    store = client.app.state.store
    page = client.get("/queue?analysis=narratives").text
    items = re.findall(r'class="tick"[^>]*value="([^"]+)"', page)[:3]
    assert len(items) == 3
    csrf = csrf_of(page)
    log_before = store.scalar("SELECT count(*) FROM reviews")
    r = client.post("/review/bulk", data={"csrf_token": csrf, "item": [html.unescape(i) for i in items],
                                          "decision": "confirm", "scope": "selected",
                                          "next": "/queue?analysis=narratives"}, follow_redirects=False)
    assert r.status_code == 303 and "done=" in r.headers["location"]
    copies = {i["item_id"]: i["copies"] for i in client.get("/api/queue?analysis=narratives&status=all").json()["items"]}
    n = sum(copies[html.unescape(i).split("|")[2]] for i in items)  # a group's lead decides its copies too
    after = client.get(r.headers["location"]).text
    assert f"{n} decisions recorded" in after
    ids = {html.unescape(i).split("|")[2] for i in items}
    confirmed = {i["item_id"] for i in client.get("/api/queue?analysis=narratives&status=confirm&page_size=500").json()["items"]}
    assert ids <= confirmed
    batch = re.search(r'name="batch" value="([^"]+)"', after).group(1)
    u = client.post("/undo", data={"csrf_token": csrf, "batch": batch, "next": "/queue?analysis=narratives"},
                    follow_redirects=False)
    assert u.status_code == 303 and f"undone={n}" in u.headers["location"]
    pending = {i["item_id"] for i in client.get("/api/queue?analysis=narratives&page=1").json()["items"]}
    assert ids <= pending
    assert store.scalar("SELECT count(*) FROM reviews") == log_before + 2 * n  # the decisions and their undos
    # undoing again does nothing
    client.post("/undo", data={"csrf_token": csrf, "batch": batch}, follow_redirects=False)
    assert store.scalar("SELECT count(*) FROM reviews") == log_before + 2 * n
    # all matching the filter: refused when the count shown is not the count now
    page = client.get("/queue?analysis=coordination").text
    total = int(re.search(r'name="expected" value="(\d+)"', page).group(1))
    bad = client.post("/review/bulk", data={"csrf_token": csrf, "scope": "filter", "analysis": "coordination",
                                            "expected": str(total + 1), "decision": "reject"}, follow_redirects=False)
    assert bad.status_code == 409
    ok = client.post("/review/bulk", data={"csrf_token": csrf, "scope": "filter", "analysis": "coordination",
                                           "expected": str(total), "decision": "reject"}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/api/queue?analysis=coordination").json()["total"] == 0
    assert client.get("/api/queue?analysis=coordination&status=reject").json()["total"] == total


def test_passwords_are_scrypt_hashed(db):
    stored = open_store(db).user("alice")["password_hash"]
    with pytest.raises(ValueError, match="exists"):
        add_user(db, "alice", PASSWORD)
    with pytest.raises(ValueError, match="10 characters"):
        add_user(db, "carol", "short")
    with pytest.raises(ValueError, match="user names"):
        add_user(db, "<script>", PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "x", stored)
    assert not verify_password(PASSWORD, None) and not verify_password(PASSWORD, "md5$abc")
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


def test_login_limiter_backs_off_per_name(tmp_path):
    rl = LoginLimiter(open_store(tmp_path / "x.duckdb"), free=2, base=0.2)
    assert rl.begin("k") == 0
    assert rl.begin("K ") == 0  # names compare case-blind
    assert rl.begin("k") > 0  # the second attempt started the wait
    assert rl.begin("other") == 0
    time.sleep(0.25)
    assert rl.begin("k") == 0  # waited out: one more, then twice as long
    assert 0.3 < rl.begin("k") <= 0.4
    rl.succeeded("k")
    assert rl.begin("k") == 0
    other = LoginLimiter(open_store(tmp_path / "x.duckdb"), free=2, base=0.2)  # another worker process
    assert other.begin("k") == 0 and rl.begin("k") > 0  # the second attempt, counted by the other one


def test_queue_rebuilds_when_findings_change(tmp_path):
    import pandas as pd

    with engineroom.open(tmp_path / "q.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=30, findings=False)
        assert ensure_queue(c) and not ensure_queue(c)
        store = open_store(c.path, con=c.con)
        register_decisions(c.con, store)
        rows, total = query_queue(c.con, status="all")
        assert total == 0
        er_sample.write_declared(c, "hate", pd.DataFrame({"platform": ["twitter"], "post_id": [c.posts()["post_id"][0]],
                                            "label": ["antisemitic"], "score": [0.9]}))
        assert ensure_queue(c)
        rows, total = query_queue(c.con, status="all")
        assert total == 1 and rows[0]["reason"] == "antisemitic" and rows[0]["snippet"]
        assert build_queue(c) == 1
        # an item flagged for two narratives (or in two engine rooms) is one queue row
        pid, acc = c.posts()["post_id"][1], c.accounts()["account_id"][0]
        er_sample.write_declared(c, "narratives", pd.DataFrame({"platform": ["twitter"] * 2, "post_id": [pid] * 2,
                                                  "narrative": ["a", "b"], "kind": ["narrative"] * 2,
                                                  "score": [0.4, 0.7]}))
        er_sample.write_declared(c, "engine_room", pd.DataFrame({"platform": ["twitter"] * 2, "account_id": [acc] * 2,
                                                   "narrative": ["a", "b"], "rank": [1, 3], "score": [0.9, 0.5],
                                                   "in_core": [True, True]}))
        assert ensure_queue(c)
        rows, total = query_queue(c.con, status="all")
        assert total == 3 and len(rows) == 3
        by = {r["analysis"]: r for r in rows}
        assert by["narratives"]["narrative"] == "b" and set(by["narratives"]["reason"][11:].split(", ")) == {"a", "b"}
        assert "a (rank 1)" in by["engine_room"]["reason"] and "b (rank 3)" in by["engine_room"]["reason"]
        store.record([{"item_type": "account", "platform": "twitter", "item_id": acc, "analysis": "engine_room",
                       "decision": "confirm"}], "a")
        assert not ensure_queue(c)  # a decision is no change of the findings
        register_decisions(c.con, store)
        assert query_queue(c.con, status="pending")[1] == 2


def test_cli_users_add(tmp_path):
    from typer.testing import CliRunner

    from engineroom.cli import app as cli

    db = tmp_path / "u.duckdb"
    engineroom.open(db).close()
    r = CliRunner().invoke(cli, ["users", "add", "dana", "--db", str(db), "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["users", "add", "dana", "--db", str(db), "--password", PASSWORD])
    assert r.exit_code != 0 and "exists" in r.output
    r = CliRunner().invoke(cli, ["users", "add", "eve", "--admin", "--db", str(db), "--password", PASSWORD])
    assert r.exit_code == 0
    r = CliRunner().invoke(cli, ["users", "list", "--db", str(db), "--json"])
    assert [(u["username"], u["role"]) for u in json.loads(r.output.strip().splitlines()[-1])["users"]] == [
        ("dana", "reviewer"), ("eve", "admin")]
    assert "scrypt" not in r.output
    r = CliRunner().invoke(cli, ["users", "passwd", "dana", "--db", str(db), "--password", "short"])
    assert r.exit_code != 0 and "10 characters" in r.output
    r = CliRunner().invoke(cli, ["users", "remove", "dana", "--db", str(db)])
    assert r.exit_code == 0 and "removed dana" in r.output
    r = CliRunner().invoke(cli, ["users", "remove", "dana", "--db", str(db)])
    assert r.exit_code != 0 and "no user" in r.output


def test_review_tables_of_an_older_corpus_are_migrated(tmp_path):
    db = tmp_path / "old.duckdb"
    with engineroom.open(db) as c:
        c.con.execute("INSERT INTO users VALUES ('olga', ?, TIMESTAMP '2024-01-01', TRUE)", [hash_password(PASSWORD)])
        c.con.execute("INSERT INTO reviews VALUES ('r1', 'post', 'twitter', '1', 'hate', 'reject', NULL, 'olga', "
                      "TIMESTAMP '2024-01-02'), ('r2', 'post', 'twitter', '1', 'hate', 'confirm', 'n', 'olga', "
                      "TIMESTAMP '2024-01-03')")
    store = open_store(db)
    assert store.user("olga")["role"] == "admin"
    assert [r["decision"] for r in store.log()] == ["confirm", "reject"]
    assert [(r["item_id"], r["decision"]) for r in store.state()] == [("1", "confirm")]
    assert json.loads(store.meta("migrated"))["reviews"] == 2
    store.close()
    assert open_store(db).scalar("SELECT count(*) FROM reviews") == 2  # once only


def test_queue_counts_match_the_rows(db, app, client):
    # a few decisions first, then every count must equal a brute-force count of the queue
    for analysis in ("hate", "narratives", "accounts"):
        fields = first_form(client.get(f"/queue?analysis={analysis}").text)
        client.post("/review", data=fields | {"decision": "escalate"}, follow_redirects=False)
    with app.state.reader.cursor() as cur:
        for f in ({}, {"analysis": "hate"}, {"community": "1"}, {"narrative": "antisemitism_smear"},
                  {"item_type": "account"}, {"analysis": "narratives", "community": "2"}):
            for status in ("all", "pending", "confirm", "escalate"):
                _, total = query_queue(cur, status=status, **f)
                where = " AND ".join([f"q.{k} = '{v}'" for k, v in f.items()] or ["TRUE"])
                latest = ("LEFT JOIN review_decisions r "
                          "ON r.item_type = q.item_type AND r.platform = q.platform AND r.item_id = q.item_id "
                          "AND r.analysis = q.analysis")
                cond = {"all": "q.lead", "pending": "q.lead AND r.decision IS NULL"}.get(status, f"q.lead AND r.decision = '{status}'")
                brute = cur.execute(f"SELECT count(*) FROM review_queue q {latest} WHERE {where} AND {cond}").fetchall()[0][0]
                assert total == brute, (f, status)
                rows, _ = query_queue(cur, status=status, page_size=1000, **f)
                assert len(rows) == min(brute, 1000)


@pytest.mark.slow
def test_command_line_works_while_the_app_runs(tmp_path):
    """users add (and that user logs in at once), export platform-report and analyze, while a
    real uvicorn serves the app; a writer that holds the corpus gets one-line answers."""
    import os
    import socket
    import subprocess
    import sys
    import threading
    from pathlib import Path

    import httpx
    import uvicorn

    db = tmp_path / "live.duckdb"
    with engineroom.open(db) as c:
        er_sample.build(c)
    add_user(db, "alice", PASSWORD, is_admin=True)
    app = create_app(db, queue_recheck=0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"), ENGINEROOM_LOCK_WAIT="3")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engineroom.cli", *args, "--db", str(db)], env=env,
                              capture_output=True, text=True, timeout=300)

    def web_login(user: str, password: str = PASSWORD) -> httpx.Client:
        c = httpx.Client(base_url=base, follow_redirects=False)
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": user, "password": password, "csrf_token": token})
        assert r.status_code == 303, (user, r.status_code)
        return c

    holder = None
    try:
        alice = web_login("alice")
        fields = first_form(alice.get("/queue?analysis=hate").text)
        assert alice.post("/review", data=fields | {"decision": "confirm"}).status_code == 303
        # a new reviewer, added from the command line, logs in at once
        r = cli("users", "add", "frank", "--password", PASSWORD)
        assert r.returncode == 0, r.stderr
        frank = web_login("frank")
        assert frank.get("/queue").status_code == 200
        # the platform report, while reviewers keep reading
        stop = threading.Event()

        def browse() -> None:
            while not stop.is_set():
                assert alice.get("/queue").status_code == 200

        reader = threading.Thread(target=browse)
        reader.start()
        try:
            r = cli("export", "platform-report", "--out", str(tmp_path / "pr.csv"))
        finally:
            stop.set()
            reader.join()
        assert r.returncode == 0, r.stderr
        assert fields["item_id"] in (tmp_path / "pr.csv").read_text()
        # a writer gets the corpus once the app is idle for a second; the app rebuilds its queue after
        r = cli("analyze", "--only", "hate")
        assert r.returncode == 0, r.stderr
        with engineroom.open(db, read_only=True) as c:  # the classifier's labels now, not the sample's
            flagged = c.con.execute("SELECT count(*) FROM hate WHERE label IN ('antisemitic', 'other_hate')").fetchall()[0][0]
        assert alice.get("/api/queue?analysis=hate&status=all").json()["total"] == flagged  # queue rebuilt
        # while a writer holds the corpus: pages that need it say so (503), a command says so in one line
        holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom engineroom.corpus import Corpus\n"
                                   "c = Corpus(sys.argv[1])\nprint('holding', flush=True)\ntime.sleep(60)", str(db)],
                                  stdout=subprocess.PIPE, text=True, env=env)
        assert holder.stdout.readline().strip() == "holding"
        time.sleep(1.5)
        queue = alice.get("/queue")  # the queue is served from its copy in the review store
        assert queue.status_code == 200
        busy = alice.get(html.unescape(re.search(r'href="(/account/[^"]+)"', queue.text).group(1)))
        assert busy.status_code == 503 and "being changed" in busy.text  # an account's timeline needs the corpus
        assert alice.get("/reviews").status_code == 200  # the audit log needs no corpus
        r = cli("export", "platform-report", "--out", str(tmp_path / "pr2.csv"))
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert r.returncode == 1 and len(lines) == 1 and "in use by process" in lines[0], r.stderr
        holder.kill()
        holder.wait()
        assert alice.get("/queue").status_code == 200
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
        srv.should_exit = True
        t.join(10)


def test_evidence_is_highlighted_in_the_text_and_slurs_blurred():
    from engineroom.serve.highlight import evidence_summary, highlight

    ev = json.dumps({"lexicon": [{"term": "kike", "match": "K1ke", "category": "dehumanisation_slurs", "weight": 0.9},
                                 {"term": "<b>x", "match": "globalist <b>", "category": "conspiracy", "weight": 0.5}],
                     "tokens": [{"token": "control", "weight": 0.4}, {"token": "the", "weight": 0.5},
                                {"token": "media", "weight": 0.05}]})
    text = "The k1ke media & globalist <b> control <script>xss(1)</script> k1kes"
    out = str(highlight(text, [ev]))
    assert '<mark class="ev slur blurred" title="dehumanisation_slurs (kike)">k1ke</mark>' in out
    assert "k1kes" in out and out.count('class="ev slur') == 1  # word boundaries: "k1kes" is another word
    assert '<mark class="ev trope" title="conspiracy (&lt;b&gt;x)">globalist &lt;b&gt;</mark>' in out
    assert '<mark class="ev token" title="classifier weight 0.40">control</mark>' in out
    assert ">media</mark>" not in out and " media &amp; " in out  # low weight: not marked
    assert "&lt;script&gt;xss(1)&lt;/script&gt;" in out and "<script>" not in out
    assert "blurred" not in str(highlight(text, [ev], blur=False))
    line = str(evidence_summary(ev))
    assert "matched: " in line and "slur blurred" in line and "classifier words: control, the" in line
    assert str(highlight("<i>plain</i>")) == "&lt;i&gt;plain&lt;/i&gt;"
    # the model matched the normalised text: the written, obfuscated words are marked (and blurred)
    norm_ev = {"lexicon": [{"term": "kike", "match": "kike", "category": "dehumanisation_slurs"},
                           {"term": "white genocide", "match": "whitegenocide", "category": "great_replacement"}]}
    out = str(highlight("those K-I-K-E people and #WhiteGenocide, k1ke again", [norm_ev]))
    assert out.count('class="ev slur blurred"') == 2 and ">K-I-K-E</mark>" in out and ">k1ke</mark>" in out
    assert '#<mark class="ev trope" title="great_replacement (white genocide)">WhiteGenocide</mark>,' in out


def test_post_page_marks_evidence(tmp_path):
    import pandas as pd

    db = tmp_path / "ev.duckdb"
    with engineroom.open(db) as c:
        er_sample.build(c, n_accounts=10, n_posts=30, findings=False)
        pid, text = c.con.execute("SELECT post_id, text FROM posts WHERE length(text) > 10 LIMIT 1").fetchall()[0]
        word = [w for w in text.split() if w.isalpha() and len(w) > 3][0]
        ev = json.dumps({"lexicon": [{"term": word, "match": word, "category": "dehumanisation_slurs", "weight": 0.9}]})
        er_sample.write_declared(c, "hate", pd.DataFrame({"platform": ["twitter"], "post_id": [pid], "label": ["antisemitic"],
                                            "score": [0.9], "hate_score": [0.95], "evidence": [ev]}))
        add_user(c, "alice", PASSWORD)
    for blur in (True, False):
        client = TestClient(create_app(db, blur_slurs=blur))
        assert login(client).status_code == 303
        page = client.get(f"/post/twitter/{pid}").text
        assert ('<mark class="ev slur blurred"' in page) == blur and '<mark class="ev slur' in page
        queue = client.get("/queue?analysis=hate").text
        assert ('<mark class="ev slur blurred"' in queue) == blur and "P(antisemitic)" in queue


def test_near_identical_posts_are_one_item(client):
    items = client.get("/api/queue?status=all&analysis=hate").json()["items"]
    groups = [i for i in items if i["copies"] > 1]
    assert groups, "the sample has near-identical posts"
    lead = groups[0]
    assert len({i["dup_key"] for i in items if i["dup_key"] == lead["dup_key"]}) == 1
    assert sum(1 for i in items if i["dup_key"] == lead["dup_key"]) == 1  # listed once
    members = client.get(f"/api/queue?status=all&analysis=hate&group={lead['dup_key']}").json()
    assert members["total"] == lead["copies"] and len(members["items"]) == lead["copies"]
    page = client.get(f"/queue?status=all&analysis=hate").text
    assert f"+ {lead['copies'] - 1} near-identical cop" in page
    csrf = csrf_of(page)
    r = client.post("/review", data={"csrf_token": csrf, "item_type": "post", "platform": lead["platform"],
                                     "item_id": lead["item_id"], "analysis": "hate", "decision": "reject",
                                     "next": "/queue"}, follow_redirects=False)
    assert r.status_code == 303
    decided = client.get(f"/api/queue?status=reject&analysis=hate&group={lead['dup_key']}").json()
    assert decided["total"] == lead["copies"]  # the lead's decision decided every copy
    batch = r.headers["location"].split("done=")[1]
    client.post("/undo", data={"csrf_token": csrf, "batch": batch}, follow_redirects=False)
    assert client.get(f"/api/queue?status=reject&analysis=hate&group={lead['dup_key']}").json()["total"] == 0


@pytest.mark.slow  # a few seconds: the full tier
def test_no_get_changes_anything(db, app, client):
    """Every GET route (pages, API, exports) leaves the corpus file and the decisions as they were."""
    import hashlib

    store = app.state.store

    def snapshot():
        return (store.scalar("SELECT count(*) FROM reviews"), store.state_version(),
                hashlib.sha256(repr(store.rows("SELECT * FROM review_state ORDER BY 1, 2, 3, 4")).encode()).hexdigest(),
                store.scalar("SELECT count(*) FROM users"), db.stat().st_mtime_ns, db.stat().st_size)

    page = client.get("/queue?analysis=hate&status=all").text
    post = re.search(r'href="(/post/[^"]+)"', page).group(1)
    acc = re.search(r'href="(/account/[^"]+)"', page).group(1)
    time.sleep(1.2)  # the app has let go of the corpus: any write would show in its time stamp
    before = snapshot()
    urls = ["/", "/queue", "/queue?status=all&page=2", "/api/queue?status=confirm", post, acc, "/cluster/1", "/reviews",
            "/export", "/export/platform-report.csv", "/export/platform-report.json", "/export/labels-posts.csv",
            "/export/labels-accounts.json", "/export/dsa-notices.csv?notifier_name=A&notifier_email=a@example.org",
            "/favicon.ico", "/login", "/static/app.js"]
    gets = {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    covered = {_fill(r) for r in gets}
    assert {"/", "/queue", "/api/queue", "/reviews", "/export", "/favicon.ico", "/login"} <= covered
    for u in urls:
        assert client.get(u, follow_redirects=False).status_code in (200, 204, 303), u
        assert client.head(u, follow_redirects=False).status_code in (200, 204, 303, 405), u
    time.sleep(1.2)
    assert snapshot() == before


def test_post_lookup_rows_point_at_the_posts_rows(db, app):
    """review_post_rows: for every post, its row ids reach exactly its rows in posts, hate,
    narratives and the queue, and the hash finds it; review_account_posts reaches an account's
    post flags."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        bad = con.execute("""
            SELECT count(*) FROM review_post_rows r
            LEFT JOIN (SELECT rowid AS rid, platform, post_id FROM posts) p ON p.rid = r.post_row
            WHERE p.post_id IS DISTINCT FROM r.post_id OR p.platform IS DISTINCT FROM r.platform
               OR r.h != hash(r.platform, r.post_id)
               OR coalesce(len(r.hate_rows), 0) != (SELECT count(*) FROM hate h WHERE h.platform = r.platform AND h.post_id = r.post_id)
               OR coalesce(len(r.narrative_rows), 0) != (SELECT count(*) FROM narratives n WHERE n.platform = r.platform AND n.post_id = r.post_id)
               OR coalesce(len(r.queue_rows), 0) != (SELECT count(*) FROM review_queue q WHERE q.item_type = 'post'
                                                      AND q.platform = r.platform AND q.item_id = r.post_id)""").fetchall()[0][0]
        n = con.execute("SELECT count(*) FROM review_post_rows").fetchall()[0][0]
        assert n == con.execute("SELECT count(*) FROM posts").fetchall()[0][0] and bad == 0
        qmap = con.execute("""SELECT count(*), count(*) FILTER (WHERE q.item_id = a.post_id AND q.item_type = 'post')
                              FROM (SELECT post_id, unnest(queue_rows) AS r FROM review_post_rows) a
                              LEFT JOIN (SELECT rowid AS r, item_id, item_type FROM review_queue) q USING (r)""").fetchall()[0]
        assert qmap[0] == qmap[1] == con.execute("SELECT count(*) FROM review_queue WHERE item_type = 'post'").fetchall()[0][0]
        hrows = con.execute("SELECT unnest(hate_rows) FROM review_post_rows WHERE hate_rows IS NOT NULL").fetchall()
        ids = {r[0] for r in con.execute(f"SELECT post_id FROM hate WHERE rowid IN ({', '.join(str(r[0]) for r in hrows)})").fetchall()}
        assert ids == {r[0] for r in con.execute("SELECT post_id FROM hate").fetchall()}
        # an account page's flagged posts: the queue rows its posts point at are its post flags
        via = con.execute("""SELECT a.account_id, q.item_id, q.analysis FROM (SELECT account_id, unnest(queue_rows) AS r
                             FROM review_account_posts) a JOIN (SELECT rowid AS r, * FROM review_queue) q USING (r)
                             ORDER BY ALL""").fetchall()
        direct = con.execute("""SELECT p.account_id, q.item_id, q.analysis FROM review_queue q JOIN posts p
                                ON p.platform = q.platform AND p.post_id = q.item_id WHERE q.item_type = 'post'
                                ORDER BY ALL""").fetchall()
        assert via == direct and via
        h_ok = con.execute("SELECT bool_and(h = hash(platform, account_id)) FROM review_account_posts").fetchall()[0][0]
        assert h_ok
    finally:
        con.close()


def test_queue_copy_answers_as_the_corpus_queue(db, app, client):
    """The queue's copy in the review store gives the same pages, counts and decisions as the
    corpus's review_queue, for every filter and status, after decisions."""
    from engineroom.serve import snapshot

    store = app.state.store
    assert snapshot.has_snapshot(store)
    for analysis in ("hate", "narratives", "accounts"):
        fields = first_form(client.get(f"/queue?analysis={analysis}").text)
        client.post("/review", data=fields | {"decision": "confirm"}, follow_redirects=False)
    fields = first_form(client.get("/queue?analysis=hate").text, "hate")  # decided twice, then undone once
    client.post("/review", data=fields | {"decision": "reject"}, follow_redirects=False)
    r = client.post("/review", data=fields | {"decision": "escalate"}, follow_redirects=False)
    batch = re.search(r"done=(\w+)", r.headers["location"]).group(1)
    client.post("/undo", data={"csrf_token": csrf_of(client.get("/queue").text), "batch": batch}, follow_redirects=False)
    key = ("item_type", "platform", "item_id", "analysis", "score", "reason", "decision", "reviewer", "copies", "lead")
    with app.state.reader.cursor() as cur:
        for copy_again in (False, True):  # counts kept by triggers since the copy, then counted at a new copy
            if copy_again:
                store.con().execute("DELETE FROM meta WHERE key = 'queue_signature'")
                assert snapshot.ensure_snapshot(cur, store)
            for f in ({}, {"analysis": "hate"}, {"community": "1"}, {"narrative": "antisemitism_smear"},
                      {"item_type": "account"}, {"analysis": "narratives", "community": "2"}):
                for status in ("all", "pending", "confirm", "reject", "escalate"):
                    for page, size in ((1, 1000), (2, 3)):
                        want, n_want = query_queue(cur, status=status, page=page, page_size=size, **f)
                        got, n_got = snapshot.queue_page(store, status=status, page=page, page_size=size, counts={}, **f)
                        assert n_got == n_want, (f, status, copy_again)
                        assert [tuple(r[k] for k in key) for r in got] == [tuple(r[k] for k in key) for r in want]
        groups = [r["dup_key"] for r in query_queue(cur, status="all", page_size=1000)[0] if r["copies"] > 1]
        for g in groups[:3]:
            want = query_queue(cur, status="all", group=g, page_size=100)[0]
            got = snapshot.queue_page(store, status="all", group=g, page_size=100)[0]
            assert [r["item_id"] for r in got] == [r["item_id"] for r in want]


def test_a_decision_is_seen_at_once_by_another_worker(db, app, client):
    """Two app instances on one corpus (as uvicorn's worker processes are): a decision taken
    through one is in the other's queue page and counts at once, and so is its undo."""
    other = TestClient(create_app(db))
    assert login(other, "bob").status_code == 303
    before = other.get("/api/queue?analysis=hate").json()
    fields = first_form(client.get("/queue?analysis=hate").text, "hate")
    r = client.post("/review", data=fields | {"decision": "reject", "note": "seen by the other"}, follow_redirects=False)
    assert r.status_code == 303
    after = other.get("/api/queue?analysis=hate").json()
    assert after["total"] < before["total"]
    assert fields["item_id"] not in [i["item_id"] for i in after["items"]]
    rejected = other.get("/api/queue?analysis=hate&status=reject").json()
    assert fields["item_id"] in [i["item_id"] for i in rejected["items"]]
    batch = re.search(r"done=(\w+)", r.headers["location"]).group(1)
    page = client.get("/queue?analysis=hate")
    assert client.post("/undo", data={"csrf_token": csrf_of(page.text), "batch": batch},
                       follow_redirects=False).status_code == 303
    assert other.get("/api/queue?analysis=hate").json()["total"] == before["total"]


def test_queue_copy_follows_the_findings(tmp_path):
    """When the findings change, the copy is made again (and only then)."""
    import pandas as pd

    from engineroom.serve import snapshot

    with engineroom.open(tmp_path / "s.duckdb") as c:
        er_sample.build(c, n_accounts=10, n_posts=30, findings=False)
        ensure_queue(c)
        store = open_store(c.path, con=c.con)
        assert snapshot.ensure_snapshot(c.con, store) and not snapshot.ensure_snapshot(c.con, store)
        assert snapshot.queue_page(store, status="all")[1] == 0
        er_sample.write_declared(c, "hate", pd.DataFrame({"platform": ["twitter"], "post_id": [c.posts()["post_id"][0]],
                                            "label": ["antisemitic"], "score": [0.9]}))
        assert snapshot.ensure_snapshot(c.con, store) is False  # the corpus's queue is out of date: nothing to copy yet
        ensure_queue(c)
        assert snapshot.ensure_snapshot(c.con, store)
        rows, total = snapshot.queue_page(store, status="all")
        assert total == 1 and rows[0]["reason"] == "antisemitic"
        assert snapshot.is_flagged(store, "post", "twitter", rows[0]["item_id"], "hate")
        assert not snapshot.is_flagged(store, "post", "twitter", rows[0]["item_id"], "narratives")


def test_exports_from_the_queue_copy_equal_the_corpus_exports(db, app, client):
    import pandas as pd

    from engineroom import export as ex
    from engineroom.serve import snapshot

    for analysis, decision in (("hate", "confirm"), ("hate", "reject"), ("accounts", "confirm"), ("narratives", "confirm")):
        fields = first_form(client.get(f"/queue?analysis={analysis}").text, analysis)
        client.post("/review", data=fields | {"decision": decision, "note": "=1+1 export check"}, follow_redirects=False)
    store = app.state.store
    with engineroom.open(db, read_only=True) as c:
        want = ex.platform_report(c, store)
        got = ex.platform_report(None, store, confirmed=snapshot.confirmed(store))
        assert len(want) >= 3
        pd.testing.assert_frame_equal(got, want)
        want_labels = ex.review_labels(c, "post", store)
        got_labels = pd.DataFrame(snapshot.post_labels(store), columns=["text", "label"])
        assert len(want_labels) >= 2
        pd.testing.assert_frame_equal(got_labels, want_labels, check_dtype=False)
        assert ex.csv_bytes(got) == ex.csv_bytes(want)
        # the app's downloads, assembled row by row, equal the whole file built from the corpus
        assert client.get("/export/platform-report.csv").content == ex.csv_bytes(want)
        assert client.get("/export/platform-report.json").json() == ex._records(want)
        assert client.get("/export/labels-posts.csv").content == ex.csv_bytes(want_labels)
        assert client.get("/export/labels-posts.json").json() == ex._records(want_labels)


def test_item_pages_from_the_copy_equal_the_corpus_pages(db, app, client, monkeypatch):
    """Post and account pages read from the copy in the review store show what the corpus shows."""
    from engineroom.serve import snapshot

    page = client.get("/queue?status=all").text + client.get("/queue?status=all&analysis=accounts").text
    posts = list(dict.fromkeys(re.findall(r'href="(/post/[^"]+)"', page)))[:8]
    accounts = list(dict.fromkeys(re.findall(r'href="(/account/[^"]+)"', page)))[:8]
    assert posts and accounts
    assert all(snapshot.post_page(app.state.store, *html.unescape(p).split("/")[2:4]) for p in posts[:3])
    copied = {u: client.get(html.unescape(u)).text for u in posts + accounts}
    monkeypatch.setattr(snapshot, "post_page", lambda *a: None)
    monkeypatch.setattr(snapshot, "account_page", lambda *a: None)
    for u, text in copied.items():
        assert text == client.get(html.unescape(u)).text, u


def test_queue_rows_written_without_jinja_equal_the_template(db, app, client):
    """serve/rows.py writes each queue row as templates/serve/_queue_row.html does (hostile
    posts, decided rows, groups, accounts and clusters included)."""
    from engineroom.serve import snapshot
    from engineroom.serve.rows import queue_row

    store = app.state.store
    fields = first_form(client.get("/queue?analysis=hate").text, "hate")
    client.post("/review", data=fields | {"decision": "escalate", "note": "<b>x</b>"}, follow_redirects=False)
    rows = snapshot.queue_page(store, status="all", page_size=1000)[0]
    rows += snapshot.queue_page(store, status="escalate", page_size=1000)[0]
    assert {r["item_type"] for r in rows} >= {"post", "account", "cluster"} and any(r["decision"] for r in rows)
    assert any((r["copies"] or 0) > 1 for r in rows) and any("<" in (r["snippet"] or "") for r in rows)
    env = app.state.templates
    template = env.get_template("serve/_queue_row.html")
    from engineroom.serve.pages import _fmt_num, _fmt_time

    def norm(h: str) -> str:
        return re.sub(r"\s+", " ", h).strip()

    for group in (False, True):
        for r in rows:
            want = template.render(r=r, f={"group": group}, here="/queue?a=1&b=<x>", csrf="tok\"en")
            got = queue_row(r, group, "/queue?a=1&b=<x>", "tok\"en", _fmt_num, _fmt_time, env.filters["highlight"],
                            env.filters["evidence_line"])
            assert norm(got) == norm(want), r["item_id"]


def test_a_decision_waits_in_a_thread_while_another_process_writes_the_store(db, app, client):
    """Decisions are stored on the event loop only when the review store's write lock is free at
    once; while another connection (another worker, the command line) holds it, the decision
    waits in a thread and is stored exactly once, and ``write(wait=False)`` writes nothing."""
    import sqlite3
    import threading

    from engineroom.serve.store import StoreBusy

    store = app.state.store
    fields = first_form(client.get("/queue?analysis=hate&status=pending&page=2").text, "hate")
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        other = sqlite3.connect(str(store.path), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(5)
        time.sleep(0.4)
        other.execute("COMMIT")
        other.close()

    t = threading.Thread(target=hold_the_lock)
    t.start()
    assert held.wait(5)
    try:
        version = store.state_version()
        with pytest.raises(StoreBusy):
            store.record([dict(fields, decision="confirm", note="never stored")], "alice", wait=False)
        assert store.state_version() == version
        release.set()
        t0 = time.monotonic()
        r = client.post("/review", data=fields | {"decision": "escalate", "note": "waited for the lock"},
                        follow_redirects=False)
        waited = time.monotonic() - t0
    finally:
        release.set()
        t.join()
    assert r.status_code == 303 and waited >= 0.2
    rows = store.rows("SELECT note, count(DISTINCT batch_id) AS batches FROM reviews "
                      "WHERE note IN ('waited for the lock', 'never stored') GROUP BY note")
    assert rows == [{"note": "waited for the lock", "batches": 1}]  # one batch (a lead decides its copies too)


def test_account_page_kept_per_copy_still_shows_new_decisions(client):
    """The middle of an account page is kept per account; its flags and audit log are not, so a
    decision on the account shows at the next visit."""
    page = client.get("/queue?analysis=accounts&status=all").text
    account = re.search(r'href="(/account/[^"]+)"', page).group(1)
    first = client.get(account).text
    assert "Timeline" in first and "decision on this account" not in first
    fields = first_form(first)
    r = client.post("/review", data=fields | {"decision": "escalate", "note": "decision on this account"},
                    follow_redirects=False)
    assert r.status_code == 303
    again = client.get(account).text
    assert "decision on this account" in again
    middle = lambda p: p[p.index('<div class="cols">'):p.index("<h2>Decisions")]  # noqa: E731
    assert middle(again) == middle(first)


def test_reader_cursor_if_open_never_opens_the_file(db):
    from engineroom.serve.reader import CorpusReader, NotReady

    store = open_store(db)
    reader = CorpusReader(db, store, linger=0)
    with pytest.raises(NotReady):
        with reader.cursor(decisions=False, if_open=True):
            pass
    assert reader.opened == 0
    with reader.cursor(decisions=False) as cur:  # open (a request in a thread) ...
        with reader.cursor(decisions=False, if_open=True) as quick:  # ... then one on the event loop
            assert quick.execute("SELECT count(*) FROM posts").fetchall()[0][0] > 0
        assert cur.execute("SELECT 1").fetchall() == [(1,)]
    assert reader.opened == 1 and not reader.is_open
    reader.close()
    store.close()


def test_the_apps_store_checkpoints_in_a_thread_not_in_commits(tmp_path):
    """The review app's commits never copy the write-ahead log into the file themselves (that
    waits for the disk, on the event loop); a daemon thread does it every second."""
    import os

    from engineroom.serve.store import ReviewStore

    store = ReviewStore(tmp_path / "s.review.sqlite")
    store.checkpoint_in_background(every=0.1)
    assert store.con().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    size0 = os.path.getsize(store.path)
    for i in range(300):
        store.record([{"item_type": "post", "platform": "x", "item_id": str(i), "analysis": "hate",
                       "decision": "confirm", "note": "n" * 500}], "alice")
    deadline = time.time() + 5
    while os.path.getsize(store.path) <= size0 and time.time() < deadline:
        time.sleep(0.05)
    assert os.path.getsize(store.path) > size0  # the thread moved the log's pages into the file
    assert store.scalar("SELECT count(*) FROM reviews") == 300
    store.close()
