"""Keyed pseudonyms for reports that must not name private people.

A pseudonymised report replaces every account handle, display name, account id and post id by a
stable pseudonym: ``HMAC-SHA256(key, kind + ":" + value)``, shortened and written as
``user_<10 chars>`` (handles), ``Person <6 chars>`` (display names), ``acct_<10 chars>`` (account
ids) and ``post_<10 chars>`` (post ids). The same key gives the same pseudonym in every report, so
an analyst holding the key can re-identify an account (by recomputing the HMAC of a candidate)
while a reader of the report cannot. Public figures named in an allow-list (handles, one a line)
keep their real handle, name and id.

Identifiers are replaced wherever they occur in a string the report shows: in post texts
(``@mentions``), URLs (``twitter.com/<handle>/status/<id>``), hover labels and the JSON embedded for
charts. Matching is on token boundaries (an id inside a longer number is not touched); handles
match case-insensitively.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Iterable

import ahocorasick

_TOKEN_CHAR = re.compile(r"[0-9A-Za-z_]")


def load_allow_list(path: str | os.PathLike | None) -> set[str]:
    """Handles (lower case, without @) from an allow-list file: one a line, ``#`` starts a comment."""
    if path is None:
        return set()
    allow: set[str] = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lstrip("@").lower()
        if line:
            allow.add(line)
    return allow


class Pseudonymizer:
    """Replace identifiers by keyed pseudonyms (see the module docstring).

    ``key``: the analyst's secret (str or bytes; at least 16 characters). ``allow``: handles of
    public figures to keep. Feed the identifiers with :meth:`add_account` / :meth:`add_post`, then
    call :meth:`scrub` on every string (or :meth:`scrub_obj` on nested data) before rendering.
    """

    def __init__(self, key: str | bytes, allow: Iterable[str] = ()) -> None:
        if key is None:
            raise ValueError(
                "a pseudonymised report needs a key: give --key or set ENGINEROOM_PSEUDONYM_KEY "
                "(keep it: it is what links pseudonyms back to accounts)"
            )
        kb = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(kb) < 16:
            raise ValueError("the pseudonym key must be at least 16 characters long")
        self._key = kb
        self.allow = {a.lower().lstrip("@") for a in allow}
        self._kept_ids: set[str] = set()
        # exact (case-sensitive) and case-insensitive replacement tables
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._automaton: ahocorasick.Automaton | None = None

    # -- pseudonyms ----------------------------------------------------------------------
    def token(self, kind: str, value: str, length: int = 10) -> str:
        """The keyed pseudonym body for ``value`` of ``kind`` (stable for a key)."""
        digest = hmac.new(self._key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()[:length]

    def handle(self, handle: str) -> str:
        h = str(handle).lstrip("@")
        if h.lower() in self.allow:
            return h
        return "user_" + self.token("handle", h.lower())

    def account_id(self, account_id: str) -> str:
        if str(account_id) in self._kept_ids:
            return str(account_id)
        return "acct_" + self.token("account", str(account_id))

    def post_id(self, post_id: str) -> str:
        return "post_" + self.token("post", str(post_id))

    def name(self, name: str) -> str:
        return "Person " + self.token("name", str(name), 6)

    # -- registering identifiers ---------------------------------------------------------
    def add_account(self, account_id: Any = None, handle: Any = None, display_name: Any = None) -> None:
        """Register an account's identifiers (kept as they are when its handle is allow-listed)."""
        public = handle is not None and str(handle).lstrip("@").lower() in self.allow
        if public:
            if account_id is not None:
                self._kept_ids.add(str(account_id))
            return
        if account_id is not None and str(account_id):
            self._exact[str(account_id)] = self.account_id(str(account_id))
        if handle is not None and str(handle).strip("@"):
            h = str(handle).lstrip("@")
            self._folded[h.lower()] = self.handle(h)
        if display_name is not None and len(str(display_name).strip()) >= 3:
            self._exact[str(display_name).strip()] = self.name(str(display_name).strip())
        self._automaton = None

    def add_handle(self, handle: Any) -> None:
        self.add_account(handle=handle)

    def add_post(self, post_id: Any) -> None:
        if post_id is not None and str(post_id) and str(post_id) not in self._kept_ids:
            self._exact[str(post_id)] = self.post_id(str(post_id))
            self._automaton = None

    def add_many(self, kind: str, values: Iterable[Any]) -> None:
        """Register many identifiers of one kind (``account``, ``handle``, ``post``) at once."""
        for v in values:
            if v is None or (isinstance(v, float) and v != v):
                continue
            if kind == "account":
                self.add_account(account_id=v)
            elif kind == "handle":
                self.add_account(handle=v)
            elif kind == "post":
                self.add_post(v)
            else:  # pragma: no cover - programming error
                raise ValueError(kind)

    # -- scrubbing -----------------------------------------------------------------------
    def _build(self) -> ahocorasick.Automaton:
        # one automaton over lower-cased keys: every identifier matches in any case (replacing a
        # little too much is safe; leaving one is not). Handles win over ids / names of equal text.
        entries: dict[str, list[tuple[str, str, bool]]] = {}
        for k, v in self._folded.items():
            entries.setdefault(k, []).append((k, v, False))
        for k, v in self._exact.items():
            entries.setdefault(k.lower(), []).append((k, v, False))
        auto = ahocorasick.Automaton()
        for low, items in entries.items():
            auto.add_word(low, (len(low), items))
        auto.make_automaton()
        return auto

    def scrub(self, text: Any) -> Any:
        """``text`` with every registered identifier replaced (non-strings are returned as they are)."""
        if not isinstance(text, str) or not text:
            return text
        if not self._exact and not self._folded:
            return text
        if self._automaton is None:
            self._automaton = self._build()
        low = text.lower()
        if len(low) != len(text):  # rare Unicode case changes length: fall back to exact text
            low = text
        hits: list[tuple[int, int, str]] = []
        for end, (length, items) in self._automaton.iter(low):
            start = end - length + 1
            key, repl = low[start:end + 1], items[0][1]
            if start > 0 and _TOKEN_CHAR.match(text[start - 1]) and _TOKEN_CHAR.match(key[0]):
                continue
            if end + 1 < len(text) and _TOKEN_CHAR.match(text[end + 1]) and _TOKEN_CHAR.match(key[-1]):
                continue
            hits.append((start, end + 1, repl))
        if not hits:
            return text
        # prefer the longest match at each position, drop overlaps
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out, pos = [], 0
        for start, stop, repl in hits:
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(repl)
            pos = stop
        out.append(text[pos:])
        return "".join(out)

    def scrub_obj(self, obj: Any) -> Any:
        """Scrub every string inside nested dicts / lists / tuples (keys included)."""
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, dict):
            return {self.scrub(k) if isinstance(k, str) else k: self.scrub_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.scrub_obj(v) for v in obj)
        return obj

    def identifiers(self) -> list[str]:
        """Every registered raw identifier (for checks that none is left in an output)."""
        return list(self._exact) + list(self._folded)
