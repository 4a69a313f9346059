"""Opening the synthetic corpus's output files and writing compact JSON.

An output file is compressed by its name's suffix (``.gz``: gzip level 5; ``.zst``: Zstandard level
3; anything else: plain UTF-8 text), which is how ``synthesize(..., "corpus.jsonl.gz")`` writes a
compressed export. JSON lines are written with orjson when it is installed, else with the standard
library (compact separators, non-ASCII kept as is).
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

try:  # orjson is faster; the standard library is the fallback
    import orjson

    def json_text(obj: Any) -> str:
        """``obj`` as one line of compact JSON."""
        return orjson.dumps(obj).decode()

except ImportError:  # pragma: no cover
    def json_text(obj: Any) -> str:
        """``obj`` as one line of compact JSON."""
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def open_text(path: Path, mode: str = "w"):
    """Open for writing text, compressed by the file name's suffix (.gz, .zst)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="", compresslevel=5)
    if name.endswith(".zst"):
        import zstandard

        raw = open(path, mode + "b")
        return io.TextIOWrapper(zstandard.ZstdCompressor(level=3).stream_writer(raw), encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")
