"""No import circles in ``engineroom``, and the layers kept apart.

The test reads every module of the package with :mod:`ast` and follows its ``import`` and
``from ... import`` statements, wherever they are: at module level, inside functions and methods
(an import that runs later still makes the importing module depend on the imported one), inside
``try`` blocks. What counts:

* **counted**: every import statement that runs, module-level or function-level;
* **not counted**: imports under ``if TYPE_CHECKING:`` — they never run and only name a type for
  annotations (``engine: "Engine"``); a module may annotate with a type from a layer above it;
* **not seen**: modules loaded by name from data (``importlib.import_module``): the analyses found
  by :func:`engineroom.analyses.registry` and the engines in :data:`engineroom.engines.ENGINES`. Those
  are plugins: the plugin imports the base, never the reverse.

``from package import name`` depends on ``package.name`` when that is a module, else on the
package's ``__init__``.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import networkx as nx
import pytest

import engineroom

PACKAGE = Path(engineroom.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["engineroom", *path.relative_to(PACKAGE).with_suffix("").parts]
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that run (all but those under ``if TYPE_CHECKING:``)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


@lru_cache(maxsize=1)
def import_graph() -> nx.DiGraph:
    """Module -> module it imports (inside the package), with the line of each import."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, (path, is_pkg) in modules.items():
        package = name if is_pkg else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                candidates = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
            else:
                candidates = [a.name for a in node.names]
            for c in candidates:
                while c and c not in modules:
                    c = c.rpartition(".")[0]
                if c and c != name:
                    graph.add_edge(name, c, line=f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return graph


def test_the_walker_sees_function_level_imports_and_skips_type_checking_ones():
    tree = ast.parse(
        "import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .corpus import Corpus\n"
        "def f():\n    from .engine import make_engine\n    return make_engine\n")
    names = [n.module for n in _imports(tree) if isinstance(n, ast.ImportFrom)]
    assert names == ["typing", "engine"]
    g = import_graph()
    assert g.has_edge("engineroom.corpus", "engineroom.analyses")  # function-level, in Corpus.analyze
    assert not g.has_edge("engineroom.engines.base", "engineroom.store")  # annotation only


def test_no_import_circles():
    g = import_graph()
    circles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    if circles:
        lines = []
        for c in circles:
            sub = g.subgraph(c)
            lines.append(" <-> ".join(c) + ": " + "; ".join(
                f"{a} -> {b} ({sub.edges[a, b]['line']})" for a, b in sorted(sub.edges)))
        pytest.fail("import circles:\n" + "\n".join(lines))


@pytest.mark.parametrize("module, never", [
    # the store and the schema at the bottom
    ("engineroom.schema", ("engineroom.store", "engineroom.corpus", "engineroom.engines", "engineroom.analyses",
                           "engineroom.ingest")),
    ("engineroom.store", ("engineroom.corpus", "engineroom.engines", "engineroom.analyses", "engineroom.ingest",
                          "engineroom.report", "engineroom.serve", "engineroom.export", "engineroom.cli")),
    # engines above the store, below the analyses; the base engine knows no concrete engine module
    ("engineroom.engines.base", ("engineroom.engines.duckdb", "engineroom.engines.spark", "engineroom.engines.cluster",
                                 "engineroom.analyses", "engineroom.ingest", "engineroom.corpus")),
    ("engineroom.engines", ("engineroom.analyses", "engineroom.ingest", "engineroom.corpus")),
    # analyses read through engines only; they never call the front door, ingest or the outputs
    ("engineroom.analyses", ("engineroom.corpus", "engineroom.ingest", "engineroom.report", "engineroom.serve",
                             "engineroom.cli", "engineroom.export", "engineroom.engines.spark")),
    ("engineroom.ingest", ("engineroom.analyses", "engineroom.engines", "engineroom.report", "engineroom.serve",
                           "engineroom.corpus")),
])
def test_layers(module, never):
    """What a layer must not depend on, directly or through other modules."""
    g = import_graph()
    starts = [m for m in g if m == module or m.startswith(module + ".")]
    reached = set().union(*(nx.descendants(g, s) for s in starts))
    bad = sorted(m for m in reached for n in never if m == n or m.startswith(n + "."))
    assert not bad, f"{module} depends on {bad}"


def test_engines_package_loads_without_pyspark():
    """``make_engine`` loads an engine's module by name, so importing the engines package (and
    running on DuckDB) never imports pyspark, which the ``spark`` extra alone installs."""
    import subprocess
    import sys

    code = ("import sys, engineroom, engineroom.engines, engineroom.engines.duckdb, engineroom.analyses\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark')\n"
            "assert not bad, bad\n"
            "assert 'engineroom.engines.spark' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
