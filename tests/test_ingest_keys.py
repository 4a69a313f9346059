"""The in-memory post keys of an ingest: duplicates across batches and files are still found."""

from __future__ import annotations

from pathlib import Path

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


def test_account_keys_masks_narrow_and_shared_hashes_stay_full():
    from engineroom.ingest.keys import SHARED, AccountKeys

    ks = AccountKeys()
    ks.add(np.array([5, 9, 9, 2], dtype=np.uint64), np.array([0b011, 0b100, 0b001, 0b110], dtype=np.uint32))
    lvl, pos = ks.find(np.array([9, 5, 7, 2], dtype=np.uint64))
    assert list(lvl >= 0) == [True, True, False, True] and len(ks) == 3
    assert list(ks.masks(lvl, pos)) == [SHARED, 0b011, 0, 0b110]  # 9 is held twice: shared
    ks.filled(lvl, pos, np.array([0b111, 0b001, 0b111, 0b010], dtype=np.uint32))
    assert list(ks.masks(lvl, pos)) == [SHARED, 0b010, 0, 0b100]
    for n in (100, 1, 300, 7):  # more levels: places are found in each
        ks.add(np.arange(1000 + 1000 * n, 1000 + 1001 * n, dtype=np.uint64), np.full(n, 0b1000, dtype=np.uint32))
    lvl, pos = ks.find(np.array([2, 1000 + 1000 * 300 + 5, 1000 + 1000 * 7 + 6], dtype=np.uint64))
    assert list(ks.masks(lvl, pos)) == [0b100, 0b1000, 0b1000]
    ks.share(lvl[:1], pos[:1])
    assert ks.masks(lvl, pos)[0] == SHARED


def test_account_keys_vouch_only_for_the_key_kept_with_the_hash():
    """holds(): True only where the hash is found and the key kept with it is the profile's own
    (a collision, a key not kept or a hash not held: False), through merged levels."""
    import pyarrow as pa

    from engineroom.ingest.keys import AccountKeys

    ks = AccountKeys()
    ks.add(np.array([5, 9, 2], dtype=np.uint64), np.zeros(3, dtype=np.uint32),
           pa.array(["tw", "tw", "tw"]), pa.array(["a5", "a9", "a2"]))
    ks.add(np.array([7], dtype=np.uint64), np.zeros(1, dtype=np.uint32))  # no key kept
    for n in (50, 3):  # more levels, merged with the first
        ks.add(np.arange(100 * n, 100 * n + n, dtype=np.uint64), np.zeros(n, dtype=np.uint32),
               pa.array(["tw"] * n), pa.array([f"b{100 * n + i}" for i in range(n)]))
    hashes = np.array([9, 5, 2, 7, 5, 300, 5001, 11], dtype=np.uint64)
    plats = pa.chunked_array([pa.array(["tw", "tw", "tw", "tw"]), pa.array(["fb", "tw", "tw", "tw"])])
    ids = pa.chunked_array([pa.array(["a9", "a5", "x2", "a7"]), pa.array(["a5", "b300", "b5001", "a11"])])
    lvl, pos = ks.find(hashes)
    assert list(lvl >= 0) == [True, True, True, True, True, True, True, False]
    # x2 collides with a2, fb/a5 with tw/a5, a7 has no key kept, 11 is not held
    assert list(ks.holds(lvl, pos, plats, ids)) == [True, True, False, False, False, True, True, False]


def _tables(c) -> dict:
    cols = {"accounts": "* EXCLUDE (ingest_id)", "posts": "* EXCLUDE (ingest_id)", "interactions": "*"}
    return {t: sorted(map(str, c.query(f"SELECT {s} FROM {t}").values.tolist())) for t, s in cols.items()}


def test_profiles_are_exact_when_every_account_hash_collides(tmp_path, monkeypatch):
    """With one hash for every account (all collide), profiles are stored and filled as with true
    hashes: the hashes only skip checks, the ``accounts`` table decides."""
    import engineroom
    from engineroom.ingest import merge as merge_mod

    data = Path(__file__).parent / "data" / "ingest"
    files = ["io_archive_users.csv", "io_archive_tweets.csv", "io_archive_users.csv", "twarc2_pages.jsonl"]
    want = []
    for name, collide in (("true", False), ("one", True)):
        if collide:
            real = keys_mod.account_key_hashes

            def one_hash(con, tbl, mask):
                h, m = real(con, tbl, mask)
                return np.zeros_like(h), m

            monkeypatch.setattr(merge_mod, "account_key_hashes", one_hash)
            monkeypatch.setattr(keys_mod, "account_key_hashes", one_hash)
        c = engineroom.open(tmp_path / f"{name}.duckdb")
        reps = [(r.read, r.stored, r.duplicate) for f in files for r in c.ingest(data / f)]
        want.append((reps, _tables(c)))
        c.close()
    assert want[0] == want[1]
    assert want[0][1]["accounts"]
