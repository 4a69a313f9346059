"""engineroom: find the engine room of online hate and influence campaigns.

>>> import engineroom
>>> corpus = engineroom.open("x.duckdb")   # doctest: +SKIP
>>> corpus.ingest(["export.jsonl"])       # doctest: +SKIP
>>> corpus.analyze()                      # doctest: +SKIP
"""

from .corpus import Corpus, open

__version__ = "0.1.0"
__all__ = ["Corpus", "open", "__version__"]
