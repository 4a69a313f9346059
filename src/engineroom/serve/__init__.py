"""``engineroom serve``: the review web app (see :mod:`engineroom.serve.app`).

>>> from engineroom.serve import create_app, serve
>>> serve("corpus.duckdb")                       # doctest: +SKIP  (http://127.0.0.1:8000)

Reviewers are added with ``engineroom users add NAME`` (:func:`engineroom.serve.auth.add_user`),
also while the app runs: users, sessions and decisions live in the review store beside the
corpus (:mod:`engineroom.serve.store`); the app reads the corpus only while serving a request.
The app binds 127.0.0.1 by default; binding another address prints a warning, since the app is
meant to sit behind a TLS-terminating proxy if it is ever exposed.
"""

from __future__ import annotations

import os
import sys

from .app import create_app
from .auth import add_user, list_users, remove_user, set_password
from .store import ReviewStore, open_store, store_path

__all__ = ["create_app", "serve", "add_user", "remove_user", "set_password", "list_users", "open_store",
           "store_path", "ReviewStore"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


_CONFIG_ENV = "ENGINEROOM_SERVE_CONFIG"


def app_from_env():
    """The app a worker process of ``serve(workers=N)`` builds (its settings from the environment)."""
    import json

    cfg = json.loads(os.environ[_CONFIG_ENV])
    return create_app(cfg["db"], trusted_hosts=tuple(cfg["hosts"]), blur_slurs=cfg["blur"])


def fast_io() -> dict[str, str]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools (libuv and llhttp, in C) where
    they import, else asyncio and h11 (pure Python, more CPU per request)."""
    out = {"loop": "asyncio", "http": "h11"}
    try:
        import uvloop  # noqa: F401

        out["loop"] = "uvloop"
    except ImportError:
        pass
    try:
        import httptools  # noqa: F401

        out["http"] = "httptools"
    except ImportError:
        pass
    return out


def serve(db: str | os.PathLike, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning",
          blur_slurs: bool = True, workers: int = 1) -> None:
    """Run the review app on ``host:port`` (127.0.0.1 by default) until interrupted.

    ``workers`` > 1 runs that many processes (uvicorn's workers) on one port: they share the
    review store and read the corpus read-only, so each may use its own core. A worker answers
    on one thread, its event loop (uvloop and httptools where installed: :func:`fast_io`), all
    but what may wait (see docs/review.md, "Where the work runs")."""
    import json

    import uvicorn

    if host not in LOOPBACK:
        print(f"warning: serving on {host}, reachable from other machines; put it behind TLS", file=sys.stderr)
    hosts = tuple({"127.0.0.1", "localhost", "::1", "[::1]", host})
    app = create_app(db, trusted_hosts=hosts, blur_slurs=blur_slurs)  # builds the queue once, here
    if not app.state.store.users():
        print("no reviewers yet: add one with 'engineroom users add NAME'", file=sys.stderr)
    print(f"engineroom review app on http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    opts = dict(host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False, **fast_io())
    if workers > 1:  # the workers build their own apps: this one only prepared the queue
        app.state.reader.close()
        app.state.store.close()
        os.environ[_CONFIG_ENV] = json.dumps({"db": os.fspath(db), "hosts": list(hosts), "blur": blur_slurs})
        uvicorn.run("engineroom.serve:app_from_env", factory=True, workers=int(workers), **opts)
    else:
        uvicorn.run(app, **opts)
