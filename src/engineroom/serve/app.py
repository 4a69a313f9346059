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

import inspect
import json
import os
import secrets
import time
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

from ..corpus import Corpus
from ..report.data import describe_evidence
from . import auth, snapshot
from .exports import add_export_routes
from .decisions import BULK_MAX, ITEM_TYPES, add_decision_routes, write_soon
from .highlight import evidence_summary, highlight
from .items import add_item_routes
from .login import SESSION_COOKIE, _safe_next, add_login_routes
from .queue import DECISIONS, PAGE_SIZE, ensure_queue, query_queue, queue_facets
from .reader import CorpusBusy, CorpusReader
from .pages import _fmt_num, _fmt_time, _safe_url
from .rows import content_cell, queue_row
from .store import open_store

PKG = Path(__file__).resolve().parents[1]
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
            # written every few seconds per session, too (serve/decisions.py's write_soon)
            session, touch = self.sessions.peek(token)
            if touch:
                session = await write_soon(self.sessions.get, token)
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
    store.checkpoint_in_background()  # decisions commit on the event loop: no fsync there
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

    opts: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:  # FastAPI's OpenTelemetry hooks: unused here
        opts["telemetry"] = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    app = FastAPI(title="engineroom review", docs_url=None, redoc_url=None, openapi_url=None, **opts)
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

    def queue_rows(rows: list[dict], group: bool, here: str, csrf: str) -> Markup:
        """The ``<tr>`` rows of a queue page, one string (the copy's signature, kept by
        ``read_queue``, says when the cached rows are out of date)."""
        sig = snap.get("sig")
        if row_cache.get("__sig__") != sig or len(row_cache) > 50_000:
            row_cache.clear()
            row_cache["__sig__"] = sig
        out = []
        for r in rows:
            item = (r["item_type"], r["platform"], r["item_id"], r["analysis"], r.get("copies"), group)
            key = item + (r.get("review_id"),)
            html = row_cache.get(key)
            if html is None:  # the text and evidence cell is kept apart: a decision does not change it
                content = row_cache.get(item)
                if content is None:
                    content = row_cache[item] = content_cell(r, group, _fmt_num, env.filters["highlight"],
                                                             env.filters["evidence_line"])
                html = row_cache[key] = queue_row(r, group, here_mark, csrf_mark, _fmt_num, _fmt_time,
                                                  env.filters["highlight"], env.filters["evidence_line"], content)
            out.append(html)
        return Markup("\n".join(out).replace(here_mark, str(escape(here))).replace(csrf_mark, str(escape(csrf))))

    snap: dict = {"checked": 0.0}  # facets and counts of the queue's copy in the review store

    def read_queue(args: dict, page_size: int = PAGE_SIZE, store_only: bool = False) -> tuple[list[dict], int, dict] | None:
        """A queue page from the copy in the review store (:mod:`engineroom.serve.snapshot`); from
        the corpus while there is no copy. At most every ``queue_recheck`` seconds the corpus is
        opened, which copies the queue again if the findings changed. ``store_only``: None
        instead when the answer needs the corpus (the caller then reads it in a thread)."""
        now = time.monotonic()
        at = snapshot.versions(store)
        if store_only and (now - snap["checked"] > queue_recheck or at[0] is None):
            return None
        if now - snap["checked"] > queue_recheck:
            snap["checked"] = now
            try:
                with reader.cursor(decisions=False):
                    pass
            except CorpusBusy:  # a command is writing the corpus: the copy serves meanwhile
                if snapshot.snapshot_signature(store) is None:
                    raise
            at = snapshot.versions(store)  # the opening may have copied the queue again
        sig = at[0]
        if sig is None:
            with reader.cursor() as cur:
                rows, total = query_queue(cur, count_cache=current_counts(), page_size=page_size, **args)
                return rows, total, get_facets(cur)
        if snap.get("sig") != sig:
            snap.update(sig=sig, facets=snapshot.facets(store), counts={})
        rows, total = snapshot.queue_page(store, page_size=page_size, counts=snap["counts"], at=at, **args)
        return rows, total, snap["facets"]

    forms: dict = {}

    def filter_form(fac: dict, args: dict) -> Markup:
        """The queue's filter form (``templates/serve/_queue_filters.html``: every filter value
        offered, the chosen ones selected), rendered once per set of values and choice."""
        key = (tuple((k, tuple(v)) for k, v in sorted(fac.items())), args["analysis"], args["item_type"],
               args["narrative"], args["community"], args["status"])
        hit = forms.get(key)
        if hit is None:
            if len(forms) > 5000:
                forms.clear()
            hit = forms[key] = Markup(env.get_template("serve/_queue_filters.html").render(facets=fac, f=args))
        return hit

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
        """A queue page: the rows of the copy in the review store, each row's HTML cached
        (``queue_rows``), the filter form cached per filter (``filter_form``)."""
        args = _queue_args(analysis, community, narrative, item_type, status, page, group)
        # from the copy in the review store, on the event loop (SQLite reads in WAL mode never
        # wait for a writer); in a thread when the corpus must be opened
        found = read_queue(args, store_only=True)
        rows, total, fac = found if found is not None else await run_in_threadpool(read_queue, args)
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
        return render(request, "queue.html", row_html=html, filters=filter_form(fac, args), total=total, pages=pages, f=args,
                      batch=batch, undone=undone, others=others, bulk_max=BULK_MAX)

    @app.get("/api/queue")
    def api_queue(analysis: str = "", community: str = "", narrative: str = "", item_type: str = "",
                  status: str = "pending", page: str = "1", group: str = ""):
        args = _queue_args(analysis, community, narrative, item_type, status, page, group)
        rows, total, _ = read_queue(args)
        return JSONResponse(json.loads(json.dumps({"total": total, "page": args["page"], "items": rows}, default=str)))

    # -- item pages (posts, accounts, clusters): serve/items.py ----------------------------
    add_item_routes(app, db, store, reader, render)

    # -- decisions, bulk decisions, undo, the review log: serve/decisions.py -----------------
    add_decision_routes(app, store, reader, render, require_csrf, _queue_args, read_queue, counts)

    # -- exports (admins; read-only): serve/exports.py ----------------------------------------
    add_export_routes(app, db, store, reader, render, require_admin)

    return app

