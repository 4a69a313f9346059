"""The truth files of a synthetic corpus: what was planted, for checking what an analysis recovers.

Beside an output ``FILE`` (:func:`truth_paths`):

- ``FILE.truth.json`` (:func:`planted_truth`): the seed, counts of posts by kind and stream, and per planted
  structure the account ids and handles an analysis should find — the engine room (and its hateful
  third), the campaign (hashtag, target, start, peak), the burst (onset, peak), the operation
  (accounts, domain, influencer, creation window, events), the influencers and the noise accounts;
- ``FILE.posts_truth.csv`` (:data:`POSTS_TRUTH_COLUMNS`, :func:`posts_truth_rows`): one row per post
  with 0/1 for hateful, narrative, campaign, operation, burst, counter-speech and identity, plus its
  author, kind and stream.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from . import words as W
from .posts import Generator, Post
from .scenario import (
    BURST, BURST_TAG, CAMP, CAMPAIGN_TAG, COUNTER, FAKE_DOMAIN, HATE, IDENTITY, KIND_NAMES, NARR,
    NARRATIVE_NAME, NARRATIVE_TAGS, OPER, STREAM_NAMES, TARGET_NAME,
)
from .world import Accounts, World

#: columns of ``FILE.posts_truth.csv``
POSTS_TRUTH_COLUMNS = ["post_id", "hateful", "narrative", "campaign", "operation", "burst",
                       "counter_speech", "identity", "account_id", "kind", "stream"]


def truth_paths(out: Path) -> tuple[Path, Path]:
    """``FILE.truth.json`` and ``FILE.posts_truth.csv`` for an output ``FILE``."""
    out = Path(out)
    return out.with_name(out.name + ".truth.json"), out.with_name(out.name + ".posts_truth.csv")



def posts_truth_rows(posts: Iterable[Post], accounts: Accounts) -> Iterator[tuple]:
    """One ``FILE.posts_truth.csv`` row per post (columns :data:`POSTS_TRUTH_COLUMNS`)."""
    A = accounts
    return (
        (p.pid, p.flags & HATE and 1, (p.flags & NARR) >> 1, (p.flags & CAMP) >> 2,
         (p.flags & OPER) >> 3, (p.flags & BURST) >> 4, (p.flags & COUNTER) >> 5,
         (p.flags & IDENTITY) >> 6, A.id_str[p.aidx], KIND_NAMES[p.kind], STREAM_NAMES[p.stream])
        for p in posts
    )


def _ids(world: World, idxs) -> list[str]:
    return [world.acc.id_str[i] for i in np.asarray(idxs, dtype=np.int64).tolist()]


def _handles(world: World, idxs) -> list[str]:
    return [world.acc.handles[i] for i in np.asarray(idxs, dtype=np.int64).tolist()]


def planted_truth(world: World, gen: Generator, out: Path, format: str) -> dict[str, Any]:  # noqa: A002
    """The content of ``FILE.truth.json`` for a world whose posts ``gen`` has made (all of them):
    counts, and per planted structure the account ids and handles to recover (keys in
    docs/synth.md). :func:`engineroom.synth.synthesize` adds the paths of the files it wrote."""
    w, g = world, gen
    A = w.acc
    posted = g.posts_by_account > 0
    er = w.engine_room
    er_hateful = er[g.hate_originals[er] > 0]
    camp_accounts = np.nonzero(g.flag_counts["camp"] > 0)[0]
    camp_authors = np.nonzero((g.flag_counts["camp"] > 0) & posted)[0]
    kinds = dict(zip(KIND_NAMES, g.kind_counts.tolist()))
    return {
        "seed": w.seed,
        "posts": w.n_posts,
        "format": format,
        "platform": "twitter",
        "path": str(out),
        "start": w.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (w.start + timedelta(days=w.days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": {
            "posts": w.n_posts,
            "accounts": int(posted.sum()),
            "kinds": kinds,
            "interactions": {
                "retweet": kinds["retweet"], "quote": kinds["quote"], "reply": kinds["reply"],
                "mention_entities": int(g.mention_count),
            },
            "streams": dict(zip(STREAM_NAMES, g.stream_counts.tolist())),
            "hateful_posts": int(g.hateful_total),
            "narrative_posts": int(g.flag_counts["narr"].sum()),
            "campaign_posts": int(g.flag_counts["camp"].sum()),
            "burst_posts": int(g.flag_counts["burst"].sum()),
        },
        "narrative": {
            "name": NARRATIVE_NAME,
            "hashtags": [t.lower() for t in NARRATIVE_TAGS],
            "hashtags_raw": NARRATIVE_TAGS,
            "description": "antisemitism is a smear / weaponised / a witch-hunt",
        },
        "engine_room": {
            "accounts": _ids(w, er),
            "handles": _handles(w, er),
            "hateful_accounts": _ids(w, er_hateful),
            "hateful_handles": _handles(w, er_hateful),
            "amplifiers": _ids(w, w.amplifiers),
            "narrative_posts_by_account": dict(zip(_ids(w, er), g.flag_counts["narr"][er].tolist())),
        },
        "campaign": {
            "hashtag": CAMPAIGN_TAG.lower(),
            "hashtag_raw": CAMPAIGN_TAG,
            "target_handle": A.handles[w.target],
            "target_name": TARGET_NAME,
            "target_account_id": A.id_str[w.target],
            "accounts": _ids(w, camp_authors),
            "members": _ids(w, w.campaign_members),
            "start": w.iso(w.campaign_start_h),
            "peak": w.iso(w.campaign_peak_h),
            "posts": int(g.flag_counts["camp"].sum()),
            "distinct_accounts": int(len(camp_accounts)),
        },
        "burst": {
            "hashtag": BURST_TAG.lower(),
            "hashtag_raw": BURST_TAG,
            "onset": w.iso(w.burst_onset_h),
            "peak": w.iso(w.burst_peak_h),
            "posts": int(g.flag_counts["burst"].sum()),
            "baseline_share": 0.1,
        },
        "operation": {
            "accounts": _ids(w, w.operation),
            "handles": _handles(w, w.operation),
            "domain": FAKE_DOMAIN,
            "influencer_handle": A.handles[w.op_influencer],
            "influencer_account_id": A.id_str[w.op_influencer],
            "created_from": w.iso((A.created_ms[w.operation].min() - w.start_ms) / 3_600_000),
            "created_to": w.iso((A.created_ms[w.operation].max() - w.start_ms) / 3_600_000),
            "copy_events": int(len(w.events["op_copy"]["sizes"])),
            "retweet_events": int(len(w.events["op_rt"]["sizes"])),
            "copy_max_spread_seconds": round(g.op_copy_max_spread, 3),
            "mention_texts": len(W.OP_MENTION_TEXTS),
        },
        "hateful_accounts": _ids(w, np.nonzero(g.hate_originals > 0)[0]),
        "hateful_post_ids_sample": g.hateful_sample,
        "influencers": _ids(w, w.influencers),
        "influencer_handles": _handles(w, w.influencers),
        "noise": {"accounts": _ids(w, w.noise)},
    }
