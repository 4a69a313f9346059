"""Opening input files: compression by magic bytes, zip members, hashing, streaming readers.

Everything here streams: a file is read in chunks, never whole. Undecodable bytes are replaced
with U+FFFD (the record is kept, not lost) and truncated archives raise :class:`IngestError`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError

CHUNK = 1 << 22  # 4 MiB
DECOMPRESS_IN = 1 << 20  # compressed bytes decompressed at a time (see _Decompressing)

#: what a broken zip archive raises while it is read: a bad header can also name a compression
#: method zipfile lacks (NotImplementedError) or claim encryption (RuntimeError)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)

MAGIC_GZIP = b"\x1f\x8b"
MAGIC_ZSTD = b"\x28\xb5\x2f\xfd"
MAGIC_ZIP = b"PK\x03\x04"
MAGIC_ZIP_EMPTY = b"PK\x05\x06"


def compression_of(head: bytes) -> str:
    """'gzip', 'zstd', 'zip' or 'none', from a file's first bytes."""
    if head.startswith(MAGIC_GZIP):
        return "gzip"
    if head.startswith(MAGIC_ZSTD):
        return "zstd"
    if head.startswith(MAGIC_ZIP) or head.startswith(MAGIC_ZIP_EMPTY):
        return "zip"
    return "none"


@dataclass
class Source:
    """One input unit: a plain / gzip / zstd file, or one member of a zip archive."""

    path: Path                 # the file on disk
    member: str | None = None  # zip member name
    compression: str = "none"  # of the file itself (a zip member may be compressed again)
    size: int = 0

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def open_raw(self) -> io.BufferedIOBase:
        """The stored bytes (compressed as they are on disk / in the archive)."""
        if self.member is not None:
            zf = zipfile.ZipFile(self.path)
            try:
                return zf.open(self.member)
            except ZIP_ERRORS as exc:
                raise IngestError(f"{self.name}: broken zip archive ({exc})") from exc
        return open(self.path, "rb")

    def open(self, hasher: "hashlib._Hash | None" = None) -> "io.RawIOBase":
        """A binary stream of the decompressed content; feeds ``hasher`` with the stored bytes."""
        raw = self.open_raw()
        try:
            head = _peek(raw)
        except ZIP_ERRORS as exc:
            raw.close()
            raise IngestError(f"{self.name}: broken zip archive member ({exc})") from exc
        comp = compression_of(head)
        src: io.RawIOBase = _Hashing(raw, hasher) if hasher is not None else raw  # type: ignore[assignment]
        if comp == "gzip":
            return _Decompressing(src, self.name, "gzip")
        if comp == "zstd":
            return _Decompressing(src, self.name, "zstd")
        if comp == "zip":
            raise IngestError(f"{self.name}: a zip archive inside a zip archive is not supported; unpack it first")
        return src


def _peek(f) -> bytes:
    if hasattr(f, "peek"):
        try:
            return f.peek(8)[:8]
        except Exception:  # pragma: no cover
            pass
    pos = f.tell()
    head = f.read(8)
    f.seek(pos)
    return head


class ByteReader(io.RawIOBase):
    """A read-only byte stream: subclasses implement ``read(n)``; ``readinto`` follows from it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        b = self.read(len(buf))
        buf[: len(b)] = b
        return len(b)


class _Wrapping(ByteReader):
    """A :class:`ByteReader` over another stream ``self.f``, which it closes when closed."""

    f: "io.RawIOBase"

    def close(self) -> None:
        self.f.close()
        super().close()


class _Hashing(_Wrapping):
    """Pass-through reader that hashes what it reads."""

    def __init__(self, f, hasher) -> None:
        self.f, self.h = f, hasher

    def read(self, n: int = -1) -> bytes:
        b = self.f.read(n)
        if b:
            self.h.update(b)
        return b

    def readinto(self, buf) -> int:
        readinto = getattr(self.f, "readinto", None)
        if readinto is None:
            return super().readinto(buf)
        n = readinto(buf) or 0
        if n:
            with memoryview(buf) as mv, mv.cast("B") as flat:
                self.h.update(flat[:n])
        return n


class _Decompressing(_Wrapping):
    """gzip / zstd decompression (multi-member / multi-frame) that notices truncation.

    The compressed stream is decompressed :data:`DECOMPRESS_IN` bytes at a time and handed out
    with ``readinto`` from the decompressed piece, without slicing it: copies of tens of MB per
    read each took fresh memory, which cost more kernel time (page faults) than decompressing.
    """

    def __init__(self, f, name: str, kind: str) -> None:
        self.f, self.name, self.kind = f, name, kind
        self.buf = memoryview(b"")  # the decompressed piece ...
        self.pos = 0                # ... and how much of it was handed out
        self.done = False
        self._new()

    def _new(self) -> None:
        if self.kind == "gzip":
            self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            import zstandard

            self.d = zstandard.ZstdDecompressor().decompressobj()
        self.in_frame = False

    def _fill(self) -> None:
        while self.pos >= len(self.buf) and not self.done:
            chunk = self.f.read(DECOMPRESS_IN)
            if not chunk:
                if self.in_frame:
                    raise IngestError(f"{self.name}: truncated {self.kind} archive (the file ends inside compressed data)")
                self.done = True
                return
            out = []
            while chunk:
                self.in_frame = True
                try:
                    out.append(self.d.decompress(chunk))
                except Exception as exc:
                    raise IngestError(f"{self.name}: corrupt {self.kind} data ({exc})") from exc
                if self.d.eof:
                    chunk = self.d.unused_data
                    self._new()
                else:
                    chunk = b""
            self.buf = memoryview(out[0] if len(out) == 1 else b"".join(out))
            self.pos = 0

    def readinto(self, b) -> int:
        with memoryview(b) as mv, mv.cast("B") as dst:
            n, got = len(dst), 0
            while got < n:
                self._fill()
                k = min(n - got, len(self.buf) - self.pos)
                if k <= 0:
                    break
                dst[got: got + k] = self.buf[self.pos: self.pos + k]
                self.pos += k
                got += k
        return got

    def read(self, n: int = -1) -> bytes:
        if n is not None and n >= 0:
            return super().read(n)  # io.RawIOBase: through readinto
        parts = []  # the rest, a decompressed piece at a time
        while True:
            self._fill()
            if self.pos >= len(self.buf):
                return b"".join(parts)
            parts.append(self.buf[self.pos:].tobytes())
            self.pos = len(self.buf)


class Utf8Clean(ByteReader):
    """Re-encodes a byte stream as valid UTF-8: undecodable bytes become U+FFFD; drops a BOM.

    Reads go into Arrow memory (pooled, so no fresh pages per read) and valid UTF-8 is checked
    by Arrow and passed through as it is; a character cut by the end of a read waits for the
    next one. Only a read with undecodable bytes goes through Python's incremental decoder,
    which then carries on until it holds no partial character, so the output is exactly the
    incremental decoder's over the whole stream. ``read_buffer`` (used by pyarrow's readers)
    hands out the Arrow buffer without copying it.
    """

    def __init__(self, f) -> None:
        self.f = f
        self.dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.carry = b""  # the start of a character cut by the end of the last read (fast path only)
        self.first = True
        self.eof = False
        self.rest = b""  # clean bytes made but not handed out yet (U+FFFD made a read longer, or n < 4)

    def _next(self, n: int):
        """``n`` clean bytes (bytes or a pyarrow Buffer), fewer only at the end or by up to 3 (a
        character cut by the end of the read waits for the next one); empty only at the end or for
        ``n == 0``, which reads nothing (ijson asks ``read(0)`` to learn the stream's type).
        Reads are full, as pyarrow's CSV reader needs (a row may straddle two blocks, not three)."""
        if n == 0:
            return b""
        if len(self.rest) >= n:
            out = self.rest
        elif len(self.rest):  # after undecodable bytes only (their U+FFFD are longer than they were)
            out = bytes(self.rest) + bytes(self._make(max(n - len(self.rest), 4)))
        else:
            out = self._make(max(int(n), 4))
        self.rest = out[n:]
        return out[:n] if len(out) > n else out

    def _make(self, n: int):
        """About ``n`` (at least 4) clean bytes; empty only at the end."""
        import pyarrow as pa

        while not self.eof:
            if self.dec.getstate()[0]:  # the decoder holds a partial character: it reads on
                chunk = _read_full(self.f, n)
                if not chunk:
                    self.eof = True
                    out = self.dec.decode(b"", final=True).encode("utf-8")
                else:
                    out = self.dec.decode(chunk).encode("utf-8")
            else:
                c = len(self.carry)
                buf = pa.allocate_buffer(n)  # never more than n out: c <= 3 < n
                with memoryview(buf).cast("B") as mv:
                    mv[:c] = self.carry
                    total = c
                    while total < n:
                        k = _read_into(self.f, mv[total:])
                        if k == 0:
                            break
                        total += k
                    if total == c:
                        self.eof = True
                        out = self.dec.decode(self.carry, final=True).encode("utf-8") if c else b""
                        self.carry = b""
                    else:
                        cut = _utf8_cut(mv, total)
                        if _valid_utf8(buf, cut):
                            out = buf.slice(0, cut)
                            self.carry = bytes(mv[cut:total])
                        else:
                            out = self.dec.decode(bytes(mv[:total])).encode("utf-8")
                            self.carry = b""
            if self.first and len(out):
                self.first = False
                if bytes(memoryview(out)[:3]) == codecs.BOM_UTF8:
                    out = out[3:]
            if len(out):
                return out
        return b""

    def read_buffer(self, n: int = -1):
        if n is None or n < 0:
            return self.read()
        return self._next(n)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while True:
                b = self._next(CHUNK)
                if not len(b):
                    return b"".join(parts)
                parts.append(bytes(b))
        b = self._next(n)
        return b if isinstance(b, bytes) else b.to_pybytes()


def _read_full(stream, n: int) -> bytes:
    """``n`` bytes read from ``stream``, fewer only at its end."""
    b = stream.read(n)
    if not b or len(b) >= n:
        return b
    parts = [b]
    got = len(b)
    while got < n:
        b = stream.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _read_into(stream, mv) -> int:
    """Fill (part of) the writable memoryview ``mv`` from ``stream``; the number of bytes read."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(mv) or 0
    b = stream.read(len(mv))
    mv[: len(b)] = b
    return len(b)


def _utf8_cut(mv, total: int) -> int:
    """``total``, or less so that a UTF-8 character cut by the end is left out (its start)."""
    for i in range(1, min(3, total) + 1):
        c = mv[total - i]
        if c < 0x80:
            return total
        if c >= 0xC0:
            need = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            return total - i if need > i else total
    return total


def _valid_utf8(buf, size: int) -> bool:
    """Whether the first ``size`` bytes of the Arrow buffer are valid UTF-8 (checked by Arrow)."""
    import numpy as np
    import pyarrow as pa

    if size == 0:
        return True
    big = size >= (1 << 31) - 1
    offsets = np.array([0, size], dtype=np.int64 if big else np.int32)
    arr = pa.Array.from_buffers(pa.large_binary() if big else pa.binary(), 1, [None, pa.py_buffer(offsets), buf])
    try:
        arr.cast(pa.large_string() if big else pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def head_bytes(source: Source, n: int = 1 << 16) -> bytes:
    """The first ``n`` decompressed bytes (fewer: the whole file)."""
    with source.open() as f:
        data = b""
        while len(data) < n:
            try:
                b = f.read(n - len(data))
            except ZIP_ERRORS as exc:
                raise IngestError(f"{source.name}: broken compressed data ({exc})") from exc
            if not b:
                break
            data += b
    return data


def head_text(source: Source, n: int = 1 << 16) -> str:
    """The first ``n`` decompressed bytes as text (for format detection)."""
    with source.open() as f:
        data = b""
        while len(data) < n:
            b = f.read(n - len(data))
            if not b:
                break
            data += b
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def expand_paths(paths: list) -> list[Path]:
    """Files named, plus the files inside folders named (recursively, sorted, hidden ones skipped)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            for q in sorted(p.rglob("*")):
                rel = q.relative_to(p)
                if q.is_file() and not any(part.startswith(".") for part in rel.parts) and not q.name.endswith(".truth.json"):
                    out.append(q)
        else:
            out.append(p)
    return out


def sources_of(path: Path) -> list[Source]:
    """The ingest units of a file: itself, or each member of a zip archive."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a regular file")
    with open(path, "rb") as f:
        head = f.read(8)
    comp = compression_of(head)
    if comp != "zip":
        return [Source(path, None, comp, path.stat().st_size)]
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not Path(i.filename).name.startswith(".")
                       and "__MACOSX" not in i.filename]
    except (OSError, *ZIP_ERRORS) as exc:
        raise IngestError(f"{path}: broken or truncated zip archive ({exc})") from exc
    if not members:
        raise IngestError(f"{path}: zip archive holds no files")
    return [Source(path, m.filename, "zip", m.file_size) for m in members]


def sha256_of(source: Source) -> str:
    """SHA-256 of the stored bytes (the file, or the zip member's content)."""
    h = hashlib.sha256()
    with source.open_raw() as f:
        while True:
            try:
                b = f.read(CHUNK)
            except ZIP_ERRORS as exc:
                raise IngestError(f"{source.name}: broken zip archive ({exc})") from exc
            if not b:
                break
            h.update(b)
    return h.hexdigest()


_ASCII_SPACE = b" \t\n\r\x0b\x0c"  # what bytes.strip() removes


READ_CHUNK = 8 << 20  # bytes read at a time by :func:`line_batches`
_LONG_LINE = 8192  # mean line length (bytes) from which newlines are found with memchr, not numpy
_MEMCHR: list = []


def _memchr():
    """libc ``memchr`` through ctypes, or None where it cannot be had."""
    if not _MEMCHR:
        try:
            import ctypes

            f = ctypes.CDLL(None).memchr
            f.restype = ctypes.c_void_p
            f.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)
        except Exception:  # pragma: no cover - no C library to load (Windows)
            f = None
        _MEMCHR.append(f)
    return _MEMCHR[0]


def _line_ends(buf, arr, start: int, end: int, long_lines: bool):
    """One past each newline in ``buf[start:end]`` (int64 positions in ``buf``). For long lines a
    memchr per line is cheaper than numpy's compare-everything; both give the same positions."""
    import numpy as np

    memchr = _memchr() if long_lines else None
    if memchr is None:
        ends = np.flatnonzero(arr[start:end] == 10)
        ends += start + 1
        return ends
    base = buf.address
    p, stop = base + start, base + end
    out = []
    while p < stop:
        q = memchr(p, 10, stop - p)
        if not q:
            break
        p = q + 1
        out.append(p - base)
    return np.array(out, dtype=np.int64)


def _chunk_lines(arr, start: int, ends):
    """The lines of the read buffer (its bytes ``arr``) from ``start`` to ``ends[-1]`` (``ends``: one
    past each newline): where each starts, its length without the newline, and whether it is not blank."""
    import numpy as np

    starts = np.empty(len(ends), dtype=np.int64)
    starts[0] = start
    starts[1:] = ends[:-1]
    lengths = ends - starts - 1
    # a line whose first byte is not white space is not blank; the few others are looked at whole
    keep = ~np.isin(arr[starts], np.frombuffer(_ASCII_SPACE, dtype=np.uint8))
    for i in np.flatnonzero(~keep):
        keep[i] = bool(arr[starts[i]:ends[i]].tobytes().strip())
    return starts, lengths, keep


_VIEW_OFFSET_MAX = (1 << 31) - 1  # the largest offset into a data buffer a binary view can hold


def _line_values(buf, arr, starts, lengths):
    """The lines (``starts``, ``lengths`` without the newline) of the read buffer ``buf`` as an Arrow
    binary-view array over it: no copy of the text, and a CR before the newline left out.

    A view is 16 bytes: the length, then a value of up to 12 bytes inline, or its first 4 bytes, the
    data buffer's index and the offset in it (Arrow's columnar format, "variable-size binary view").
    Trimming a string array instead (``utf8_rtrim``) copied every batch: reading 1.4 GB of twarc2
    pages took 2.1 CPU-s with the copy, 1.6-1.8 without.
    """
    import numpy as np
    import pyarrow as pa

    n = len(starts)
    lengths = lengths.astype(np.int64)  # a copy: CRs are taken off below
    while True:  # CRLF (and CR CR LF ...) line ends: the CRs go, as str.rstrip("\r") would
        has = np.flatnonzero(lengths > 0)
        cr = has[arr[starts[has] + lengths[has] - 1] == 13]
        if not len(cr):
            break
        lengths[cr] -= 1
    if len(arr) > _VIEW_OFFSET_MAX:  # a line of 2 GB or more: a view's offset has 31 bits
        return pa.array([arr[s: s + k].tobytes() for s, k in zip(starts, lengths)], pa.binary_view())
    views = np.zeros((n, 16), dtype=np.uint8)
    words = views.view(np.int32)  # (n, 4): length, then the inline bytes or prefix, buffer, offset
    words[:, 0] = lengths
    short = np.flatnonzero(lengths <= 12)
    if len(short):
        cols = np.arange(12)
        idx = np.minimum(starts[short, None] + cols, len(arr) - 1)
        views[short, 4:] = np.where(cols < lengths[short, None], arr[idx], 0)
    long = np.flatnonzero(lengths > 12)
    if len(long):
        views[long, 4:8] = arr[starts[long, None] + np.arange(4)]
        words[long, 2] = 0
        words[long, 3] = starts[long]
    return pa.Array.from_buffers(pa.binary_view(), n, [None, pa.py_buffer(views), buf])


def line_batches(stream, max_lines: int = 200_000, max_bytes: int = 64 << 20):
    """Batches of non-blank lines as Arrow (``rec`` = line number from 1, ``raw`` = text).

    The stream is read in chunks of at most :data:`READ_CHUNK` bytes (``readinto`` Arrow memory, the
    unfinished last line of a chunk copied to the front of the next) and split with numpy (no Python
    object per line); a batch's ``raw`` column is ``string_view`` over those chunks (a chunked array
    whose views leave the line ends out: no copy of the text, see :func:`_line_values`). A
    batch is flushed at the line that brings it to ``max_lines`` lines or ``max_bytes`` bytes (so
    the batches are the same however the stream was read).
    Lines are decoded as UTF-8 in Arrow (fast); a batch with undecodable bytes is decoded line by
    line with U+FFFD replacements instead. CRLF line ends lose their CR; blank lines are skipped
    (their numbers are not reused).
    """
    import numpy as np
    import pyarrow as pa

    # read in chunks of at most READ_CHUNK: fresh buffers of a whole (80 MB) batch cost page faults
    chunk = min(max_bytes, READ_CHUNK)
    pend_recs: list[np.ndarray] = []
    pend_vals: list[pa.Array] = []
    pend_n = 0
    pend_bytes = 0

    def text(raw: pa.Array) -> pa.Array:
        try:
            return raw.cast(pa.string_view())  # checks the UTF-8, keeps the buffers
        except pa.ArrowInvalid:
            return pa.array([x.decode("utf-8", errors="replace") for x in raw.to_pylist()], type=pa.string_view())

    def flush():
        # the batch's lines stay in the buffers they were read into (no copy into one array)
        raw = pa.chunked_array([text(v) for v in pend_vals], type=pa.string_view())
        return pa.table({"rec": pa.array(np.concatenate(pend_recs)), "raw": raw})

    tail = b""  # the unfinished last line of the chunk before
    lineno = 1
    first = True
    eof = False
    long_lines = False  # whether the lines of the chunk before were long (on average)
    while not eof:
        t = len(tail)
        buf = pa.allocate_buffer(t + chunk + 1)  # + 1: room for a newline after the last line
        mv = memoryview(buf).cast("B")
        mv[:t] = tail
        k = _read_into(stream, mv[t: t + chunk])
        start = 0
        if first:
            first = False
            if k >= 3 and mv[:3] == codecs.BOM_UTF8:
                start = 3
        end = t + k
        if k == 0:
            eof = True
            if end == start:
                break
            mv[end] = 10  # the last line, without a newline
            end += 1
        arr = np.frombuffer(buf, dtype=np.uint8)
        ends = _line_ends(buf, arr, start, end, long_lines)
        if not len(ends):
            tail = bytes(mv[start:end])
            continue
        long_lines = (int(ends[-1]) - start) >= _LONG_LINE * len(ends)
        tail = bytes(mv[int(ends[-1]):end])
        mv.release()
        starts, lengths, keep = _chunk_lines(arr, start, ends)
        recs = np.arange(lineno, lineno + len(starts), dtype=np.int64)
        lineno += len(starts)
        if not keep.all():
            starts, lengths, recs = starts[keep], lengths[keep], recs[keep]
        values = _line_values(buf, arr, starts, lengths)
        cum = np.cumsum(lengths)  # bytes of the chunk's lines up to and including each
        pos = 0
        while pos < len(values):
            room = max_lines - pend_n
            # up to the line that brings the batch to max_bytes (batch sizes depend on the lines
            # alone, not on how the stream was read)
            before = int(cum[pos - 1]) if pos else 0
            fill = int(np.searchsorted(cum, before + max_bytes - pend_bytes, side="left")) - pos + 1
            take = min(room, len(values) - pos, max(fill, 1))
            pend_vals.append(values.slice(pos, take))
            pend_recs.append(recs[pos: pos + take])
            pend_n += take
            pend_bytes += int(lengths[pos: pos + take].sum())
            pos += take
            if pend_n >= max_lines or pend_bytes >= max_bytes:
                yield flush()
                pend_vals, pend_recs, pend_n, pend_bytes = [], [], 0, 0
    if pend_n:
        yield flush()


def is_file_path(p: os.PathLike | str) -> bool:
    return Path(p).is_file()
