"""The in-memory post keys of an ingest: duplicates across batches and files are still found."""

from __future__ import annotations

import numpy as np

from engineroom.ingest import keys as keys_mod
from engineroom.ingest.keys import PostKeys


def test_post_keys_hold_every_added_hash_and_no_other():
    rng = np.random.default_rng(7)
    ks, added = PostKeys(), []
    for n in [0, 1, 5, 300, 2, 4000, 17, 900, 1, 6000]:
        h = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64)
        ks.add(h)
        added.append(h)
    every = np.concatenate(added)
    assert len(ks) == len(every)
    sizes = [len(a) for a in ks.levels]
    assert all(a > 2 * b for a, b in zip(sizes, sizes[1:]))  # few levels, each at least twice the next
    assert all(ks.may_hold_any(every[i:i + 1]) for i in range(len(every)))
    assert ks.may_hold_any(np.concatenate([np.array([3], dtype=np.uint64), every[-1:]]))
    others = np.setdiff1d(rng.integers(0, np.iinfo(np.uint64).max, size=5000, dtype=np.uint64), every)
    assert not ks.may_hold_any(others)
    assert not PostKeys().may_hold_any(others)


def _csv(path, ids):
    rows = ["id,user_id,username,body,timestamp"]
    rows += [f"p{i},u{i % 50},user{i % 50},post number {i} {'x' * 60},2022-06-01T10:00:00Z" for i in ids]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_duplicates_in_later_batches_and_files_are_found(corpus, tmp_path, monkeypatch):
    """A post repeated in a later batch of the same file, or in another file, is a duplicate."""
    monkeypatch.setenv("ENGINEROOM_BATCH_MB", "1")  # ~10,000 rows of 100 bytes a batch
    f = tmp_path / "a.csv"
    _csv(f, list(range(20_000)) + list(range(0, 20_000, 4)))  # the last 5,000 rows repeat earlier batches
    [rep] = corpus.ingest(f, format="csv")
    assert (rep.read, rep.stored, rep.duplicate) == (25_000, 20_000, 5_000)
    g = tmp_path / "b.csv"
    _csv(g, range(19_000, 21_000))
    [rep2] = corpus.ingest(g, format="csv")
    assert (rep2.read, rep2.stored, rep2.duplicate) == (2_000, 1_000, 1_000)
    assert corpus.count("posts") == 21_000


def test_a_hash_hit_is_checked_against_the_posts(corpus, tmp_path, monkeypatch):
    """When the hashes say "maybe" (a collision), the posts decide: nothing new is counted duplicate."""
    monkeypatch.setattr(keys_mod.PostKeys, "may_hold_any", lambda self, hashes: True)
    monkeypatch.setenv("ENGINEROOM_BATCH_MB", "1")
    f = tmp_path / "a.csv"
    _csv(f, list(range(20_000)) + list(range(0, 20_000, 4)))
    [rep] = corpus.ingest(f, format="csv")
    assert (rep.read, rep.stored, rep.duplicate) == (25_000, 20_000, 5_000)
