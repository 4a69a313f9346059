"""Where the records are in a JSON file, and reading them out with bounded memory.

Researchers' JSON comes in three layouts, often for the same API:

* **lines**: one record per line (NDJSON / JSONL: twarc, Pushshift dumps, Jetstream captures);
* **lines of envelopes**: one API response per line, the records inside it (``{"data": [...]}``
  pages, Reddit ``Listing`` pages saved one per line);
* **documents**: a JSON array, an API response saved as it came (often pretty-printed over many
  lines), or several such documents one after the other.

:func:`sniff_layout` decides from a file's first bytes; :func:`record_batches` then streams the
records as ``(rec, raw)`` Arrow batches (``raw`` = one record's JSON text) for the Python
adapters. Documents are parsed with ijson (yajl, C), record by record: a file is never held whole.

An *envelope* is a JSON object that carries the records under a known key (:data:`ENVELOPES`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterator

from .common import json_dumps, json_loads

#: API envelopes: (path of the record list, what it is). Looked for in this order on a JSON object.
ENVELOPES: tuple[tuple[str, str], ...] = (
    ("statuses", "Twitter API v1.1 search response"),
    ("feed", "Bluesky feed response (getAuthorFeed / getTimeline / getFeed)"),
    ("thread", "Bluesky getPostThread response"),
    ("posts", "Bluesky getPosts / searchPosts response or 4chan thread"),
    ("data.children", "Reddit API Listing"),
    ("data.videos", "TikTok Research API video query"),
    ("data.comments", "TikTok Research API comment query"),
    ("data", "API response with a data list (Pushshift)"),
    ("items", "YouTube Data API list response"),
    ("orderedItems", "ActivityPub outbox (Mastodon archive)"),
    ("result.posts", "CrowdTangle API posts response"),
)

#: records nested deeper than this many levels are quarantined (orjson's limit)
MAX_DEPTH = 255


@dataclass
class Layout:
    """How records sit in a file: ``kind`` is ``lines``, ``envelope-lines`` or ``documents``;
    ``path`` the envelope path (``feed``, ``data.children``...), ``item`` for arrays, '' for a
    document that is itself the record; ``first`` the first record found (None when none was)."""

    kind: str
    path: str | None = None
    first: Any = None
    what: str | None = None

    @property
    def describe(self) -> str:
        if self.kind == "lines":
            return "one record per line"
        where = self.what or ("a JSON array" if self.path == "item" else "a JSON document")
        return f"{where}, records under '{self.path}'" if self.path not in (None, "", "item") else where


def _get(obj: Any, path: str) -> Any:
    for k in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def envelope_of(obj: Any) -> tuple[str, str] | None:
    """(record path, what) where ``obj`` is an API envelope; None where it is a record itself."""
    if not isinstance(obj, dict):
        return None
    for path, what in ENVELOPES:
        v = _get(obj, path)
        if path == "thread":
            if isinstance(v, dict) and ("post" in v or "$type" in v):
                return path, what
            continue
        if isinstance(v, list) and not (path == "data" and _looks_twarc2(obj)):
            return f"{path}.item", what
    return None


def _looks_twarc2(obj: dict) -> bool:
    return bool({"includes", "meta", "__twarc", "errors", "matching_rules"} & set(obj))


def first_record(obj: Any, path: str | None) -> Any:
    """The first record of a (possibly partial) document under ``path``."""
    if path in (None, ""):
        return obj
    if path == "thread":
        return _get(obj, "thread")
    base = path[: -len(".item")] if path.endswith(".item") else path
    v = obj if base == "item" else _get(obj, base)
    if isinstance(v, list):
        return v[0] if v else None
    return None


def _partial_value(head: bytes) -> Any:
    """The first JSON value of ``head``, as much of it as ``head`` holds (ijson builds it
    incrementally: on a cut document the containers hold what came before the cut)."""
    import ijson

    builder = ijson.ObjectBuilder()
    depth = 0
    try:
        for _prefix, event, value in ijson.parse(io.BytesIO(head), multiple_values=True, use_float=True):
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
            elif depth == 0:
                break
    except Exception:
        pass
    return getattr(builder, "value", None)


def _lines_of(head: bytes, n: int = 20) -> list[bytes]:
    out = []
    for line in head.split(b"\n")[:-1] or [head]:  # complete lines only (the last may be cut)
        s = line.strip()
        if s:
            out.append(line.rstrip(b"\r"))
        if len(out) >= n:
            break
    return out


def sniff_layout(head: bytes, complete: bool = False) -> Layout | None:
    """The layout of a JSON file from its first bytes (``complete``: ``head`` is the whole file);
    None where the file does not start like JSON."""
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not s or s[:1] not in (b"{", b"["):
        return None
    s = s.decode("utf-8", errors="replace").encode("utf-8")  # as the readers see it (U+FFFD for bad bytes)
    # one record per line: an unindented line that parses by itself (pretty-printed documents
    # indent what is inside them; a document cut in the middle is one broken line)
    lines = _lines_of(s if complete or b"\n" in s else s + b"\n")
    if complete and not s.endswith(b"\n"):
        lines = [ln for ln in s.split(b"\n") if ln.strip()][:20]
    parsed = None
    if lines and lines[0].rstrip()[-1:] in (b"[", b"{", b",", b":"):
        lines = []  # the first line opens a document that goes on below it: pretty-printed
    for i, ln in enumerate(lines):
        if ln[:1] not in (b"{", b"[") or (ln[:1] == b"[" and i > 0):  # arrays per line: only from the first
            continue
        try:
            parsed = json_loads(ln)
        except Exception:
            continue
        if isinstance(parsed, (dict, list)):
            break
        parsed = None
    if parsed is not None and not (len(lines) == 1 and isinstance(parsed, list)):
        env = envelope_of(parsed)
        if env:
            return Layout("envelope-lines", env[0], first_record(parsed, env[0]), env[1])
        if isinstance(parsed, list):  # several lines, each an array of records
            return Layout("envelope-lines", "item", parsed[0] if parsed else None, "JSON arrays, one per line")
        return Layout("lines", None, parsed)
    value = parsed if parsed is not None else _partial_value(s)
    if isinstance(value, list):
        return Layout("documents", "item", value[0] if value else None, "a JSON array")
    env = envelope_of(value)
    if env:
        return Layout("documents", env[0], first_record(value, env[0]), env[1])
    if not complete and b"\n" not in s.rstrip():
        # one record on a line longer than the head (a twarc2 page of many tweets): records per line
        return Layout("lines", None, value)
    return Layout("documents", "", value, "a JSON document")


def record_batches(stream, layout: Layout, name: str, size: int = 20_000) -> Iterator:
    """``(rec, raw, error)`` Arrow batches of the records of ``stream`` laid out as ``layout``
    (envelope lines or documents). ``rec`` numbers records from 1 in file order; ``error`` is set
    (and ``raw`` is the text as far as it can be kept) for a record that cannot be read: a line
    that is not JSON, a document cut off or broken, a record nested deeper than :data:`MAX_DEPTH`."""
    import pyarrow as pa

    recs: list[int] = []
    raws: list[str | None] = []
    errs: list[str | None] = []

    def flush():
        t = pa.table({"rec": pa.array(recs, pa.int64()), "raw": pa.array(raws, pa.string()),
                      "error": pa.array(errs, pa.string())})
        recs.clear(), raws.clear(), errs.clear()
        return t

    n = 0
    for raw, err in _records(stream, layout, name):
        n += 1
        recs.append(n)
        raws.append(raw)
        errs.append(err)
        if len(recs) >= size:
            yield flush()
    if recs:
        yield flush()


def _dump(item: Any) -> tuple[str | None, str | None]:
    """A record's JSON text, or the reason it cannot have one (orjson refuses nesting deeper than
    :data:`MAX_DEPTH`; such a record is quarantined, not stored)."""
    try:
        return json_dumps(item), None
    except Exception as exc:
        return None, (f"JSON nested deeper than {MAX_DEPTH} levels" if "ecursion" in str(exc)
                      else f"record cannot be kept as JSON: {str(exc)[:120]}")


def _items_of(obj: Any, path: str) -> list | None:
    if path == "thread":
        v = _get(obj, "thread")
        return [v] if v is not None else None
    if path == "item":
        return obj if isinstance(obj, list) else None
    v = _get(obj, path[: -len(".item")] if path.endswith(".item") else path)
    return v if isinstance(v, list) else None


def _records(stream, layout: Layout, name: str) -> Iterator[tuple[str | None, str | None]]:
    if layout.kind == "envelope-lines":
        yield from _envelope_lines(stream, layout)
    else:
        yield from _documents(stream, layout)


def _envelope_lines(stream, layout: Layout):
    from .lines import line_batches

    for tbl in line_batches(stream, max_lines=20_000, max_bytes=32 << 20):
        for line in tbl.column("raw").to_pylist():
            try:
                obj = json_loads(line)
            except Exception as exc:
                yield line, f"invalid JSON: {str(exc)[:120]}"
                continue
            env = envelope_of(obj)
            items = _items_of(obj, env[0]) if env else None
            if items is None:
                if isinstance(obj, list):
                    items = obj
                else:  # a record on a line of its own amid the envelopes
                    yield _dump(obj)
                    continue
            for item in items:
                yield _dump(item)


def _documents(stream, layout: Layout):
    """Records of one or more JSON documents; a document that breaks is one quarantined record,
    and reading goes on at the next line that starts a document (a truncated copy followed by a
    whole one, as scrapers that append leave them)."""
    import ijson

    from .utf8 import Utf8Clean

    path = layout.path or ""
    src = _Restartable(Utf8Clean(stream))
    while True:
        try:
            if path == "thread":
                for item in ijson.items(src, "thread", multiple_values=True, use_float=True):
                    yield _dump(item)
            elif path == "":
                for item in ijson.items(src, "", multiple_values=True, use_float=True):
                    # a document that turns out to be an envelope after all (the sniff saw a record)
                    env = envelope_of(item)
                    items = _items_of(item, env[0]) if env else [item]
                    for it in items or []:
                        yield _dump(it)
            else:
                for item in ijson.items(src, path, multiple_values=True, use_float=True):
                    yield _dump(item)
            return
        except ijson.JSONError as exc:
            broken = src.broken_start()
            yield broken[:2000].decode("utf-8", "replace") or None, f"broken JSON document: {str(exc)[:120]}"
            if not src.skip_to_document():
                return
        except RecursionError:
            yield None, f"JSON nested deeper than {MAX_DEPTH} levels"
            if not src.skip_to_document():
                return


class _Restartable:
    """A byte stream that keeps the bytes read since the current document began, so that after a
    parse error the reader can go on at the next line that starts a document (``{`` or ``[`` in
    column 0). Only the current document's bytes are kept (bounded by the document's size)."""

    def __init__(self, f) -> None:
        self.f = f
        self.kept = bytearray()   # bytes handed out since the current document began
        self.pending = b""        # bytes to hand out before reading more from f

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        if self.pending:
            b = self.pending if n is None or n < 0 else self.pending[:n]
            self.pending = self.pending[len(b):]
        else:
            b = self.f.read(n if n and n > 0 else 1 << 16)
        self.kept += b
        if len(self.kept) > (64 << 20):  # a long document: only its tail matters for a restart
            del self.kept[: len(self.kept) - (1 << 20)]
        return b

    def broken_start(self) -> bytes:
        """The first bytes of the document that broke (kept in the quarantine row)."""
        return bytes(self.kept[:4096])

    def skip_to_document(self) -> bool:
        """Position at the next line after the broken document's start that begins with ``{`` or
        ``[``; False at the end of the stream."""
        buf = bytes(self.kept) + self.pending
        self.kept = bytearray()
        self.pending = b""
        start = len(buf) - len(buf.lstrip()) + 1  # past the broken document's first byte
        while True:
            i = _doc_start(buf, start)
            if i >= 0:
                self.pending = buf[i:]
                return True
            more = self.f.read(1 << 16)
            if not more:
                return False
            buf = buf[-1:] + more  # the last byte kept: it may be the newline before a document
            start = 0


def _doc_start(buf: bytes, start: int) -> int:
    """Index of the first ``{`` / ``[`` at the start of a line in ``buf`` at or after ``start``."""
    pos = start
    while True:
        j = buf.find(b"\n", pos)
        if j < 0 or j + 1 >= len(buf):
            return -1
        c = buf[j + 1: j + 2]
        if c in (b"{", b"["):
            return j + 1
        pos = j + 1
