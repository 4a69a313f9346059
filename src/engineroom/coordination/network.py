"""Co-activity networks as engine (Ibis) expressions: actions, time-bucketed self-joins, edges.

Every network is built the same way. An *action* is one thing an account did in one post that
other accounts can do too: retweet post X, post normalised text T, share URL U, use the hashtag
sequence S, reply to post R, mention account M, be active in time bin B. Two actions with the
same key by two different accounts at most ``window`` seconds apart (inclusive, as the
Coordination Network Toolkit's ``between t - w and t + w``) make a *co-action pair*; an edge
between two accounts aggregates their pairs.

The self-join is bucketed so that it scales linearly with the number of actions rather than with
the square of a key's popularity over the whole corpus: each action gets the bucket
``floor(t / window)``, and a pair can only lie in the same bucket or in adjacent buckets, so the
join is an equi-join on ``(platform, network, key, bucket)`` of the actions with themselves
(posts ordered by id to see each pair once) and with their next bucket, followed by the exact
``|t1 - t2| <= window`` filter. Times are whole seconds (``created_at`` truncated).

Weights follow CNT exactly. For the ordered pair (u1, u2), CNT's weight is the number of
distinct posts of u1 that have at least one matching post of u2 within the window. Those two
directed weights are kept as ``weight_1_2`` and ``weight_2_1``; the undirected ``weight`` is the
larger of the two, and an edge is kept when ``weight >= min_weight`` (i.e. CNT has the edge in at
least one direction). Self-pairs (an account with itself) are never edges.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: The account-pair networks this package builds, in the order they are computed.
NETWORKS: tuple[str, ...] = (
    "co_retweet",
    "co_tweet",
    "co_similar_tweet",
    "co_salted_tweet",
    "co_link",
    "co_domain",
    "co_hashtag_sequence",
    "co_reply",
    "co_mention",
    "sync",
    "co_image",
    "cross_platform",
)

#: Networks whose edges join accounts of two different platforms (``platform`` is "a+b").
CROSS_NETWORKS: tuple[str, ...] = ("cross_platform",)

#: The networks the Coordination Network Toolkit also computes (parity is tested on these).
CNT_NETWORKS: tuple[str, ...] = ("co_retweet", "co_tweet", "co_link", "co_similar_tweet")

#: A window large enough that every pair in a bucket passes the time filter (used by ``sync``,
#: whose key already is the time bin).
UNBOUNDED = 10**12

PAIR_COLUMNS = ("platform", "network", "account_1", "post_1", "t_1", "account_2", "post_2", "t_2")


def epoch_seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since 1970 (UTC) of a timestamp, truncated (not rounded)."""
    return ts.truncate("s").epoch_seconds().cast("int64")


def posts_base(posts: ir.Table) -> ir.Table:
    """Posts with an author and a time, with ``t`` in whole seconds."""
    p = posts.filter(posts.account_id.notnull() & posts.created_at.notnull())
    return p.select("platform", "post_id", "account_id", "created_at", t=epoch_seconds(p.created_at))


def original_posts(posts: ir.Table) -> ir.Table:
    """Posts that are not retweets (CNT's ``repost_id is null``), with ``t``."""
    base = posts.filter(posts.retweet_of_post_id.isnull())
    return posts_base(base)


def with_window(actions: ir.Table, network: str, window: int, distinct: bool = True) -> ir.Table:
    """Give an action table its network name and window (columns in canonical order).

    ``distinct`` removes repeated (post, key) actions (the same URL twice in a post); callers
    whose actions are unique already (LSH band keys) skip that pass.
    """
    out = actions.select(
        "platform",
        network=ibis.literal(network),
        key=actions.key,
        account_id=actions.account_id,
        post_id=actions.post_id,
        t=actions.t.cast("int64"),
        window=ibis.literal(int(window), type="int64"),
    )
    return out.distinct() if distinct else out


def shared_key_actions(actions: ir.Table) -> ir.Table:
    """The actions :func:`co_action_edges` can pair: no field missing, and a (platform, key hash)
    that at least one other action has. Most texts and links are posted once; filtering them in
    the engine keeps them out of Python's memory. The engine counts the keys' 64-bit hashes, not
    the strings (one window count over integers instead of a string aggregation and a join: at 10M
    posts co_tweet's fetch 4.3 -> 2.4 CPU-s); a key that shares its hash with another comes along
    and is dropped by ``co_action_edges``, which counts the keys themselves (the edges are the same)."""
    a = actions.filter(actions.platform.notnull() & actions.key.notnull() & actions.account_id.notnull()
                       & actions.post_id.notnull() & actions.t.notnull())
    a = a.mutate(_n=a.count().over(group_by=[a.platform, a.key.hash()]))
    return a.filter(a._n > 1).drop("_n")


def co_action_pairs(actions: ir.Table) -> ir.Table:
    """All co-action pairs of an action table, each unordered pair of posts once.

    ``actions`` has columns platform, network, key, account_id, post_id, t, window. The result has
    :data:`PAIR_COLUMNS` with ``account_1 < account_2`` (``post_1`` is account_1's post).
    """
    a = actions.mutate(bucket=(actions.t // ibis.greatest(actions.window, 1)).cast("int64"))
    left = a.view()
    same = a.view()
    nxt = a.view()

    def _pairs(l: ir.Table, r: ir.Table, same_bucket: bool) -> ir.Table:
        preds = [
            l.platform == r.platform,
            l.network == r.network,
            l.key == r.key,
        ]
        if same_bucket:
            preds += [l.bucket == r.bucket, l.post_id < r.post_id]
        else:
            preds += [(l.bucket + 1) == r.bucket]
        j = l.join(r, preds)
        j = j.filter(
            (j.account_id != j.account_id_right)
            & ((j.t - j.t_right).abs() <= j.window)
        )
        first = j.account_id < j.account_id_right
        return j.select(
            platform=j.platform,
            network=j.network,
            account_1=ibis.ifelse(first, j.account_id, j.account_id_right),
            post_1=ibis.ifelse(first, j.post_id, j.post_id_right),
            t_1=ibis.ifelse(first, j.t, j.t_right),
            account_2=ibis.ifelse(first, j.account_id_right, j.account_id),
            post_2=ibis.ifelse(first, j.post_id_right, j.post_id),
            t_2=ibis.ifelse(first, j.t_right, j.t),
        )

    return _pairs(left, same, True).union(_pairs(left, nxt, False), distinct=False)


def cross_platform_pairs(actions: ir.Table) -> ir.Table:
    """Co-action pairs of accounts on two *different* platforms (the same key within the window).

    The result has :data:`PAIR_COLUMNS` with ``platform`` = "p1+p2" (the two platforms in
    alphabetical order); ``account_1`` / ``post_1`` are on p1, ``account_2`` / ``post_2`` on p2.
    Bucketed as :func:`co_action_pairs`: equi-joins on the key and the same or an adjacent bucket.
    """
    a = actions.mutate(bucket=(actions.t // ibis.greatest(actions.window, 1)).cast("int64"))
    pieces = []
    for d in (-1, 0, 1):
        l, r = a.view(), a.view()
        j = l.join(r, [l.network == r.network, l.key == r.key, l.platform < r.platform, l.bucket == r.bucket + d])
        j = j.filter((j.t - j.t_right).abs() <= j.window)
        pieces.append(j.select(
            platform=j.platform + ibis.literal("+") + j.platform_right,
            network=j.network,
            account_1=j.account_id,
            post_1=j.post_id,
            t_1=j.t,
            account_2=j.account_id_right,
            post_2=j.post_id_right,
            t_2=j.t_right,
        ))
    return ibis.union(*pieces, distinct=False)


def cross_platform_actions(posts: ir.Table, urls: ir.Table, texts: ir.Table | None) -> ir.Table:
    """cross_platform: the same link (``link:`` + expanded URL, original posts) or the same text
    without its salt (``text:`` + the distinct words of ``coordination_text.salted_words``)."""
    links = url_actions(posts, urls, by="url")
    links = links.mutate(key=ibis.literal("link:") + links.key.cast("string"))
    if texts is None:
        return links
    t = texts.filter(texts.salted_n > 0)
    t = t.select("platform", "post_id", "account_id", key=ibis.literal("text:") + t.salted_words, t=t.t)
    return links.select("platform", "post_id", "account_id", "key", "t").union(t, distinct=False)


def json_string_list(arr: ir.ArrayValue) -> ir.StringValue:
    """A JSON array of strings from an array of ids (quotes and backslashes escaped).

    Written without array lambdas (DuckDB 2 rejects the lambda syntax Ibis 12 emits): the ids are
    joined with the unit separator U+001F, the whole string is escaped, then the separators become
    ``","``. Control characters other than U+001F are removed (ids never legitimately hold them).
    """
    joined = arr.join("\x1f").re_replace("[\\x00-\\x1e]", "")
    escaped = joined.replace("\\", "\\\\").replace('"', '\\"')
    return ibis.literal('["') + escaped.replace("\x1f", '","') + ibis.literal('"]')


def edges_from_pairs(pairs: ir.Table, min_weight: int = 1, prefilter: bool = True) -> ir.Table:
    """Aggregate co-action pairs into undirected weighted edges with their evidence posts.

    Columns: network, platform, account_1, account_2, weight, weight_1_2, weight_2_1, pairs,
    post_ids (JSON text), first_at, last_at (timestamps of the earliest and latest post).

    Two phases: a plain pair count per account pair first (a pair count below ``min_weight``
    means a weight below it too, since every matched post needs a pair), then the exact distinct
    counts and post lists only for the account pairs that can pass; chance co-actions of weight 1,
    most of all pairs, never reach the expensive aggregation. ``prefilter=False`` skips the first
    phase where the pairs are few but expensive to compute (verified LSH candidates): the engine
    may evaluate a pair expression once per reference.
    """
    keys = ["platform", "network", "account_1", "account_2"]
    counts = pairs.group_by(keys).aggregate(n_pairs=pairs.count())
    counts = counts.filter(counts.n_pairs >= min_weight)
    if min_weight > 1 and prefilter:
        pairs = pairs.semi_join(counts, keys)
    # Each pair becomes two rows, one per side (its post and time), grouped per (edge, side, post):
    # the distinct posts per side are then rows, and plain counts replace DISTINCT aggregates,
    # which cost several times more on popular keys (tens of millions of pairs). ``side_1`` is
    # kept in the group key, so a post id on both sides (two platforms) counts on each, as before.
    sides = ibis.array([
        ibis.struct({"post": pairs.post_1, "side_1": ibis.literal(True), "t": pairs.t_1}),
        ibis.struct({"post": pairs.post_2, "side_1": ibis.literal(False), "t": pairs.t_2}),
    ])
    u = pairs.select(*keys, x=sides.unnest())
    u = u.select(*keys, post=u.x["post"], side_1=u.x["side_1"], t=u.x["t"])
    d = u.group_by([*keys, "post", "side_1"]).aggregate(n=u.count(), t_min=u.t.min(), t_max=u.t.max())
    g = d.group_by(keys).aggregate(
        weight_1_2=d.side_1.cast("int64").sum(),
        weight_2_1=(~d.side_1).cast("int64").sum(),
        pairs=d.n.sum(where=d.side_1),  # every pair has exactly one side-1 row
        posts=d.post.collect(),
        first_t=d.t_min.min(),
        last_t=d.t_max.max(),
    )
    weight = ibis.greatest(g.weight_1_2, g.weight_2_1)
    g = g.filter(weight >= min_weight)
    return g.select(
        network=g.network,
        platform=g.platform,
        account_1=g.account_1,
        account_2=g.account_2,
        weight=ibis.greatest(g.weight_1_2, g.weight_2_1).cast("int64"),
        weight_1_2=g.weight_1_2.cast("int64"),
        weight_2_1=g.weight_2_1.cast("int64"),
        pairs=g.pairs.cast("int64"),
        post_ids=json_string_list(g.posts.sort()),
        first_at=g.first_t.as_timestamp("s"),
        last_at=g.last_t.as_timestamp("s"),
    )


# -- co-action edges with arrays: merged windows per (key, account) -------------------------
#: Window positions enumerated per step of :func:`co_action_edges` (bounds its working memory,
#: about 30 bytes a position).
SWEEP_CHUNK = 1 << 23

#: At most this many window positions (about the evidence rows, some 50 bytes each in memory at
#: once) does :func:`co_action_edges` take on; beyond, it raises :class:`TooManyPositions` and the
#: caller uses the engine's pair join, which spills to disk under its memory limit.
MAX_POSITIONS = 80_000_000


class TooManyPositions(MemoryError):
    """The array-built edges would hold more evidence rows in memory than ``max_positions``."""


#: The columns of :func:`edges_from_pairs` and :func:`co_action_edges`.
EDGE_COLUMNS = ("network", "platform", "account_1", "account_2", "weight", "weight_1_2", "weight_2_1",
                "pairs", "post_ids", "first_at", "last_at")


def _sorted_codes(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes of a string array that sort as the strings (bytewise, the engines' string order),
    and the distinct strings in that order."""
    enc = pc.dictionary_encode(arr.cast(pa.string()))
    order = pc.sort_indices(enc.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[enc.indices.to_numpy(zero_copy_only=False)], enc.dictionary.take(pa.array(order))


def _bits(n: int) -> int:
    """Bits that hold the numbers 0 .. n - 1 (at least one)."""
    return max(int(n - 1).bit_length(), 1)


def _first_of_runs(x: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before (and at 0)."""
    out = np.empty(len(x), dtype=bool)
    if len(x):
        out[0] = True
        np.not_equal(x[1:], x[:-1], out=out[1:])
    return out


def _json_escaped(ids: pa.Array) -> pa.Array:
    """Each id as an item of :func:`json_string_list` (its escaping, without quotes)."""
    s = pc.replace_substring_regex(ids, "[\\x00-\\x1e]", "")
    s = pc.replace_substring(s, "\\", "\\\\")
    s = pc.replace_substring(s, '"', '\\"')
    return pc.replace_substring(s, "\x1f", '","')


#: Above this many bytes of items (an upper bound), :func:`json_lists` lays them out with 64-bit offsets.
NARROW_BYTES = 2**31 - 1


def json_lists(ids: pa.Array, codes: np.ndarray, sizes: np.ndarray) -> pa.Array:
    """Per group, the JSON list of :func:`json_string_list` of ``ids[codes]`` (groups of ``sizes``
    consecutive codes): the same text, built by Arrow without a Python loop.

    Each distinct id becomes two items, ``,"id"`` and the group-closing ``,"id"]``; one Arrow
    ``take`` lays the groups' items end to end (the last of each group taken from the closing
    ones), so each group's text is one contiguous run of bytes whose first byte, a comma, becomes
    ``[``. Only the ids the groups cite are escaped (with a minimum weight above 1 a network's
    kept edges cite few of its posts). Every group needs at least one id.
    """
    if len(sizes) == 0:
        return pa.array([], pa.string())
    if not (sizes > 0).all():
        raise ValueError("json_lists: every group needs at least one id")
    codes = np.asarray(codes, dtype=np.int64)
    used = np.flatnonzero(np.bincount(codes, minlength=len(ids)))
    if len(used) < len(ids):  # only the ids the lists cite (codes renumbered in the same order)
        renumber = np.zeros(len(ids), dtype=np.int64)
        renumber[used] = np.arange(len(used), dtype=np.int64)
        ids, codes = ids.take(pa.array(used)), renumber[codes]
    esc = _json_escaped(ids.cast(pa.string()))
    longest = int(pc.max(pc.binary_length(esc)).as_py() or 0) + 4
    wide = longest * len(codes) >= NARROW_BYTES  # Arrow's 32-bit offsets might not hold the text
    typ = pa.large_string() if wide else pa.string()
    part = [pa.scalar(x, typ) for x in (',"', '"', '"]', "")]
    esc = esc.cast(typ)
    items = pa.concat_arrays([pc.binary_join_element_wise(part[0], esc, part[1], part[3]),
                              pc.binary_join_element_wise(part[0], esc, part[2], part[3])])
    ends = np.cumsum(sizes)
    at = np.array(codes, dtype=np.int64)
    at[ends - 1] += len(esc)
    taken = items.take(pa.array(at))
    o = np.frombuffer(taken.buffers()[1], np.int64 if wide else np.int32)[taken.offset: taken.offset + len(taken) + 1]
    data = np.frombuffer(taken.buffers()[2], np.uint8)[o[0]: o[-1]].copy()
    offsets = np.append(o[ends - sizes], o[-1]).astype(np.int64) - int(o[0])
    data[offsets[:-1]] = ord("[")
    typ = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    off_arr = offsets.astype(np.int32 if typ == pa.string() else np.int64)
    return pa.Array.from_buffers(typ, len(sizes), [None, pa.py_buffer(off_arr), pa.py_buffer(data)])


def co_action_edges(actions: pa.Table, network: str, window: int, min_weight: int = 1,
                    chunk: int = SWEEP_CHUNK, pack: bool = True,
                    max_positions: int | None = MAX_POSITIONS, threads: int | None = None,
                    action_counts: bool = False) -> pa.Table:
    """The edges of one co-action network from its actions, with arrays instead of post pairs.

    The same edges as ``edges_from_pairs(co_action_pairs(...))`` (columns :data:`EDGE_COLUMNS`:
    the same weights, pair counts, evidence posts and times), at a cost that grows with the
    edges' evidence (one row per post and partner account) rather than with the post pairs:

    1. actions (``platform, key, account_id, post_id, t``; one row per post and key) get integer
       codes (platforms' and accounts' sort as the strings; with ``min_weight`` above 1 posts are
       numbered as they come, and only the kept edges' posts are ranked by string, for their
       lists; with 1 their codes sort as the strings too); rows are sorted by
       (platform and key, t) and each row's
       window (the rows of its key at most ``window`` seconds away) is a range of positions;
    2. an account's rows of one key whose windows touch (less than ``2 * window`` apart) merge into
       one covering range: every other account's row inside it has this account as a partner,
       once, and the account's own rows inside it give, by a running count, how many of them
       each partner row matches (its post pairs);
    3. each (post, partner account) row becomes one 64-bit number (account pair, post) sorted in
       place; runs of one account pair are its edge: distinct posts per side (the weights), the
       summed matches of account_1's posts (``pairs``), first and last times, the post list.

    Ranges are enumerated ``chunk`` positions at a time, the steps shared among ``threads``
    threads (default: one per core; numpy releases the interpreter lock in its array loops), and
    step 3 runs on ``threads`` slices of the sorted numbers cut at account-pair boundaries. More
    than ``max_positions`` positions in all raise :class:`TooManyPositions` before any is
    enumerated. ``pack=False`` (or too many accounts and posts for 64 bits) groups with a lexsort
    instead of the packed numbers, in one thread. ``action_counts`` adds ``actions_1`` /
    ``actions_2``: each account's distinct posts among all ``actions`` (of its platform), the
    denominators of the edge's share (:func:`with_shares`).
    """
    keep = pc.is_valid(actions["platform"])
    for col in ("key", "account_id", "post_id", "t"):
        keep = pc.and_(keep, pc.is_valid(actions[col]))
    a = actions.filter(keep)
    if a.num_rows == 0:
        return _empty_edges(action_counts)
    counts = _account_post_counts(actions) if action_counts else None  # (as the engine counts them)
    # keys of one action pair nobody (most texts, most links): dropped before any sort
    key_idx = pc.dictionary_encode(a["key"].combine_chunks()).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    plat_idx = pc.dictionary_encode(a["platform"].combine_chunks()).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    gk = key_idx * (int(plat_idx.max()) + 1) + plat_idx
    per_key = np.bincount(gk)
    shared = per_key[gk] > 1
    if not shared.all():
        a = a.filter(pa.array(shared))
        gk = gk[shared]
    # (platform, key) numbered 0, 1, ... in the order of gk (counting, not sorting)
    g = (np.cumsum(per_key > 1) - 1)[gk]
    n = a.num_rows
    if n == 0:
        return _empty_edges(action_counts)
    plat_code, plats = _sorted_codes(a["platform"].combine_chunks())
    acct, accounts = _sorted_codes(a["account_id"].combine_chunks())
    # with a minimum weight above 1, posts are numbered as they come (no sort of every post id)
    # and the few posts the kept edges cite are put in string order at the end (``_Finish``);
    # with 1 every edge is kept and cites nearly every post: codes that sort as the ids, once
    posts_sorted = min_weight <= 1
    if posts_sorted:
        post, posts = _sorted_codes(a["post_id"].combine_chunks())
    else:
        enc = pc.dictionary_encode(a["post_id"].combine_chunks().cast(pa.string()))
        post, posts = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary
        del enc
    t = a["t"].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    n_acc, n_post, n_plat = len(accounts), len(posts), len(plats)
    tmin = int(t.min())
    span = int(t.max()) - tmin
    w = min(int(window), span)  # a wider window reaches no further
    shift = np.int64(1) << np.int64(span.bit_length() + 1)
    order = np.lexsort((t, g))
    g, t, acct, post, plat_code = g[order], t[order], acct[order], post[order], plat_code[order]
    comp = g * shift + (t - tmin)
    lo = np.searchsorted(comp, comp - w, side="left")
    hi = np.searchsorted(comp, comp + w, side="right")
    del comp
    post_author = np.empty(n_post, dtype=np.int64)
    post_author[post] = acct
    post_t = np.empty(n_post, dtype=np.int64)
    post_t[post] = t
    # merged covering ranges of each (key, account): rows in position order, a new range where
    # the (key, account) changes or the gap exceeds 2 * window
    ga = g * n_acc + acct
    by_ga = np.argsort(ga, kind="stable")
    ga_s = ga[by_ga]
    t_s = t[by_ga]
    new = _first_of_runs(ga_s)
    new[1:] |= (t_s[1:] - t_s[:-1]) > 2 * w
    first = np.flatnonzero(new)
    last = np.append(first[1:], n) - 1
    # positions, account and post codes in 32 bits where they fit (half the memory traffic)
    ix = np.int32 if max(n, n_post, n_acc) + int(chunk) < 2**31 - 1 else np.int64  # (a step: < chunk + n positions)
    lo, hi, acct_x, post_x = lo.astype(ix), hi.astype(ix), acct.astype(ix), post.astype(ix)
    ranges = _Ranges(lo=lo[by_ga[first]], hi=hi[by_ga[last]], acc=acct_x[by_ga[first]], own=(last - first + 1).astype(ix))
    length = (ranges.hi - ranges.lo).astype(np.int64)
    r_start = np.cumsum(length) - length
    total = int(length.sum())
    if max_positions is not None and total > max_positions:
        raise TooManyPositions(f"{network}: {total:,} window positions (limit {max_positions:,})")
    acc_bits, plat_bits = _bits(n_acc), _bits(n_plat)
    if plat_bits + 2 * acc_bits > 63:
        raise ValueError("co_action_edges: more accounts than 64-bit account pairs can number")
    # the low bits of a packed number hold a post code and its side (1: account_1's post), or a
    # match count (at most the range's own rows)
    low_bits = max(_bits(n_post) + 1, _bits(int(ranges.own.max()) + 1))
    packed = pack and plat_bits + 2 * acc_bits + low_bits <= 64
    threads = max(int(threads or os.cpu_count() or 1), 1) if packed else 1
    step = max(min(int(chunk), -(-total // (4 * threads))), 1)  # several steps per thread
    bounds, r0, n_r = [], 0, len(length)
    while r0 < n_r:
        r1 = int(np.searchsorted(r_start, r_start[r0] + step, side="left"))
        r1 = min(max(r1, r0 + 1), n_r)
        bounds.append((r0, r1))
        r0 = r1
    sweep = _Sweep(ranges=ranges, r_start=r_start, lo=lo, hi=hi, acct=acct_x, post=post_x, plat_code=plat_code,
                   acc_bits=acc_bits, low_bits=low_bits if packed else None)
    pieces = _map(sweep, bounds, threads)
    del sweep, lo, hi
    if packed:
        kp = np.concatenate([x[0] for x in pieces])
        kq = np.concatenate([x[1] for x in pieces])
        del pieces
        if len(kp) == 0:
            return _empty_edges(action_counts)
        _map(np.ndarray.sort, [(kp,), (kq,)], min(threads, 2))  # in place, the two at once
        first = _first_of_runs(kp)
        if not first.all():
            kp = kp[first]  # a post with several keys (two links) meets a partner once
        del first
        cuts = _edge_cuts(kp, kq, low_bits, threads)
        parts = [(kp[p0:p1], kq[q0:q1]) for (p0, p1), (q0, q1) in cuts]
    else:
        edge_p = np.concatenate([x[0] for x in pieces])
        p = np.concatenate([x[1] for x in pieces])
        edge_q = np.concatenate([x[2] for x in pieces])
        cnt = np.concatenate([x[3] for x in pieces])
        del pieces
        if len(edge_p) == 0:
            return _empty_edges(action_counts)
        o = np.lexsort((p, edge_p))
        edge_p, p = edge_p[o], p[o]
        dup = ~(_first_of_runs(edge_p) | _first_of_runs(p))
        edge_p, p = edge_p[~dup], p[~dup]
        o = np.argsort(edge_q, kind="stable")
        parts = [(edge_p, p, edge_q[o], cnt[o])]
    finish = _Finish(network=network, min_weight=min_weight, acc_bits=acc_bits, low_bits=low_bits if packed else None,
                     post_author=post_author, post_t=post_t, plats=plats, accounts=accounts, posts=posts,
                     posts_sorted=posts_sorted,
                     counts=None if counts is None else _counts_by_code(counts, plats, accounts))
    tables = _map(finish, parts, threads)
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def pair_edges(pairs: pa.Table, min_weight: int = 1) -> pa.Table:
    """The edges of :func:`edges_from_pairs` (columns :data:`EDGE_COLUMNS`, the same values) from
    post pairs already in memory (:data:`PAIR_COLUMNS`, no field missing), by arrays.

    The verified near-copy pairs of co_similar_tweet and co_salted_tweet are computed in memory;
    aggregating them here spares handing them to the engine and its per-side unnest, distinct
    groups and list sort. Each pair gives two (edge, post, side) rows; sorted by edge, post code
    (codes that sort as the strings) and side, their runs are the distinct posts per side (the
    weights), the pair rows per edge are ``pairs``, and the posts in code order the JSON list.
    Raises ``ValueError`` on a missing field (the engine's aggregation takes those)."""
    n = pairs.num_rows
    if n == 0:
        return _empty_edges()
    for col in PAIR_COLUMNS:
        if pairs[col].null_count:
            raise ValueError(f"pair_edges: missing {col}")
    nets = pc.unique(pairs["network"].combine_chunks())
    if len(nets) != 1:
        raise ValueError("pair_edges: pairs of one network at a time")
    plat, plats = _sorted_codes(pairs["platform"].combine_chunks())
    acct, accounts = _sorted_codes(pa.concat_arrays([pairs[c].combine_chunks().cast(pa.string())
                                                     for c in ("account_1", "account_2")]))
    post, posts = _sorted_codes(pa.concat_arrays([pairs[c].combine_chunks().cast(pa.string())
                                                  for c in ("post_1", "post_2")]))
    t = np.concatenate([pairs[c].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
                        for c in ("t_1", "t_2")])
    n_acc = np.int64(len(accounts))
    if len(plats) * int(n_acc) ** 2 >= 2**62:
        raise ValueError("pair_edges: more accounts than 64-bit account pairs can number")
    edge = (plat * n_acc + acct[:n]) * n_acc + acct[n:]
    e = np.concatenate((edge, edge))
    side2 = np.repeat(np.array([0, 1], dtype=np.int64), n)  # 0: account_1's post, 1: account_2's
    order = np.lexsort((side2, post, e))
    e, post, side2, t = e[order], post[order], side2[order], t[order]
    # the distinct (edge, post, side) rows, in post order within an edge
    new = _first_of_runs(e)
    new[1:] |= (post[1:] != post[:-1]) | (side2[1:] != side2[:-1])
    d = np.flatnonzero(new)
    d_e, d_post, d_side2 = e[d], post[d], side2[d]
    e_start = np.flatnonzero(_first_of_runs(d_e))
    size = np.diff(np.append(e_start, len(d_e)))
    w21 = np.add.reduceat(d_side2, e_start) if len(d_e) else d_side2
    w12 = size - w21
    first = np.flatnonzero(_first_of_runs(e))
    first_t = np.minimum.reduceat(t, first)
    last_t = np.maximum.reduceat(t, first)
    edges = e[first]
    n_pairs = np.diff(np.append(first, len(e))) // 2  # two rows per pair, both in the edge's run
    weight = np.maximum(w12, w21)
    ok = weight >= int(min_weight)
    d_post = d_post[np.repeat(ok, size)]
    edges, size, w12, w21, weight = edges[ok], size[ok], w12[ok], w21[ok], weight[ok]
    n_pairs, first_t, last_t = n_pairs[ok], first_t[ok], last_t[ok]
    m = len(edges)
    if m == 0:
        return _empty_edges()
    a2 = edges % n_acc
    a1 = (edges // n_acc) % n_acc
    pl = edges // (n_acc * n_acc)
    return pa.table({
        "network": pa.repeat(nets[0].cast(pa.string()), m),
        "platform": plats.take(pa.array(pl)),
        "account_1": accounts.take(pa.array(a1)),
        "account_2": accounts.take(pa.array(a2)),
        "weight": pa.array(weight, pa.int64()),
        "weight_1_2": pa.array(w12, pa.int64()),
        "weight_2_1": pa.array(w21, pa.int64()),
        "pairs": pa.array(n_pairs, pa.int64()),
        "post_ids": json_lists(posts, d_post, size),
        "first_at": pa.array(first_t, pa.int64()).cast(pa.timestamp("s")),
        "last_at": pa.array(last_t, pa.int64()).cast(pa.timestamp("s")),
    })


def _map(fn, items: list, threads: int) -> list:
    """``[fn(*x) for x in items]``, on ``threads`` threads when more than one (in order)."""
    if threads <= 1 or len(items) <= 1:
        return [fn(*x) for x in items]
    with ThreadPoolExecutor(max_workers=threads) as ex:
        return list(ex.map(lambda x: fn(*x), items))


@dataclass(frozen=True)
class _Ranges:
    """The merged covering ranges of :func:`co_action_edges`: positions [lo, hi) of the rows that
    ``acc``'s ``own`` rows of one key (and time stretch) can match."""

    lo: np.ndarray
    hi: np.ndarray
    acc: np.ndarray
    own: np.ndarray


@dataclass(frozen=True)
class _Sweep:
    """One step of :func:`co_action_edges`' enumeration: the window positions of ranges r0..r1.

    Each position holding another account's row is one (post, partner) evidence row of the edge
    (account pair); the rows of the edge's account_1 also carry their matches among the range's
    own rows (their post pairs). Returns packed numbers ``(edge << low_bits | post, edge <<
    low_bits | matches)`` or, with ``low_bits`` None, the four arrays."""

    ranges: _Ranges
    r_start: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    acct: np.ndarray
    post: np.ndarray
    plat_code: np.ndarray
    acc_bits: int
    low_bits: int | None

    def __call__(self, r0: int, r1: int) -> tuple[np.ndarray, ...]:
        rg = self.ranges
        r_lo, r_hi, r_acc, r_own = rg.lo[r0:r1], rg.hi[r0:r1], rg.acc[r0:r1], rg.own[r0:r1]
        ix = r_lo.dtype
        ln = r_hi - r_lo
        size = int(ln.sum())
        base = (self.r_start[r0:r1] - self.r_start[r0]).astype(ix)  # a step holds fewer than 2^31 positions
        k = np.arange(size, dtype=ix) + np.repeat(r_lo - base, ln)
        acc_k = self.acct[k]
        owner = np.repeat(r_acc, ln)
        own = acc_k == owner
        before = np.cumsum(own, dtype=ix) - own  # own rows before each position (from the step's start)
        other = np.flatnonzero(~own)
        i = k[other]
        r = np.searchsorted(base, other, side="right") - 1  # range of each partner row
        a_i, b = acc_k[other], owner[other]
        del k, acc_k, owner, own
        # the edge: (platform, account_1, account_2) in one number, built in place
        edge = np.minimum(a_i, b).astype(np.int64)
        edge <<= self.acc_bits
        edge |= np.maximum(a_i, b)
        if self.plat_code.any():
            edge |= self.plat_code[i] << (2 * self.acc_bits)
        # matches of account_1's rows: the owner's rows in [max(lo_i, range lo), min(hi_i, range hi))
        is1 = a_i < b
        s1 = np.flatnonzero(is1)
        i1, q = i[s1], r[s1]
        q_lo, q_hi, q_base = r_lo[q], r_hi[q], base[q]
        start_at = before[q_base]  # own rows before the range (in this step)
        up = np.minimum(self.hi[i1], q_hi)
        n_up = np.where(up == q_hi, r_own[q], before[np.minimum(q_base + (up - q_lo), size - 1)] - start_at)
        n_down = before[q_base + (np.maximum(self.lo[i1], q_lo) - q_lo)] - start_at
        matches = n_up - n_down
        if self.low_bits is None:
            return edge, self.post[i].astype(np.int64), edge[s1], matches.astype(np.int64)
        u, lb = np.uint64, np.uint64(self.low_bits)
        kq = edge[s1].view(u) << lb
        kq |= matches.astype(u)
        kp = edge.view(u)
        kp <<= lb
        x = self.post[i].astype(u)
        x <<= u(1)
        x |= is1  # the post's side: 1 for account_1's
        kp |= x
        return kp, kq


def _edge_cuts(kp: np.ndarray, kq: np.ndarray, low_bits: int, parts: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``parts`` slices of the sorted packed numbers (posts ``kp``, matches ``kq``) that cut
    between account pairs: each pair's numbers all in one slice, the same pairs in both."""
    lb = np.uint64(low_bits)
    at = [0]
    for j in range(1, parts):
        x = int(len(kp) * j // parts)
        if x <= at[-1] or x >= len(kp):
            continue
        edge_start = (kp[x] >> lb) << lb  # the first number of that account pair
        at.append(int(np.searchsorted(kp, edge_start, side="left")))
    at = sorted(set(at))
    p_at = at + [len(kp)]
    q_at = [int(np.searchsorted(kq, (kp[x] >> lb) << lb, side="left")) if x else 0 for x in at] + [len(kq)]
    return [((p_at[j], p_at[j + 1]), (q_at[j], q_at[j + 1])) for j in range(len(at))]


def _account_post_counts(actions: pa.Table) -> pa.Table:
    """Per (platform, account_id) of ``actions``, its distinct posts (column ``actions``)."""
    c = actions.group_by(["platform", "account_id"], use_threads=False).aggregate([("post_id", "count_distinct")])
    return c.rename_columns(["platform", "account_id", "actions"])


def _counts_by_code(counts: pa.Table, plats: pa.Array, accounts: pa.Array) -> np.ndarray:
    """:func:`_account_post_counts` as an array ``[platform code, account code]`` (codes of
    :func:`co_action_edges`; 0 where the account has no actions on that platform)."""
    out = np.zeros((len(plats), len(accounts)), dtype=np.int64)
    pi = pc.index_in(counts["platform"], value_set=plats).to_numpy(zero_copy_only=False)
    ai = pc.index_in(counts["account_id"], value_set=accounts).to_numpy(zero_copy_only=False)
    ok = ~(np.isnan(pi) | np.isnan(ai)) if pi.dtype.kind == "f" or ai.dtype.kind == "f" else np.ones(len(pi), bool)
    out[pi[ok].astype(np.int64), ai[ok].astype(np.int64)] = counts["actions"].to_numpy()[ok]
    return out


@dataclass(frozen=True)
class _Finish:
    """Step 3 of :func:`co_action_edges` on one slice of the sorted evidence: the edges' rows."""

    network: str
    min_weight: int
    acc_bits: int
    low_bits: int | None
    post_author: np.ndarray
    post_t: np.ndarray
    plats: pa.Array
    accounts: pa.Array
    posts: pa.Array
    posts_sorted: bool
    counts: np.ndarray | None

    def __call__(self, *arrays: np.ndarray) -> pa.Table:
        if self.low_bits is not None:
            kp, kq = arrays
            lb = np.uint64(self.low_bits)
            low_mask = np.uint64((1 << self.low_bits) - 1)
            edge_p = (kp >> lb).view(np.int64)
            p = kp & low_mask
            side1 = (p & np.uint64(1)).view(np.int64)
            p >>= np.uint64(1)
            p = p.view(np.int64)
            edge_q, cnt = (kq >> lb).view(np.int64), (kq & low_mask).view(np.int64)
        else:
            edge_p, p, edge_q, cnt = arrays
            side1 = None
        acc_bits = self.acc_bits
        q_start = np.flatnonzero(_first_of_runs(edge_q))
        pairs = np.add.reduceat(cnt, q_start)
        e_start = np.flatnonzero(_first_of_runs(edge_p))
        e = edge_p[e_start]
        if len(e) != len(q_start) or not np.array_equal(e, edge_q[q_start]):
            raise AssertionError("co_action_edges: account pairs of posts and of matches differ")
        acc_mask = (1 << acc_bits) - 1
        e_low = (e >> acc_bits) & acc_mask
        size = np.diff(np.append(e_start, len(p)))
        if side1 is None:
            side1 = self.post_author[p] == np.repeat(e_low, size)
        w12 = np.add.reduceat(side1, e_start, dtype=np.int64)
        w21 = size - w12
        weight = np.maximum(w12, w21)
        tt = self.post_t[p]
        first_t = np.minimum.reduceat(tt, e_start)
        last_t = np.maximum.reduceat(tt, e_start)
        ok = weight >= self.min_weight
        if not ok.all():
            p = p[np.repeat(ok, size)]
            e, size = e[ok], size[ok]
            pairs, w12, w21, weight, first_t, last_t = pairs[ok], w12[ok], w21[ok], weight[ok], first_t[ok], last_t[ok]
            e_low = e_low[ok]
        m = len(e)
        e_plat, e_high = e >> (2 * acc_bits), e & acc_mask
        cols = {
            "network": pa.repeat(pa.scalar(self.network, pa.string()), m),
            "platform": self.plats.take(pa.array(e_plat)),
            "account_1": self.accounts.take(pa.array(e_low)),
            "account_2": self.accounts.take(pa.array(e_high)),
            "weight": pa.array(weight, pa.int64()),
            "weight_1_2": pa.array(w12, pa.int64()),
            "weight_2_1": pa.array(w21, pa.int64()),
            "pairs": pa.array(pairs, pa.int64()),
            "post_ids": json_lists(self.posts, p if self.posts_sorted else _in_string_order(p, size, self.posts), size) if m else pa.array([], pa.string()),
            "first_at": pa.array(first_t, pa.int64()).cast(pa.timestamp("s")),
            "last_at": pa.array(last_t, pa.int64()).cast(pa.timestamp("s")),
        }
        if self.counts is not None:
            cols["actions_1"] = pa.array(self.counts[e_plat, e_low], pa.int64())
            cols["actions_2"] = pa.array(self.counts[e_plat, e_high], pa.int64())
        return pa.table(cols)


def _string_rank(ids: pa.Array) -> np.ndarray:
    """Each id's rank in the bytewise order of the strings."""
    order = pc.sort_indices(ids).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def _in_string_order(p: np.ndarray, sizes: np.ndarray, ids: pa.Array) -> np.ndarray:
    """Post codes ``p`` (groups of ``sizes`` consecutive, distinct within a group) reordered so that
    each group's ids are in string order. Only the posts cited are ranked, unless they are more
    than all of ``ids`` (a minimum weight of 1 keeps most evidence)."""
    if len(p) >= len(ids):
        r = _string_rank(ids)[p]
    else:
        u, inv = np.unique(p, return_inverse=True)
        r = _string_rank(ids.take(pa.array(u)))[inv.ravel()]
    group = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return p[np.lexsort((r, group))]


def _empty_edges(action_counts: bool = False) -> pa.Table:
    t = pa.table({
        "network": pa.array([], pa.string()), "platform": pa.array([], pa.string()),
        "account_1": pa.array([], pa.string()), "account_2": pa.array([], pa.string()),
        "weight": pa.array([], pa.int64()), "weight_1_2": pa.array([], pa.int64()),
        "weight_2_1": pa.array([], pa.int64()), "pairs": pa.array([], pa.int64()),
        "post_ids": pa.array([], pa.string()), "first_at": pa.array([], pa.timestamp("s")),
        "last_at": pa.array([], pa.timestamp("s")),
    })
    if action_counts:
        t = t.append_column("actions_1", pa.array([], pa.int64())).append_column("actions_2", pa.array([], pa.int64()))
    return t


def action_counts(actions: ir.Table, accounts: ir.Table | None = None) -> ir.Table:
    """Per account, the number of distinct posts with an action of the network (``actions``).

    ``accounts`` (platform, account_id): count only these accounts' (the edges' accounts). Their
    actions are picked before counting, so the engine's distinct count runs over a few rows rather
    than over every account's (at 10M posts: co_tweet's counts 3.1 -> 0.6 CPU-s)."""
    if accounts is not None:
        actions = actions.semi_join(accounts, ["platform", "account_id"])
    return actions.group_by(["platform", "account_id"]).aggregate(actions=actions.post_id.nunique())


def with_shares(edges: ir.Table, actions: ir.Table) -> ir.Table:
    """Add each account's number of actions in the network and the edge's mutual ``share``.

    ``actions_1`` / ``actions_2``: distinct posts with an action of this network by account_1 /
    account_2; ``share`` = min(weight_1_2 / actions_1, weight_2_1 / actions_2), the smaller of the
    two accounts' fractions of actions matched by the other. Chance co-actions between very active
    accounts (hyper-active retweeters sharing viral posts) have a small share; members of an
    operation, whose actions are mostly coordinated, a large one.
    """
    per = actions.group_by(["platform", "account_id"]).aggregate(actions=actions.post_id.nunique())
    c1 = per.select(p1="platform", a1="account_id", actions_1="actions")
    c2 = per.select(p2="platform", a2="account_id", actions_2="actions")
    j = edges.join(c1, [edges.platform == c1.p1, edges.account_1 == c1.a1])
    j = j.join(c2, [j.platform == c2.p2, j.account_2 == c2.a2])
    share = ibis.least(
        j.weight_1_2.cast("float64") / j.actions_1.cast("float64"),
        j.weight_2_1.cast("float64") / j.actions_2.cast("float64"),
    )
    return j.mutate(actions_1=j.actions_1.cast("int64"), actions_2=j.actions_2.cast("int64"), share=share).drop("p1", "a1", "p2", "a2")


# -- actions per network -------------------------------------------------------------------
def retweet_actions(posts: ir.Table) -> ir.Table:
    """co_retweet: the retweeted post is the key (CNT: same ``repost_id``)."""
    p = posts.filter(posts.retweet_of_post_id.notnull() & posts.account_id.notnull() & posts.created_at.notnull())
    return p.select("platform", "post_id", "account_id", key=p.retweet_of_post_id, t=epoch_seconds(p.created_at))


def reply_actions(posts: ir.Table, target: str = "post") -> ir.Table:
    """co_reply: replies (not retweets) to the same post (CNT) or, with ``target="account"``, to the same account."""
    p = posts.filter(posts.retweet_of_post_id.isnull() & posts.account_id.notnull() & posts.created_at.notnull())
    col = p.reply_to_post_id if target == "post" else p.reply_to_account_id
    p = p.filter(col.notnull())
    return p.select("platform", "post_id", "account_id", key=col, t=epoch_seconds(p.created_at))


def url_actions(posts: ir.Table, urls: ir.Table, by: str = "url", exclude_domains: Iterable[str] = ()) -> ir.Table:
    """co_link (``by="url"``: the expanded URL) and co_domain (``by="domain"``), original posts only.

    As CNT, URLs in retweets are ignored (they repeat the retweeted post's). Empty URLs are
    ignored (CNT's CSV input turns an empty cell into the URL ``''``; that is a quirk, not a link).
    """
    o = original_posts(posts)
    u = urls.mutate(link=ibis.coalesce(urls.expanded_url, urls.url))
    key = u.link if by == "url" else u.domain
    u = u.mutate(key=key).filter(key.notnull() & (key != ""))
    excl = [d.lower() for d in exclude_domains]
    if by == "domain" and excl:
        u = u.filter(~u.key.lower().isin(excl))
    j = o.join(u, [o.platform == u.platform, o.post_id == u.post_id])
    return j.select("platform", "post_id", "account_id", "key", "t")


def hashtag_sequence_actions(posts: ir.Table, hashtags: ir.Table, min_hashtags: int = 3) -> ir.Table:
    """co_hashtag_sequence: the ordered sequence of a post's hashtags (at least ``min_hashtags``)."""
    h = hashtags.mutate(
        item=hashtags.position.cast("string").lpad(6, "0") + ibis.literal(":") + hashtags.tag
    )
    seq = h.group_by(["platform", "post_id"]).aggregate(items=h.item.collect(), n=h.tag.count())
    seq = seq.filter(seq.n >= min_hashtags)
    seq = seq.mutate(key=seq.items.sort().join(" ").re_replace("[0-9]{6}:", ""))  # tags hold no ':'

    o = original_posts(posts)
    j = o.join(seq, [o.platform == seq.platform, o.post_id == seq.post_id])
    return j.select("platform", "post_id", "account_id", "key", "t")


def mention_actions(posts: ir.Table, interactions: ir.Table) -> ir.Table:
    """co_mention: mentioning the same account (``interactions.kind = 'mention'``) in original posts."""
    m = interactions.filter(interactions.kind == "mention")
    o = original_posts(posts)
    j = o.join(m, [o.platform == m.platform, o.post_id == m.post_id])
    return j.select("platform", "post_id", "account_id", key=j.target_key, t=j.t)


def is_reply(posts: ir.Table) -> ir.BooleanValue:
    """A post that answers someone: a reply id, a replied-to account, or a text that opens with an
    ``@mention`` (how a reply reads where the export has no reply ids)."""
    return (
        posts.reply_to_post_id.notnull()
        | posts.reply_to_account_id.notnull()
        | posts.text.lstrip().startswith("@").fill_null(False)
    )


#: Multiplier of the bin sampling hash (Knuth's multiplicative hash, 2^32 / golden ratio): integer
#: arithmetic, so DuckDB and Spark keep the same bins.
_SAMPLE_MULTIPLIER = 2654435761
_SAMPLE_RANGE = 1 << 32


def sync_bin_sampled(bin: ir.IntegerValue, accounts: ir.IntegerValue, crowd: int) -> ir.BooleanValue:
    """Whether a sync bin with ``accounts`` active accounts is kept: always when ``accounts <=
    crowd``, otherwise with probability ``crowd / accounts``, decided by a hash of the bin number
    (deterministic: the same bins on every run and engine, independent of who is in them)."""
    # 0 <= u < 2^32; the bin number is reduced below 2^31 first, so the product fits int64
    u = ((bin.abs() % (1 << 31)) * _SAMPLE_MULTIPLIER) % _SAMPLE_RANGE
    return (accounts <= crowd) | (u.cast("float64") * accounts.cast("float64") < float(crowd) * _SAMPLE_RANGE)


def sync_actions(posts: ir.Table, bin_seconds: int = 10, max_accounts: int = 200, replies: bool = False,
                 crowd: int | None = None) -> ir.Table:
    """sync: accounts active in the same ``bin_seconds`` time bin, one action per account and bin.

    The evidence post of an account in a bin is its first post there. Bins with more than
    ``max_accounts`` active accounts are skipped (platform-wide events, not coordination).
    Replies (:func:`is_reply`) are not activity here unless ``replies``: people arguing in one
    thread answer each other within seconds, which is conversation, not synchronised posting.

    ``crowd``: bins with more active accounts are *sampled*, each kept with probability
    ``crowd / accounts`` (:func:`sync_bin_sampled`). Pairing everyone in a bin costs the square of
    its crowding: a corpus ten times denser over the same days puts ten times the accounts in each
    bin and a hundred times the pairs, nearly all of them accounts that merely posted in the same
    moment. Sampled, a bin costs at most ``crowd`` pairs per account on average, so the pair count
    is at most ``crowd / 2`` per action, however dense the corpus. The sample is a random subset of
    time, chosen without looking at the accounts, so the chance model of shared bins
    (:func:`engineroom.coordination.clusters.sync_chance`) holds on the kept bins as on all of
    them; what it costs is evidence: a pair's expected shared kept bins fall with the sampling
    rate (a group that shares 20 bins of 200 active accounts each, kept at rate 0.25, shares about
    5 kept bins). Corpora whose bins never hold more than ``crowd`` accounts are unchanged.
    """
    if not replies:
        posts = posts.filter(~is_reply(posts))
    b = posts_base(posts)
    b = b.mutate(bin=(b.t // bin_seconds).cast("int64"))
    per = b.group_by(["platform", "bin", "account_id"]).aggregate(post_id=b.post_id.min(), t=b.t.min())
    crowding = per.group_by(["platform", "bin"]).aggregate(n=per.account_id.count())
    keep = crowding.n <= max_accounts
    if crowd is not None:
        keep = keep & sync_bin_sampled(crowding.bin, crowding.n, int(crowd))
    crowding = crowding.filter(keep)
    j = per.join(crowding, ["platform", "bin"])
    return j.select("platform", "post_id", "account_id", key=j.bin.cast("string"), t=j.t)


def sync_shared_bins(acts: ir.Table, min_weight: int = 1) -> ir.Table:
    """Per pair of accounts, the number of bins both were active in (at least ``min_weight``).

    ``acts`` has one row per (platform, bin, account) with an integer account number ``aid``
    (unique per platform); the result has platform, aid_1 < aid_2 and ``weight``. The pairs of a
    bin are counted, never listed with their posts (one action per account and bin makes a pair
    count the edge's weight in both directions), so the cost is one integer join and one count.
    """
    l, r = acts.view(), acts.view()
    j = l.join(r, [l.platform == r.platform, l.bin == r.bin, l.aid < r.aid])
    j = j.select(platform=j.platform, aid_1=j.aid, aid_2=j.aid_right)
    g = j.group_by(["platform", "aid_1", "aid_2"]).aggregate(weight=j.count())
    return g.filter(g.weight >= min_weight) if min_weight > 1 else g


def sync_edge_evidence(acts: ir.Table, pairs: ir.Table) -> ir.Table:
    """The evidence of given sync edges: per row of ``pairs`` (platform, aid_1, aid_2 and any
    other columns, kept), the shared bins' posts of both accounts (``posts``, a list) and the
    first and last of their times (``first_t``, ``last_t``); ``acts`` as
    :func:`sync_shared_bins`'s, with post_id and t."""
    a1 = acts.select(p1="platform", b1="bin", x1="aid", post_1="post_id", t_1="t")
    a2 = acts.select(p2="platform", b2="bin", x2="aid", post_2="post_id", t_2="t")
    j = pairs.join(a1, [pairs.platform == a1.p1, pairs.aid_1 == a1.x1])
    j = j.join(a2, [j.platform == a2.p2, j.b1 == a2.b2, j.aid_2 == a2.x2])
    sides = ibis.array([ibis.struct({"post": j.post_1, "t": j.t_1}), ibis.struct({"post": j.post_2, "t": j.t_2})])
    keys = list(pairs.columns)
    u = j.select(*keys, x=sides.unnest())
    u = u.select(*keys, post=u.x["post"], t=u.x["t"])
    return u.group_by(keys).aggregate(posts=u.post.collect(), first_t=u.t.min(), last_t=u.t.max())


def image_actions(posts: ir.Table, image_clusters: ir.Table) -> ir.Table:
    """co_image: posting an image of the same image cluster (table ``image_clusters`` of the images analysis)."""
    ic = image_clusters
    b = posts_base(posts)
    j = b.join(ic, [b.platform == ic.platform, b.post_id == ic.post_id])
    return j.select("platform", "post_id", "account_id", key=j.cluster_id.cast("string"), t=j.t)
