"""The review store: users, sessions, decisions and their audit log, in SQLite beside the corpus.

The corpus (DuckDB) allows one writing process per file, so what a team writes while it
reviews does not live in it. It lives in ``<corpus>.review.sqlite`` (for ``c.duckdb``:
``c.duckdb.review.sqlite``), an SQLite database in WAL mode that the app and every command
(``engineroom users ...``, ``engineroom export ...``) open at the same time: readers never wait,
writers take turns in short ``BEGIN IMMEDIATE`` transactions (waiting up to 30 s for the lock).

Tables:

- ``users``: user name, scrypt hash (:mod:`engineroom.serve.auth`), role (``admin``: manages
  users and downloads exports; ``reviewer``: decides), email (for notices), created_at.
- ``sessions``: SHA-256 of each session token, its user, CSRF token, start and last request.
  Removing a user or changing a password ends the user's sessions at once.
- ``reviews``: the append-only audit log, one row per decision (``confirm``, ``reject``,
  ``escalate``) or ``undo`` (``undoes`` names the decision it took back). Decisions taken
  together (a bulk action) share a ``batch_id``.
- ``review_state``: the decision in force per flag (item_type, platform, item_id, analysis; ''
  where unknown), i.e. the latest decision that was not undone; kept in the same transaction as
  the log, so the two always agree.
- ``login_attempts``: per user name, attempts, the last one and when the next may come
  (:class:`engineroom.serve.auth.LoginLimiter`).
- ``meta``: schema version, the state version (raised by every change of ``review_state``, so
  readers can cache it) and the migration record.

A corpus made before this store kept ``users`` and ``reviews`` inside the DuckDB file; they are
copied here once, the first time the store is opened with the corpus readable
(:func:`open_store`), and the copy is recorded in ``meta`` (key ``migrated``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa

STORE_SUFFIX = ".review.sqlite"
ROLES = ("admin", "reviewer")
DECISIONS = ("confirm", "reject", "escalate")
STATE_KEY = ("item_type", "platform", "item_id", "analysis")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'reviewer',
    email TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL, created REAL NOT NULL, last_seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
CREATE TABLE IF NOT EXISTS reviews (
    review_id TEXT PRIMARY KEY, item_type TEXT NOT NULL, platform TEXT, item_id TEXT NOT NULL, analysis TEXT,
    decision TEXT NOT NULL, note TEXT, reviewer TEXT NOT NULL, decided_at TEXT NOT NULL,
    batch_id TEXT, undoes TEXT);
CREATE INDEX IF NOT EXISTS reviews_item ON reviews(item_type, platform, item_id);
CREATE INDEX IF NOT EXISTS reviews_batch ON reviews(batch_id);
CREATE TABLE IF NOT EXISTS login_attempts (
    name TEXT PRIMARY KEY, attempts INTEGER NOT NULL, last REAL NOT NULL, next_allowed REAL NOT NULL);
CREATE TABLE IF NOT EXISTS review_state (
    item_type TEXT NOT NULL, platform TEXT NOT NULL, item_id TEXT NOT NULL, analysis TEXT NOT NULL,
    decision TEXT NOT NULL, reviewer TEXT, decided_at TEXT, note TEXT, review_id TEXT NOT NULL,
    PRIMARY KEY (item_type, platform, item_id, analysis));
"""


def store_path(corpus_path: str | os.PathLike) -> Path:
    """Where the review store of the corpus file ``corpus_path`` lives (beside it)."""
    p = Path(corpus_path)
    return p.with_name(p.name + STORE_SUFFIX)


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class StoreBusy(RuntimeError):
    """Another connection holds the review store's write lock (``ReviewStore.write(wait=False)``)."""


class ReviewStore:
    """One review store file; safe to share between threads (one SQLite connection per thread)
    and between processes (WAL)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._autocheckpoint = 1000  # SQLite's default: pages of WAL after which a commit checkpoints
        self._checkpointer: threading.Event | None = None
        con = self.con()
        con.execute("PRAGMA journal_mode=WAL")
        for stmt in [s for s in SCHEMA.split(";") if s.strip()]:
            con.execute(stmt)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")
        con.execute("INSERT OR IGNORE INTO meta VALUES ('state_version', '0')")

    def con(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; writes go through :meth:`write`)."""
        c = getattr(self._local, "con", None)
        if c is None:
            c = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            c.execute("PRAGMA busy_timeout = 30000")
            c.execute("PRAGMA synchronous = NORMAL")
            c.execute("PRAGMA foreign_keys = ON")
            c.execute("PRAGMA recursive_triggers = ON")  # a REPLACE fires delete triggers (serve/snapshot.py)
            c.execute(f"PRAGMA wal_autocheckpoint = {int(self._autocheckpoint)}")
            self._local.con = c
            with self._lock:
                self._all.append(c)
        return c

    def checkpoint_in_background(self, every: float = 1.0) -> None:
        """Copy the write-ahead log into the database file from a daemon thread every ``every``
        seconds, instead of in the commit that crosses SQLite's threshold (1,000 pages): that
        commit would copy the pages and wait for the disk (fsync), and the review app commits
        decisions on its event loop, which must not wait for a disk. This store's connections,
        made before or after, stop checkpointing themselves (other processes' do as before)."""
        if self._checkpointer is not None:
            return
        self._autocheckpoint = 0
        with self._lock:
            for c in self._all:
                c.execute("PRAGMA wal_autocheckpoint = 0")
        stop = self._checkpointer = threading.Event()
        path = self.path

        def run() -> None:
            con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            try:
                while not stop.wait(every):
                    try:
                        con.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for readers or writers
                    except sqlite3.Error:  # pragma: no cover - the next round tries again
                        pass
            finally:
                con.close()

        threading.Thread(target=run, name="review-store-checkpoint", daemon=True).start()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.set()
            self._checkpointer = None
            self._autocheckpoint = 1000
        with self._lock:
            for c in self._all:
                try:
                    c.close()
                except sqlite3.Error:  # pragma: no cover - closed already
                    pass
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> "ReviewStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self, wait: bool = True) -> Iterator[sqlite3.Connection]:
        """A short write transaction (``BEGIN IMMEDIATE``: the write lock is taken at once).
        ``wait=False``: raise :class:`StoreBusy`, having written nothing, when another connection
        holds the lock, instead of waiting up to 30 s for it (the app's event loop must not wait)."""
        c = self.con()
        if wait:
            c.execute("BEGIN IMMEDIATE")
        else:
            c.execute("PRAGMA busy_timeout = 0")
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise StoreBusy(str(exc)) from None
                raise
            finally:
                c.execute("PRAGMA busy_timeout = 30000")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        cur = self.con().execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        r = self.con().execute(sql, tuple(params)).fetchone()
        return r[0] if r else None

    def meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", [key])

    # -- users ------------------------------------------------------------------------------
    def user(self, name: str) -> dict | None:
        r = self.rows("SELECT * FROM users WHERE username = ?", [name])
        return r[0] if r else None

    def users(self, idle_timeout: float = 30 * 60, max_age: float = 8 * 3600) -> list[dict]:
        """Every user with role, email, when added and how many live sessions they have."""
        import time

        now = time.time()
        return self.rows("""SELECT u.username, u.role, u.email, u.created_at,
                                   (SELECT count(*) FROM sessions s WHERE s.username = u.username
                                      AND s.last_seen >= ? AND s.created >= ?) AS sessions
                            FROM users u ORDER BY u.username""", [now - idle_timeout, now - max_age])

    # -- decisions --------------------------------------------------------------------------
    def state_version(self) -> int:
        """Raised by every change of ``review_state`` (readers cache the state by it)."""
        return int(self.meta("state_version") or 0)

    def record(self, decisions: list[dict], reviewer: str, batch_id: str | None = None, wait: bool = True) -> list[str]:
        """Append ``decisions`` (dicts with item_type, platform, item_id, analysis, decision, note)
        to the log and make each the flag's state, in one transaction; returns their review ids.
        ``wait=False``: :class:`StoreBusy` (nothing written) when another writer holds the lock."""
        for d in decisions:
            if d.get("decision") not in DECISIONS:
                raise ValueError("decision is confirm, reject or escalate")
        now = _now()
        ids = []
        with self.write(wait) as c:
            for d in decisions:
                rid = uuid.uuid4().hex
                platform, analysis = d.get("platform") or None, d.get("analysis") or None
                c.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                          [rid, d["item_type"], platform, d["item_id"], analysis, d["decision"], d.get("note") or None,
                           reviewer, now, batch_id])
                c.execute("INSERT OR REPLACE INTO review_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [d["item_type"], platform or "", d["item_id"], analysis or "", d["decision"], reviewer, now,
                           d.get("note") or None, rid])
                ids.append(rid)
            if ids:
                c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_version'")
        return ids

    def undo(self, review_ids: Iterable[str], by: str) -> int:
        """Take back decisions that are still in force: an ``undo`` row joins the log (the undone
        decision stays in it) and the flag falls back to its previous decision that was not undone,
        or to pending. Returns how many decisions were undone."""
        n = 0
        now = _now()
        with self.write() as c:
            for rid in dict.fromkeys(review_ids):
                cur = c.execute("SELECT item_type, platform, item_id, analysis FROM review_state WHERE review_id = ?",
                                [rid]).fetchone()
                if cur is None:  # not in force (undone already, or decided again since)
                    continue
                item_type, platform, item_id, analysis = cur
                c.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, 'undo', NULL, ?, ?, NULL, ?)",
                          [uuid.uuid4().hex, item_type, platform or None, item_id, analysis or None, by, now, rid])
                c.execute("DELETE FROM review_state WHERE review_id = ?", [rid])
                prev = c.execute(
                    """SELECT review_id, decision, reviewer, decided_at, note FROM reviews r
                       WHERE item_type = ? AND coalesce(platform, '') = ? AND item_id = ? AND coalesce(analysis, '') = ?
                         AND decision != 'undo'
                         AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.decision = 'undo' AND u.undoes = r.review_id)
                       ORDER BY decided_at DESC, rowid DESC LIMIT 1""",
                    [item_type, platform, item_id, analysis]).fetchone()
                if prev is not None:
                    c.execute("INSERT INTO review_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              [item_type, platform, item_id, analysis, prev[1], prev[2], prev[3], prev[4], prev[0]])
                n += 1
            if n:
                c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_version'")
        return n

    def batch_ids(self, batch_id: str) -> list[str]:
        return [r["review_id"] for r in self.rows("SELECT review_id FROM reviews WHERE batch_id = ? AND decision != 'undo'",
                                                  [batch_id])]

    def state(self) -> list[dict]:
        """Every flag's decision in force."""
        return self.rows("SELECT * FROM review_state")

    def log(self, reviewer: str | None = None, decision: str | None = None, limit: int = 500,
            item: tuple[str, str | None, str] | None = None) -> list[dict]:
        """The audit log, newest first (optionally one reviewer's, one decision kind, one item)."""
        where, params = [], []
        if reviewer:
            where.append("reviewer = ?")
            params.append(reviewer)
        if decision:
            where.append("decision = ?")
            params.append(decision)
        if item:
            where.append("item_type = ? AND coalesce(platform, '') = coalesce(?, '') AND item_id = ?")
            params += list(item)
        sql = ("SELECT * FROM reviews " + ("WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY decided_at DESC, rowid DESC LIMIT ?")
        return self.rows(sql, params + [int(limit)])


def migrate_from_corpus(store: ReviewStore, con) -> dict | None:
    """Copy ``users`` and ``reviews`` rows a corpus kept inside its DuckDB file (before this
    store existed) into ``store``, once; returns what was copied (None when done before)."""
    if store.meta("migrated") is not None:
        return None
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main'").fetchall()}
    users, reviews = [], []
    if "users" in tables:
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'").fetchall()}
        admin = "is_admin" if "is_admin" in cols else "FALSE"
        users = con.execute(f"SELECT username, password_hash, {admin}, CAST(created_at AS VARCHAR) FROM users").fetchall()
    if "reviews" in tables:
        reviews = con.execute("""SELECT review_id, item_type, platform, item_id, analysis, decision, note, reviewer,
                                        CAST(decided_at AS VARCHAR) FROM reviews ORDER BY decided_at, review_id""").fetchall()
    with store.write() as c:
        for name, pw, is_admin, created in users:
            c.execute("INSERT OR IGNORE INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                      [name, pw, "admin" if is_admin else "reviewer", created or _now()])
        for r in reviews:
            c.execute("INSERT OR IGNORE INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)", list(r))
            c.execute("INSERT OR REPLACE INTO review_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [r[1], r[2] or "", r[3], r[4] or "", r[5], r[7], r[8], r[6], r[0]])
        info = {"users": len(users), "reviews": len(reviews), "at": _now()}
        c.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', ?)", [json.dumps(info)])
        if reviews:
            c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_version'")
    return info


def open_store(corpus_path: str | os.PathLike, con=None) -> ReviewStore:
    """The review store of a corpus, created when missing. Review tables the corpus kept in its
    DuckDB file are copied in the first time (through ``con``, a connection to the corpus, or a
    read-only connection opened here; skipped for now when the corpus is locked by a writer)."""
    store = ReviewStore(store_path(corpus_path))
    if store.meta("migrated") is None:
        if con is not None:
            migrate_from_corpus(store, con)
        elif Path(corpus_path).exists():
            import duckdb

            try:
                ro = duckdb.connect(str(corpus_path), read_only=True)
            except duckdb.Error:  # a writer holds it (or this process has it open): next time
                return store
            try:
                migrate_from_corpus(store, ro)
            finally:
                ro.close()
        else:
            with store.write() as c:
                c.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', ?)", [json.dumps({"users": 0, "reviews": 0})])
    return store


# -- the decisions in force, for DuckDB queries -----------------------------------------
STATE_SCHEMA = pa.schema([("item_type", pa.string()), ("platform", pa.string()), ("item_id", pa.string()),
                          ("analysis", pa.string()), ("decision", pa.string()), ("reviewer", pa.string()),
                          ("decided_at", pa.timestamp("us")), ("note", pa.string()), ("review_id", pa.string())])


#: the name under which the decisions in force are registered on a DuckDB connection
DECISIONS_RELATION = "review_decisions"


def state_table(store: ReviewStore) -> pa.Table:
    """The review store's decisions in force as an Arrow table (:data:`STATE_SCHEMA`)."""
    rows = store.state()
    cols: dict[str, list[Any]] = {f.name: [r[f.name] for r in rows] for f in STATE_SCHEMA}
    cols["decided_at"] = [datetime.fromisoformat(v) if v else None for v in cols["decided_at"]]
    return pa.table(cols, schema=STATE_SCHEMA)


def register_decisions(con, store: ReviewStore, table: pa.Table | None = None) -> None:
    """Make the store's decisions in force readable as ``review_decisions`` on ``con``."""
    con.register(DECISIONS_RELATION, table if table is not None else state_table(store))
