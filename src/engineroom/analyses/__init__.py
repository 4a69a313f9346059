"""Analyses: each a module with one entry point, sharing only corpus and findings tables.

Every analysis is a subclass of :class:`Analysis` with the same shape (as scikit-learn's
estimators): parameters in the constructor with documented defaults, stored exactly as passed,
and one method :meth:`Analysis.run` that reads tables through an :class:`~engineroom.engines.Engine`
and writes its findings tables. Modules in this package are discovered automatically; an analysis
names the analyses whose findings it uses in ``requires`` and they run first when selected.

Each analysis declares the tables it reads (``reads``) and the findings tables it writes
(``writes``: name, meaning, and every column with its type and meaning, as
:class:`engineroom.schema.Table`). ``docs/findings.md`` is generated from these declarations
(:func:`engineroom.findings.markdown`) and a test runs every analysis and checks each table it
writes against them. :mod:`engineroom.findings` reads findings tables by these declarations.

Parameters can be set from the command line, ``engineroom analyze --set NAME.PARAM=VALUE``
(:func:`parse_settings` reads the value as the parameter's type), and from a notebook,
``corpus.analyze(params={"NAME": {"PARAM": value}})``; :func:`check_params` rejects unknown
analyses and parameters. The values used are recorded in the ``runs`` table.

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
import types
import typing
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Sequence

from ..schema import Column, Table

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from ..engines import Engine


def findings_table(name: str, doc: str, *columns: tuple[str, str, str]) -> Table:
    """Declare a findings table: its name, what one row means, and ``(column, type, meaning)``
    triples (DuckDB type names: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DATE). A column name
    ending in ``*`` stands for a numbered family (``band_*``: ``band_0``, ``band_1``, ...)."""
    return Table(name, doc, tuple(Column(c, t, d) for c, t, d in columns))


class Analysis:
    """Base class. Subclasses set ``name``, ``reads``, ``writes``, optionally ``requires`` and ``version``.

    Parameters are keyword arguments of ``__init__`` stored, exactly as passed, as attributes of
    the same name (scikit-learn's rule: values derived from them are computed in :meth:`run`), so
    :meth:`get_params` reports what the user asked for (recorded in the ``runs`` table and the
    report's methods section).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    #: analyses whose findings this one uses when they exist (soft dependencies)
    requires: ClassVar[tuple[str, ...]] = ()
    #: corpus and findings tables this analysis reads (findings ones only when they exist)
    reads: ClassVar[tuple[str, ...]] = ()
    #: findings tables this analysis writes, with their columns (see :func:`findings_table`)
    writes: ClassVar[tuple[Table, ...]] = ()
    #: names of the findings tables this analysis writes (from ``writes``)
    tables: ClassVar[tuple[str, ...]] = ()
    #: engines this analysis supports
    engines: ClassVar[tuple[str, ...]] = ("duckdb", "spark")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "writes" in cls.__dict__ and "tables" not in cls.__dict__:
            cls.tables = tuple(t.name for t in cls.writes)

    def get_params(self) -> dict[str, Any]:
        """The analysis's parameters and their values as passed (as scikit-learn's ``get_params``)."""
        return {p: getattr(self, p) for p in parameters(type(self))}

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

def parameters(cls: type[Analysis]) -> dict[str, inspect.Parameter]:
    """The constructor parameters of an analysis class, by name (``self`` and ``**kwargs`` left out)."""
    sig = inspect.signature(cls.__init__)
    return {
        n: p for n, p in sig.parameters.items()
        if n != "self" and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }


def check_params(params: dict[str, dict[str, Any]] | None, available: dict[str, type[Analysis]]) -> None:
    """Raise :class:`ValueError` (one line, listing the valid names) for an unknown analysis or parameter."""
    for name, values in (params or {}).items():
        if name not in available:
            raise ValueError(f"unknown analysis {name!r}; known: {', '.join(sorted(available))}")
        known = parameters(available[name])
        unknown = [p for p in values if p not in known]
        if unknown:
            raise ValueError(f"analysis {name} has no parameter {unknown[0]!r}; "
                             f"its parameters: {', '.join(known) or '(none)'}")


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null"}


def _annotation(cls: type[Analysis], param: inspect.Parameter) -> Any:
    """The parameter's annotation as a type (string annotations resolved in the class's module)."""
    try:
        return typing.get_type_hints(cls.__init__).get(param.name, inspect.Parameter.empty)
    except Exception:  # a name only imported for type checking: fall back to the default's type
        return inspect.Parameter.empty


def _convert(text: str, tp: Any, default: Any, where: str) -> Any:
    """``text`` read as type ``tp`` (falling back to the type of ``default``)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if text.strip().lower() in _NONE and len(options) < len(typing.get_args(tp)):
            return None
        errors = []
        # the most specific reading first: bool, int, float, collections, then str
        rank = {bool: 0, int: 1, float: 2, str: 9}
        for option in sorted(options, key=lambda o: rank.get(o, 5)):
            try:
                return _convert(text, option, None, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[-1] if errors else f"cannot read {text!r} for {where}")
    if tp is inspect.Parameter.empty or tp is Any:
        if default is None or default is inspect.Parameter.empty:
            return None if text.strip().lower() in _NONE else text
        tp = type(default)
        origin = None
    if tp is type(None):
        if text.strip().lower() in _NONE:
            return None
        raise ValueError(f"{where} takes only None, not {text!r}")
    if tp is bool:
        low = text.strip().lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        raise ValueError(f"{where} is true or false, not {text!r}")
    if tp in (int, float):
        try:
            return tp(text.strip())
        except ValueError:
            raise ValueError(f"{where} is {'a whole number' if tp is int else 'a number'}, not {text!r}") from None
    if tp is str:
        return text
    if tp in (dict,) or origin in (dict, typing.Mapping) or (origin is not None and origin.__name__ == "Mapping"):
        key_t, val_t = (typing.get_args(tp) or (str, Any))[:2]
        if text.strip().startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg}): {text!r}") from None
            return value
        out = {}
        for item in (i for i in text.split(",") if i.strip()):
            k, sep, v = item.partition(":")
            if not sep:
                raise ValueError(f"{where} is KEY:VALUE pairs separated by commas, not {text!r}")
            out[_convert(k.strip(), key_t, None, where)] = _convert(v.strip(), val_t, None, where)
        return out
    if tp in (list, tuple) or origin in (list, tuple, Sequence) or (
            origin is not None and getattr(origin, "__name__", "") in ("Sequence", "Iterable", "Collection")):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item_t = args[0] if args else (type(default[0]) if default else str)
        items = [_convert(i.strip(), item_t, None, where) for i in text.split(",") if i.strip()]
        as_tuple = origin is tuple or tp is tuple or isinstance(default, tuple)
        return tuple(items) if as_tuple else items
    if isinstance(tp, type):
        try:
            return tp(text)
        except Exception:
            raise ValueError(f"cannot read {text!r} as {tp.__name__} for {where}") from None
    return text


def parse_value(cls: type[Analysis], param: str, text: str) -> Any:
    """``text`` read as the type of ``cls``'s parameter ``param`` (from its annotation, else its
    default): int, float, bool (true/false/yes/no/1/0), str, None (``none``), lists and tuples as
    comma-separated items (``co_retweet,co_tweet``), mappings as ``key:value`` pairs or JSON."""
    p = parameters(cls)[param]
    return _convert(text, _annotation(cls, p), p.default, f"{cls.name}.{param}")


def parse_settings(settings: Iterable[str], available: dict[str, type[Analysis]] | None = None) -> dict[str, dict[str, Any]]:
    """``NAME.PARAM=VALUE`` strings (``analyze --set``) as ``params`` for :func:`run_analyses`.

    Each value is read as the parameter's type (:func:`parse_value`); an unknown analysis or
    parameter, or a value that cannot be read, raises a one-line :class:`ValueError`.

    >>> parse_settings(["network.seed=7", "coordination.networks=co_retweet,co_tweet"])  # doctest: +SKIP
    {'network': {'seed': 7}, 'coordination': {'networks': ('co_retweet', 'co_tweet')}}
    """
    available = registry() if available is None else available
    out: dict[str, dict[str, Any]] = {}
    for setting in settings:
        key, sep, text = setting.partition("=")
        name, dot, param = key.strip().partition(".")
        if not sep or not dot or not name or not param:
            raise ValueError(f"--set takes NAME.PARAM=VALUE (e.g. network.seed=7), not {setting!r}")
        check_params({name: {param: None}}, available)
        out.setdefault(name, {})[param] = parse_value(available[name], param, text)
    return out


def run_analyses(
    corpus: "Store",
    only: Iterable[str] | None = None,
    engine: "str | Engine" = "duckdb",
    params: dict[str, dict[str, Any]] | None = None,
    on_step=None,
    on_start=None,
    keep_text_norms: bool = False,
    **engine_options: Any,
) -> dict[str, dict[str, Any]]:
    """Run analyses (all registered ones by default) in dependency order; record each in ``runs``.

    ``params`` maps an analysis name to keyword arguments for its constructor (checked before
    anything runs: an unknown analysis or parameter raises :class:`ValueError`); they are recorded,
    as passed, in ``runs.params``. ``on_start(name, position, total)`` is called before each analysis
    (``position`` counts from 1 over the ``total`` that will run) and ``on_step(name, seconds,
    summary)`` after it (the CLI prints from both).

    ``hate`` keeps each distinct text's normalised text for ``narratives``, which drops it
    (:mod:`engineroom.analyses._by_text`); a run that leaves it behind (``--only hate``) drops it at
    its end unless ``keep_text_norms`` (the benchmark, which runs the analyses one call each).
    """
    from ..engines import Engine, make_engine

    available = registry()
    check_params(params, available)
    names = order(only if only else sorted(available), available)
    eng = engine if isinstance(engine, Engine) else make_engine(corpus, engine, **engine_options)
    results: dict[str, dict[str, Any]] = {}
    try:
        for position, name in enumerate(names, start=1):
            cls = available[name]
            if eng.name not in cls.engines:
                raise ValueError(f"analysis {name} does not run on the {eng.name} engine")
            analysis = cls(**(params or {}).get(name, {}))
            if on_start:
                on_start(name, position, len(names))
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
            # the next analysis starts from the file, not on top of this one's cached pages: the
            # pipeline's peak memory is that of its largest analysis, not their sum
            eng.release_memory()
            if on_step:
                on_step(name, seconds, summary)
    finally:
        try:
            if not keep_text_norms:
                from ._by_text import drop_norms

                drop_norms(eng)
        finally:
            if eng is not engine:
                eng.close()
    return results
