"""Finding the inputs: files and folders named, the members of zip archives, compression told by
magic bytes; an input's first bytes (to tell its format) and its SHA-256 (to skip it when ingested
before).

Everything here streams: a file is read in chunks, never whole (the streams are in
:mod:`engineroom.ingest.streams`, UTF-8 cleaning in :mod:`engineroom.ingest.utf8`, splitting
into lines in :mod:`engineroom.ingest.lines`). Truncated or broken archives raise
:class:`IngestError`.
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
from .streams import CHUNK, _Decompressing, _Hashing


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


def is_file_path(p: os.PathLike | str) -> bool:
    return Path(p).is_file()
