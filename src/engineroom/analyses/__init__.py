"""Analyses: each a module with one entry point, sharing only corpus and findings tables.

Every analysis is a subclass of :class:`Analysis` with the same shape (as scikit-learn's
estimators): parameters in the constructor with documented defaults, and one method
:meth:`Analysis.run` that reads tables through an :class:`~engineroom.engine.Engine` and writes its
findings tables. Modules in this package are discovered automatically; an analysis names the
analyses whose findings it uses in ``requires`` and they run first when selected.

>>> from engineroom.analyses import registry
>>> sorted(registry())  # doctest: +SKIP
['accounts', 'coordination', 'hate', ...]
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from ..corpus import Corpus
    from ..engine import Engine


class Analysis:
    """Base class. Subclasses set ``name``, ``tables``, optionally ``requires`` and ``version``.

    Parameters are keyword arguments of ``__init__`` stored as attributes of the same name, so
    :meth:`get_params` can report them (they are recorded in the ``runs`` table and the report's
    methods section).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    #: analyses whose findings this one uses when they exist (soft dependencies)
    requires: ClassVar[tuple[str, ...]] = ()
    #: findings tables this analysis writes
    tables: ClassVar[tuple[str, ...]] = ()
    #: engines this analysis supports
    engines: ClassVar[tuple[str, ...]] = ("duckdb", "spark")

    def get_params(self) -> dict[str, Any]:
        """The analysis's parameters and their values (as scikit-learn's ``get_params``)."""
        sig = inspect.signature(type(self).__init__)
        return {
            p: getattr(self, p)
            for p in sig.parameters
            if p != "self" and sig.parameters[p].kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        }

    def run(self, engine: "Engine") -> dict[str, Any]:
        """Read corpus tables, write findings tables, return headline figures (JSON-able)."""
        raise NotImplementedError


def registry() -> dict[str, type[Analysis]]:
    """All analyses in this package, by name."""
    found: dict[str, type[Analysis]] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Analysis) and obj is not Analysis and obj.name:
                found[obj.name] = obj
    return found


def order(names: Iterable[str], available: dict[str, type[Analysis]]) -> list[str]:
    """Names in dependency order (an analysis after those it ``requires``, when they are selected)."""
    selected = list(dict.fromkeys(names))
    unknown = [n for n in selected if n not in available]
    if unknown:
        raise ValueError(f"unknown analysis {', '.join(unknown)}; known: {', '.join(sorted(available))}")
    done: list[str] = []
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        if n in visiting:
            raise ValueError(f"dependency cycle at analysis {n}")
        visiting.add(n)
        for dep in available[n].requires:
            if dep in selected:
                visit(dep)
        visiting.discard(n)
        done.append(n)

    for n in selected:
        visit(n)
    return done


def run_analyses(
    corpus: "Corpus",
    only: Iterable[str] | None = None,
    engine: "str | Engine" = "duckdb",
    params: dict[str, dict[str, Any]] | None = None,
    on_step=None,
    **engine_options: Any,
) -> dict[str, dict[str, Any]]:
    """Run analyses (all registered ones by default) in dependency order; record each in ``runs``.

    ``params`` maps an analysis name to keyword arguments for its constructor. ``on_step(name,
    seconds, summary)`` is called after each analysis (the CLI prints from it).
    """
    from ..engine import Engine, make_engine

    available = registry()
    names = order(only if only else sorted(available), available)
    eng = engine if isinstance(engine, Engine) else make_engine(corpus, engine, **engine_options)
    results: dict[str, dict[str, Any]] = {}
    try:
        for name in names:
            cls = available[name]
            if eng.name not in cls.engines:
                raise ValueError(f"analysis {name} does not run on the {eng.name} engine")
            analysis = cls(**(params or {}).get(name, {}))
            started = datetime.now(timezone.utc).replace(tzinfo=None)
            t0 = time.perf_counter()
            summary = analysis.run(eng) or {}
            seconds = time.perf_counter() - t0
            finished = datetime.now(timezone.utc).replace(tzinfo=None)
            corpus.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    uuid.uuid4().hex,
                    name,
                    eng.name,
                    json.dumps(analysis.get_params(), default=str),
                    cls.version,
                    json.dumps(summary, default=str),
                    started,
                    finished,
                ],
            )
            results[name] = summary
            if on_step:
                on_step(name, seconds, summary)
    finally:
        if eng is not engine:
            eng.close()
    return results
