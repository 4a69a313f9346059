"""Ingest: read export files of every supported format into the corpus.

>>> from engineroom.ingest import ingest_paths          # doctest: +SKIP
>>> reports = ingest_paths(corpus, ["tweets.jsonl.gz"])  # doctest: +SKIP

Formats (auto-detected from content, or forced): ``twarc2``, ``twitter-v1``, ``io-archive``,
``io-users``, ``ira-csv``, ``crowdtangle``, ``crowdtangle-api``, ``meta``, ``bluesky``, ``telegram``,
``telethon``, ``mastodon``, ``reddit``, ``youtube``, ``tiktok``, ``4chan``, ``csv`` (see
docs/ingest.md). JSON may be one record per line, arrays, API envelopes or pretty-printed
documents (:mod:`engineroom.ingest.layout`); files that hold no posts are refused. Inputs may be
gzip, zstd or zip compressed. Each file is ingested in one DuckDB transaction; a file already ingested
(same SHA-256) is skipped; every record ends stored, duplicate or quarantined.
"""

from .core import IngestReport, ingest_paths, ingest_source
from .detect import FORMATS, detect
from .errors import IngestError

__all__ = ["FORMATS", "IngestError", "IngestReport", "detect", "ingest_paths", "ingest_source"]
