"""The review web app: FastAPI with server-rendered, autoescaped Jinja2 pages.

Pages: ``/login``; ``/queue`` (flagged posts, accounts and clusters, highest score first,
filterable by analysis, community, narrative, item type and review status); ``/post/...``,
``/account/...`` (profile, signals, timeline, neighbours, coordination, evidence) and
``/cluster/...``; ``POST /review`` (confirm / reject / escalate with a note, appended to the
``reviews`` audit log with reviewer and time); ``/reviews`` (the audit log); ``/export`` (confirmed
items as a platform report, CSV / JSON, and reviewer labels for ``eval`` and retraining).
JSON: ``/api/queue``, ``POST /api/review``.

Security (see :mod:`engineroom.serve.auth`): every page and API except the login page and the
static files needs a live session (pages redirect to ``/login``, the API answers 401); every
write needs the session's CSRF token; failed logins are rate-limited; the Host header must be one
of ``trusted_hosts``; every response carries a Content-Security-Policy that forbids inline
script (``script-src 'self'``: the one script is a static file), ``frame-ancestors 'none'``,
``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``; all post text, names and
bios are escaped by the templates.

Data: the app only reads the corpus, through :class:`engineroom.serve.reader.CorpusReader`
(opened read-only while requests read it, closed a second after the last), so the command line
keeps working beside it; users, sessions and decisions live in the review store
(:mod:`engineroom.serve.store`, SQLite beside the corpus). No request made with GET or HEAD
changes anything.

Roles: every user decides; only ``admin`` users download exports (``engineroom users add NAME
--admin``).

Modules: this one builds the app (middleware, queue, item pages, decisions); the login routes are
in :mod:`engineroom.serve.login`, the downloads in :mod:`engineroom.serve.exports`; queue pages,
decisions, flagged items' pages and exports read the copy in the review store
(:mod:`engineroom.serve.snapshot`), queue rows are written by :mod:`engineroom.serve.rows`.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from .. import findings
from ..corpus import Corpus
from ..report.data import describe_evidence, post_ids_in
from . import auth, snapshot
from .exports import add_export_routes
from .highlight import evidence_summary, highlight
from .login import SESSION_COOKIE, _safe_next, add_login_routes
from .queue import DECISIONS, PAGE_SIZE, QUEUE_TABLE, ensure_queue, query_queue, queue_facets
from .reader import CorpusBusy, CorpusReader, corpus_view
from .rows import queue_row
from .store import open_store

PKG = Path(__file__).resolve().parents[1]
ITEM_TYPES = ("post", "account", "cluster")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PUBLIC_PATHS = ("/login", "/favicon.ico")
#: most items one bulk action decides (one short write transaction)
BULK_MAX = 5000


class Guard:
    """ASGI middleware in front of every route: trusted Host header, the session (or a redirect to
    the login page / 401), and the security headers on every response."""

    def __init__(self, app, sessions: auth.SessionStore, trusted: set[str]) -> None:
        self.app, self.sessions, self.trusted = app, sessions, trusted
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import cookie_parser

        extra = self.headers

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {k for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in extra if h[0] not in present]
            await send(message)

        headers = {k: v for k, v in scope.get("headers", [])}
        raw_host = headers.get(b"host", b"").decode("latin-1").lower()
        host = raw_host if raw_host.endswith("]") else raw_host.rsplit(":", 1)[0]
        if self.trusted and host not in self.trusted:
            await Response("unknown host", status_code=400, media_type="text/plain")(scope, receive, send_with_headers)
            return
        path = scope.get("path", "")
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        token = cookies.get(SESSION_COOKIE)
        session = None
        if token and not path.startswith("/static/"):
            # a read of the WAL store never waits for a writer: on the event loop; the idle clock,
            # written every few seconds per session, goes to a thread (a write may wait)
            session, touch = self.sessions.peek(token)
            if touch:
                session = await run_in_threadpool(self.sessions.get, token)
        scope.setdefault("state", {})["session"] = session
        if session is None and not (path in PUBLIC_PATHS or path.startswith("/static/")):
            dest = headers.get(b"sec-fetch-dest", b"document").decode("latin-1")
            if scope.get("method") in ("GET", "HEAD") and not path.startswith("/api/") and dest in ("document", "empty"):
                query = scope.get("query_string", b"").decode("latin-1")
                nxt = _safe_next(path + (("?" + query) if query else ""), "/queue")
                resp: Response = RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)
            else:
                resp = JSONResponse({"detail": "login required"}, status_code=401)
            await resp(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


_corpus_view = corpus_view


def _rows(cur, sql: str, params: list | None = None) -> list[dict]:
    res = cur.execute(sql, params or None)
    names = [d[0] for d in res.description]
    return [dict(zip(names, r)) for r in res.fetchall()]


def _has(cur, table: str, *cols: str) -> bool:
    """Whether the app's own table ``table`` (not a findings table) exists with ``cols``."""
    got = {r[0] for r in cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
        [table]).fetchall()}
    return bool(got) and all(c in got for c in cols)




def _safe_url(url: Any) -> str | None:
    from ..report import safe_url

    return safe_url(url)


def _fmt_time(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return str(v)[:16]


def _fmt_num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if v == v else ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _prepare(db: Path) -> None:
    """Before serving: build the review queue if the findings changed and copy review tables an
    older corpus kept inside DuckDB into the review store (a short read-write opening; skipped
    when a writer holds the corpus: the reader rebuilds the queue once it can)."""
    from ..corpus import CorpusLocked
    from .queue import queue_is_current

    try:  # usually all is current: a read-only look, which holds no lock other processes notice
        ro = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        ro = None
    if ro is not None:
        try:
            if queue_is_current(ro):
                store = open_store(db, con=ro)
                try:
                    snapshot.ensure_snapshot(ro, store)
                finally:
                    store.close()
                return
        finally:
            ro.close()
    try:
        corpus = Corpus(db)
    except (CorpusLocked, duckdb.ConnectionException):  # held by a writer, or open in this process already
        return
    try:
        ensure_queue(corpus)
        store = open_store(db, con=corpus.con)
        try:
            snapshot.ensure_snapshot(corpus.con, store)
        finally:
            store.close()
    finally:
        corpus.close()




def create_app(db: str | os.PathLike, session_idle: float = 30 * 60, session_max_age: float = 8 * 3600,
               login_free_attempts: int = 5, login_backoff: float = 1.0,
               trusted_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver"),
               pool_size: int = 8, linger: float = 1.0, blur_slurs: bool = True,
               queue_recheck: float = 10.0) -> FastAPI:
    """The review app over the corpus file ``db`` (read, never written, while it runs; decisions go
    to the review store beside it). ``blur_slurs``: terms the hate lexicon matched are blurred
    until clicked (for reviewers' wellbeing). ``linger``: seconds the corpus stays open after the
    last request; ``queue_recheck``: at most this often, a reopening checks whether the findings
    changed (then the queue is rebuilt)."""
    db = Path(db)
    _prepare(db)
    store = open_store(db)
    reader = CorpusReader(db, store, linger=linger, max_readers=pool_size, recheck=queue_recheck)
    sessions = auth.SessionStore(store, idle_timeout=session_idle, max_age=session_max_age)
    limiter = auth.LoginLimiter(store, free=login_free_attempts, base=login_backoff)
    env = jinja2.Environment(loader=jinja2.PackageLoader("engineroom", "templates"), autoescape=True,
                             undefined=jinja2.ChainableUndefined, auto_reload=False)
    env.filters.update(t=_fmt_time, n=_fmt_num, safe_url=_safe_url, evidence=describe_evidence)
    env.globals["qs"] = lambda **kw: urlencode({k: v for k, v in kw.items() if v not in (None, "")})
    env.globals["blur"] = blur_slurs
    env.filters["highlight"] = lambda text, evidence=(): highlight(text, evidence, blur_slurs)
    env.filters["evidence_line"] = lambda ev: evidence_summary(ev, blur_slurs, describe_evidence)
    trusted = {h.lower() for h in trusted_hosts}

    app = FastAPI(title="engineroom review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store, app.state.reader, app.state.sessions, app.state.limiter = store, reader, sessions, limiter
    app.state.templates = env
    facets: dict = {}
    counts: dict = {}  # cached queue counts per filter, for one version of the decisions

    def current_counts() -> dict:
        """The count cache, emptied whenever any process changed a decision."""
        version = store.state_version()
        if counts.get("__version__") != version:
            counts.clear()
            counts["__version__"] = version
        return counts

    def refresh_facets(con) -> None:
        facets.clear()
        facets.update(queue_facets(con))
        counts.clear()

    reader.on_rebuild.append(refresh_facets)
    app.mount("/static", StaticFiles(directory=str(PKG / "static")), name="static")

    def get_facets(cur) -> dict:
        if not facets:
            refresh_facets(cur)
        return facets

    # each queue row's HTML (serve/rows.py, as templates/serve/_queue_row.html), rendered once per
    # row, state of its decision and version of the findings; the page URL and the CSRF token,
    # the same in every row, are filled in per page
    row_cache: dict = {}
    here_mark, csrf_mark = "here" + secrets.token_hex(12), "csrf" + secrets.token_hex(12)

    def queue_rows(rows: list[dict], group: bool, here: str, csrf: str) -> list[Markup]:
        sig = snapshot.snapshot_signature(store)
        if row_cache.get("__sig__") != sig or len(row_cache) > 50_000:
            row_cache.clear()
            row_cache["__sig__"] = sig
        here_e, csrf_e = str(escape(here)), str(escape(csrf))
        out = []
        for r in rows:
            key = (r["item_type"], r["platform"], r["item_id"], r["analysis"], r.get("review_id"), r.get("copies"), group)
            html = row_cache.get(key)
            if html is None:
                html = row_cache[key] = queue_row(r, group, here_mark, csrf_mark, _fmt_num, _fmt_time,
                                                  env.filters["highlight"], env.filters["evidence_line"])
            out.append(Markup(html.replace(here_mark, here_e).replace(csrf_mark, csrf_e)))
        return out

    snap: dict = {"checked": 0.0}  # facets and counts of the queue's copy in the review store

    def read_queue(args: dict, page_size: int = PAGE_SIZE) -> tuple[list[dict], int, dict]:
        """A queue page from the copy in the review store (:mod:`engineroom.serve.snapshot`); from
        the corpus while there is no copy. At most every ``queue_recheck`` seconds the corpus is
        opened, which copies the queue again if the findings changed."""
        now = time.monotonic()
        if now - snap["checked"] > queue_recheck:
            snap["checked"] = now
            try:
                with reader.cursor():
                    pass
            except CorpusBusy:  # a command is writing the corpus: the copy serves meanwhile
                if snapshot.snapshot_signature(store) is None:
                    raise
        sig = snapshot.snapshot_signature(store)
        if sig is None:
            with reader.cursor() as cur:
                rows, total = query_queue(cur, count_cache=current_counts(), page_size=page_size, **args)
                return rows, total, get_facets(cur)
        if snap.get("sig") != sig:
            snap.update(sig=sig, facets=snapshot.facets(store), counts={})
        rows, total = snapshot.queue_page(store, page_size=page_size, counts=snap["counts"], **args)
        return rows, total, snap["facets"]

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        s = getattr(request.state, "session", None)
        page = env.get_template(f"serve/{name}").render(
            user=s.username if s else None, csrf=s.csrf if s else "", is_admin=bool(s and s.is_admin),
            path=request.url.path,
            here=str(request.url.path) + (("?" + request.url.query) if request.url.query else ""), **ctx)
        return HTMLResponse(page, status_code=status)

    @app.exception_handler(CorpusBusy)
    async def corpus_busy(request: Request, exc: CorpusBusy):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "10"})
        resp = render(request, "error.html", status=503, message="The corpus is being changed by a command "
                      f"right now; this page works again when it has finished. ({exc})")
        resp.headers["Retry-After"] = "10"
        return resp

    # -- middleware: hosts, sessions, security headers -------------------------------------
    app.add_middleware(Guard, sessions=sessions, trusted=trusted)

    def require_csrf(request: Request, form_token: str | None) -> Response | None:
        token = form_token or request.headers.get("x-csrf-token")
        if not auth.csrf_ok(request.state.session, token):
            return JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403)
        return None

    def require_admin(request: Request) -> Response | None:
        s = request.state.session
        if s is None or not s.is_admin:
            return render(request, "error.html", status=403,
                          message="Exports are for admins (engineroom users add NAME --admin).")
        return None

    # -- login / logout: serve/login.py ----------------------------------------------------------
    add_login_routes(app, store, sessions, limiter, render, require_csrf, session_max_age)

    # -- queue ------------------------------------------------------------------------------
    @app.get("/")
    def home():
        return RedirectResponse("/queue", status_code=303)

    def _queue_args(analysis, community, narrative, item_type, status, page, group=None):
        status = status if status in ("pending", "all") + DECISIONS else "pending"
        item_type = item_type if item_type in ITEM_TYPES else None
        try:
            page = max(1, min(int(page or 1), 100_000))
        except ValueError:
            page = 1
        group = group if group and len(group) == 32 and all(c in "0123456789abcdef" for c in group) else None
        return dict(analysis=analysis or None, community=community or None, narrative=narrative or None,
                    item_type=item_type, status=status, page=page, group=group)

    @app.get("/queue", response_class=HTMLResponse)
    async def queue_page(request: Request, analysis: str = "", community: str = "", narrative: str = "",
                         item_type: str = "", status: str = "pending", page: str = "1", done: str = "", undone: str = "",
                         group: str = ""):
        """A queue page, read in a thread (measured on the loaded 2-core development host: the
        same handlers run on the event loop cost a little less CPU but served a third fewer
        requests, with a worse tail; benchmarks/RESULTS.md)."""
        args = _queue_args(analysis, community, narrative, item_type, status, page, group)
        rows, total, fac = await run_in_threadpool(read_queue, args)
        pages = max(1, -(-total // PAGE_SIZE))
        batch = None
        if done:
            ids = store.batch_ids(done)
            mine = store.rows("SELECT count(*) AS n, min(reviewer) AS who, min(decision) AS decision FROM reviews "
                              "WHERE batch_id = ? AND decision != 'undo'", [done])[0]
            if ids and mine["who"] == request.state.session.username:
                batch = {"id": done, "n": mine["n"], "decision": mine["decision"]}
        others = sessions.count(request.state.session.username) - 1
        s = request.state.session
        html = queue_rows(rows, bool(args["group"]), here=str(request.url.path) + (("?" + request.url.query) if request.url.query else ""),
                          csrf=s.csrf if s else "")
        return render(request, "queue.html", row_html=html, total=total, pages=pages, f=args, facets=fac,
                      batch=batch, undone=undone, others=others, bulk_max=BULK_MAX)

    @app.get("/api/queue")
    def api_queue(analysis: str = "", community: str = "", narrative: str = "", item_type: str = "",
                  status: str = "pending", page: str = "1", group: str = ""):
        args = _queue_args(analysis, community, narrative, item_type, status, page, group)
        rows, total, _ = read_queue(args)
        return JSONResponse(json.loads(json.dumps({"total": total, "page": args["page"], "items": rows}, default=str)))

    # -- item pages -------------------------------------------------------------------------
    def _found(cur, table: str) -> bool:
        """Whether the analysis that writes findings table ``table`` has run (then the table has
        its declared columns: :mod:`engineroom.findings`)."""
        return findings.exists(_corpus_view(db, cur), table)

    def _history(cur, item_type: str, platform: str | None, item_id: str) -> list[dict]:
        return store.log(item=(item_type, platform, item_id), limit=200)

    def _flags(cur, item_type: str, platform: str | None, item_id: str) -> list[dict]:
        return _rows(cur, f"SELECT * FROM {QUEUE_TABLE} WHERE item_type = ? AND coalesce(platform, '') = coalesce(?, '') "
                          "AND item_id = ? ORDER BY score DESC, qrank", [item_type, platform, item_id])

    def _post_by_rows(cur, platform: str, post_id: str):
        """(post, hate, narratives, flags) rows of a post through ``review_post_rows`` (row ids,
        found by a hash), or None when that table is missing or does not match the tables."""
        if not _has(cur, "review_post_rows", "h", "post_row"):
            return None
        look = cur.execute("SELECT post_row, hate_rows, narrative_rows, queue_rows FROM review_post_rows "
                           "WHERE h = hash(?::VARCHAR, ?::VARCHAR) AND platform = ? AND post_id = ?",
                           [platform, post_id, platform, post_id]).fetchall()
        if not look:
            return [], [], [], []
        post_row, hate_rows, narr_rows, queue_rows = look[0]

        def by_rows(table: str, rows: list | None, order: str = "") -> list[dict]:
            if not rows:
                return []
            return _rows(cur, f"SELECT * FROM {table} WHERE rowid IN ({', '.join(str(int(r)) for r in rows)}) {order}")

        post = _rows(cur, "SELECT * EXCLUDE (extra) FROM posts WHERE rowid = ?", [int(post_row)])
        hate, narr = by_rows("hate", hate_rows), by_rows("narratives", narr_rows)
        flags = by_rows(QUEUE_TABLE, queue_rows, "ORDER BY score DESC, qrank")
        rows = post + hate + narr
        if any(r.get("platform") != platform or r.get("post_id") != post_id for r in rows) or any(
                f.get("item_id") != post_id for f in flags):
            return None  # the tables changed since the lookup was built
        return post, hate, narr, flags

    def _posts_by_ids(cur, ids: list[str], limit: int = 30) -> list[dict]:
        ids = list(dict.fromkeys(str(i) for i in ids))[:limit]
        if not ids:
            return []
        return _rows(cur, "SELECT platform, post_id, account_id, handle, created_at, text, url, kind FROM posts "
                          "WHERE post_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY created_at", [ids])

    @app.get("/post/{platform}/{post_id:path}", response_class=HTMLResponse)
    def post_page(request: Request, platform: str, post_id: str):
        """A flagged post's page from the copy in the review store; any other post's from the corpus."""
        copied = snapshot.post_page(store, platform, post_id) if snapshot.has_snapshot(store) else None
        if copied is not None:
            post, hate, narr = copied
            flags = snapshot.flags_of(store, "post", platform, post_id)
            author_page = snapshot.account_page(store, platform, post.get("account_id") or "")
            author = author_page["account"] if author_page else None
            if author is None and post.get("account_id"):
                with reader.cursor() as cur:
                    found = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                                  [platform, post["account_id"]])
                author = found[0] if found else None
            evidence = [h.get("evidence") for h in hate] + [n.get("evidence") for n in narr] + [f.get("evidence") for f in flags]
            return render(request, "post.html", post=post, author=author, hate=hate, narratives=narr, flags=flags,
                          history=_history(None, "post", platform, post_id), evidence=evidence)
        with reader.cursor() as cur:
            found = _post_by_rows(cur, platform, post_id)
            if found is None:  # no lookup table (or it is out of date): compare every id
                post = _rows(cur, "SELECT * EXCLUDE (extra) FROM posts WHERE platform = ? AND post_id = ?", [platform, post_id])
                hate = _rows(cur, "SELECT * FROM hate WHERE platform = ? AND post_id = ?", [platform, post_id]) \
                    if _found(cur, "hate") else []
                narr = _rows(cur, "SELECT * FROM narratives WHERE platform = ? AND post_id = ?", [platform, post_id]) \
                    if _found(cur, "narratives") else []
                flags = _flags(cur, "post", platform, post_id)
            else:
                post, hate, narr, flags = found
            if not post:
                return render(request, "error.html", status=404, message="No such post.")
            post = post[0]
            author = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                           [platform, post["account_id"]]) if post.get("account_id") else []
            history = _history(cur, "post", platform, post_id)
        evidence = [h.get("evidence") for h in hate] + [n.get("evidence") for n in narr] + [f.get("evidence") for f in flags]
        return render(request, "post.html", post=post, author=author[0] if author else None, hate=hate,
                      narratives=narr, flags=flags, history=history, evidence=evidence)

    @app.get("/account/{platform}/{account_id:path}", response_class=HTMLResponse)
    def account_page(request: Request, platform: str, account_id: str):
        copied = snapshot.account_page(store, platform, account_id) if snapshot.has_snapshot(store) else None
        if copied is not None:  # an account the queue names: all but its timeline from the copy
            with reader.cursor() as cur:
                timeline = _timeline(cur, platform, account_id)
            return render_account(request, platform, account_id, acc=copied["account"],
                                  flags=snapshot.flags_of(store, "account", platform, account_id),
                                  signals=copied["signals"] or [], er=copied["engine_room"] or [], timeline=timeline,
                                  out_n=copied["neighbours_out"] or [], in_n=copied["neighbours_in"] or [],
                                  coord=copied["coordination"] or [],
                                  clusters=[{"cluster_id": c} for c in copied["clusters"] or []],
                                  community=copied["community"],
                                  post_flags=snapshot.post_flags_of_account(store, platform, account_id))
        with reader.cursor() as cur:
            acc = _rows(cur, "SELECT * EXCLUDE (extra) FROM accounts WHERE platform = ? AND account_id = ?",
                        [platform, account_id])
            flags = _flags(cur, "account", platform, account_id)
            if not acc and not flags:
                return render(request, "error.html", status=404, message="No such account.")
            signals = _rows(cur, "SELECT * FROM account_scores WHERE platform = ? AND account_id = ?",
                            [platform, account_id]) if _found(cur, "account_scores") else []
            er = _rows(cur, "SELECT * FROM engine_room WHERE platform = ? AND account_id = ? ORDER BY score DESC",
                       [platform, account_id]) if _found(cur, "engine_room") else []
            timeline = _timeline(cur, platform, account_id)
            out_n = _rows(cur, """SELECT o.kind, o.target AS other, coalesce(a.handle, o.target_handle) AS handle, o.n
                                  FROM (SELECT * FROM review_neighbours_out WHERE h = hash(?::VARCHAR, ?::VARCHAR)
                                        AND platform = ? AND source_account_id = ? ORDER BY n DESC, target, kind LIMIT 25) o
                                  LEFT JOIN accounts a ON a.platform = o.platform AND a.account_id = o.target
                                  ORDER BY o.n DESC, o.target, o.kind""", [platform, account_id, platform, account_id])
            in_n = _rows(cur, """SELECT i.kind, i.source_account_id AS other, a.handle, i.n
                                 FROM (SELECT * FROM review_neighbours_in WHERE h = hash(?::VARCHAR, ?::VARCHAR)
                                       AND platform = ? AND target = ? ORDER BY n DESC, source_account_id, kind LIMIT 25) i
                                 LEFT JOIN accounts a ON a.platform = i.platform AND a.account_id = i.source_account_id
                                 ORDER BY i.n DESC, i.source_account_id, i.kind""", [platform, account_id, platform, account_id])
            coord = _rows(cur, """SELECT c.network, CASE WHEN c.account_1 = ? THEN c.account_2 ELSE c.account_1 END AS other,
                                         c.weight, a.handle
                                  FROM coordination c LEFT JOIN accounts a ON a.platform = c.platform
                                       AND a.account_id = CASE WHEN c.account_1 = ? THEN c.account_2 ELSE c.account_1 END
                                  WHERE c.platform = ? AND (c.account_1 = ? OR c.account_2 = ?)
                                  ORDER BY c.weight DESC, other, c.network LIMIT 25""",
                          [account_id, account_id, platform, account_id, account_id]) \
                if _found(cur, "coordination") else []
            clusters = _rows(cur, "SELECT DISTINCT CAST(cluster_id AS VARCHAR) AS cluster_id FROM coordination_clusters "
                                  "WHERE account_id = ? ORDER BY 1", [account_id]) \
                if _found(cur, "coordination_clusters") else []
            community = _rows(cur, "SELECT community, pagerank FROM graph_nodes WHERE platform = ? AND account_id = ?",
                              [platform, account_id]) if _found(cur, "graph_nodes") else []
            qrows = [int(r[0]) for r in cur.execute(
                "SELECT unnest(queue_rows) FROM review_account_posts WHERE h = hash(?::VARCHAR, ?::VARCHAR) "
                "AND platform = ? AND account_id = ?", [platform, account_id, platform, account_id]).fetchall()]
            post_flags = _rows(cur, f"SELECT * FROM {QUEUE_TABLE} WHERE rowid IN ({', '.join(map(str, qrows))}) "
                                    "ORDER BY score DESC, qrank LIMIT 30") if qrows else []
        return render_account(request, platform, account_id, acc=acc[0] if acc else None, flags=flags, signals=signals,
                              er=er, timeline=timeline, out_n=out_n, in_n=in_n, coord=coord, clusters=clusters,
                              community=community[0] if community else None, post_flags=post_flags)

    def _timeline(cur, platform: str, account_id: str) -> list[dict]:
        """The account's latest 100 posts (with ``n_total``, how many it has), through the table
        sorted by a hash of the account."""
        return _rows(cur, "SELECT post_id, created_at, kind, text, url, handle, label, score, "
                          "count(*) OVER () AS n_total FROM review_account_posts "
                          "WHERE h = hash(?::VARCHAR, ?::VARCHAR) AND platform = ? AND account_id = ? "
                          "ORDER BY created_at DESC LIMIT 100", [platform, account_id, platform, account_id])

    def render_account(request: Request, platform: str, account_id: str, acc, flags, signals, er, timeline, out_n, in_n,
                       coord, clusters, community, post_flags) -> HTMLResponse:
        if not acc and not flags:
            return render(request, "error.html", status=404, message="No such account.")
        n_posts = timeline[0]["n_total"] if timeline else 0
        history = _history(None, "account", platform, account_id)
        signal_items, other_signals = [], []
        first = ("operation_score", "operation_label", "top_signals", "profile_score", "behaviour_score", "rule_score")
        for s in signals:
            for k in [k for k in first if k in s] + [k for k in s if k not in first]:
                if k in ("platform", "account_id", "handle"):
                    continue
                v = s[k]
                item = (k, describe_evidence(v, 1000) if isinstance(v, str) and v[:1] in "[{" else _fmt_num(v))
                (signal_items if k in first else other_signals).append(item)
        return render(request, "account.html", platform=platform, account_id=account_id, acc=acc,
                      flags=flags, signals=signal_items, other_signals=other_signals, engine_room=er, timeline=timeline,
                      n_posts=n_posts, out_n=out_n, in_n=in_n, coord=coord, clusters=clusters,
                      community=community, post_flags=post_flags, history=history)

    @app.get("/cluster/{cluster_id:path}", response_class=HTMLResponse)
    def cluster_page(request: Request, cluster_id: str):
        with reader.cursor() as cur:
            if not _found(cur, "coordination_clusters"):
                return render(request, "error.html", status=404, message="No coordination clusters in this corpus.")
            members = _rows(cur, """SELECT m.*, a.handle AS account_handle, a.display_name, a.followers
                                    FROM (SELECT * FROM coordination_clusters WHERE CAST(cluster_id AS VARCHAR) = ?) m
                                    LEFT JOIN accounts a ON a.platform = m.platform AND a.account_id = m.account_id
                                    ORDER BY m.account_id""", [cluster_id])
            if not members:
                return render(request, "error.html", status=404, message="No such cluster.")
            platform = members[0].get("platform")
            ids = [str(m["account_id"]) for m in members]
            edges = _rows(cur, """SELECT c.network, c.account_1, c.account_2, c.weight, c.post_ids,
                                         a1.handle AS h1, a2.handle AS h2
                                  FROM coordination c
                                  LEFT JOIN accounts a1 ON a1.platform = c.platform AND a1.account_id = c.account_1
                                  LEFT JOIN accounts a2 ON a2.platform = c.platform AND a2.account_id = c.account_2
                                  WHERE c.account_1 IN (SELECT unnest(?::VARCHAR[]))
                                    AND c.account_2 IN (SELECT unnest(?::VARCHAR[]))
                                  ORDER BY c.weight DESC LIMIT 60""", [ids, ids]) \
                if _found(cur, "coordination") else []
            pids: list[str] = []
            for e in edges:
                pids += post_ids_in(e.get("post_ids"), 10)
            posts = _posts_by_ids(cur, pids, 30)
            flags = _flags(cur, "cluster", platform, cluster_id)
            history = _history(cur, "cluster", platform, cluster_id)
        nets: dict[str, float] = {}
        for e in edges:
            nets[e["network"]] = nets.get(e["network"], 0) + float(e["weight"] or 0)
        return render(request, "cluster.html", cluster_id=cluster_id, platform=platform, members=members, edges=edges,
                      posts=posts, networks=sorted(nets.items(), key=lambda kv: -kv[1]), flags=flags, history=history,
                      evidence=describe_evidence(members[0].get("evidence"), 600))

    # -- decisions ------------------------------------------------------------------------
    def _check_form(item_type: str, platform: str | None, item_id: str, decision: str, note: str) -> str | None:
        if item_type not in ITEM_TYPES:
            return "unknown item type"
        if decision not in DECISIONS:
            return "decision is confirm, reject or escalate"
        if not item_id or len(item_id) > 300 or len(note) > 4000 or len(platform or "") > 100:
            return "bad item or note too long"
        return None

    def _check_item(cur, item_type: str, platform: str | None, item_id: str, analysis: str | None,
                    decision: str, note: str) -> str | None:
        err = _check_form(item_type, platform, item_id, decision, note)
        if err:
            return err
        if analysis:
            ok = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE} WHERE item_type = ? AND platform = coalesce(?, '') "
                             "AND item_id = ? AND analysis = ?", [item_type, platform, item_id, analysis]).fetchall()[0][0]
        elif item_type == "post":
            ok = cur.execute("SELECT count(*) FROM posts WHERE platform = ? AND post_id = ?", [platform, item_id]).fetchall()[0][0]
        elif item_type == "account":
            ok = cur.execute("SELECT count(*) FROM accounts WHERE platform = ? AND account_id = ?",
                             [platform, item_id]).fetchall()[0][0]
        else:
            ok = cur.execute(f"SELECT count(*) FROM {QUEUE_TABLE} WHERE item_type = 'cluster' AND item_id = ?",
                             [item_id]).fetchall()[0][0]
        return None if ok else "no such flagged item"

    def _decide(session: auth.Session, items: list[dict], decision: str, note: str) -> tuple[str | None, str | None]:
        """Check ``items`` against the corpus, then store them as one batch: (error, batch id).
        A decision on a group's lead is a decision on each of its near-identical copies too.
        Flags (items with an analysis) are checked against the queue's copy in the review store;
        other items against the corpus."""
        if snapshot.has_snapshot(store) and all(it.get("analysis") for it in items):
            for it in items:
                err = _check_form(it["item_type"], it.get("platform"), it["item_id"], decision, note)
                if err:
                    return err, None
                if not snapshot.is_flagged(store, it["item_type"], it.get("platform"), it["item_id"], it["analysis"]):
                    return "no such flagged item", None
            leads = [it for it in items if it["item_type"] == "post"]
            seen = {(it["item_type"], it.get("platform") or "", it["item_id"], it.get("analysis") or "") for it in items}
            for t, p, i, a in snapshot.copies_of(store, leads) if leads else []:
                if (t, p, i, a) not in seen:
                    seen.add((t, p, i, a))
                    items = items + [{"item_type": t, "platform": p or None, "item_id": i, "analysis": a}]
            batch = uuid.uuid4().hex
            store.record([dict(it, decision=decision, note=note) for it in items], session.username, batch)
            counts.clear()
            return None, batch
        with reader.cursor() as cur:
            for it in items:
                err = _check_item(cur, it["item_type"], it.get("platform"), it["item_id"], it.get("analysis"),
                                  decision, note)
                if err:
                    return err, None
            leads = [it for it in items if it["item_type"] == "post" and it.get("analysis")]
            if leads:
                copies = cur.execute(
                    f"""SELECT c.item_type, c.platform, c.item_id, c.analysis
                        FROM (SELECT unnest(?::STRUCT(p VARCHAR, i VARCHAR, a VARCHAR)[]) AS k) d
                        JOIN {QUEUE_TABLE} l ON l.item_type = 'post' AND l.platform = d.k.p AND l.item_id = d.k.i
                             AND l.analysis = d.k.a AND l.lead AND l.copies > 1
                        JOIN {QUEUE_TABLE} c ON c.analysis = l.analysis AND c.dup_key = l.dup_key AND NOT c.lead""",
                    [[{"p": it.get("platform") or "", "i": it["item_id"], "a": it["analysis"]} for it in leads]]).fetchall()
                seen = {(it["item_type"], it.get("platform") or "", it["item_id"], it.get("analysis") or "") for it in items}
                for t, p, i, a in copies:
                    if (t, p, i, a) not in seen:
                        seen.add((t, p, i, a))
                        items = items + [{"item_type": t, "platform": p or None, "item_id": i, "analysis": a}]
        batch = uuid.uuid4().hex
        store.record([dict(it, decision=decision, note=note) for it in items], session.username, batch)
        counts.clear()
        return None, batch

    def _item_of(get) -> dict:
        return {"item_type": str(get("item_type", "")), "platform": str(get("platform") or "") or None,
                "item_id": str(get("item_id") or ""), "analysis": str(get("analysis") or "") or None}

    def _with(url: str, **params: str) -> str:
        url = _safe_next(url)
        return url + ("&" if "?" in url else "?") + urlencode(params)

    @app.post("/review")
    async def review(request: Request):
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        err, batch = await run_in_threadpool(_decide, request.state.session, [_item_of(form.get)],
                                             str(form.get("decision", "")), str(form.get("note", "")).strip())
        if err:
            return render(request, "error.html", status=400, message=err)
        return RedirectResponse(_with(str(form.get("next", "")), done=batch), status_code=303)

    @app.post("/review/bulk")
    async def review_bulk(request: Request):
        """One decision for the selected queue rows (``item`` values ``type|platform|id|analysis``)
        or, with ``scope=filter``, for every pending row matching the filter (at most BULK_MAX;
        ``expected`` must equal that count, so that nobody decides on more than they saw)."""
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        decision, note = str(form.get("decision", "")), str(form.get("note", "")).strip()
        if form.get("scope") == "filter":
            args = _queue_args(form.get("analysis"), form.get("community"), form.get("narrative"),
                               form.get("item_type"), "pending", 1)

            def matching() -> tuple[list[dict], int]:
                rows, total, _ = read_queue(args, page_size=BULK_MAX)
                return rows, total

            rows, total = await run_in_threadpool(matching)
            if total > BULK_MAX:
                return render(request, "error.html", status=400,
                              message=f"{total:,} items match: narrow the filter to at most {BULK_MAX:,}.")
            if str(total) != str(form.get("expected", "")):
                return render(request, "error.html", status=409, message=f"{total:,} items match now, not "
                              f"{form.get('expected')}: the queue changed; look again before deciding on all of them.")
            items = [{"item_type": r["item_type"], "platform": r["platform"] or None, "item_id": r["item_id"],
                      "analysis": r["analysis"]} for r in rows]
        else:
            items = []
            for v in form.getlist("item")[:BULK_MAX]:
                parts = str(v).split("|", 3)
                if len(parts) != 4:
                    return render(request, "error.html", status=400, message="bad item")
                items.append({"item_type": parts[0], "platform": parts[1] or None, "item_id": parts[2],
                              "analysis": parts[3] or None})
        if not items:
            return render(request, "error.html", status=400, message="Nothing selected.")
        err, batch = await run_in_threadpool(_decide, request.state.session, items, decision, note)
        if err:
            return render(request, "error.html", status=400, message=err)
        return RedirectResponse(_with(str(form.get("next", "")), done=batch), status_code=303)

    @app.post("/undo")
    async def undo(request: Request):
        """Take back a batch (``batch``) or one decision (``review_id``); the audit log keeps both."""
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        def run() -> int:
            ids = store.batch_ids(str(form.get("batch"))) if form.get("batch") else [str(form.get("review_id", ""))]
            n = store.undo(ids, request.state.session.username)
            counts.clear()
            return n

        n = await run_in_threadpool(run)
        return RedirectResponse(_with(str(form.get("next", "")), undone=str(n)), status_code=303)

    @app.post("/api/review")
    async def api_review(request: Request):
        bad = require_csrf(request, None)
        if bad:
            return bad
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "JSON body expected"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "JSON object expected"}, status_code=400)
        err, batch = await run_in_threadpool(_decide, request.state.session, [_item_of(body.get)],
                                             str(body.get("decision", "")), str(body.get("note") or "").strip())
        if err:
            return JSONResponse({"detail": err}, status_code=400)
        return JSONResponse({"ok": True, "batch": batch, "review_ids": store.batch_ids(batch)})

    @app.get("/reviews", response_class=HTMLResponse)
    def reviews_page(request: Request, reviewer: str = "", decision: str = ""):
        rows = store.log(reviewer or None, decision if decision in DECISIONS + ("undo",) else None)
        counts_ = store.rows("SELECT decision, count(*) AS n FROM reviews GROUP BY 1 ORDER BY 1")
        return render(request, "reviews.html", rows=rows, counts=counts_, reviewer=reviewer, decision=decision)

    # -- exports (admins; read-only): serve/exports.py ----------------------------------------
    add_export_routes(app, db, store, reader, render, require_admin)

    return app

