"""Findings tables as the network analyses write and read them.

:func:`write_frame` writes a pandas frame with declared column types (so an empty or all-NULL
column still gets a real SQL type), :func:`to_json` makes the compact JSON text of evidence columns,
:func:`table_or_none` reads an optional input table.
"""

from __future__ import annotations

import json
import math
from typing import Any

import ibis
import pandas as pd


def table_or_none(engine, name: str) -> ibis.Table | None:
    """``engine.table(name)`` if the table exists in the engine, else None (for an optional input
    table an analysis can do without)."""
    return engine.table(name) if engine.has_table(name) else None


_PA_TYPES = {
    "string": "string", "int64": "int64", "float64": "float64", "bool": "bool_", "timestamp": "timestamp",
    "date": "date32",
}


def write_frame(engine, name: str, df: pd.DataFrame, types: dict[str, str]) -> None:
    """Write a findings frame with explicit column types (``types``: column → string, int64,
    float64, bool, timestamp or date), so empty or all-NULL columns still get a real SQL type.
    The frame is reindexed to ``types``' columns (a missing column is all NULL; extra columns are
    not written); NaN, None and ``pd.NA`` become NULL; timestamps are stored to the microsecond."""
    import pyarrow as pa

    fields = []
    for col, t in types.items():
        if t == "timestamp":
            fields.append(pa.field(col, pa.timestamp("us")))
        else:
            fields.append(pa.field(col, getattr(pa, _PA_TYPES[t])()))
    schema = pa.schema(fields)
    df = df.reindex(columns=list(types))
    arrays = []
    for f in schema:
        col = df[f.name]
        if pa.types.is_string(f.type):
            vals = [None if (v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA) else str(v) for v in col]
            arrays.append(pa.array(vals, type=f.type))
        elif pa.types.is_timestamp(f.type):
            arrays.append(pa.array(pd.to_datetime(col), type=f.type) if len(col) else pa.array([], type=f.type))
        elif pa.types.is_date(f.type):
            arrays.append(pa.array([None if pd.isna(v) else pd.Timestamp(v).date() for v in col], type=f.type))
        else:
            arrays.append(pa.array(col.astype(object).where(col.notna(), None).tolist(), type=f.type))
    engine.write(name, pa.Table.from_arrays(arrays, schema=schema))


def to_json(obj: Any) -> str:
    """Compact JSON text for evidence columns: no spaces, non-ASCII kept as is, anything JSON
    cannot encode (timestamps, dates) written as its ``str()``."""
    return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":"))
