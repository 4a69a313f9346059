"""Splitting a byte stream into batches of non-blank lines (Arrow, numbered from 1), without a
Python object per line or a copy of the text.
"""

from __future__ import annotations

import codecs

from .streams import _read_into


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
