"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn on 127.0.0.1 and the
report opened from disk. No request is routed or rewritten: the browser fetches what it fetches
(its favicon too) and the test only watches. The XSS corpus is ingested through the real twarc2 adapter; a payload
that ran would call ``xss(n)`` / ``alert(n)``, which the page records; markup that escaped the
escaping would show as elements or ``on*`` attributes in the page, or as CSP violations.

Screenshots go to test-artifacts/ (gitignored). Skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import csv
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

import engineroom
import er_sample
from engineroom.report import write_report
from engineroom.serve import create_app
from engineroom.serve.auth import add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium: the full tier only

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "correct horse battery staple"

# defined before any page script runs: a payload that executes leaves its number here
INIT = """
window.__xss = [];
window.xss = function (n) { window.__xss.push(n); };
window.alert = function (n) { window.__xss.push('alert:' + n); };
window.confirm = window.alert; window.prompt = window.alert;
"""

# elements and attributes that only injected markup would create
DOM_CHECK = """(root) => {
  const scope = document.querySelector(root) || document.body;
  const bad = [];
  for (const el of scope.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'marquee', 'math', 'base',
         'meta', 'link', 'style', 'isindex', 'keygen', 'textarea', 'noscript'].includes(tag)
        && !(tag === 'script' && el.type === 'application/json')) bad.push(tag);
    if (tag === 'svg' && !el.closest('.figure')) bad.push('svg');
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) bad.push(tag + '[' + a.name + ']');
      if ((a.name === 'href' || a.name === 'src' || a.name === 'action' || a.name === 'formaction')
          && /^\\s*(javascript|data):/i.test(a.value)) bad.push(tag + '[' + a.name + '=' + a.value + ']');
    }
  }
  return bad;
}"""


def _chromium_ok() -> bool:
    if not os.path.exists(CHROMIUM):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def browser():
    if not _chromium_ok():
        pytest.skip("Debian chromium (/usr/bin/chromium) or playwright not installed")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """What a page did: requests leaving 127.0.0.1 / file://, dialogs, console errors. It only
    listens (no request is routed, held or rewritten)."""

    def __init__(self, context) -> None:
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.requests: list[str] = []
        context.set_default_timeout(60_000)  # the CI machine may be busy
        context.add_init_script(INIT)
        context.on("request", self._request)

    def _request(self, request) -> None:
        url = request.url
        self.requests.append(url)
        host = urlparse(url).hostname
        if not (url.startswith(("file:", "data:", "blob:", "about:", "chrome:")) or host == "127.0.0.1"):
            self.external.append(url)

    def attach(self, page) -> None:
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def assert_clean(self, page, scope: str = "main") -> None:
        assert page.evaluate("window.__xss") == [], "a payload ran"
        assert self.dialogs == []
        assert self.external == [], self.external
        assert [c for c in self.console if "Content Security Policy" in c or "xss" in c.lower()] == []
        assert page.evaluate(DOM_CHECK, scope) == []


@pytest.fixture(scope="module")
def xss_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "xss.duckdb"
    with engineroom.open(path) as c:
        er_sample.ingest_xss(c)
        add_user(c, "alice", PASSWORD, is_admin=True)
    return path


@pytest.fixture(scope="module")
def server(xss_db):
    import uvicorn

    app = create_app(xss_db, linger=0)  # the corpus is closed after each request: the report test opens it too
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


def _pending_ids(page) -> list[str]:
    return [v.split("|")[2] for v in page.eval_on_selector_all("input.tick", "els => els.map(e => e.value)")]


def test_review_flow_in_the_browser(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = Watch(ctx)
    page = ctx.new_page()
    watch.attach(page)
    # every page needs a login; a second tab opens the login page too, before the first logs in
    page.goto(server + "/queue")
    assert "/login" in page.url
    tab = ctx.new_page()
    watch.attach(tab)
    tab.goto(server + "/login?next=/reviews")
    page.request.get(server + "/favicon.ico")  # what Chromium asks for by itself, by hand as well
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    assert page.locator("table.queue tbody tr").count() == 50
    # the other tab's form still logs in (same browser: it lands on its page, logged in)
    tab.fill("input[name=username]", "alice")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url("**/reviews")
    tab.close()
    # back to the login page: straight on to the queue
    page.go_back()
    page.wait_for_url("**/queue**")
    page.go_forward()
    page.screenshot(path=str(ARTIFACTS / "app-queue.png"))
    watch.assert_clean(page)
    # filter by analysis (the select submits the form through /static/app.js)
    page.select_option("select[name=analysis]", "hate")
    page.wait_for_url("**analysis=hate**")
    first = page.locator("table.queue tbody tr").first
    post_link = first.locator("a[href^='/post/']").first.get_attribute("href")
    post_id = post_link.rsplit("/", 1)[1]
    first.locator("input[name=note]").fill("clear case <b>not bold</b>")
    first.locator("button.confirm").click()
    page.wait_for_selector("#done")
    assert "1 decision recorded" in page.inner_text("#done")
    assert post_id not in _pending_ids(page)  # no longer pending
    # bulk-confirm two rows with the keyboard: j moves, x ticks, c confirms the ticked rows
    before = _pending_ids(page)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("c")
    page.wait_for_selector("#done >> text=2 decisions recorded")
    after = _pending_ids(page)
    assert before[:2] == [i for i in before if i not in after]
    page.screenshot(path=str(ARTIFACTS / "app-bulk-confirmed.png"))
    # undo the bulk action: both are pending again; the audit log keeps decisions and undos
    page.click("#undo")
    page.wait_for_selector("#undone")
    assert _pending_ids(page)[:2] == before[:2]
    # tick two with the mouse and confirm them with the button, then undo with the key
    page.locator("input.tick").nth(0).check()
    page.locator("input.tick").nth(1).check()
    page.click("#bulk-confirm")
    page.wait_for_selector("#done >> text=2 decisions recorded")
    page.keyboard.press("u")
    page.wait_for_selector("#undone")
    page.goto(server + "/queue?analysis=hate&status=confirm")
    assert post_id in page.content() and "table.queue" and page.locator("input.tick").count() == 1
    page.screenshot(path=str(ARTIFACTS / "app-queue-confirmed.png"))
    watch.assert_clean(page)
    # item pages
    page.goto(server + post_link)
    assert "clear case <b>not bold</b>" in page.inner_text("main")
    watch.assert_clean(page)
    page.screenshot(path=str(ARTIFACTS / "app-post.png"), full_page=True)
    page.click("main .post .meta a[href^='/account/']")
    page.wait_for_url("**/account/**")
    assert page.locator("h2", has_text="Timeline").count() == 1
    page.screenshot(path=str(ARTIFACTS / "app-account.png"), full_page=True)
    watch.assert_clean(page)
    page.goto(server + "/queue?analysis=coordination&status=all")
    page.click("table.queue a[href^='/cluster/']")
    page.wait_for_url("**/cluster/**")
    assert "Posts that tie them" in page.content()
    page.screenshot(path=str(ARTIFACTS / "app-cluster.png"), full_page=True)
    watch.assert_clean(page)
    # export what was confirmed: the one post (the bulk decisions were undone)
    page.goto(server + "/export")
    with page.expect_download() as dl:
        page.click("#export-platform-csv")
    rows = list(csv.DictReader(open(dl.value.path(), encoding="utf-8", newline="")))
    assert [r["post_id"] for r in rows] == [post_id]
    assert rows[0]["reviewer_decision"] == "confirm" and rows[0]["reviewer"] == "alice"
    page.fill("input[name=notifier_email]", "alice@example.org")
    with page.expect_download() as dl:
        page.click("#export-dsa-json")
    import json

    notices = json.loads(open(dl.value.path(), encoding="utf-8").read())["notices"]
    assert [n["item_id"] for n in notices] == [post_id] and notices[0]["notifier_email"] == "alice@example.org"
    page.screenshot(path=str(ARTIFACTS / "app-export.png"))
    watch.assert_clean(page)
    # the audit log shows the decision, escaped, and the undos
    page.goto(server + "/reviews")
    main = page.inner_text("main")
    assert "clear case <b>not bold</b>" in main and main.count("undo") >= 4
    watch.assert_clean(page)
    assert any(u.startswith(server + "/static/app.js") for u in watch.requests)
    ctx.close()


def test_writes_without_csrf_are_refused_in_the_browser(browser, server):
    ctx = browser.new_context()
    watch = Watch(ctx)
    page = ctx.new_page()
    watch.attach(page)
    page.goto(server + "/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    # strip the token from a review form, as a forged cross-site form would lack it
    page.evaluate("document.querySelector('form.review input[name=csrf_token]').remove()")
    with page.expect_response(lambda r: r.url.endswith("/review")) as resp:
        page.locator("form.review button.confirm").first.click()
    assert resp.value.status == 403
    ctx.close()


def test_report_renders_offline_with_map(browser, xss_db):
    out = ARTIFACTS / "report.html"
    with engineroom.open(xss_db) as c:
        write_report(c, out)
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    watch = Watch(ctx)
    page = ctx.new_page()
    watch.attach(page)
    page.goto(out.as_uri())
    page.wait_for_function("document.body.getAttribute('data-figures-rendered') !== null")
    page.screenshot(path=str(ARTIFACTS / "report-top.png"))
    n_figs = page.locator("div.figure").count()
    assert n_figs >= 4
    page.locator("#open-all").click()  # sections start closed; a figure is drawn when its section opens
    page.wait_for_function(f"document.body.getAttribute('data-figures-rendered') == '{n_figs}'")
    assert page.evaluate("document.body.getAttribute('data-figures-rendered')") == str(n_figs)
    assert page.evaluate("document.body.getAttribute('data-figures-failed')") == "0"
    # charts drew their marks
    assert page.locator("#fig-time .bars path").count() > 0
    assert page.locator("#fig-network .scatterlayer .point").count() >= 20
    page.locator("#network").scroll_into_view_if_needed()
    page.locator("#network").screenshot(path=str(ARTIFACTS / "report-network.png"))
    page.locator("#time").screenshot(path=str(ARTIFACTS / "report-time.png"))
    # hover shows an account; scrolling zooms
    page.evaluate("document.getElementById('fig-network').scrollIntoView({block: 'center'})")
    points = page.locator("#fig-network .scatterlayer .point")
    plot = page.locator("#fig-network .nsewdrag").first.bounding_box()
    cx, cy = plot["x"] + plot["width"] / 2, plot["y"] + plot["height"] / 2
    boxes = [points.nth(i).bounding_box() for i in range(min(points.count(), 40))]
    box = min((b for b in boxes if b), key=lambda b: (b["x"] - cx) ** 2 + (b["y"] - cy) ** 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + box["height"] / 2 + 2)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#fig-network .hoverlayer .hovertext", timeout=30_000)
    assert "@" in page.locator("#fig-network .hoverlayer").text_content()
    before = page.evaluate("document.getElementById('fig-network')._fullLayout.xaxis.range.slice()")
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    page.wait_for_function("(w) => document.getElementById('fig-network')._fullLayout.xaxis.range[1] "
                           "- document.getElementById('fig-network')._fullLayout.xaxis.range[0] < w",
                           arg=before[1] - before[0])
    after = page.evaluate("document.getElementById('fig-network')._fullLayout.xaxis.range.slice()")
    assert (after[1] - after[0]) < (before[1] - before[0])  # zoomed in
    page.screenshot(path=str(ARTIFACTS / "report-network-zoomed.png"))
    watch.assert_clean(page)
    ctx.close()
