"""Adapter base classes: line-oriented JSON and CSV readers that stage Arrow batches in DuckDB."""

from __future__ import annotations

import csv
import io
import os
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .common import Batch, json_loads
from .errors import IngestError
from .merge import ensure_empty, stage_arrow, unregister
from .lines import line_batches
from .sources import Source
from .streams import CHUNK, ByteReader
from .utf8 import Utf8Clean

LINES_PER_BATCH = 200_000
#: records nested deeper than this are quarantined (orjson writes no deeper)
MAX_DEPTH = 255


def batch_bytes(default_mb: int = 32) -> int:
    """Bytes of input per staged batch: ``ENGINEROOM_BATCH_MB``, else the adapter's ``default_mb``.

    Each batch costs a fixed ~0.1 CPU-s of statement planning (staging, export and merge: some
    40 statements over wide expressions) besides its per-row work; measured on 1M IO-archive rows,
    8 MB batches took 24.3 CPU-s, 16 MB 20.1 and 32 MB 17.0. Memory grows with the batch: two
    staging workers each hold one staged batch (several times its input size while it is staged),
    so the default is 32 MB; an adapter sets its own (:attr:`Adapter.batch_mb`: twarc2 80 MB, where
    1M posts took about 5% less CPU than with 64 MB batches, at 1.6 GB peak for the whole ingest).
    """
    v = os.environ.get("ENGINEROOM_BATCH_MB", "").strip()
    return (int(v) if v.isdigit() and int(v) > 0 else default_mb) << 20


class Adapter:
    """Reads one source and stages batches (``b_*`` temp tables) for :func:`merge_batch`."""

    name = "abstract"
    platform = "unknown"
    mode = "posts"
    #: megabytes of input per staged batch (see :func:`batch_bytes`)
    batch_mb = 32
    #: whether a staged batch's ``b_accounts`` holds at most one profile per account, each with
    #: an id (then :func:`engineroom.ingest.merge.export_batch` need not pick one)
    unique_accounts = False
    #: whether every staged ``b_posts`` row has a platform and a post id (then
    #: :func:`engineroom.ingest.merge.prepare_batch` need not look, and ``b_posts`` may be a view)
    post_keys_checked = False

    def __init__(self, source: Source, column_map: dict | None = None, media_dir=None) -> None:
        self.source = source
        self.column_map = column_map or {}
        self.media_dir = media_dir
        #: what the adapter had to assume about the file (a time without a zone read as UTC...):
        #: recorded in ``ingests.options`` and shown by ``engineroom ingest``
        self.assumptions: set[str] = set()

    def batches(self, con, hasher) -> Iterator[None]:
        """Stage the source batch by batch on ``con`` (yields after each batch is staged)."""
        units = self.units(hasher)
        if units is None:  # pragma: no cover - an adapter overrides batches() or units()
            raise NotImplementedError
        for unit in units:
            self.stage_unit(con, unit)
            yield

    def units(self, hasher) -> Iterator[object] | None:
        """The source read in batch-sized *units* (no DuckDB needed), or None when this adapter
        reads and stages in one step (then only :meth:`batches` works).

        Reading is sequential (it feeds ``hasher``); :meth:`stage_unit` of different units may run
        at the same time on different staging connections, which is how ingest stages in parallel.
        """
        return None

    def stage_unit(self, con, unit) -> None:  # pragma: no cover - abstract
        """Create the ``b_*`` batch tables on ``con`` from one unit of :meth:`units`."""
        raise NotImplementedError


# -- JSON lines ----------------------------------------------------------------------------
class JsonLinesAdapter(Adapter):
    """One JSON record per line (a JSON array of records works too)."""

    lines_per_batch = LINES_PER_BATCH

    #: where the records are (set from the sniff, see :mod:`engineroom.ingest.layout`); None:
    #: one per line, or a JSON array
    layout = None

    def iter_line_batches(self, hasher) -> Iterator[pa.Table]:
        """Arrow batches of (rec, raw) lines (and ``error`` for records that could not be read,
        where the records sit in API envelopes or documents)."""
        stream = self.source.open(hasher)
        if self.layout is not None and self.layout.kind != "lines" and self.layout.path != "item":
            from .layout import record_batches

            try:
                yield from record_batches(stream, self.layout, self.source.name)
            finally:
                stream.close()
            return
        try:
            head = stream.read(1 << 16)
            first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            if first and first not in (b"{", b"["):
                raise IngestError(f"{self.source.name}: not {self.name} JSON: the file does not start with a JSON record")
            rest = _Prefixed(head, stream)
            if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
                yield from _json_array_batches(rest, self.lines_per_batch, self.source.name)
            else:
                yield from line_batches(rest, max_lines=self.lines_per_batch, max_bytes=batch_bytes(self.batch_mb))
        finally:
            stream.close()

    def units(self, hasher) -> Iterator[pa.Table]:
        return self.iter_line_batches(hasher)

    def stage_unit(self, con, unit: pa.Table) -> None:
        self.stage_lines(con, unit)

    def stage_lines(self, con, lines: pa.Table) -> None:
        """Python adapters: parse each line and fill a :class:`Batch`."""
        b = Batch()
        errors = lines.column("error").to_pylist() if "error" in lines.column_names else None
        for i, (rec, raw) in enumerate(zip(lines.column("rec").to_pylist(), lines.column("raw").to_pylist())):
            if errors is not None and errors[i]:
                b.quarantine(rec, errors[i], raw)
                continue
            try:
                obj = json_loads(raw)
            except Exception as exc:
                b.quarantine(rec, f"invalid JSON: {str(exc)[:120]}", raw)
                continue
            if (raw.count("[") + raw.count("{") > MAX_DEPTH) and depth_over(obj, MAX_DEPTH):
                b.quarantine(rec, f"JSON nested deeper than {MAX_DEPTH} levels", raw[:2000])
                continue
            mark = b.mark()
            try:
                self.record(b, rec, obj, raw)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
                b.rollback(mark)  # nothing of a half-read record is kept
                b.quarantine(rec, f"unexpected record structure: {type(exc).__name__}: {str(exc)[:120]}", raw)
        stage_arrow(con, b.arrow())

    def record(self, b: Batch, rec: int, obj, raw: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def lines_table(lines: list[tuple[int, str]]) -> pa.Table:
    recs = np.fromiter((r for r, _ in lines), dtype=np.int64, count=len(lines))
    return pa.table({"rec": pa.array(recs), "raw": pa.array([t for _, t in lines], pa.string())})


class _Prefixed(ByteReader):
    """``head`` (bytes already read for sniffing), then the rest of ``f``."""

    def __init__(self, head: bytes, f) -> None:
        self.head, self.f = head, f

    def read(self, n: int = -1) -> bytes:
        if self.head:
            b, self.head = self.head, b""
            return b
        return self.f.read(n)

    def readinto(self, buf) -> int:
        if self.head:
            k = min(len(self.head), len(buf))
            memoryview(buf).cast("B")[:k] = self.head[:k]
            self.head = self.head[k:]
            return k
        readinto = getattr(self.f, "readinto", None)
        return readinto(buf) if readinto is not None else super().readinto(buf)

    def read_buffer(self, n: int = -1):
        """For pyarrow's readers: the stream's own ``read_buffer`` (no copy) where it has one."""
        if self.head:
            b, self.head = self.head, b""
            return b
        read_buffer = getattr(self.f, "read_buffer", None)
        return read_buffer(n) if read_buffer is not None else self.f.read(n)


def depth_over(obj, limit: int) -> bool:
    """Whether ``obj`` nests more than ``limit`` containers deep (iterative: no recursion limit)."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, (dict, list)):
            if d > limit:
                return True
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o) if isinstance(v, (dict, list)))
    return False


def _json_array_batches(stream, size: int, name: str):
    import ijson

    from .layout import _dump

    recs: list[int] = []
    raws: list = []
    errs: list = []

    def flush() -> pa.Table:
        t = pa.table({"rec": pa.array(recs, pa.int64()), "raw": pa.array(raws, pa.string()), "error": pa.array(errs, pa.string())})
        recs.clear(), raws.clear(), errs.clear()
        return t

    i = 0
    try:
        for item in ijson.items(Utf8Clean(stream), "item", use_float=True):
            i += 1
            raw, err = _dump(item)  # a record too deep to be written is quarantined, not lost
            recs.append(i), raws.append(raw), errs.append(err)
            if len(recs) >= size:
                yield flush()
    except ijson.JSONError as exc:
        raise IngestError(f"{name}: JSON array is broken after record {i}: {exc}") from exc
    if recs:
        yield flush()


# -- CSV -----------------------------------------------------------------------------------
class CsvAdapter(Adapter):
    """A CSV file read with pyarrow (streaming, quoted newlines and bare CRs handled); every
    column as text. Rows with the wrong number of fields are quarantined with their record number."""

    required: tuple[str, ...] = ()
    #: columns holding post times: their first values decide the file's date order (see
    #: :func:`engineroom.ingest.dates.date_order`), the same for every batch of the file
    time_columns: tuple[str, ...] = ()
    day_first = False

    def header(self, stream) -> tuple[list[str], bytes]:
        head = b""
        while True:
            chunk = stream.read(CHUNK)
            head += chunk
            if not chunk or b"\n" in head:
                break
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        try:
            names = next(csv.reader(io.StringIO(text, newline="")))
        except (StopIteration, csv.Error):
            names = []
        return [n.strip() for n in names], head

    def csv_batches(self, hasher) -> Iterator[tuple[list[str], pa.Table, list[tuple[int, str]]]]:
        """(column names, rows as strings with a ``rec`` column, bad rows) per block."""
        stream = Utf8Clean(self.source.open(hasher))
        names, head = self.header(stream)
        if not names or not any(names):
            raise IngestError(f"{self.source.name}: empty file or no CSV header")
        cols = _unique([n.lower() for n in names])
        self.check_columns(cols)
        bad: list[tuple[int, str]] = []

        def on_bad(row) -> str:
            bad.append((int(row.number) if row.number is not None else -1, row.text))
            return "skip"

        reader = pacsv.open_csv(
            _Prefixed(head, stream),
            read_options=pacsv.ReadOptions(column_names=cols, skip_rows=1, use_threads=False, block_size=batch_bytes(self.batch_mb)),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_bad),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in cols}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
        next_rec = 1  # data record numbers, from 1 (header excluded)
        bad_seen: set[int] = set()
        try:
            for rb in reader:
                n = rb.num_rows
                # reconstruct record numbers of good rows: skip numbers used by bad rows
                # (the first n numbers from next_rec that are not bad; the bad ones passed are seen)
                skip = np.array(sorted(r for r in {b[0] - 1 for b in bad if b[0] > 0} - bad_seen if r >= next_rec),
                                dtype=np.int64)
                recs = np.arange(next_rec, next_rec + n + len(skip), dtype=np.int64)
                if len(skip):
                    recs = recs[~np.isin(recs, skip)]
                recs = recs[:n]
                if n:
                    next_rec = int(recs[-1]) + 1
                    bad_seen.update(int(r) for r in skip[skip < next_rec])
                tbl = pa.Table.from_batches([rb]).append_column("rec", _int64_array(recs))
                if next_rec - n <= 1 and n:  # the first block: decided once, before any batch is staged
                    self.decide_dates(tbl)
                out_bad = [(b[0] - 1 if b[0] > 0 else next_rec, b[1]) for b in bad]
                bad.clear()
                yield cols, tbl, out_bad
        except pa.ArrowInvalid as exc:
            raise IngestError(f"{self.source.name}: not a readable CSV file ({exc})") from exc
        if bad:
            yield cols, _empty_rows(cols), [(b[0] - 1 if b[0] > 0 else next_rec, b[1]) for b in bad]
        stream.close()

    def decide_dates(self, tbl: pa.Table) -> None:
        """Date order and time assumptions of the file, from the first block's time values."""
        from .dates import date_order

        values: list = []
        for c in self.time_columns:
            if c in tbl.column_names:
                values += tbl.column(c).slice(0, 5000).to_pylist()
        if values:
            self.day_first, notes = date_order(values)
            self.assumptions.update(notes)

    def check_columns(self, cols: list[str]) -> None:
        missing = [c for c in self.required if c not in cols]
        if missing:
            raise IngestError(
                f"{self.source.name}: not a {self.name} file: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(cols[:40])})"
            )

    def units(self, hasher) -> Iterator[tuple[list[str], pa.Table, list[tuple[int, str]]]]:
        return self.csv_batches(hasher)

    def stage_unit(self, con, unit) -> None:
        cols, tbl, bad = unit
        con.register("b_rows", tbl)
        try:
            self._stage(con, cols, bad)
        finally:
            unregister(con, "b_rows")

    def _stage(self, con, cols: list[str], bad: list[tuple[int, str]]) -> set[str]:
        staged = self.stage_rows(con, cols)
        if "b_quar" not in staged:
            con.execute("CREATE OR REPLACE TEMP TABLE b_quar (rec BIGINT, reason VARCHAR, raw VARCHAR)")
            staged.add("b_quar")
        if "b_posts" in staged:  # keep the raw row of records that have no id
            con.execute("""INSERT INTO b_quar SELECT p.rec, 'record without a post id', to_json(r)::VARCHAR
                FROM b_posts p JOIN b_rows r ON r.rec = p.rec WHERE p.post_id IS NULL OR p.post_id = ''""")
            con.execute("DELETE FROM b_posts WHERE post_id IS NULL OR post_id = ''")
        missing = [n for n in ("b_posts", "b_accounts", "b_edges", "b_tags", "b_urls", "b_media", "b_quar") if n not in staged]
        ensure_empty(con, missing)
        if bad:
            con.executemany(
                "INSERT INTO b_quar VALUES (?, ?, ?)",
                [[r, "malformed CSV row (wrong number of fields or broken quoting)", t] for r, t in bad],
            )
        return staged

    def stage_rows(self, con, cols: list[str]) -> set[str]:  # pragma: no cover - abstract
        """Create batch tables from ``b_rows``; return the names created."""
        raise NotImplementedError


def _int64_array(values: np.ndarray) -> pa.Array:
    """An int64 NumPy array as Arrow, sharing its memory. (``pa.array`` on a NumPy array imports
    pandas to look for a pandas type: ~0.5 CPU-s at the start of every CSV ingest.)"""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = "".join(ch for ch in n if ch >= " ")  # control characters (NUL from binary junk) are no part of a name
        n = n or f"column{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _empty_rows(cols: list[str]) -> pa.Table:
    return pa.table({**{c: pa.nulls(0, pa.string()) for c in cols}, "rec": pa.nulls(0, pa.int64())})
