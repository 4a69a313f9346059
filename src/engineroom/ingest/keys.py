"""Which post keys the corpus already holds, kept in memory while a file is ingested.

Every stored batch must learn whether one of its posts is already in the corpus. Asking the
``posts`` table (a semi join) scans the whole table once per batch, because a batch's post ids
are spread over the corpus's whole range: at 10M posts that is ~0.4 CPU-s per batch and ~25 CPU-s
per 10M-post file, growing with the square of the file's size. :class:`PostKeys` holds a 64-bit
hash of each ``(platform, post_id)`` in the corpus (8 bytes per post: 80 MB at 10M posts), so a
batch is checked with a binary search. A hash can collide, so a batch with a hit is checked
against ``posts`` as before: the hashes only decide when that check can be skipped, never what is
stored.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class PostKeys:
    """Hashes of post keys, in sorted arrays whose sizes at least double from the last to the first
    (adding n keys to a set of N costs O(n log N), not a copy of all N)."""

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(a) for a in self.levels)

    def add(self, hashes: np.ndarray) -> None:
        """Add the hashes of newly stored posts."""
        if not len(hashes):
            return
        self.levels.append(np.sort(hashes))
        while len(self.levels) > 1 and len(self.levels[-2]) <= 2 * len(self.levels[-1]):
            last = self.levels.pop()
            # NumPy's default sort of uint64 (vectorised): ~0.06 CPU-s for 5M hashes, 8x its radix sort
            self.levels[-1] = np.sort(np.concatenate([self.levels[-1], last]))

    def may_hold_any(self, hashes: np.ndarray) -> bool:
        """Whether any of ``hashes`` is in the set (True can be a hash collision; False is certain)."""
        hashes = np.sort(hashes)  # sorted needles: the binary searches walk the level in order (7x faster)
        for level in self.levels:
            at = np.searchsorted(level, hashes)
            at[at == len(level)] = len(level) - 1
            if np.any(level[at] == hashes):
                return True
        return False


def key_hashes(con, tbl: pa.Table) -> np.ndarray:
    """The hash of each row's ``(platform, post_id)`` of an Arrow table, computed by DuckDB."""
    return hash_column(_arrow(con.sql("SELECT hash(platform, post_id) AS h FROM tbl")))


def corpus_keys(con) -> PostKeys:
    """The keys of every post in the corpus (one scan of ``posts``)."""
    keys = PostKeys()
    keys.add(hash_column(_arrow(con.sql("SELECT hash(platform, post_id) AS h FROM posts"))))
    return keys


def _arrow(rel) -> pa.Table:
    """A relation's whole result as Arrow (DuckDB < 1.4 names the method ``arrow``)."""
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


def hash_column(tbl: pa.Table) -> np.ndarray:
    """The first column of a one-column Arrow result (hashes, no NULLs) as a NumPy array of uint64."""
    col = tbl.column(0)
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.uint64)
    arr = col.combine_chunks() if col.num_chunks > 1 else col.chunk(0)
    # the values buffer read as it is (a hash is never NULL): np.asarray(arr) and arr.to_numpy()
    # import pandas, ~0.4 CPU-s and 35 MB of a command that has no other use for it
    return np.frombuffer(arr.buffers()[1], dtype=np.uint64, count=len(arr), offset=arr.offset * 8)


#: an account mask with every bit set: the hash is shared by two or more accounts, so it never
#: tells that a fill can be skipped (its fields are checked against ``accounts`` every time)
SHARED = np.uint32(0xFFFFFFFF)


class AccountKeys:
    """Hashes of the corpus's account keys, each with a mask of the profile fields that may still
    be NULL (bit i: the i-th fill field) and the account's key itself (platform, account_id), in
    sorted levels like :class:`PostKeys`.

    A mask is conservative: it holds every field that is NULL in the account (it may hold more), so
    a batch's profile that fills none of its bits certainly changes nothing. A hash held by two
    accounts (a collision) gets the mask :data:`SHARED` and is never narrowed. A hash that is not
    here is certainly not in the corpus. One that is here belongs to an account of the corpus when
    the key kept with it is the profile's (:meth:`holds`); otherwise (a collision, or a key not
    kept) it is checked against ``accounts``. With the keys an account costs 54 bytes here (Twitter
    ids; 35 MB for the 657k accounts of 10M IO-archive posts) against 12 with the hash and mask
    alone, and a batch no longer scans the whole ``accounts`` table to confirm its known accounts.
    """

    def __init__(self) -> None:
        # (sorted hashes, masks, platforms, account ids): the keys as Arrow large strings, in the
        # order of the hashes (NULL where not given)
        self.levels: list[tuple[np.ndarray, np.ndarray, pa.Array, pa.Array]] = []

    def __len__(self) -> int:
        return sum(len(lv[0]) for lv in self.levels)

    def add(self, hashes: np.ndarray, masks: np.ndarray, platforms: pa.Array | None = None,
            account_ids: pa.Array | None = None) -> None:
        """Add newly stored accounts (hashes not yet here), each with its mask of NULL fields and
        its key (without one, :meth:`holds` never vouches for it); a hash given twice (two new
        accounts, one hash) is stored once, shared, with the first one's key."""
        if not len(hashes):
            return
        plat, aid = _strings(platforms, len(hashes)), _strings(account_ids, len(hashes))
        order = np.argsort(hashes, kind="stable")
        h, m = hashes[order], masks[order].astype(np.uint32)
        twice = np.zeros(len(h), dtype=bool)
        twice[1:] = h[1:] == h[:-1]
        if twice.any():
            first = ~twice
            shared = np.zeros(len(h), dtype=bool)
            shared[:-1] = twice[1:]  # the first of a run of equal hashes
            m = np.where(shared, SHARED, m)[first]
            h = h[first]
            order = order[first]
        self.levels.append((h, m, plat.take(_indices(order)), aid.take(_indices(order))))
        while len(self.levels) > 1 and len(self.levels[-2][0]) <= 2 * len(self.levels[-1][0]):
            lh, lm, lp, la = self.levels.pop()
            ph, pm, pp, pa_ = self.levels[-1]
            h, m = np.concatenate([ph, lh]), np.concatenate([pm, lm])
            order = np.argsort(h)
            at = _indices(order)
            self.levels[-1] = (h[order], m[order], pa.concat_arrays([pp, lp]).take(at),
                               pa.concat_arrays([pa_, la]).take(at))

    def holds(self, lvl: np.ndarray, pos: np.ndarray, platforms: pa.Array, account_ids: pa.Array) -> np.ndarray:
        """Whether each profile (its key and the place :meth:`find` gave it) is certainly an account
        of the corpus: its hash is here and the key kept with the hash is its own. False: not
        found, or not known (a collision: ask ``accounts``)."""
        import pyarrow.compute as pc

        out = np.zeros(len(lvl), dtype=bool)
        plat, aid = _strings(platforms, len(lvl)), _strings(account_ids, len(lvl))
        for i, (_h, _m, lp, la) in enumerate(self.levels):
            rows = np.flatnonzero(lvl == i)
            if not len(rows):
                continue
            at, mine = _indices(pos[rows]), _indices(rows)
            same = pc.and_(pc.equal(lp.take(at), plat.take(mine)), pc.equal(la.take(at), aid.take(mine)))
            out[rows] = _bools(pc.fill_null(same, False))
        return out

    def find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(level, position) of each hash (level -1: not here, certainly not in the corpus)."""
        lvl = np.full(len(hashes), -1, dtype=np.int32)
        pos = np.zeros(len(hashes), dtype=np.int64)
        # sorted needles: the binary searches walk each level in order instead of jumping over all
        # of it for every hash (at 10M posts, 657k accounts: ~3x less time); ``order`` puts the
        # answers back in the caller's order
        order = np.argsort(hashes)
        needles = hashes[order]
        for i, (h, _m, _p, _a) in enumerate(self.levels):
            if not len(h):
                continue
            at = np.minimum(np.searchsorted(h, needles), len(h) - 1)
            hit = h[at] == needles
            lvl[order[hit]], pos[order[hit]] = i, at[hit]
        return lvl, pos

    def masks(self, lvl: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The masks at the places :meth:`find` gave (0 where not found)."""
        out = np.zeros(len(lvl), dtype=np.uint32)
        for i, (_h, m, _p, _a) in enumerate(self.levels):
            sel = lvl == i
            out[sel] = m[pos[sel]]
        return out

    def filled(self, lvl: np.ndarray, pos: np.ndarray, fields: np.ndarray) -> None:
        """Clear the bits ``fields`` (now filled) of the accounts found at these places, except
        in shared hashes."""
        for i, (_h, m, _p, _a) in enumerate(self.levels):
            sel = lvl == i
            p, f = pos[sel], fields[sel].astype(np.uint32)
            keep = m[p] != SHARED
            m[p[keep]] &= ~f[keep]

    def share(self, lvl: np.ndarray, pos: np.ndarray) -> None:
        """Mark the hashes at these places as held by more than one account."""
        for i, (_h, m, _p, _a) in enumerate(self.levels):
            m[pos[lvl == i]] = SHARED


def account_key_hashes(con, tbl: pa.Table | None, filled_mask: str) -> tuple[np.ndarray, np.ndarray]:
    """(hash of ``(platform, account_id)``, mask of filled fields) of each row of the Arrow table
    ``tbl`` of profiles (None: of the corpus's ``accounts``)."""
    source = "accounts" if tbl is None else "tbl"
    res = _arrow(con.sql(f"SELECT hash(platform, account_id) AS h, ({filled_mask})::UINTEGER AS m FROM {source}"))
    return hash_column(res.select(["h"])), _column32(res.select(["m"]))


def corpus_account_keys(con, filled_mask: str, all_fields: int) -> AccountKeys:
    """The keys of every account in the corpus with the masks of their NULL fields (one scan)."""
    acc = _arrow(con.sql(f"SELECT platform, account_id, ({filled_mask})::UINTEGER AS m FROM accounts"))
    h, m = account_key_hashes(con, acc, "m")
    keys = AccountKeys()
    keys.add(h, ~m & np.uint32(all_fields), acc.column("platform"), acc.column("account_id"))
    return keys


def _strings(col: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array:
    """A string column as one Arrow large-string array (None: ``n`` NULLs)."""
    if col is None:
        return pa.nulls(n, pa.large_string())
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col.cast(pa.large_string()) if col.type != pa.large_string() else col


def _indices(a: np.ndarray) -> pa.Array:
    """A NumPy array of positions as an Arrow int64 array (pa.array would import pandas)."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(a), [None, pa.py_buffer(a)])


def _bools(arr: pa.Array) -> np.ndarray:
    """An Arrow boolean array without NULLs as a NumPy bool array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    bits = np.unpackbits(np.frombuffer(arr.buffers()[1], dtype=np.uint8), bitorder="little")
    return bits[arr.offset:arr.offset + len(arr)].astype(bool)


def _column32(tbl: pa.Table) -> np.ndarray:
    """The first column of a one-column Arrow result of UINTEGER as a NumPy array of uint32."""
    col = tbl.column(0)
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.uint32)
    arr = col.combine_chunks() if col.num_chunks > 1 else col.chunk(0)
    return np.frombuffer(arr.buffers()[1], dtype=np.uint32, count=len(arr), offset=arr.offset * 4).copy()
