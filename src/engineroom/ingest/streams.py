"""Byte streams over an input, read once: hashing what passes, gzip / zstd decompression that
notices truncation, and full reads into bytes or a buffer.
"""

from __future__ import annotations

import io
import zlib

from .errors import IngestError


CHUNK = 1 << 22  # 4 MiB

DECOMPRESS_IN = 1 << 20  # compressed bytes decompressed at a time (see _Decompressing)


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
