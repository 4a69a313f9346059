"""Engines: where the analyses' set work runs.

:class:`Engine` (:mod:`engineroom.engines.base`) is the interface every analysis works through;
:class:`~engineroom.engines.duckdb.DuckDBEngine` works on the corpus file directly (the default);
:class:`~engineroom.engines.spark.SparkEngine` runs the same Ibis expressions on Apache Spark
(``engineroom[spark]``), and :mod:`engineroom.engines.cluster` starts a standalone Spark cluster on
one machine. :func:`make_engine` builds an engine by name (:data:`ENGINES`), importing its module only
then, so importing this package needs neither pyspark nor Java.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Engine

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

__all__ = ["ENGINES", "Engine", "make_engine"]


#: engine kinds: where each engine class lives, as ``module:Class``. Engines are plugins loaded by
#: name (as :func:`engineroom.analyses.registry` loads analyses): an engine module imports
#: :mod:`engineroom.engines.base`, never this package, so the package and its engines form no import circle.
ENGINES: dict[str, str] = {
    "duckdb": "engineroom.engines.duckdb:DuckDBEngine",
    "spark": "engineroom.engines.spark:SparkEngine",
}


def make_engine(corpus: "Store", kind: str = "duckdb", **options: Any) -> Engine:
    """Build the engine ``kind`` (``duckdb`` or ``spark``, see :data:`ENGINES`) over a corpus."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r}: use {' or '.join(ENGINES)}")
    module_name, _, class_name = ENGINES[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError(
            f"the {kind} engine cannot be loaded ({exc}); the Spark engine needs the spark extra: "
            "pip install 'engineroom[spark]' (and Java 17)"
        ) from exc
    return getattr(module, class_name)(corpus, **options)
