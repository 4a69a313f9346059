"""Analysis ``coordination``: coordinated behaviour as account-pair co-activity networks.

Method. Coordinated accounts do the same thing within seconds of each other, more often than
chance allows. Following the Coordination Network Toolkit (Graham, QUT Digital Media Research
Centre; ``coordination-network-toolkit`` 1.5.2, whose edge sets and weights engineroom reproduces
exactly for co_retweet, co_tweet, co_link and co_similar_tweet, see ``docs/coordination.md``),
CooRnet (Giglietto et al. 2020, coordinated link sharing with an estimated interval) and Pacheco
et al. (ICWSM 2021, "Uncovering coordinated networks on social media": hashtag sequences, images),
an edge joins two accounts in a network when they did the same action at most ``time_window``
seconds apart (inclusive):

- ``co_retweet``: retweeted the same post;
- ``co_tweet``: posted the same normalised text (lower case, @mentions removed, whitespace
  collapsed; retweets excluded, as CNT);
- ``co_similar_tweet``: posted texts whose CNT token sets have Jaccard similarity
  >= ``similarity_threshold``; candidates from MinHash LSH (datasketch permutations, banding
  chosen so a pair at the threshold is missed with probability <= ``lsh_max_miss``), verified
  with the exact Jaccard similarity (on DuckDB by arrays, :mod:`engineroom.coordination.similar`:
  identical token sets paired once, false candidates cut by an exact token-count bound);
- ``co_salted_tweet``: posted the same text under different salt: links, hashtags, mentions,
  emoji, case and punctuation stripped (:func:`engineroom.coordination.text.salted_words`), the
  distinct words left (at least ``salt_min_words``) have Jaccard similarity >=
  ``salt_similarity``; MinHash LSH as co_similar_tweet;
- ``co_link`` / ``co_domain``: shared the same expanded URL / registered domain (retweets
  excluded, as CNT);
- ``co_hashtag_sequence``: used the same ordered sequence of at least ``min_hashtags`` hashtags;
- ``co_reply``: replied to the same post (``reply_target="post"``, CNT) or account;
- ``co_mention``: mentioned the same account;
- ``sync``: were active in the same ``sync_bin``-second bin far more often than chance (weight =
  shared bins, kept from ``sync_min_weight`` when the Poisson chance of sharing that many is at
  most ``sync_p``); bins with more than ``sync_crowd`` active accounts are sampled; replies are
  not activity unless ``sync_replies``;
- ``co_image``: posted an image of the same ``image_clusters`` cluster (when the images analysis
  has run);
- ``cross_platform``: posted the same link or the same salted text on two different platforms
  (``platform`` = "p1+p2"; ``platform_1`` / ``platform_2`` on every edge say where each account is).

``time_window="auto"`` estimates one window per network with CooRnet's
``estimate_coord_interval`` (q = ``coornet_q``, p = ``coornet_p``).

Edge weight (as CNT): for the ordered pair (u1, u2) the number of distinct posts of u1 matched by
a post of u2 within the window; ``weight`` is the larger of the two directions and edges need
``weight >= min_weight``. Every edge keeps the ids of the posts that make it (``post_ids``).

Each edge also carries ``actions_1`` / ``actions_2`` (the accounts' numbers of actions in the
network) and ``share`` = min(weight_1_2 / actions_1, weight_2_1 / actions_2): hyper-active
accounts that share viral posts by chance have edges of tiny share, operation members large ones.

Clusters (table ``coordination_clusters``, :mod:`engineroom.coordination.clusters`): one list,
Leiden communities of accounts tied by repeated coordinated acts: an action-network edge of
weight >= ``cluster_min_weight`` and share >= ``cluster_min_share``, or a strong sync edge
(>= ``cluster_sync_weight`` shared bins, Poisson chance <= ``cluster_sync_p``); edges of
``conversation_networks`` never tie alone; tied pairs need combined weight >=
``cluster_min_combined``; at least ``min_cluster_size`` accounts; each with ``strength``,
networks and evidence posts.

The fused picture (:mod:`engineroom.coordination.fused`, after Luceri et al., WWW 2024): the
networks' shares fused into one account similarity (``1 - prod(1 - share)``), ties below
``fused_min_similarity`` pruned (table ``coordination_fused``), and per account its weighted
degree ``coordination_score`` (table ``coordination_accounts``).

Findings tables: ``coordination`` (network, platform, account_1, account_2, weight, weight_1_2,
weight_2_1, pairs, post_ids, first_at, last_at, window, actions_1, actions_2, share,
platform_1, platform_2), ``coordination_clusters`` (platform, cluster_id, account_id, method,
size, strength, networks, evidence), ``coordination_fused``, ``coordination_accounts`` and the
intermediate
``coordination_text`` (per original post: normalised-text key, CNT token set, LSH band keys,
the salted word set and its band keys, and an integer post id ``pid`` for the LSH joins). Every network's actions are computed once into the
scratch table ``_coordination_actions`` (and, on engines other than DuckDB, the LSH networks'
candidates into ``_coordination_candidates``); both are dropped at the end of the run.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import Analysis, findings_table
from ..coordination import network as nw
from ..coordination.clusters import CONVERSATION_NETWORKS, cluster_accounts, cluster_candidates, edge_post_ids, sync_chance
from ..coordination.fused import account_scores_from_shares, fused_query, fused_table
from ..coordination.similar import similar_pairs, text_rows
from ..coordination.text import SALT_MIN_WORDS, MinHasher, band_keys, lsh_params, salted_token_batch, text_keys, tokenize_batch
from ..coordination.window import estimate_window
from ..engines.pool import worker_count
from ..progress import Stopwatch
from ..progress import progress

def text_schema(bands: int, salt_bands: int = 0) -> pa.Schema:
    """Schema of ``coordination_text``: per original post its text key, CNT token set and LSH bands,
    and (for co_salted_tweet) the key, distinct words and LSH bands of the text without its salt."""
    return pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("t", pa.int64()),
            ("pid", pa.int64()),  # integer post id, unique per platform (see PID_SECOND)
            ("text_key", pa.string()),
            ("n_tokens", pa.int64()),
            ("token_set", pa.string()),  # tokens joined by " ", as CNT's edge.token_set
            *[(f"band_{j}", pa.int64()) for j in range(bands)],
            ("salted_n", pa.int64()),  # distinct words without salt (0 when too short)
            ("salted_words", pa.string()),  # the distinct words, sorted, joined by " "
            *[(f"salted_band_{j}", pa.int64()) for j in range(salt_bands)],
        ]
    )


EDGE_SCHEMA = pa.schema(
    [
        ("network", pa.string()),
        ("platform", pa.string()),
        ("account_1", pa.string()),
        ("account_2", pa.string()),
        ("weight", pa.int64()),
        ("weight_1_2", pa.int64()),
        ("weight_2_1", pa.int64()),
        ("pairs", pa.int64()),
        ("post_ids", pa.string()),
        ("first_at", pa.timestamp("us")),
        ("last_at", pa.timestamp("us")),
        ("window", pa.int64()),
        ("actions_1", pa.int64()),
        ("actions_2", pa.int64()),
        ("share", pa.float64()),
        ("platform_1", pa.string()),  # account_1's platform (differs from platform_2 only in cross_platform)
        ("platform_2", pa.string()),
    ]
)

DEFAULT_NETWORKS: tuple[str, ...] = nw.NETWORKS

#: Networks that read ``coordination_text``.
TEXT_NETWORKS: tuple[str, ...] = ("co_tweet", "co_similar_tweet", "co_salted_tweet", "cross_platform")
#: Networks whose pairs come from MinHash LSH candidates (verified by exact Jaccard similarity).
LSH_NETWORKS: tuple[str, ...] = ("co_similar_tweet", "co_salted_tweet")

#: Networks whose edges come from :func:`engineroom.coordination.network.co_action_edges` (arrays)
#: on DuckDB; other engines and the LSH and cross-platform networks build them from post pairs in
#: the engine (:func:`~engineroom.coordination.network.edges_from_pairs`); ``sync`` has its own
#: step (shared bins counted, tested against chance: ``Coordination._sync_edges``).
ARRAY_NETWORKS: tuple[str, ...] = ("co_retweet", "co_tweet", "co_link", "co_domain", "co_hashtag_sequence",
                                   "co_reply", "co_mention", "co_image")

#: Scratch table of every network's actions (written once per run, dropped at the end).
ACTIONS_TABLE = "_coordination_actions"
#: Scratch table of sync's actions with integer account numbers.
SYNC_TABLE = "_coordination_sync"
#: Scratch table of co_similar_tweet's LSH candidate pairs (integer post ids).
CANDIDATES_TABLE = "_coordination_candidates"
#: LSH bands' keys read from the engine per query by the array way (each read scans the text
#: table's filter and ``pid`` again: 21 reads cost 0.54 CPU-s at 1M, 7 reads of 3 bands 0.19)
LSH_READ_BANDS = 3
#: LSH bands joined per candidate query (each query's joins hold their hash tables at once).
BANDS_PER_QUERY = 3

#: A network's fetched Arrow input from which the engine is made to release its memory first
#: (:meth:`engineroom.engines.Engine.release_memory`; smaller inputs, e.g. every network of a
#: 1M-post corpus, release nothing)
RELEASE_MIN_BYTES = 128 << 20

#: ``pid`` = whole second x PID_SECOND + the post's rank (by id) within that second and platform
PID_SECOND = 1 << 22

#: Engine settings while ``coordination_text`` and the scratch tables of actions are written.
#: DuckDB: no DICT_FSST compression of their strings (hex text keys, token sets, post and account
#: ids; DuckDB's other methods still apply). That compression's analysis at each checkpoint took
#: about half of the text pass's insert CPU in the main process (1.5 -> 0.8 CPU-s per 300K rows of
#: the 1M io-archive corpus) and two thirds of writing a 1M-row actions table (1.6 -> 0.6 CPU-s);
#: ``coordination_text`` takes about 40% more disk (and is read with less CPU).
STRING_STORAGE: dict[str, dict[str, str]] = {"duckdb": {"disabled_compression_methods": "dict_fsst"}}


def _plain_strings(engine):
    """The engine's settings of :data:`STRING_STORAGE` while ``coordination_text`` or a scratch
    table is written (a context manager; engines without an entry change nothing)."""
    return engine.settings(STRING_STORAGE.get(engine.name, {}))


class TextBatch:
    """The text pass's per-batch function: text keys, CNT token sets and LSH band keys.

    A plain picklable object (engines may run it in other processes). Identical texts of a batch
    (copypasta, templates, operations) are tokenised once, and identical token sets (and salted
    word sets) of a batch MinHashed once; with salted words the text pass orders its input by a
    hash of the text, so all copies of a text meet in one batch. Only what the run's
    networks read is computed: with ``bands=0`` (no co_similar_tweet) the text keys alone
    (``n_tokens`` 0, ``token_set`` empty), with ``salt_bands=0`` no salted words.
    """

    def __init__(self, bands: int, rows: int, num_perm: int, seed: int = 1, salt_bands: int = 0,
                 salt_rows: int = 1, salt_min_words: int = SALT_MIN_WORDS) -> None:
        self.bands, self.rows = int(bands), int(rows)
        self.salt_bands, self.salt_rows, self.salt_min_words = int(salt_bands), int(salt_rows), int(salt_min_words)
        self.hasher = MinHasher(num_perm, seed=seed)
        self.bar = None  # a progress bar of the calling process (not pickled, not advanced by workers)
        self.pid = os.getpid()

    def __getstate__(self) -> dict:
        return {**self.__dict__, "bar": None}

    def __call__(self, df: pd.DataFrame) -> pa.Table:
        base = pa.Table.from_pandas(df[["platform", "post_id", "account_id", "t", "pid", "text"]], preserve_index=False)
        enc = pc.dictionary_encode(base["text"].combine_chunks())
        texts = enc.dictionary.to_pylist()
        n = base.num_rows
        take = pc.fill_null(enc.indices, len(texts))  # missing text -> the sentinel row (last)
        idx = take.to_numpy(zero_copy_only=False)
        cols = {c: base[c] for c in ("platform", "post_id", "account_id", "t", "pid")}
        if not self.bands:  # no co_similar_tweet: the text keys alone (no token sets, no MinHash)
            cols["text_key"] = pa.array(text_keys(texts) + [None], pa.string()).take(take)
            cols["n_tokens"] = pa.array(np.zeros(n, dtype=np.int64))
            cols["token_set"] = pa.array(np.full(n, "", dtype=object), pa.string())
        else:
            tb = tokenize_batch(texts)
            n_tokens = np.append(tb.lengths, 0)[idx]
            joined = tb.token_set_array()
            cols["text_key"] = pa.array(tb.keys + [None], pa.string()).take(take)
            cols["n_tokens"] = pa.array(n_tokens)
            cols["token_set"] = pa.concat_arrays([joined, pa.array([""])]).take(take)
            keys = self._band_keys(tb, joined, self.bands, self.rows)[idx]
            empty = n_tokens == 0
            for j in range(self.bands):
                cols[f"band_{j}"] = pa.array(keys[:, j], mask=empty)
        cols.update(self._salted(texts, idx, take))
        if self.bar is not None and os.getpid() == self.pid:
            self.bar.advance(len(df))
        return pa.table(cols)

    def _band_keys(self, tb, joined: pa.Array, bands: int, rows: int) -> np.ndarray:
        """LSH band keys (texts x bands, then a row of zeros for missing text) of the batch's
        token sets ``tb`` (``joined``: their strings): each distinct non-empty set MinHashed once
        (the rows of empty sets are zeros; their keys are masked)."""
        sets, row = tb.distinct(joined)
        keys = np.zeros((len(row) + 2, bands), dtype=np.int64)  # (+ empty sets' row, + missing text's)
        if len(sets.lengths):
            sig = self.hasher.signatures_from_codes(sets.vocab, sets.codes, sets.lengths)
            keys[: len(sets.lengths)] = band_keys(sig, bands, rows)
        return keys[np.append(np.where(row < 0, len(row), row), len(row) + 1)]

    def _salted(self, texts: list, idx: np.ndarray, take: pa.Array) -> dict:
        """The salted columns of the batch's distinct texts (``idx`` / ``take``: post -> text, missing = last)."""
        n = len(idx)
        if not self.salt_bands:
            return {"salted_n": pa.array(np.zeros(n, dtype=np.int64)),
                    "salted_words": pa.array(np.full(n, "", dtype=object), pa.string())}
        tb = salted_token_batch(texts, self.salt_min_words)
        n_words = np.append(tb.lengths, 0)[idx]
        joined = tb.token_set_array()
        out = {"salted_n": pa.array(n_words),
               "salted_words": pa.concat_arrays([joined, pa.array([""])]).take(take)}
        bk = self._band_keys(tb, joined, self.salt_bands, self.salt_rows)[idx]
        for j in range(self.salt_bands):
            out[f"salted_band_{j}"] = pa.array(bk[:, j], mask=n_words == 0)
        return out

def _names(value: "str | Sequence[str]") -> tuple[str, ...]:
    """Network names from a sequence or a comma-separated string (as ``--set`` may pass them)."""
    if isinstance(value, str):
        return tuple(n.strip() for n in value.split(",") if n.strip())
    return tuple(value)


class Coordination(Analysis):
    """Coordinated behaviour networks (CNT-compatible co_* networks, CooRnet windows) and clusters.

    Parameters (defaults in brackets):
      networks [all of :data:`engineroom.coordination.network.NETWORKS`; co_image only when
        ``image_clusters`` exists]; time_window [60 s, or "auto" for CooRnet]; min_weight [2];
      similarity_threshold [0.8, CNT's default]; num_perm [64 MinHash permutations];
      lsh_max_miss [1e-6]; min_hashtags [3]; reply_target ["post"]; domain_exclude
      [twitter.com, x.com, t.co]; sync_bin [10 s]; sync_min_weight [5]; sync_max_accounts [200];
      sync_crowd [30 accounts: busier bins are sampled]; sync_p [1e-3 Poisson chance per sync edge];
      coornet_q [0.1]; coornet_p [0.5]; cluster_networks [all but cross_platform];
      cluster_min_share [0.05]; cluster_min_weight [2 acts per tie edge]; cluster_sync_weight [6];
      cluster_sync_p [1e-4]; cluster_min_combined [4, summed over networks];
      conversation_networks [co_mention, co_reply]; min_cluster_size [3];
      salt_min_words [6]; salt_similarity [0.8]; sync_replies [false]; fused_min_similarity [0.05];
      leiden_resolution [1.0]; seed [42]; memory_limit ["3GB": DuckDB's memory limit
      while this analysis runs (it spills to disk beyond it; the previous limit is restored)].
    """

    name: ClassVar[str] = "coordination"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("posts", "interactions", "hashtags", "urls", "image_clusters")
    writes: ClassVar[tuple] = (
        findings_table(
            "coordination", "One row per undirected edge (account pair) per network.",
            ("network", "VARCHAR", "co_retweet, co_tweet, co_similar_tweet, co_salted_tweet, co_link, co_domain, "
             "co_hashtag_sequence, co_reply, co_mention, sync, co_image or cross_platform"),
            ("platform", "VARCHAR", "the accounts' platform ('p1+p2' for cross_platform edges)"),
            ("account_1", "VARCHAR", "one account (account_1 < account_2)"),
            ("account_2", "VARCHAR", "the other account"),
            ("weight", "BIGINT", "the larger of weight_1_2 and weight_2_1 (CNT's edge weight)"),
            ("weight_1_2", "BIGINT", "distinct posts of account_1 matched by a post of account_2 within the window"),
            ("weight_2_1", "BIGINT", "distinct posts of account_2 matched by a post of account_1 within the window"),
            ("pairs", "BIGINT", "matching (post, post) pairs"),
            ("post_ids", "VARCHAR", "JSON list of the posts that make the edge"),
            ("first_at", "TIMESTAMP", "first matching action (UTC)"),
            ("last_at", "TIMESTAMP", "last matching action (UTC)"),
            ("window", "BIGINT", "time window of the network, seconds (estimated with time_window='auto')"),
            ("actions_1", "BIGINT", "account_1's actions in this network"),
            ("actions_2", "BIGINT", "account_2's actions in this network"),
            ("share", "DOUBLE", "min(weight_1_2 / actions_1, weight_2_1 / actions_2): small for chance co-activity"),
            ("platform_1", "VARCHAR", "account_1's platform"),
            ("platform_2", "VARCHAR", "account_2's platform"),
        ),
        findings_table(
            "coordination_clusters", "One row per (cluster, account): Leiden clusters of accounts tied by repeated coordinated acts (one list; an account is in at most one cluster).",
            ("platform", "VARCHAR", "the accounts' platform"),
            ("cluster_id", "VARCHAR", "the cluster"),
            ("account_id", "VARCHAR", "a member account"),
            ("method", "VARCHAR", "how the cluster was found ('leiden')"),
            ("size", "BIGINT", "accounts in the cluster"),
            ("strength", "DOUBLE", "coordinated acts per member: the summed weights of the cluster's internal tie edges divided by its size"),
            ("networks", "VARCHAR", "JSON: the networks whose edges join the cluster"),
            ("evidence", "VARCHAR", "JSON: per-network edge counts, weights and example posts"),
        ),
        findings_table(
            "coordination_text", "Intermediate: one row per original post with text, for co_tweet and co_similar_tweet.",
            ("platform", "VARCHAR", "the post's platform"),
            ("post_id", "VARCHAR", "the post"),
            ("account_id", "VARCHAR", "its author"),
            ("t", "BIGINT", "when it was posted, seconds since 1970 (UTC)"),
            ("pid", "BIGINT", "integer post id, unique per platform, for the LSH joins"),
            ("text_key", "VARCHAR", "normalised text (lower case, mentions removed, whitespace collapsed); NULL when empty"),
            ("n_tokens", "BIGINT", "tokens in CNT's token set"),
            ("token_set", "VARCHAR", "CNT's token set, tokens joined by spaces"),
            ("band_*", "BIGINT", "MinHash LSH band keys band_0, band_1, ... (as many as the banding needs)"),
            ("salted_n", "BIGINT", "distinct words left without salt (hashtags, mentions, links, emoji, punctuation); 0 when fewer than salt_min_words"),
            ("salted_words", "VARCHAR", "those words, sorted, joined by spaces"),
            ("salted_band_*", "BIGINT", "MinHash LSH band keys of the salted words (co_salted_tweet)"),
        ),
        findings_table(
            "coordination_fused", "One row per account pair of the fused network (Luceri et al. 2024): every non-conversation network in one similarity.",
            ("platform", "VARCHAR", "the accounts' platform"),
            ("account_1", "VARCHAR", "one account"),
            ("account_2", "VARCHAR", "the other account"),
            ("similarity", "DOUBLE", "1 - prod(1 - share) over the networks tying them, 0-1 (ties below fused_min_similarity pruned)"),
            ("networks", "VARCHAR", "JSON: network -> share"),
        ),
        findings_table(
            "coordination_accounts", "One row per account of the fused network: its coordination score, to sort by.",
            ("platform", "VARCHAR", "the account's platform"),
            ("account_id", "VARCHAR", "the account"),
            ("coordination_score", "DOUBLE", "weighted degree in the fused network (sum of its fused similarities)"),
            ("ties", "BIGINT", "accounts it is tied to in the fused network"),
            ("networks", "VARCHAR", "JSON: the networks of its ties"),
            ("cluster_id", "VARCHAR", "its coordination cluster, if any"),
        ),
    )
    requires: ClassVar[tuple[str, ...]] = ("images",)

    def __init__(
        self,
        networks: Sequence[str] = DEFAULT_NETWORKS,
        time_window: int | str = 60,
        min_weight: int = 2,
        similarity_threshold: float = 0.8,
        num_perm: int = 64,
        lsh_max_miss: float = 1e-6,
        min_hashtags: int = 3,
        reply_target: str = "post",
        domain_exclude: Sequence[str] = ("twitter.com", "x.com", "t.co"),
        sync_bin: int = 10,
        sync_min_weight: int = 5,
        sync_max_accounts: int = 200,
        sync_crowd: int | None = 30,
        sync_p: float = 1e-3,
        coornet_q: float = 0.1,
        coornet_p: float = 0.5,
        cluster_networks: Sequence[str] | None = None,
        cluster_min_share: float = 0.05,
        cluster_min_weight: int = 2,
        cluster_sync_weight: int = 6,
        cluster_sync_p: float = 1e-4,
        cluster_min_combined: int = 4,
        conversation_networks: Sequence[str] = CONVERSATION_NETWORKS,
        min_cluster_size: int = 3,
        leiden_resolution: float = 1.0,
        seed: int = 42,
        memory_limit: str | None = "3GB",
        salt_min_words: int = SALT_MIN_WORDS,
        salt_similarity: float = 0.8,
        sync_replies: bool = False,
        fused_min_similarity: float = 0.05,
    ) -> None:
        # checked here, stored exactly as passed (scikit-learn's rule); run() derives what it uses
        unknown = [n for n in _names(networks) if n not in nw.NETWORKS]
        if unknown:
            raise ValueError(f"unknown coordination network {', '.join(unknown)}; known: {', '.join(nw.NETWORKS)}")
        if not (time_window == "auto" or (isinstance(time_window, int) and time_window >= 0)):
            raise ValueError("time_window must be a whole number of seconds >= 0 or 'auto'")
        if reply_target not in ("post", "account"):
            raise ValueError("reply_target must be 'post' or 'account'")
        if sync_crowd is not None and not (isinstance(sync_crowd, int) and sync_crowd >= 1):
            raise ValueError("sync_crowd must be a whole number of accounts >= 1, or None (no sampling)")
        if not (isinstance(sync_p, (int, float)) and 0 < sync_p <= 1):
            raise ValueError("sync_p must be a probability in (0, 1]")
        self.networks = networks
        self.time_window = time_window
        self.min_weight = min_weight
        self.similarity_threshold = similarity_threshold
        self.num_perm = num_perm
        self.lsh_max_miss = lsh_max_miss
        self.min_hashtags = min_hashtags
        self.reply_target = reply_target
        self.domain_exclude = domain_exclude
        self.sync_bin = sync_bin
        self.sync_min_weight = sync_min_weight
        self.sync_max_accounts = sync_max_accounts
        self.sync_crowd = sync_crowd
        self.sync_p = sync_p
        self.coornet_q = coornet_q
        self.coornet_p = coornet_p
        self.cluster_networks = cluster_networks
        self.cluster_min_share = cluster_min_share
        self.cluster_min_weight = cluster_min_weight
        self.cluster_sync_weight = cluster_sync_weight
        self.cluster_sync_p = cluster_sync_p
        self.cluster_min_combined = cluster_min_combined
        self.conversation_networks = conversation_networks
        self.min_cluster_size = min_cluster_size
        self.leiden_resolution = leiden_resolution
        self.seed = seed
        self.memory_limit = memory_limit
        self.salt_min_words = salt_min_words
        self.salt_similarity = salt_similarity
        self.sync_replies = sync_replies
        self.fused_min_similarity = fused_min_similarity

    # -- actions --------------------------------------------------------------------------
    def _actions(self, engine, network: str):
        posts = engine.table("posts")
        if network == "co_retweet":
            return nw.retweet_actions(posts)
        if network == "co_tweet":
            txt = engine.table("coordination_text")
            txt = txt.filter(txt.text_key.notnull())
            return txt.select("platform", "post_id", "account_id", key=txt.text_key, t=txt.t)
        if network == "co_link":
            return nw.url_actions(posts, engine.table("urls"), by="url")
        if network == "co_domain":
            return nw.url_actions(posts, engine.table("urls"), by="domain", exclude_domains=tuple(self.domain_exclude))
        if network == "co_hashtag_sequence":
            return nw.hashtag_sequence_actions(posts, engine.table("hashtags"), self.min_hashtags)
        if network == "co_reply":
            return nw.reply_actions(posts, self.reply_target)
        if network == "co_mention":
            return nw.mention_actions(posts, engine.table("interactions"))
        if network == "sync":
            return nw.sync_actions(posts, self.sync_bin, self.sync_max_accounts, replies=_flag(self.sync_replies),
                                   crowd=self.sync_crowd)
        if network == "co_image":
            return nw.image_actions(posts, engine.table("image_clusters"))
        if network == "cross_platform":
            texts = engine.table("coordination_text") if getattr(self, "_salt_bands", 0) else None
            return nw.cross_platform_actions(posts, engine.table("urls"), texts)
        if network == "co_similar_tweet":  # windows are estimated on identical token sets
            txt = engine.table("coordination_text")
            txt = txt.filter(txt.n_tokens > 0)
            return txt.select("platform", "post_id", "account_id", key=txt.token_set, t=txt.t)
        if network == "co_salted_tweet":  # ... and on identical word sets without salt
            txt = engine.table("coordination_text")
            txt = txt.filter(txt.salted_n > 0)
            return txt.select("platform", "post_id", "account_id", key=txt.salted_words, t=txt.t)
        raise ValueError(network)

    def _release_engine_memory(self, engine, work_bytes: int | None = None) -> None:
        """Make the engine hand back the memory it keeps after a query
        (:meth:`~engineroom.engines.Engine.release_memory`) before a step's NumPy/Arrow work, which
        DuckDB's memory limit does not bound. Pages dropped are read again from the file when a
        later query needs them, so a step whose input (``work_bytes``, the Arrow data it fetched)
        is under :data:`RELEASE_MIN_BYTES` releases nothing: its arrays are small beside the
        cache, and re-reading costs CPU."""
        if work_bytes is not None and work_bytes < RELEASE_MIN_BYTES:
            return
        engine.release_memory()

    # -- per-post text pass (Python, batch by batch) ----------------------------------------
    def _text_pass(self, engine, with_bands: bool, with_salt: bool = False) -> int:
        posts = engine.table("posts")
        o = posts.filter(posts.retweet_of_post_id.isnull() & posts.account_id.notnull() & posts.created_at.notnull())
        expr = o.select("platform", "post_id", "account_id", t=nw.epoch_seconds(o.created_at), text=o.text)
        # an integer id per post, unique per platform, for the LSH joins (integers join several
        # times faster than string ids): the second, then the rank of the id within that second
        rank = ibis.row_number().over(group_by=[expr.platform, expr.t], order_by=expr.post_id)
        expr = expr.mutate(pid=expr.t * PID_SECOND + rank.cast("int64"))
        # with salted words (two MinHashes per text): equal texts in one batch (by a hash of the
        # text), so that each is tokenised and hashed once per run, not once per batch it appears
        # in (copies spread over the whole corpus). Without them the sort costs more than it saves
        # (1M retweet-heavy CNT shape: text pass 4.3 s sorted, 3.8 s not)
        if with_salt:
            expr = expr.order_by(expr.text.hash())
        bands, rows = lsh_params(self.similarity_threshold, self.num_perm, self.lsh_max_miss)
        if not with_bands:
            bands = 0
        self._lsh = {"bands": bands, "rows": rows, "num_perm": self.num_perm}
        self._bands = bands
        salt_bands, salt_rows = lsh_params(self.salt_similarity, self.num_perm, self.lsh_max_miss)
        if not with_salt:
            salt_bands = 0
        else:
            self._lsh["salted"] = {"bands": salt_bands, "rows": salt_rows, "min_words": self.salt_min_words}
        self._salt_bands = salt_bands
        schema = text_schema(bands, salt_bands)
        total = int(engine.to_pandas(expr.aggregate(n=expr.post_id.count()))["n"].iloc[0])
        fn = TextBatch(bands, rows, self.num_perm, salt_bands=salt_bands, salt_rows=salt_rows,
                       salt_min_words=self.salt_min_words)
        self._release_engine_memory(engine)  # (before the workers are forked from this process)
        with progress("Coordination: text keys and MinHash", total=total) as bar, _plain_strings(engine):
            fn.bar = bar
            try:
                return engine.map_batches("coordination_text", expr, fn, schema, batch_size=100_000)
            finally:
                fn.bar = None

    # -- co_similar_tweet ---------------------------------------------------------------------
    def _similar_pairs(self, engine, window: int, network: str = "co_similar_tweet"):
        """Verified co_similar_tweet (or co_salted_tweet) pairs (:data:`network.PAIR_COLUMNS`).

        Candidates: two posts within the window that share an LSH band key, found by one bucketed
        equi-join per band on the integer post ids (the union of the bands' pairs, distinct).
        Verification: the exact Jaccard similarity of the CNT token sets, after the length bound
        ``min(n1, n2) / max(n1, n2) >= threshold`` (Jaccard can never exceed it).

        That is the engine's way (Spark). On DuckDB the same pairs come from
        :meth:`_similar_pairs_arrays` (an instance with ``_lsh_arrays = False`` takes the
        engine's way there too: the tests compare the two), as an Arrow table whose edges
        :func:`network.pair_edges` aggregates in memory.
        """
        salted = network == "co_salted_tweet"
        band, n_col, set_col = ("salted_band_", "salted_n", "salted_words") if salted else ("band_", "n_tokens", "token_set")
        bands = self._salt_bands if salted else self._bands
        threshold = self.salt_similarity if salted else self.similarity_threshold
        txt = engine.table("coordination_text")
        t = txt.filter(txt[n_col] > 0)
        t = t.mutate(n_tokens=t[n_col], token_set=t[set_col])
        self._candidate_tables = []
        if engine.name == "duckdb" and getattr(self, "_lsh_arrays", True):  # the same pairs by arrays
            return self._similar_pairs_arrays(engine, t, band, bands, threshold, window, network)
        width = max(int(window), 1)
        pieces = []
        for j in range(bands):
            a = t.select("platform", "pid", "t", key=t[f"{band}{j}"], bucket=(t.t // width).cast("int64"))
            l, r = a.view(), a.view()
            for same in (True, False):
                preds = [l.platform == r.platform, l.key == r.key]
                preds += [l.bucket == r.bucket, l.pid < r.pid] if same else [(l.bucket + 1) == r.bucket]
                jn = l.join(r, preds)
                jn = jn.filter((jn.t - jn.t_right).abs() <= int(window))
                pieces.append(jn.select(
                    "platform",
                    pid_1=ibis.least(jn.pid, jn.pid_right),
                    pid_2=ibis.greatest(jn.pid, jn.pid_right),
                ))
            if (j + 1) % BANDS_PER_QUERY == 0 or j + 1 == bands:
                # written, BANDS_PER_QUERY bands at a time (fewer join hash tables at once): the
                # verification joins then see the real (small) number of candidates; DuckDB's
                # estimate of the joins' union is so large that it paired the two token tables
                # with each other first
                name = f"{CANDIDATES_TABLE}_{len(self._candidate_tables)}"
                engine.write(name, ibis.union(*pieces, distinct=True))
                self._candidate_tables.append(name)
                pieces = []
        cand = ibis.union(*[engine.table(n) for n in self._candidate_tables], distinct=True)
        k1 = t.select(pl_1="platform", pid_a="pid", acc_1="account_id", post_a="post_id", ta="t",
                      tok_1=t.token_set.split(" "), n_1=t.n_tokens.cast("float64"))
        k2 = t.select(pl_2="platform", pid_b="pid", acc_2="account_id", post_b="post_id", tb="t",
                      tok_2=t.token_set.split(" "), n_2=t.n_tokens.cast("float64"))
        j = cand.join(k1, [cand.platform == k1.pl_1, cand.pid_1 == k1.pid_a])
        j = j.join(k2, [j.platform == k2.pl_2, j.pid_2 == k2.pid_b])
        j = j.filter(j.acc_1 != j.acc_2)
        j = j.filter(ibis.least(j.n_1, j.n_2) / ibis.greatest(j.n_1, j.n_2) >= threshold)
        inter = j.tok_1.intersect(j.tok_2).length().cast("float64")
        # CNT: len(set_1 & set_2) / len(set_1 | set_2) >= threshold, in double precision
        j = j.filter(inter / (j.n_1 + j.n_2 - inter) >= threshold)
        first = j.acc_1 < j.acc_2
        return j.select(
            platform=j.platform,
            network=ibis.literal(network),
            account_1=ibis.ifelse(first, j.acc_1, j.acc_2),
            post_1=ibis.ifelse(first, j.post_a, j.post_b),
            t_1=ibis.ifelse(first, j.ta, j.tb).cast("int64"),
            account_2=ibis.ifelse(first, j.acc_2, j.acc_1),
            post_2=ibis.ifelse(first, j.post_b, j.post_a),
            t_2=ibis.ifelse(first, j.tb, j.ta).cast("int64"),
        )

    def _similar_pairs_arrays(self, engine, t, band: str, bands: int, threshold: float, window: int, network: str):
        """:meth:`_similar_pairs`' pairs computed by :func:`engineroom.coordination.similar.similar_pairs`
        (identical token sets paired once without verification, the bands' other candidates
        filtered, made distinct and verified by arrays), as an Arrow table of
        :data:`network.PAIR_COLUMNS`. Counts go to ``self._lsh_stats[network]``.

        The columns are read a few at a time (:data:`LSH_READ_BANDS` bands at a time), each by the
        same filtered scan of ``coordination_text``: with ``preserve_insertion_order`` (set here) DuckDB returns the
        rows in the same order (checked: each read brings the posts' ``pid`` along), so only a few
        bands' keys are in memory at once."""
        clock = Stopwatch()
        with engine.settings({"preserve_insertion_order": True}):
            base = engine.to_arrow(t.select("platform", "pid", "account_id", "t", "n_tokens", "token_set"))
            pid = base["pid"].to_numpy()

            def columns(*names: str) -> pa.Table:
                got = engine.to_arrow(t.select("pid", *names))
                if not np.array_equal(got["pid"].to_numpy(), pid):
                    raise RuntimeError(f"coordination: {', '.join(names)} read in another order than the posts")
                return got

            def column(name: str) -> pa.ChunkedArray:
                return columns(name)[name]

            def band_columns():
                """The band keys, band by band, read LSH_READ_BANDS at a time."""
                for lo in range(0, bands, LSH_READ_BANDS):
                    got = columns(*[f"{band}{j}" for j in range(lo, min(lo + LSH_READ_BANDS, bands))])
                    for name in got.column_names[1:]:
                        yield got[name].to_numpy()
                    del got

            fetch = clock.cpu()
            self._release_engine_memory(engine, base.nbytes)
            rows = text_rows(base["platform"], base["account_id"], base["t"], base["n_tokens"], base["token_set"])
            base = base.drop_columns(["token_set"])  # (the distinct sets stay in ``rows``)
            rows_cpu = clock.cpu() - fetch
            band_keys = band_columns()
            a, b, stats = similar_pairs(rows, band_keys, int(window), float(threshold), workers=worker_count())
            post_id = column("post_id")
        stats["cpu_seconds"] = {"fetch": round(fetch, 3), "rows": round(rows_cpu, 3), **stats["cpu_seconds"]}
        self._lsh_stats = {**getattr(self, "_lsh_stats", {}), network: stats}
        pa_, pb = pa.array(a), pa.array(b)
        acc_a, acc_b = base["account_id"].take(pa_), base["account_id"].take(pb)
        first = pc.less(acc_a, acc_b)
        side = {}
        for name, col in (("account", base["account_id"]), ("post", post_id), ("t", base["t"])):
            x, y = col.take(pa_), col.take(pb)
            side[f"{name}_1"] = pc.if_else(first, x, y)
            side[f"{name}_2"] = pc.if_else(first, y, x)
        pairs = pa.table({
            "platform": base["platform"].take(pa_).cast(pa.string()),
            "network": pa.array(np.full(len(a), network, dtype=object), pa.string()),
            "account_1": side["account_1"], "post_1": side["post_1"], "t_1": side["t_1"].cast(pa.int64()),
            "account_2": side["account_2"], "post_2": side["post_2"], "t_2": side["t_2"].cast(pa.int64()),
        })
        return pairs

    # -- run ------------------------------------------------------------------------------
    def run(self, engine) -> dict[str, Any]:
        # memory_limit is DuckDB's; the previous limit is put back when the run ends
        limit = {"memory_limit": self.memory_limit} if self.memory_limit and engine.name == "duckdb" else {}
        with engine.settings(limit):
            return self._run(engine)

    def _run(self, engine) -> dict[str, Any]:
        self._sync_bins = None
        self._max_positions = getattr(self, "_max_positions", nw.MAX_POSITIONS)
        networks = list(_names(self.networks))
        if "co_image" in networks and not engine.has_table("image_clusters"):
            networks.remove("co_image")
        self._salt_bands = 0  # (set by the text pass when it computes salted words)
        self._lsh_stats: dict[str, dict] = {}
        summary: dict[str, Any] = {"networks": {}, "windows": {}, "seconds": {}, "cpu_seconds": {}}
        run_clock = Stopwatch()

        def stage(name: str, clock: Stopwatch) -> None:
            summary["seconds"][name] = round(clock.wall(), 3)
            summary["cpu_seconds"][name] = round(clock.cpu(), 3)

        if "cross_platform" in networks:
            posts = engine.table("posts")
            n_platforms = int(engine.to_pandas(posts.aggregate(n=posts.platform.nunique()))["n"].iloc[0])
        else:
            n_platforms = 0
        # salted words for co_salted_tweet, and for cross_platform where there are two platforms
        with_salt = "co_salted_tweet" in networks or n_platforms > 1
        self._n_platforms = n_platforms
        needs_text = any(n in networks for n in ("co_tweet", "co_similar_tweet", "co_salted_tweet")) or (
            "cross_platform" in networks and with_salt)
        if needs_text:
            n = self._text_pass(engine, with_bands="co_similar_tweet" in networks, with_salt=with_salt)
            summary["text_posts"] = int(n)
            summary["lsh"] = self._lsh
            stage("text_pass", run_clock)

        # every network's actions (but co_similar_tweet's LSH bands) are computed once and
        # written to a scratch table; each network's pairs, shares and window read it back
        t1 = Stopwatch()
        plain = [n for n in networks if n not in LSH_NETWORKS and not (n in nw.CROSS_NETWORKS and n_platforms < 2)]
        if plain:
            with _plain_strings(engine):
                engine.write(ACTIONS_TABLE, ibis.union(*[self._action_rows(engine, n) for n in plain], distinct=False))
            stage("actions", t1)
        try:
            pieces = self._networks(engine, networks, summary, stage)
            if self._lsh_stats:  # the LSH networks' pairs: identical sets, candidates, verified
                summary["lsh_pairs"] = self._lsh_stats
        finally:
            if plain:
                _drop_scratch(engine, ACTIONS_TABLE)
        all_edges = pa.concat_tables(pieces) if pieces else EDGE_SCHEMA.empty_table()
        engine.write("coordination", all_edges)

        t2 = Stopwatch()
        within = tuple(n for n in networks if n not in nw.CROSS_NETWORKS)  # clusters are per platform
        cluster_nets = _names(self.cluster_networks) if self.cluster_networks is not None else within
        edge_table = engine.table("coordination")
        conversation = _names(self.conversation_networks)
        # only the edges of account pairs that one of their edges could tie come to Python
        # (cluster_accounts drops every other pair first; most chance edges are weight 1), without
        # their post lists: those of the few edges a cluster cites are read afterwards
        e = engine.to_pandas(cluster_candidates(
            edge_table, cluster_nets, min_acts=self.cluster_min_weight, min_share=self.cluster_min_share,
            sync_weight=self.cluster_sync_weight, conversation=conversation, with_posts=False))
        clusters = cluster_accounts(
            e, self.min_cluster_size, min_acts=self.cluster_min_weight, min_share=self.cluster_min_share,
            sync_weight=self.cluster_sync_weight, conversation=conversation,
            min_weight=self.cluster_min_combined, sync_bins=getattr(self, "_sync_bins", None), sync_p=self.cluster_sync_p,
            resolution=self.leiden_resolution, seed=self.seed,
            post_ids_of=lambda keys: edge_post_ids(edge_table, keys, engine.to_pandas),
        )
        engine.write("coordination_clusters", _clusters_arrow(clusters))
        stage("clusters", t2)
        t3 = Stopwatch()
        # the fused picture in the engine: one aggregation over the edge table, the JSON of the
        # surviving ties' shares formatted once per distinct share
        shares = engine.to_arrow(fused_query(edge_table, within, self.fused_min_similarity, exclude=conversation))
        engine.write("coordination_fused", fused_table(shares, within).cast(FUSED_SCHEMA))
        scores = account_scores_from_shares(shares, within, clusters)
        engine.write("coordination_accounts", _arrow(scores, SCORES_SCHEMA))
        summary["fused_ties"] = int(shares.num_rows)
        summary["scored_accounts"] = int(len(scores))
        stage("fused", t3)
        comp = clusters
        summary["edges"] = int(all_edges.num_rows)
        summary["clusters"] = int(comp["cluster_id"].nunique()) if len(comp) else 0
        summary["clustered_accounts"] = int(comp["account_id"].nunique()) if len(comp) else 0
        summary["largest_cluster"] = int(comp["size"].max()) if len(comp) else 0
        stage("total", run_clock)
        return summary

    def _action_rows(self, engine, network: str):
        """``network``'s actions in the scratch table's columns (distinct per post and key)."""
        a = self._actions(engine, network)
        return a.select(  # the same (nullable) types for every network, so they union
            platform=a.platform.cast("string"),
            network=ibis.literal(network, type="string"),
            key=a.key.cast("string"),
            account_id=a.account_id.cast("string"),
            post_id=a.post_id.cast("string"),
            t=a.t.cast("int64"),
        ).distinct()

    def _network_actions(self, engine, network: str):
        if network in LSH_NETWORKS:
            return self._actions(engine, network)
        a = engine.table(ACTIONS_TABLE)
        return a.filter(a.network == network)

    def _networks(self, engine, networks: list[str], summary: dict, stage) -> list[pa.Table]:
        pieces: list[pa.Table] = []
        with progress("Coordination networks", total=len(networks)) as bar:
            for network in networks:
                t1 = Stopwatch()
                if network in nw.CROSS_NETWORKS and getattr(self, "_n_platforms", 2) < 2:
                    # one platform: no pair of accounts on two platforms, nothing to compute
                    pieces.append(EDGE_SCHEMA.empty_table())
                    summary["networks"][network] = {"edges": 0, "accounts": 0}
                    stage(network, t1)
                    bar.advance(1)
                    continue
                window = self._window(engine, network, summary)
                lsh = network in LSH_NETWORKS
                actions = nw.with_window(self._network_actions(engine, network), network, window, distinct=lsh)
                counts = None  # the edge accounts' action counts (for the shares), where the edges lack them
                if network == "sync":  # counted, tested against chance, then the posts of the few left
                    edge_tab = _with_platforms(self._sync_edges(engine, actions, window, summary))
                else:
                    if lsh:
                        pairs = self._similar_pairs(engine, window, network)
                    elif network in nw.CROSS_NETWORKS:
                        pairs = nw.cross_platform_pairs(actions)
                    else:
                        pairs = nw.co_action_pairs(actions)
                    edge_tab = None
                    if network in ARRAY_NETWORKS and engine.name == "duckdb":
                        # the actions to Arrow, the edges by arrays (no post pairs materialised);
                        # evidence too large for memory goes to the engine's pair join instead
                        # only the actions of keys shared by two actions come to Arrow; the
                        # accounts' action counts (the shares) are counted in the engine below
                        act = engine.to_arrow(nw.shared_key_actions(actions).select(
                            "platform", "key", "account_id", "post_id", "t"))
                        self._release_engine_memory(engine, act.nbytes)
                        try:
                            edge_tab = nw.co_action_edges(act, network, window, self.min_weight,
                                                          max_positions=self._max_positions)
                        except nw.TooManyPositions:
                            summary.setdefault("pair_join", []).append(network)
                        else:
                            edge_tab = _with_platforms(_with_window(edge_tab, window))
                        del act
                    if isinstance(pairs, pa.Table):  # the LSH networks' pairs, computed in memory
                        try:
                            edge_tab = _with_platforms(_with_window(nw.pair_edges(pairs, self.min_weight), window))
                        except ValueError:  # a missing field: the engine's aggregation below
                            pairs = ibis.memtable(pairs)
                    if edge_tab is None:
                        edges = nw.edges_from_pairs(pairs, self.min_weight, prefilter=not lsh)
                        edges = edges.mutate(window=ibis.literal(int(window), type="int64"))
                        # shares are joined here, on the (small) edge list: one combined query made
                        # DuckDB materialise the pair CTE several times
                        try:
                            edge_tab = engine.to_arrow(edges)
                        finally:
                            for name in getattr(self, "_candidate_tables", []) if lsh else []:
                                _drop_scratch(engine, name)
                        edge_tab = _with_platforms(edge_tab)
                if counts is None and edge_tab.num_rows and "actions_1" not in edge_tab.column_names:
                    counts = engine.to_arrow(nw.action_counts(actions, ibis.memtable(_edge_accounts(edge_tab).to_pandas())))
                table = _with_shares(edge_tab, counts).select(EDGE_SCHEMA.names).cast(EDGE_SCHEMA)
                pieces.append(table)
                if network == "sync":  # active bins per platform (the occupancy is the chance model)
                    summary["sync_bins"] = {p: sum(o.values()) for p, o in (self._sync_bins or {}).items()}
                summary["networks"][network] = {
                    "edges": table.num_rows,
                    "accounts": len(pc.unique(pa.concat_arrays([table.column("account_1").combine_chunks(),
                                                                table.column("account_2").combine_chunks()]))),
                }
                stage(network, t1)
                bar.advance(1)
        return pieces

    def _sync_edges(self, engine, actions, window: int, summary: dict) -> pa.Table:
        """sync's edges (the columns of :func:`network.edges_from_pairs` and ``window``).

        The shared bins of every account pair are counted on integer account numbers
        (:func:`network.sync_shared_bins`); a pair is an edge when it shares at least
        ``sync_min_weight`` bins and independent accounts with as many active bins would share
        that many with probability at most ``sync_p`` (:func:`clusters.sync_chance`, Poisson with
        mean ``a1 * a2 / B``). Only those pairs' posts are then collected: chance co-activity,
        nearly all pairs in a busy corpus, is counted and dropped, never listed.
        """
        a = actions
        acc = a.select("platform", "account_id").distinct()
        acc = acc.mutate(aid=ibis.row_number().over(group_by=acc.platform, order_by=acc.account_id).cast("int64"))
        j = a.join(acc, ["platform", "account_id"])
        with _plain_strings(engine):
            engine.write(SYNC_TABLE, j.select("platform", "account_id", "post_id", "t", bin=j.key.cast("int64"), aid=j.aid))
        try:
            acts = engine.table(SYNC_TABLE)
            per = acts.group_by(["platform", "aid"]).aggregate(n=acts.count())
            # the chance model's input: per platform, how many bins hold n active accounts
            crowd = acts.group_by(["platform", "bin"]).aggregate(n=acts.count())
            occ = engine.to_pandas(crowd.group_by(["platform", "n"]).aggregate(bins=crowd.count()))
            self._sync_bins = {str(plat): {int(r.n): int(r.bins) for r in g.itertuples()}
                               for plat, g in occ.groupby("platform", sort=True)}
            summary["sync_occupancy"] = {p: {str(k): v for k, v in sorted(o.items())} for p, o in self._sync_bins.items()}
            if not self._sync_bins:  # no activity in any kept bin
                return _empty_edges(window)
            plat = pd.DataFrame({
                "platform": list(self._sync_bins),
                "bins": [sum(o.values()) for o in self._sync_bins.values()],
                # below this many active bins an account's chance of being in a bin stays under 1
                # in the busiest bin, and the busy-bin mean is at least the equal-bins mean a1*a2/B
                "unsaturated": [sum(n * b for n, b in o.items()) / max(o) for o in self._sync_bins.values()],
            })
            w = nw.sync_shared_bins(acts, self.sync_min_weight)
            c1 = per.select(p1="platform", x1="aid", actions_1="n")
            c2 = per.select(p2="platform", x2="aid", actions_2="n")
            w = w.join(c1, [w.platform == c1.p1, w.aid_1 == c1.x1]).join(c2, [w.platform == c2.p2, w.aid_2 == c2.x2])
            pm = ibis.memtable(plat)
            w = w.join(pm, "platform")
            if float(self.sync_p) < 0.5:
                # more shared bins than the chance mean: P(K >= w) >= 1/2 for w <= a Poisson mean
                # (its median is at least mean - ln 2), so no edge of a small chance is lost
                a1, a2 = w.actions_1.cast("float64"), w.actions_2.cast("float64")
                w = w.filter((w.weight.cast("float64") * w.bins.cast("float64") > a1 * a2)
                             | (a1 > w.unsaturated) | (a2 > w.unsaturated))
            cand = engine.to_pandas(w.select("platform", "aid_1", "aid_2", "weight", "actions_1", "actions_2"))
            summary.setdefault("sync", {})["candidates"] = int(len(cand))
            if len(cand):  # the busy-bin chance model of each platform
                keep = np.zeros(len(cand), dtype=bool)
                for p_name, idx in cand.groupby("platform", sort=False).indices.items():
                    keep[idx] = (sync_chance(cand.iloc[idx], self._sync_bins[str(p_name)]) <= float(self.sync_p)).to_numpy()
                cand = cand[keep]
            kept = cand[["platform", "aid_1", "aid_2", "weight"]].reset_index(drop=True)
            kept = kept.astype({"platform": str, "aid_1": "int64", "aid_2": "int64", "weight": "int64"})
            if kept.empty:
                return _empty_edges(window)
            ev = nw.sync_edge_evidence(acts, ibis.memtable(kept))
            ids = acts.select("platform", "aid", "account_id").distinct()
            i1 = ids.select(q1="platform", y1="aid", account_1="account_id")
            i2 = ids.select(q2="platform", y2="aid", account_2="account_id")
            ev = ev.join(i1, [ev.platform == i1.q1, ev.aid_1 == i1.y1]).join(i2, [ev.platform == i2.q2, ev.aid_2 == i2.y2])
            weight = ev.weight.cast("int64")
            edges = ev.select(
                network=ibis.literal("sync"),
                platform=ev.platform,
                account_1=ev.account_1,
                account_2=ev.account_2,
                weight=weight,
                weight_1_2=weight,  # one action per account and bin: each shared bin is one post
                weight_2_1=weight,  # of each, matched by one of the other, and one pair
                pairs=weight,
                post_ids=nw.json_string_list(ev.posts.sort()),
                first_at=ev.first_t.as_timestamp("s"),
                last_at=ev.last_t.as_timestamp("s"),
                window=ibis.literal(int(window), type="int64"),
            )
            return engine.to_arrow(edges)
        finally:
            _drop_scratch(engine, SYNC_TABLE)

    def _window(self, engine, network: str, summary: dict) -> int:
        if network == "sync":
            summary["windows"][network] = {"window": self.sync_bin, "method": "bin"}
            return nw.UNBOUNDED
        if self.time_window != "auto":
            summary["windows"][network] = {"window": int(self.time_window), "method": "fixed"}
            return int(self.time_window)
        est = estimate_window(engine, self._network_actions(engine, network), q=self.coornet_q, p=self.coornet_p)
        summary["windows"][network] = {**est, "method": "coornet"}
        return est["window"]


def _flag(value) -> bool:
    """A yes/no parameter from a bool or a string ("true", "1", "yes")."""
    return value.strip().lower() in ("1", "true", "yes") if isinstance(value, str) else bool(value)


def _drop_scratch(engine, name: str) -> None:
    """Drop a scratch table of this analysis (from the corpus file and the engine's views)."""
    engine.drop_table(name)


def _with_window(edges: pa.Table, window: int) -> pa.Table:
    """``edges`` with the network's time window (seconds) as column ``window``."""
    return edges.append_column("window", pa.array(np.full(edges.num_rows, int(window), dtype=np.int64)))


def _with_platforms(edges: pa.Table) -> pa.Table:
    """Add platform_1 / platform_2: each account's platform ("a+b" of a cross_platform edge split)."""
    plat = edges.column("platform").combine_chunks().cast(pa.string())
    if not pc.any(pc.match_substring(plat, "+")).as_py():  # within one platform: both ends on it
        return edges.append_column("platform_1", plat).append_column("platform_2", plat)
    return (edges.append_column("platform_1", pc.replace_substring_regex(plat, r"\+.*$", ""))
            .append_column("platform_2", pc.replace_substring_regex(plat, r"^[^+]*\+", "")))


def _edge_accounts(edges: pa.Table) -> pa.Table:
    """The distinct (platform, account_id) of the edges' two ends."""
    one = edges.select(["platform_1", "account_1"]).rename_columns(["platform", "account_id"])
    two = edges.select(["platform_2", "account_2"]).rename_columns(["platform", "account_id"])
    both = pa.concat_tables([one, two])
    return both.group_by(["platform", "account_id"], use_threads=False).aggregate([])


def _empty_edges(window: int) -> pa.Table:
    """An edge table of no rows (the columns of :func:`network.edges_from_pairs` and ``window``)."""
    return EDGE_SCHEMA.empty_table().select(
        ["network", "platform", "account_1", "account_2", "weight", "weight_1_2", "weight_2_1", "pairs",
         "post_ids", "first_at", "last_at", "window"])


def _with_shares(edges: pa.Table, counts: pa.Table | None) -> pa.Table:
    """Add actions_1, actions_2 and share (see :func:`engineroom.coordination.network.with_shares`)."""
    if "actions_1" in edges.column_names:  # counted with the edges (network.co_action_edges)
        return edges.append_column("share", _share(edges))
    if counts is None or edges.num_rows == 0:
        return (edges.append_column("actions_1", pa.nulls(edges.num_rows, pa.int64()))
                .append_column("actions_2", pa.nulls(edges.num_rows, pa.int64()))
                .append_column("share", pa.nulls(edges.num_rows, pa.float64())))
    c = counts.select(["platform", "account_id", "actions"]).cast(
        pa.schema([("platform", pa.string()), ("account_id", pa.string()), ("actions", pa.int64())]))
    unique = pc.count_distinct(c.column("account_id")).as_py() == c.num_rows  # an id on one platform only
    one = _counts_of(edges.column("platform_1"), edges.column("account_1"), c) if unique else None
    two = _counts_of(edges.column("platform_2"), edges.column("account_2"), c) if one is not None else None
    if one is not None and two is not None:
        out = edges.append_column("actions_1", one).append_column("actions_2", two)
        return out.append_column("share", _share(out))
    out = edges.join(c.rename_columns(["platform_1", "account_1", "actions_1"]), ["platform_1", "account_1"],
                     join_type="inner", use_threads=False)
    out = out.join(c.rename_columns(["platform_2", "account_2", "actions_2"]), ["platform_2", "account_2"],
                   join_type="inner", use_threads=False)
    if out.num_rows != edges.num_rows:  # every edge's accounts have actions in the network
        raise RuntimeError(f"coordination: {edges.num_rows - out.num_rows} edges without their accounts' action counts")
    return out.append_column("share", _share(out))


def _counts_of(platform: pa.ChunkedArray, account: pa.ChunkedArray, counts: pa.Table) -> pa.Array | None:
    """Each (platform, account)'s ``actions`` in ``counts`` (each account id in one row), in the
    edges' order, looked up by account id alone (a hash lookup, not a join); None where an edge's
    account is on another platform than its id's row (the join decides)."""
    at = pc.index_in(account, value_set=counts.column("account_id").combine_chunks())
    if at.null_count:
        raise RuntimeError(f"coordination: {at.null_count} edges without their accounts' action counts")
    if not pc.all(pc.equal(counts.column("platform").take(at), platform)).as_py():
        return None
    return counts.column("actions").take(at)


def _share(edges: pa.Table) -> pa.Array:
    """min(weight_1_2 / actions_1, weight_2_1 / actions_2) of each edge."""
    return pc.min_element_wise(
        pc.divide(edges.column("weight_1_2").cast(pa.float64()), edges.column("actions_1").cast(pa.float64())),
        pc.divide(edges.column("weight_2_1").cast(pa.float64()), edges.column("actions_2").cast(pa.float64())))


FUSED_SCHEMA = pa.schema([("platform", pa.string()), ("account_1", pa.string()), ("account_2", pa.string()),
                          ("similarity", pa.float64()), ("networks", pa.string())])
SCORES_SCHEMA = pa.schema([("platform", pa.string()), ("account_id", pa.string()), ("coordination_score", pa.float64()),
                           ("ties", pa.int64()), ("networks", pa.string()), ("cluster_id", pa.string())])


def _arrow(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)


def _clusters_arrow(df: pd.DataFrame) -> pa.Table:
    schema = pa.schema(
        [
            ("platform", pa.string()),
            ("cluster_id", pa.string()),
            ("account_id", pa.string()),
            ("method", pa.string()),
            ("size", pa.int64()),
            ("strength", pa.float64()),
            ("networks", pa.string()),
            ("evidence", pa.string()),
        ]
    )
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)


def coordinated_accounts(engine) -> list[str]:
    """Account ids in coordination clusters (a helper for evaluation against planted truth)."""
    c = engine.table("coordination_clusters")
    return sorted(engine.to_pandas(c.select("account_id").distinct())["account_id"])


__all__ = ["Coordination", "coordinated_accounts"]
