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
    return _column(_arrow(con.sql("SELECT hash(platform, post_id) AS h FROM tbl")))


def corpus_keys(con) -> PostKeys:
    """The keys of every post in the corpus (one scan of ``posts``)."""
    keys = PostKeys()
    keys.add(_column(_arrow(con.sql("SELECT hash(platform, post_id) AS h FROM posts"))))
    return keys


def _arrow(rel) -> pa.Table:
    """A relation's whole result as Arrow (DuckDB < 1.4 names the method ``arrow``)."""
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


def _column(tbl: pa.Table) -> np.ndarray:
    """The first column of a one-column Arrow result as a NumPy array of uint64."""
    col = tbl.column(0)
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.uint64)
    arr = col.combine_chunks() if col.num_chunks > 1 else col.chunk(0)
    # the values buffer read as it is (a hash is never NULL): np.asarray(arr) and arr.to_numpy()
    # import pandas, ~0.4 CPU-s and 35 MB of a command that has no other use for it
    return np.frombuffer(arr.buffers()[1], dtype=np.uint64, count=len(arr), offset=arr.offset * 8)
