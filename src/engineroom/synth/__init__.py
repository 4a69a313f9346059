"""Synthetic corpora with planted ground truth, in real export formats.

:func:`synthesize` writes ``posts`` posts (Twitter-like) as twarc2 JSONL (API v2 response pages,
one per line, with ``includes`` expansions), as a Twitter Information Operations archive (the
31-column tweets CSV plus its users file) or as a plain CSV, and beside it:

- ``FILE.truth.json`` — what was planted (engine room, campaign, burst, operation, ...), with the
  account ids and handles an analysis should recover;
- ``FILE.posts_truth.csv`` — one row per post: ``post_id, hateful, narrative, campaign, operation,
  burst`` (0/1) plus ``counter_speech, identity, account_id, kind, stream``.

What is planted (30 days from 2024-03-01 by default):

- **organic accounts** with heavy-tailed (Pareto) activity and log-normal follower counts, posting
  everyday and political chatter, news links, replies, quotes and retweets; identity statements
  ("As a Jew, I ..."), neutral posts on Jewish life and Israeli politics, criticism of a government
  that is not antisemitic, and counter-speech — so that classifiers are tested on what they must
  not flag. A share of them ("noise" accounts) retweet a lot: many of them share the same popular
  posts by chance, which coordination detection must not mistake for an operation;
- **influencers** (verified, 10^5-10^6 followers) whose posts are widely retweeted;
- **the engine room**: 36 accounts pushing the narrative "antisemitism is a smear / weaponised /
  a witch-hunt" with its hashtags, amplified by many others (retweets, quotes); a third of them (12)
  also post antisemitic content built on coded tropes;
- **a hashtag campaign** (#SackMarlowe) against a fictional MP, with a start and a peak;
- **a hashtag burst** (#FloodReliefNow) that goes from a low baseline to a spike at a known hour;
- **a coordinated operation**: random-string and name+8-digit handles, templated bios, accounts
  created within three days, identical posts within seconds, links to a fake-news domain, one
  text sent at one influencer many times, near-zero engagement, retweets of each other in a ring,
  posting in office hours of another time zone.

Generation streams in time order, chunk by chunk (NumPy draws per chunk; Python only assembles
text and JSON), so memory stays bounded and 10M posts can be written. The output is the same for
the same ``(posts, seed, format)``.

The package has one module per job: :mod:`~engineroom.synth.scenario` (what is planted, by name),
:mod:`~engineroom.synth.world` (accounts and schedule), :mod:`~engineroom.synth.posts` (the post
generator), one writer per format (:mod:`~engineroom.synth.twarc2`,
:mod:`~engineroom.synth.io_archive`, :mod:`~engineroom.synth.plain_csv`),
:mod:`~engineroom.synth.truth` (the truth files), :mod:`~engineroom.synth.text` and
:mod:`~engineroom.synth.files` (helpers), :mod:`~engineroom.synth.words` (templates and word lists).
Every public name is importable from ``engineroom.synth``.
"""

from __future__ import annotations

import csv
import gc
import json
from pathlib import Path
from typing import Any

from .files import open_text
from .io_archive import IO_TWEET_COLUMNS, IO_USER_COLUMNS, IOArchiveWriter, io_users_path
from .plain_csv import CSV_COLUMNS, CSVWriter
from .posts import Generator, Post
from .scenario import (
    BURST, BURST_PLACE, BURST_TAG, CAMP, CAMPAIGN_TAG, COUNTER, EVENT_STREAMS, FAKE_DOMAIN, HATE,
    IDENTITY, INFLUENCERS, INHERITED, KIND_NAMES, N_ENGINE_ROOM, N_ENGINE_ROOM_HATEFUL, NARR,
    NARRATIVE_NAME, NARRATIVE_TAGS, OP_INFLUENCER, OPER, ORGANIC_SHARES, POST, QUOTE, REPLY, RETWEET,
    SID, STREAM_NAMES, STREAMS, TARGET_HANDLE, TARGET_NAME, TARGET_SURNAME, TWEPOCH_MS,
)
from .truth import POSTS_TRUTH_COLUMNS, planted_truth, posts_truth_rows, truth_paths
from .twarc2 import Twarc2Writer
from .world import Accounts, World

__all__ = [
    # entry point and the formats it writes
    "synthesize", "FORMATS", "WRITERS", "truth_paths",
    # the world, its posts, the writers and the truth files
    "World", "Accounts", "Generator", "Post", "Twarc2Writer", "IOArchiveWriter", "CSVWriter",
    "IO_TWEET_COLUMNS", "IO_USER_COLUMNS", "io_users_path", "CSV_COLUMNS",
    "POSTS_TRUTH_COLUMNS", "posts_truth_rows", "planted_truth",
    # what is planted (engineroom.synth.scenario)
    "BURST", "BURST_PLACE", "BURST_TAG", "CAMP", "CAMPAIGN_TAG", "COUNTER", "EVENT_STREAMS",
    "FAKE_DOMAIN", "HATE", "IDENTITY", "INFLUENCERS", "INHERITED", "KIND_NAMES", "N_ENGINE_ROOM",
    "N_ENGINE_ROOM_HATEFUL", "NARR", "NARRATIVE_NAME", "NARRATIVE_TAGS", "OP_INFLUENCER", "OPER",
    "ORGANIC_SHARES", "POST", "QUOTE", "REPLY", "RETWEET", "SID", "STREAM_NAMES", "STREAMS",
    "TARGET_HANDLE", "TARGET_NAME", "TARGET_SURNAME", "TWEPOCH_MS",
]

FORMATS = ("twarc2", "io-archive", "csv")

WRITERS = {"twarc2": Twarc2Writer, "io-archive": IOArchiveWriter, "csv": CSVWriter}


def synthesize(
    posts: int,
    out: str | Path,
    format: str = "twarc2",  # noqa: A002
    seed: int = 0,
    *,
    start: str = "2024-03-01",
    days: int = 30,
    chunk_size: int = 100_000,
) -> dict[str, Any]:
    """Write a synthetic corpus of ``posts`` posts with planted ground truth; return the truth.

    ``format`` is ``twarc2`` (API v2 pages, JSONL), ``io-archive`` (31-column tweets CSV plus a
    users CSV beside it) or ``csv``; a ``.gz`` or ``.zst`` suffix on ``out`` compresses. The truth
    (see the module docstring) is written to ``out + '.truth.json'`` and returned with the paths of
    everything written; per-post truth goes to ``out + '.posts_truth.csv'``.
    """
    if format not in WRITERS:
        raise ValueError(f"unknown synth format {format!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: the cycle collector only costs time here
    try:
        return _synthesize(posts, out, format, seed, start, days, chunk_size)
    finally:
        if gc_was_enabled:
            gc.enable()


def _synthesize(posts: int, out: Path, format: str, seed: int, start: str, days: int, chunk_size: int) -> dict[str, Any]:  # noqa: A002
    from ..progress import progress

    truth_path, posts_truth_path = truth_paths(out)
    world = World(posts, seed=seed, start=start, days=days)
    gen = Generator(world, chunk_size=chunk_size)
    writer = WRITERS[format](out, world)
    with open_text(posts_truth_path) as tf, progress(f"Synthesizing {out.name}", total=posts) as bar:
        tw = csv.writer(tf, lineterminator="\n")
        tw.writerow(POSTS_TRUTH_COLUMNS)
        for chunk in gen.chunks():
            writer.write(chunk)
            tw.writerows(posts_truth_rows(chunk, world.acc))
            for p in chunk:  # keep only what later posts may reference: the post, not its chain
                if p.ref is not None:
                    p.refmeta = (p.ref.pid, p.ref.aidx)
                    p.ref = None
            bar.advance(len(chunk))
    extra = writer.close()
    truth = planted_truth(world, gen, out, format)
    truth["truth_path"] = str(truth_path)
    truth["posts_truth_path"] = str(posts_truth_path)
    truth["files"] = [str(out)] + [str(p) for p in extra]
    if extra:
        truth["users_path"] = str(extra[0])
    truth_path.write_text(json.dumps(truth, indent=1, sort_keys=False))
    return truth
