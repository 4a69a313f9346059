"""Keyed pseudonyms for reports that must not name private people.

A pseudonymised report replaces every account handle, display name, account id and post id by a
stable pseudonym: ``HMAC-SHA256(key, kind + ":" + value)``, shortened to 13 base-32 characters
(65 bits: a birthday collision is expected only after about 6 billion values) and written as
``user_<13>`` (handles), ``Person <13>`` (display names), ``acct_<13>`` (account ids) and
``post_<13>`` (post ids). The same key gives the same pseudonym in every report, so an analyst
holding the key can re-identify an account (by recomputing the HMAC of a candidate) while a reader
of the report cannot. Public figures named in an allow-list (handles, one a line) keep their real
handle, name and id.

Where identifiers are found: every string *value* of the report data is scrubbed (dictionary keys
and the report's own structure, such as a block's ``kind`` or a chart's trace ``mode``, never are,
so an account named ``TIME`` or ``text`` cannot break the page). Matching runs on the text after
Unicode case folding (``str.casefold``, character by character, so a dotted capital ``İ`` elsewhere
in a post does not turn matching off) and after URL-decoding (``%40name`` is ``@name``); the whole
original span is replaced. A handle matches unless a *letter* touches it (``name2``, ``_name_`` and
``2name`` are replaced: over-replacing is safe, leaving one is not); account and post ids match on
token boundaries (an id inside a longer number is not touched).

The key is the analyst's secret: at least 16 characters that are not whitespace, with at least 6
different characters; the command line reads it from a file (``--key-file``) or the
``ENGINEROOM_PSEUDONYM_KEY`` environment variable, never from an argument (which ``ps`` shows).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import ahocorasick

#: environment variable that may hold the pseudonym key
KEY_ENV = "ENGINEROOM_PSEUDONYM_KEY"
#: pseudonym length in base-32 characters (5 bits each)
TOKEN_CHARS = 13

_TOKEN_CHAR = re.compile(r"[0-9A-Za-z_]")
_HEX = set("0123456789abcdefABCDEF")

#: report data keys whose values are the report's structure or its own words (section titles,
#: introductions, captions, column names): never scrubbed, and never given an identifier
STRUCTURE_KEYS = frozenset({"kind", "id", "columns", "detail", "title", "intro", "caption", "note"})
#: inside a Plotly figure only these keys hold content (labels, hover texts, category names)
FIGURE_CONTENT_KEYS = frozenset({"text", "name", "x", "y", "customdata", "hovertext", "ticktext", "labels"})


def load_allow_list(path: str | os.PathLike | None) -> set[str]:
    """Handles (case-folded, without @) from an allow-list file: one a line, ``#`` starts a comment."""
    if path is None:
        return set()
    allow: set[str] = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lstrip("@").casefold()
        if line:
            allow.add(line)
    return allow


def check_key(key: str | bytes | None) -> bytes:
    """The key as bytes, or a ValueError saying what is wrong with it."""
    if key is None or (isinstance(key, (str, bytes)) and not key):
        raise ValueError(
            f"a pseudonymised report needs a key: give --key-file FILE or set {KEY_ENV} "
            "(keep it: it is what links pseudonyms back to accounts)")
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    solid = "".join(text.split())
    if len(solid) < 16:
        raise ValueError("the pseudonym key must hold at least 16 characters that are not whitespace")
    if len(set(solid)) < 6:
        raise ValueError("the pseudonym key must hold at least 6 different characters")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def read_key(key_file: str | os.PathLike | None = None, env: dict | None = None) -> str | None:
    """The pseudonym key from ``key_file`` (its first line, stripped of its line ending) or else from
    the ``ENGINEROOM_PSEUDONYM_KEY`` environment variable; None when neither gives one."""
    if key_file is not None:
        p = Path(key_file)
        if not p.is_file():
            raise ValueError(f"no key file at {p}")
        lines = p.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    value = (os.environ if env is None else env).get(KEY_ENV)
    return value or None


def _fold(text: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """``text`` URL-decoded and case-folded, with each folded character's original span
    (``starts[i]``, ``ends[i]``) so a match maps back to the characters it came from."""
    if text.isascii() and "%" not in text:  # the common case: one character for one
        return text.lower(), range(len(text)), range(1, len(text) + 1)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            # a run of %XX escapes: decode it as UTF-8 where it is valid
            j, raw = i, bytearray()
            while j + 2 < n and text[j] == "%" and text[j + 1] in _HEX and text[j + 2] in _HEX:
                raw.append(int(text[j + 1:j + 3], 16))
                j += 3
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                decoded = None
            if decoded is not None:
                for c in decoded:
                    for fc in c.casefold():
                        out.append(fc)
                        starts.append(i)
                        ends.append(j)
                i = j
                continue
        for fc in ch.casefold():
            out.append(fc)
            starts.append(i)
            ends.append(i + 1)
        i += 1
    return "".join(out), starts, ends


class Pseudonymizer:
    """Replace identifiers by keyed pseudonyms (see the module docstring).

    ``key``: the analyst's secret (str or bytes; see :func:`check_key`). ``allow``: handles of public
    figures to keep. Feed the identifiers with :meth:`add_account` / :meth:`add_post`, then call
    :meth:`scrub` on every string (or :meth:`scrub_obj` on the report data) before rendering.
    """

    def __init__(self, key: str | bytes | None, allow: Iterable[str] = ()) -> None:
        self._key = check_key(key)
        self.allow = {a.lstrip("@").casefold() for a in allow}
        self._kept_ids: set[str] = set()
        # folded text -> (pseudonym, is_handle)
        self._handles: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        self._automaton: ahocorasick.Automaton | None = None

    # -- pseudonyms ----------------------------------------------------------------------
    def token(self, kind: str, value: str, length: int = TOKEN_CHARS) -> str:
        """The keyed pseudonym body for ``value`` of ``kind`` (stable for a key)."""
        digest = hmac.new(self._key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()[:length]

    def handle(self, handle: str) -> str:
        h = str(handle).lstrip("@")
        if h.casefold() in self.allow:
            return h
        return "user_" + self.token("handle", h.casefold())

    def account_id(self, account_id: str) -> str:
        if str(account_id) in self._kept_ids:
            return str(account_id)
        return "acct_" + self.token("account", str(account_id))

    def post_id(self, post_id: str) -> str:
        return "post_" + self.token("post", str(post_id))

    def name(self, name: str) -> str:
        return "Person " + self.token("name", str(name))

    # -- registering identifiers ---------------------------------------------------------
    def add_account(self, account_id: Any = None, handle: Any = None, display_name: Any = None) -> None:
        """Register an account's identifiers (kept as they are when its handle is allow-listed)."""
        public = handle is not None and str(handle).lstrip("@").casefold() in self.allow
        if public:
            if account_id is not None:
                self._kept_ids.add(str(account_id))
            return
        if account_id is not None and str(account_id).strip():
            self._exact[str(account_id)] = self.account_id(str(account_id))
        if handle is not None and str(handle).strip("@").strip():
            h = str(handle).lstrip("@")
            self._handles[_fold(h)[0]] = self.handle(h)
        if display_name is not None and len(str(display_name).strip()) >= 3:
            self._exact[str(display_name).strip()] = self.name(str(display_name).strip())
        self._automaton = None

    def add_handle(self, handle: Any) -> None:
        self.add_account(handle=handle)

    def add_post(self, post_id: Any) -> None:
        if post_id is not None and str(post_id).strip() and str(post_id) not in self._kept_ids:
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
        # one automaton over case-folded keys: every identifier matches in any case (replacing a
        # little too much is safe; leaving one is not). Handles win over ids / names of equal text.
        entries: dict[str, tuple[str, bool]] = {}
        for k, v in self._exact.items():
            entries.setdefault(_fold(k)[0], (v, False))
        for k, v in self._handles.items():
            entries[k] = (v, True)
        auto = ahocorasick.Automaton()
        for low, (repl, is_handle) in entries.items():
            auto.add_word(low, (len(low), repl, is_handle))
        auto.make_automaton()
        return auto

    def scrub(self, text: Any) -> Any:
        """``text`` with every registered identifier replaced (non-strings are returned as they are)."""
        if not isinstance(text, str) or not text:
            return text
        if not self._exact and not self._handles:
            return text
        if self._automaton is None:
            self._automaton = self._build()
        low, starts, ends = _fold(text)
        hits: list[tuple[int, int, str]] = []
        for end, (length, repl, is_handle) in self._automaton.iter(low):
            start = end - length + 1
            before = low[start - 1] if start > 0 else ""
            after = low[end + 1] if end + 1 < len(low) else ""
            if is_handle:
                # a handle is a handle unless a letter touches it (digits and underscores may)
                if (before.isalpha() and low[start].isalnum()) or (after.isalpha() and low[end].isalnum()):
                    continue
            else:
                if before and _TOKEN_CHAR.match(before) and _TOKEN_CHAR.match(low[start]):
                    continue
                if after and _TOKEN_CHAR.match(after) and _TOKEN_CHAR.match(low[end]):
                    continue
            hits.append((starts[start], ends[end], repl))
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
        """Scrub every string value inside the report data (dicts, lists, tuples).

        Keys are never scrubbed, nor the values of :data:`STRUCTURE_KEYS`; inside a Plotly figure
        (the value of a ``figure`` key) only :data:`FIGURE_CONTENT_KEYS` hold content."""
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if k in STRUCTURE_KEYS:
                    out[k] = v
                elif k == "figure" and isinstance(v, dict):
                    out[k] = self._scrub_figure(v)
                else:
                    out[k] = self.scrub_obj(v)
            return out
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.scrub_obj(v) for v in obj)
        return obj

    def _scrub_figure(self, obj: Any, content: bool = False) -> Any:
        if isinstance(obj, str):
            return self.scrub(obj) if content else obj
        if isinstance(obj, dict):
            return {k: self._scrub_figure(v, content or k in FIGURE_CONTENT_KEYS) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self._scrub_figure(v, content) for v in obj)
        return obj

    def identifiers(self) -> list[str]:
        """Every registered raw identifier, case-folded for handles (for checks that none is left)."""
        return list(self._exact) + list(self._handles)
