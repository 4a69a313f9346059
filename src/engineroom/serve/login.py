"""The review app's login routes: ``/login`` (form and check), ``/logout`` and the public,
empty ``/favicon.ico`` (see :mod:`engineroom.serve.auth` for sessions, limits and passwords).

The login form carries a double-submit token (``er_login_csrf``, a cookie scoped to ``/login``)
that stays the same across login pages, so the browser's own requests, a second tab and the back
button do not make it stale; attempts are counted per user name before the password is checked.
"""

from __future__ import annotations

import secrets
import threading
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from . import auth
from .store import ReviewStore

SESSION_COOKIE = "er_session"
LOGIN_CSRF_COOKIE = "er_login_csrf"


def _safe_next(target: str | None, default: str = "/queue") -> str:
    """A local path to go back to after a form (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return default
    return target


def _login_token(value: str | None) -> str:
    """The browser's login-form token when it has a well-formed one, else a new one: every login
    page (a second tab, the back button, the browser's own requests) keeps the same token."""
    if value and 40 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return secrets.token_urlsafe(32)


def add_login_routes(app: FastAPI, store: ReviewStore, sessions: auth.SessionStore, limiter: auth.LoginLimiter,
                     render: Callable, require_csrf: Callable, session_max_age: float) -> None:
    """The login, logout and favicon routes on ``app``."""
    checking = threading.BoundedSemaphore(4)  # scrypt checks at once (each ~50 ms of one core)

    # -- login / logout ---------------------------------------------------------------------
    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})

    def login_page(request: Request, error: str = "", status: int = 200, next_: str = "/queue") -> HTMLResponse:
        token = _login_token(request.cookies.get(LOGIN_CSRF_COOKIE))
        resp = render(request, "login.html", status=status, error=error, login_csrf=token, next=_safe_next(next_))
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=request.url.scheme == "https", max_age=8 * 3600)
        return resp

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/queue"):
        if request.state.session is not None:  # logged in already (the back button, a second tab)
            return RedirectResponse(_safe_next(next), status_code=303)
        return login_page(request, next_=next)

    @app.post("/login")
    async def login(request: Request):
        form = await request.form()
        name, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:1024]
        nxt = str(form.get("next", ""))
        cookie, field = request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token", ""))
        if not cookie or not field or not secrets.compare_digest(cookie, field):
            return login_page(request, "The login form had expired: please log in again.", 403, nxt)
        wait = await run_in_threadpool(limiter.begin, name)  # counted now, before the password is checked
        if wait > 0:
            resp = login_page(request, f"Too many failed logins for {name}: try again in {int(wait) + 1} s.", 429, nxt)
            resp.headers["Retry-After"] = str(int(wait) + 1)
            return resp
        def check():
            with checking:
                return auth.check_login(store, name, password)

        user = await run_in_threadpool(check)
        if user is None:
            return login_page(request, "Wrong user name or password.", 401, nxt)
        await run_in_threadpool(limiter.succeeded, name)
        token, _ = await run_in_threadpool(sessions.create, user["username"])
        resp = RedirectResponse(_safe_next(nxt), status_code=303)
        resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https", max_age=int(session_max_age))
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        form = await request.form()
        bad = require_csrf(request, form.get("csrf_token"))
        if bad:
            return bad
        sessions.end(request.cookies.get(SESSION_COOKIE))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp
