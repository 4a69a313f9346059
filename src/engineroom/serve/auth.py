"""Reviewers, passwords, sessions, CSRF tokens and login rate limits for ``engineroom serve``.

- Users live in the corpus's ``users`` table (``engineroom users add NAME``). Passwords are
  hashed with scrypt (``hashlib.scrypt``; N=2**14, r=8, p=1, 16-byte random salt, 32-byte key),
  stored as ``scrypt$N$r$p$salt_hex$hash_hex`` and compared in constant time
  (``hmac.compare_digest``). Unknown names cost the same scrypt work as known ones.
- Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is
  kept (in memory). A session ends after ``idle_timeout`` seconds without a request (default 30
  minutes) or ``max_age`` seconds after login (default 8 hours), and at logout.
- CSRF: each session has its own random token, required (form field ``csrf_token`` or header
  ``X-CSRF-Token``) on every write; the login form uses a double-submit cookie.
- Rate limit: at most ``max_failures`` failed logins (default 5) per client address and per
  user name within ``window`` seconds (default 300); further attempts are refused with 429.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32
_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


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


def add_user(corpus, name: str, password: str, is_admin: bool = False) -> None:
    """Add a reviewer (``engineroom users add``). Raises ValueError for a bad name, a short
    password or a name already taken."""
    name = (name or "").strip()
    if not name or len(name) > 64 or not set(name) <= _NAME_OK:
        raise ValueError("user names are 1-64 characters: letters, digits and . _ - @")
    if len(password or "") < 10:
        raise ValueError("passwords need at least 10 characters")
    cur = corpus.con.cursor()
    try:
        if cur.execute("SELECT count(*) FROM users WHERE username = ?", [name]).fetchall()[0][0]:
            raise ValueError(f"user {name!r} exists already")
        cur.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                    [name, hash_password(password), datetime.now(timezone.utc).replace(tzinfo=None), bool(is_admin)])
    finally:
        cur.close()


def check_login(con, name: str, password: str) -> bool:
    """Whether ``name`` / ``password`` are a valid reviewer login (``con``: a connection or cursor)."""
    rows = con.execute("SELECT password_hash FROM users WHERE username = ?", [name or ""]).fetchall()
    return verify_password(password or "", rows[0][0] if rows else None)


@dataclass
class Session:
    username: str
    csrf: str
    created: float
    last_seen: float
    is_admin: bool = False


@dataclass
class SessionStore:
    """Sessions in memory, by SHA-256 of their token (a restart logs everyone out)."""

    idle_timeout: float = 30 * 60
    max_age: float = 8 * 3600
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def create(self, username: str, is_admin: bool = False) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = time.time()
        s = Session(username, secrets.token_urlsafe(32), now, now, is_admin)
        with self._lock:
            self._sessions[self._key(token)] = s
            if len(self._sessions) > 10_000:  # drop expired ones now and then
                for k in [k for k, v in self._sessions.items() if not self._alive(v, now)]:
                    del self._sessions[k]
        return token, s

    def _alive(self, s: Session, now: float) -> bool:
        return now - s.last_seen <= self.idle_timeout and now - s.created <= self.max_age

    def get(self, token: str | None) -> Session | None:
        """The live session for ``token`` (its idle clock restarts), or None."""
        if not token or len(token) > 200:
            return None
        key = self._key(token)
        now = time.time()
        with self._lock:
            s = self._sessions.get(key)
            if s is None:
                return None
            if not self._alive(s, now):
                del self._sessions[key]
                return None
            s.last_seen = now
            return s

    def end(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(self._key(token), None)


def csrf_ok(session: Session | None, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (constant-time)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), str(token).encode())


class RateLimiter:
    """At most ``max_failures`` failures per key within ``window`` seconds."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._fails: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> float:
        """Seconds until the first of ``keys`` may try again (0 when none is blocked)."""
        now = time.time()
        wait = 0.0
        with self._lock:
            for k in keys:
                q = self._prune(k, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window - (now - q[0]))
        return wait

    def fail(self, *keys: str) -> None:
        now = time.time()
        with self._lock:
            for k in keys:
                self._prune(k, now).append(now)
            if len(self._fails) > 100_000:
                self._fails = {k: v for k, v in self._fails.items() if v}

    def reset(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)
