"""Valid UTF-8 out of any byte stream: undecodable bytes become U+FFFD (the record is kept, not
lost), a byte-order mark is dropped, valid text passes through without a copy.
"""

from __future__ import annotations

import codecs

from .streams import CHUNK, ByteReader, _read_full, _read_into


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
