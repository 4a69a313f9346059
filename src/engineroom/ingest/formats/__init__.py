"""The export formats ingest reads, one module per format (or per platform's family of exports).

Each module holds the adapter of its format: a class that turns the format's records into a batch
(:class:`~engineroom.ingest.common.Batch` rows, or DuckDB staging tables for the SQL adapters) that
:mod:`engineroom.ingest.merge` stores. :data:`ADAPTERS` maps the names of ``ingest --format`` to them.

=================  ===================================================================================
module             format
=================  ===================================================================================
``twarc2``         twarc2 (Twitter API v2) JSON lines: response pages or flattened tweets (DuckDB SQL)
``twitter_v1``     Twitter API v1.1 tweet objects (classic twarc, Streaming API)
``io_archive``     Twitter's Information Operations archive: tweets CSV and users CSV
``ira``            Clemson / FiveThirtyEight IRA tweets CSV
``crowdtangle``    CrowdTangle dashboard CSV exports and API post objects (JSON)
``meta``           Meta Content Library: Facebook and Instagram posts (CSV downloads, API JSON)
``bluesky``        Bluesky posts, feed items, reposts
``telegram``       Telegram Desktop exports (``result.json``)
``telethon``       Telethon ``Message.to_dict()`` dumps
``mastodon``       Mastodon / Truth Social API statuses and ActivityPub outboxes
``reddit``         Reddit: Pushshift / Arctic Shift dumps, Pushshift API, API listings
``youtube``        YouTube Data API v3 comments
``tiktok``         TikTok Research API videos and comments
``fourchan``       4chan read-only API threads
``generic_csv``    any CSV with a post id and a text column
=================  ===================================================================================

Shared by several: ``csvsql`` (the DuckDB SQL of the CSV adapters) and ``records`` (helpers of the
record-by-record JSON adapters).
"""

from __future__ import annotations

from .bluesky import Bluesky
from .crowdtangle import CrowdTangle, CrowdTangleApi
from .fourchan import FourChan
from .generic_csv import GenericCsv
from .io_archive import IOArchive, IOUsers
from .ira import IraCsv
from .mastodon import Mastodon
from .meta import MetaContentLibrary
from .reddit import Reddit
from .telegram import Telegram
from .telethon import Telethon
from .tiktok import TikTok
from .twarc2 import Twarc2
from .twitter_v1 import TwitterV1
from .youtube import YouTube

#: ``ingest --format`` name -> the adapter class that reads it
ADAPTERS: dict[str, type] = {
    "twarc2": Twarc2,
    "twitter-v1": TwitterV1,
    "bluesky": Bluesky,
    "telegram": Telegram,
    "io-archive": IOArchive,
    "io-users": IOUsers,
    "ira-csv": IraCsv,
    "crowdtangle": CrowdTangle,
    "csv": GenericCsv,
    "mastodon": Mastodon,
    "reddit": Reddit,
    "youtube": YouTube,
    "tiktok": TikTok,
    "4chan": FourChan,
    "telethon": Telethon,
    "crowdtangle-api": CrowdTangleApi,
    "meta": MetaContentLibrary,
}

__all__ = ["ADAPTERS", *sorted({cls.__name__ for cls in ADAPTERS.values()})]
