"""Reviewers, passwords, sessions, CSRF tokens and login limits for ``engineroom serve``.

Everything here lives in the review store (:mod:`engineroom.serve.store`, SQLite beside the
corpus), so the command line changes it while the app runs and the app sees the change at the
next request.

- Users: ``engineroom users add | remove | passwd | list``. Roles: ``admin`` (manages users,
  downloads exports) and ``reviewer`` (decides; every admin may decide too). Passwords are
  hashed with scrypt (``hashlib.scrypt``; N=2**14, r=8, p=1, 16-byte random salt, 32-byte key),
  stored as ``scrypt$N$r$p$salt_hex$hash_hex`` and compared in constant time
  (``hmac.compare_digest``). Unknown names cost the same scrypt work as known ones.
- Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is
  stored. A session ends after ``idle_timeout`` seconds without a request (default 30 minutes),
  ``max_age`` seconds after login (default 8 hours), at logout, and at once when its user is
  removed or the password changed. Logging in again (a second browser) starts a second session
  and ends none.
- CSRF: each session has its own random token, required (form field ``csrf_token`` or header
  ``X-CSRF-Token``) on every write; the login form uses a double-submit cookie that stays the
  same across login pages (a second tab, the back button and the browser's own requests do not
  make a form stale).
- Login limits (:class:`LoginLimiter`), per user name, not per address (a team behind one proxy
  or on one machine shares an address): the first ``free`` attempts (default 5) go through, then
  each further attempt must wait twice as long as the one before (1 s, 2 s, 4 s ... at most 15
  minutes). An attempt is counted when it starts, before its password is checked, so parallel
  guesses are refused too; a successful login clears the count. Other user names are unaffected.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from .store import ROLES, ReviewStore, open_store

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32
_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
MIN_PASSWORD = 10


def hash_password(password: str, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    """The scrypt hash of ``password`` as ``scrypt$N$r$p$salt$hash`` (hex)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_DKLEN,
                        maxmem=128 * n * r * p + 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${dk.hex()}"


_DUMMY_HASH = None


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time; a missing user costs the same)."""
    global _DUMMY_HASH
    if not stored:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        stored, ok_user = _DUMMY_HASH, False
    else:
        ok_user = True
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hash_password(password, bytes.fromhex(salt_hex), int(n), int(r), int(p)).split("$")[-1]
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.encode(), hash_hex.encode()) and ok_user


def store_of(target) -> ReviewStore:
    """The review store for ``target``: a ReviewStore, a Corpus (its store beside it) or a corpus path."""
    if isinstance(target, ReviewStore):
        return target
    if hasattr(target, "con") and hasattr(target, "path"):  # a Corpus
        return open_store(target.path, con=target.con)
    return open_store(os.fspath(target))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValueError(f"passwords need at least {MIN_PASSWORD} characters")


def add_user(target, name: str, password: str, is_admin: bool = False, role: str | None = None,
             email: str | None = None) -> None:
    """Add a user (``engineroom users add``); ``target``: the corpus, its path or its review store.
    Raises ValueError for a bad name, a short password, an unknown role or a name already taken."""
    name = (name or "").strip()
    if not name or len(name) > 64 or not set(name) <= _NAME_OK:
        raise ValueError("user names are 1-64 characters: letters, digits and . _ - @")
    _check_password(password)
    role = role or ("admin" if is_admin else "reviewer")
    if role not in ROLES:
        raise ValueError(f"role is one of {', '.join(ROLES)}")
    store = store_of(target)
    with store.write() as c:
        if c.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
            raise ValueError(f"user {name!r} exists already")
        c.execute("INSERT INTO users (username, password_hash, role, email, created_at) VALUES (?, ?, ?, ?, ?)",
                  [name, hash_password(password), role, email or None,
                   datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")])


def remove_user(target, name: str) -> int:
    """Remove a user; their sessions end at once. Returns how many sessions ended.
    Their decisions stay in the audit log. Raises KeyError for an unknown name."""
    store = store_of(target)
    with store.write() as c:
        if not c.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
            raise KeyError(f"no user {name!r}")
        n = c.execute("DELETE FROM sessions WHERE username = ?", [name]).rowcount
        c.execute("DELETE FROM users WHERE username = ?", [name])
    return int(n)


def set_password(target, name: str, password: str) -> int:
    """Change a user's password; their sessions end (they log in with the new one).
    Returns how many sessions ended. Raises KeyError / ValueError."""
    _check_password(password)
    store = store_of(target)
    hashed = hash_password(password)
    with store.write() as c:
        if not c.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
            raise KeyError(f"no user {name!r}")
        c.execute("UPDATE users SET password_hash = ? WHERE username = ?", [hashed, name])
        n = c.execute("DELETE FROM sessions WHERE username = ?", [name]).rowcount
    return int(n)


def list_users(target) -> list[dict]:
    """Users with role, email, when added and live session count (no password hashes)."""
    return store_of(target).users()


def check_login(store: ReviewStore, name: str, password: str) -> dict | None:
    """The user row when ``name`` / ``password`` are a valid login, else None."""
    user = store.user(name or "")
    ok = verify_password(password or "", user["password_hash"] if user else None)
    return user if ok and user else None


@dataclass
class Session:
    username: str
    csrf: str
    created: float
    last_seen: float
    role: str = "reviewer"
    token_hash: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class SessionStore:
    """Sessions in the review store, by SHA-256 of their token (they survive an app restart and
    end when the command line removes the user)."""

    def __init__(self, store: ReviewStore, idle_timeout: float = 30 * 60, max_age: float = 8 * 3600,
                 touch_every: float = 15.0) -> None:
        self.store, self.idle_timeout, self.max_age, self.touch_every = store, idle_timeout, max_age, touch_every

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def create(self, username: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = time.time()
        s = Session(username, secrets.token_urlsafe(32), now, now, token_hash=self._key(token))
        with self.store.write() as c:
            c.execute("DELETE FROM sessions WHERE last_seen < ? OR created < ?",
                      [now - self.idle_timeout, now - self.max_age])
            c.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", [s.token_hash, username, s.csrf, now, now])
            role = c.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
        s.role = role[0] if role else "reviewer"
        return token, s

    def _alive(self, created: float, last_seen: float, now: float) -> bool:
        return now - last_seen <= self.idle_timeout and now - created <= self.max_age

    def peek(self, token: str | None) -> tuple[Session | None, bool]:
        """(the live session for ``token`` or None, whether :meth:`get` must be called instead:
        the session's idle clock is due to be written, or it has ended and must be removed).
        Only reads."""
        if not token or len(token) > 200:
            return None, False
        key = self._key(token)
        r = self.store.con().execute(
            "SELECT s.username, s.csrf, s.created, s.last_seen, u.role FROM sessions s "
            "JOIN users u ON u.username = s.username WHERE s.token_hash = ?", [key]).fetchone()
        if r is None:
            return None, False
        now = time.time()
        if not self._alive(r[2], r[3], now) or now - r[3] > self.touch_every:
            return None, True
        return Session(r[0], r[1], r[2], r[3], r[4], key), False

    def get(self, token: str | None, wait: bool = True) -> Session | None:
        """The live session for ``token`` (its idle clock restarts), or None. ``wait=False``:
        :class:`engineroom.serve.store.StoreBusy` when another writer holds the store."""
        if not token or len(token) > 200:
            return None
        key = self._key(token)
        r = self.store.con().execute(
            "SELECT s.username, s.csrf, s.created, s.last_seen, u.role FROM sessions s "
            "JOIN users u ON u.username = s.username WHERE s.token_hash = ?", [key]).fetchone()
        if r is None:
            return None
        now = time.time()
        if not self._alive(r[2], r[3], now):
            self.end(token, wait)
            return None
        if now - r[3] > self.touch_every:  # the idle clock, written at most every few seconds
            with self.store.write(wait) as c:
                c.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now, key])
        return Session(r[0], r[1], r[2], now, r[4], key)

    def count(self, username: str) -> int:
        now = time.time()
        return int(self.store.scalar("SELECT count(*) FROM sessions WHERE username = ? AND last_seen >= ? AND created >= ?",
                                     [username, now - self.idle_timeout, now - self.max_age]) or 0)

    def end(self, token: str | None, wait: bool = True) -> None:
        if token:
            with self.store.write(wait) as c:
                c.execute("DELETE FROM sessions WHERE token_hash = ?", [self._key(token)])


def csrf_ok(session: Session | None, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (constant-time)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), str(token).encode())


class LoginLimiter:
    """Login attempts per user name with exponential backoff (see the module's docstring), kept
    in the review store so that every worker process of the app shares them.

    ``begin(name)`` counts an attempt and returns 0, or returns the seconds to wait (the attempt
    is refused and not counted); ``succeeded(name)`` clears the name's count. A name's count is
    forgotten ``forget`` seconds after its last attempt.
    """

    def __init__(self, store: ReviewStore, free: int = 5, base: float = 1.0, cap: float = 900.0,
                 forget: float = 3600.0) -> None:
        self.store, self.free, self.base, self.cap, self.forget = store, free, base, cap, forget

    @staticmethod
    def _key(name: str) -> str:
        return (name or "").strip().lower()[:64]

    def begin(self, name: str) -> float:
        key = self._key(name)
        now = time.time()
        with self.store.write() as c:  # one attempt at a time per store: the count cannot race
            row = c.execute("SELECT attempts, last, next_allowed FROM login_attempts WHERE name = ?", [key]).fetchone()
            attempts, _, next_allowed = row if row and now - row[1] <= self.forget else (0, now, 0.0)
            if now < next_allowed:
                return next_allowed - now
            attempts += 1
            if attempts >= self.free:
                next_allowed = now + min(self.cap, self.base * 2 ** (attempts - self.free))
            c.execute("INSERT OR REPLACE INTO login_attempts VALUES (?, ?, ?, ?)", [key, attempts, now, next_allowed])
            if attempts == 1:  # now and then: names not tried for a long time
                c.execute("DELETE FROM login_attempts WHERE last < ?", [now - self.forget])
        return 0.0

    def succeeded(self, name: str) -> None:
        with self.store.write() as c:
            c.execute("DELETE FROM login_attempts WHERE name = ?", [self._key(name)])
