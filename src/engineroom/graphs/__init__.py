"""Graph and time-series algorithms for the network analyses (network, engine_room, targets,
campaigns, trends) and the graph export, as plain functions grouped by topic (networkx style).

Nothing here reads findings of another analysis. Every name is importable from here
(``from engineroom import graphs; graphs.leiden(...)``) and from its module:

- :mod:`~engineroom.graphs.interactions` — interaction edges as Ibis expressions in the engine
  (:func:`resolved_interactions`, :func:`aggregate_edges`, :data:`EDGE_KINDS`);
- :mod:`~engineroom.graphs.build` — igraph graphs from edge frames or integer arrays
  (:func:`build_graph`, :func:`graph_from_arrays`, :func:`collapse_undirected`, :data:`SEP`);
- :mod:`~engineroom.graphs.communities` — Leiden communities (:func:`leiden`);
- :mod:`~engineroom.graphs.centrality` — PageRank (:func:`pagerank`, :func:`pagerank_arrays`);
- :mod:`~engineroom.graphs.stats` — Gini coefficient and Kneedle knee (:func:`gini`, :func:`kneedle`);
- :mod:`~engineroom.graphs.bursts` — Kleinberg's burst model (:func:`kleinberg_bursts`,
  :func:`burst_intervals`);
- :mod:`~engineroom.graphs.names` — person names in text and squashed names (:func:`person_names`,
  :func:`squash`, :data:`NAME_STOP`);
- :mod:`~engineroom.graphs.tables` — findings tables (:func:`write_frame`, :func:`to_json`,
  :func:`table_or_none`).

:mod:`engineroom.graphs.bench` times the network analysis at scale.
"""

from __future__ import annotations

from .build import SEP, build_graph, collapse_undirected, graph_from_arrays
from .bursts import burst_intervals, kleinberg_bursts
from .centrality import pagerank, pagerank_arrays
from .communities import leiden
from .interactions import EDGE_KINDS, aggregate_edges, resolved_interactions
from .names import NAME_STOP, person_names, squash
from .stats import gini, kneedle
from .tables import table_or_none, to_json, write_frame

__all__ = [
    "EDGE_KINDS", "resolved_interactions", "aggregate_edges",
    "SEP", "build_graph", "graph_from_arrays", "collapse_undirected",
    "leiden",
    "pagerank", "pagerank_arrays",
    "gini", "kneedle",
    "kleinberg_bursts", "burst_intervals",
    "NAME_STOP", "person_names", "squash",
    "write_frame", "to_json", "table_or_none",
]
