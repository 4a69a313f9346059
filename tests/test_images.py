"""Images analysis: PDQ / pHash of local files, hash-bank matches, shared-image clusters."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engineroom.analyses import images as img_mod
from engineroom.analyses.images import Images, hash_image, hamming, hex_to_words, read_hash_bank


def picture(seed: int, size: int = 320) -> Image.Image:
    """A structured picture (gradient, shapes, text-like bars) that differs strongly between seeds."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, size)
    base = np.outer(x, 1 - x) * 255 * rng.uniform(0.5, 1.5)
    arr = np.stack([base, np.flipud(base), base.T], axis=2).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(arr)
    d = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = rng.integers(0, size - 60, 2)
        w, h = rng.integers(20, 120, 2)
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.ellipse([x0, y0, x0 + w, y0 + h], fill=color)
        else:
            d.rectangle([x0, y0, x0 + w, y0 + h], fill=color)
    return im


@pytest.fixture
def files(tmp_path):
    a = picture(1)
    a.save(tmp_path / "a.png")
    a.convert("RGB").save(tmp_path / "a_q40.jpg", quality=40)  # re-encoded
    a.resize((160, 160)).save(tmp_path / "a_small.png")  # resized
    picture(2).save(tmp_path / "b.png")
    picture(3).save(tmp_path / "c.png")
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    return tmp_path


def dist(h1: str, h2: str, bits: int) -> int:
    return int(hamming(hex_to_words([h1], bits), hex_to_words([h2], bits))[0, 0])


def test_same_picture_reencoded_or_resized_matches_different_does_not(files):
    pytest.importorskip("pdqhash")  # the images extra
    h = {n: hash_image(files / n) for n in ("a.png", "a_q40.jpg", "a_small.png", "b.png", "c.png")}
    for copy in ("a_q40.jpg", "a_small.png"):
        assert dist(h["a.png"]["pdq"], h[copy]["pdq"], 256) <= 31
        assert dist(h["a.png"]["phash"], h[copy]["phash"], 64) <= 8
    for other in ("b.png", "c.png"):
        assert dist(h["a.png"]["pdq"], h[other]["pdq"], 256) > 31
        assert dist(h["a.png"]["phash"], h[other]["phash"], 64) > 8
    assert len(h["a.png"]["pdq"]) == 64 and len(h["a.png"]["phash"]) == 16


def _corpus_with_media(corpus, files):
    t0 = datetime(2024, 1, 1, 12)
    rows = [  # post, account, file
        ("p1", "u1", "a.png"), ("p2", "u2", "a_q40.jpg"), ("p3", "u3", "a_small.png"),
        ("p4", "u1", "b.png"), ("p5", "u4", "c.png"), ("p6", "u4", "c.png"), ("p7", "u5", "broken.jpg"),
        ("p8", "u5", "missing.png"),
    ]
    for i, (pid, acc, f) in enumerate(rows):
        corpus.con.execute("INSERT INTO posts (platform, post_id, account_id, created_at, text) VALUES ('twitter', ?, ?, ?, 'x')",
                           [pid, acc, t0 + timedelta(minutes=i)])
        corpus.con.execute("INSERT INTO media (platform, post_id, media_key, type, local_path) VALUES ('twitter', ?, ?, 'photo', ?)",
                           [pid, f"m_{pid}", str(files / f)])
    # a media row without a local file is skipped
    corpus.con.execute("INSERT INTO media (platform, post_id, media_key, type, url) VALUES ('twitter', 'p1', 'remote', 'photo', 'https://x/y.jpg')")


def test_images_analysis_hashes_banks_and_clusters(corpus, files, tmp_path):
    pytest.importorskip("pdqhash")  # the images extra
    _corpus_with_media(corpus, files)
    a_hash = hash_image(files / "a.png")
    bank = tmp_path / "bank.csv"
    with bank.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "signal_type", "signal", "tags"])
        w.writerow(["111", "HASH_PDQ", a_hash["pdq"], "known-meme"])
        w.writerow(["222", "HASH_MD5", "d41d8cd98f00b204e9800998ecf8427e", "ignored"])
        w.writerow(["333", "pdq", "f" * 64, "unrelated"])
    summary = Images(hash_banks=[str(bank)]).run(corpus.engine())
    assert summary["media_with_files"] == 8 and summary["hashed"] == 6 and summary["unreadable"] == 2
    hashes = corpus.table("image_hashes")
    assert hashes.loc[hashes.post_id == "p7", "error"].iloc[0]
    matches = corpus.table("image_matches")
    assert set(matches["post_id"]) == {"p1", "p2", "p3"}
    assert set(matches["bank_id"]) == {"111"} and set(matches["bank_label"]) == {"known-meme"}
    clusters = corpus.table("image_clusters")
    # a.png posted by u1, u2, u3 (re-encoded and resized copies): one cluster of 3 accounts;
    # c.png posted twice by the same account u4: not a cross-account cluster; b.png alone
    assert clusters["cluster_id"].nunique() == 1
    assert set(clusters["post_id"]) == {"p1", "p2", "p3"}
    assert clusters["accounts"].iloc[0] == 3 and clusters["posts"].iloc[0] == 3 and clusters["hash_type"].iloc[0] == "pdq"


def test_degrades_to_phash_without_pdqhash(corpus, files, monkeypatch):
    _corpus_with_media(corpus, files)
    monkeypatch.setattr(img_mod, "_pdqhash", None)  # as if the images extra were not installed
    summary = Images().run(corpus.engine())
    assert summary["pdq"] is False and "pHash only" in summary["note"]
    hashes = corpus.table("image_hashes")
    assert hashes["pdq"].isna().all() and hashes["phash"].notna().sum() == 6
    clusters = corpus.table("image_clusters")
    assert set(clusters["post_id"]) == {"p1", "p2", "p3"} and (clusters["hash_type"] == "phash").all()


def test_hash_bank_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_hash_bank(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n")
    with pytest.raises(ValueError, match="no hash column"):
        read_hash_bank(bad)
    ok = tmp_path / "ok.csv"
    ok.write_text("hash\n" + "0" * 16 + "\nzz" + "0" * 14 + "\n" + "1" * 64 + "\n")
    bank = read_hash_bank(ok)
    assert list(bank["hash_type"]) == ["phash", "pdq"]  # malformed hex row dropped
