"""Coordinated-behaviour building blocks shared by the ``coordination`` analysis and the CNT comparison.

- :mod:`.text`: CNT-compatible text normalisation and tokens, MinHash signatures and LSH bands;
- :mod:`.network`: actions per network, the time-bucketed co-activity self-join, edge aggregation
  (Ibis expressions: they run on DuckDB and Spark);
- :mod:`.window`: CooRnet's automatic coordination interval;
- :mod:`.clusters`: components and Leiden clusters of the combined network;
- :mod:`.plant`: synthetic corpora with planted coordinated operations (tests and benchmarks).
"""

from .network import CNT_NETWORKS, NETWORKS

__all__ = ["NETWORKS", "CNT_NETWORKS"]
