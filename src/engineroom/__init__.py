"""engineroom: find the engine room of online hate and influence campaigns.

>>> import engineroom
>>> corpus = engineroom.open("x.duckdb")   # doctest: +SKIP
>>> corpus.ingest(["export.jsonl"])       # doctest: +SKIP
>>> corpus.analyze()                      # doctest: +SKIP
"""

import os as _os

# DuckDB's allocator (jemalloc, in DuckDB's Linux builds) gives memory back to the system one second
# after it is freed (DuckDB's setting; jemalloc's own default is ten seconds). An ingest frees and
# takes again the same few hundred MB batch after batch, and at one second much of it was handed
# back in between and faulted in again: for 1M twarc2 posts 0.6M page faults at one second, 0.37M
# at ten (about 0.7 CPU-s less kernel time; peak memory +70 MB). Read once,
# when DuckDB first allocates: set here before engineroom imports DuckDB; a value of one's own wins.
_os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")

from .corpus import Corpus, CorpusLocked, open  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ["Corpus", "CorpusLocked", "open", "__version__"]
