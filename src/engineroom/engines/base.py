"""The engine interface: what every engine offers to analyses.

Every analysis receives an :class:`Engine` and does its set work (joins, windows, group-bys,
co-activity self-joins) through Ibis expressions on ``engine.table(name)``, so the same code runs on
DuckDB (default, in-process, one file) and on Apache Spark (``engineroom[spark]``). Only results
small enough for one machine are pulled into Python (``engine.to_pandas``), e.g. account-level graphs
for igraph. Findings are written back with ``engine.write(name, data)``; scratch tables an analysis
writes on its way are removed with ``engine.drop_table(name)``, and settings an analysis needs while
it runs are made with ``with engine.settings({...}):`` (put back afterwards). Analyses go through
these methods only: none touches DuckDB or Spark directly.

The engines themselves: :mod:`engineroom.engines.duckdb` and :mod:`engineroom.engines.spark`;
:func:`engineroom.engines.make_engine` builds either by name.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

import ibis
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store


class Engine:
    """The interface every engine offers to analyses."""

    name: str = "abstract"
    corpus: "Store"
    backend: Any  # the Ibis backend

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression for a corpus or findings table."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        """Whether a corpus or findings table exists (e.g. ``hate`` before ``engine_room`` uses it)."""
        raise NotImplementedError

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        """Execute an expression and return its (small) result as pandas."""
        return self.backend.to_pandas(expr) if hasattr(self.backend, "to_pandas") else self.backend.execute(expr)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute an expression and return its result as an Arrow table."""
        return self.backend.to_pyarrow(expr)

    def write(self, name: str, data: "ibis.Table | pd.DataFrame | pa.Table") -> None:
        """Create or replace findings table ``name`` from an expression or a data frame."""
        raise NotImplementedError

    def map_batches(
        self,
        name: str,
        expr: ibis.Table,
        fn: "Callable[[pd.DataFrame], pd.DataFrame]",
        schema: pa.Schema,
        batch_size: int = 50_000,
    ) -> int:
        """Write findings table ``name`` as ``fn`` applied to ``expr``'s rows, batch by batch.

        For per-row Python work that no SQL expresses (text models, lexicon matching, hashing):
        ``fn`` takes a pandas batch and returns a pandas frame (or a pyarrow Table) with ``schema``'s
        columns. DuckDB
        streams Arrow batches through ``fn`` on a pool of worker processes, one per core (see
        :meth:`DuckDBEngine.map_batches`; memory bounded by ``batch_size``); the Spark engine runs
        ``fn`` on the executors (``mapInArrow``). ``fn`` must not rely on side effects: it may run
        in another process. Returns rows written.
        """
        raise NotImplementedError

    def drop_table(self, name: str) -> None:
        """Remove table ``name`` if it exists: a scratch table an analysis wrote on its way (on
        Spark also its Parquet folders). Nothing happens when there is no such table."""
        raise NotImplementedError

    @contextmanager
    def settings(self, values: dict[str, Any]) -> Iterator[None]:
        """Session settings of this engine while the ``with`` block runs, the previous values put
        back after it (also when it raises). Names are the engine's own: DuckDB's ``SET`` names
        (``memory_limit``, ``threads``) or Spark's configuration keys (``spark.sql...``). The value
        put back is the one the engine reports (DuckDB reports ``memory_limit`` rounded to 0.1 GiB).

        >>> with engine.settings({"memory_limit": "3GB"}):  # doctest: +SKIP
        ...     analysis.run(engine)
        """
        raise NotImplementedError
        yield  # pragma: no cover

    def release_memory(self) -> None:
        """Hand back the memory the engine keeps between queries (cached pages of the corpus,
        freed buffers), so that work outside the engine (NumPy, worker processes, the next
        analysis) does not stack on it. Pages dropped are read again when a later query needs
        them. Engines that keep nothing in this process do nothing."""

    def close(self) -> None:
        pass


_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def check_setting_name(name: str) -> str:
    """``name`` when it can be a setting's name (letters, digits, ``_`` and ``.``), else ValueError."""
    if not _SETTING_NAME.match(name):
        raise ValueError(f"not a setting name: {name!r}")
    return name


def quote_identifier(name: str) -> str:
    """A table name quoted for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'
