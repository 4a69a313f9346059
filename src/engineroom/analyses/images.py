"""Analysis ``images``: perceptual hashes of local media, hash-bank matches, shared-image clusters.

Method: for every ``media`` row with a ``local_path`` that can be opened as an image, two
perceptual hashes:

* **PDQ** (Meta's photo hash, 256 bits, with a 0-100 quality; ``pdqhash`` from the ``images``
  extra), matched at Hamming distance <= ``pdq_threshold`` (default 31, ThreatExchange's
  recommended threshold);
* **pHash** (DCT hash, 64 bits, ``imagehash``), matched at <= ``phash_threshold`` (default 8).

Without ``pdqhash`` installed the analysis degrades to pHash only and says so in its summary
(``note``) and in ``image_hashes.pdq`` (NULL).

Hash banks (``hash_banks=[paths]``): CSV files of known hashes as ThreatExchange exchanges them
— one hash per row in a column named ``signal``, ``signal_str``, ``hash``, ``indicator`` or
``hash_value``, with its kind in ``signal_type`` / ``type`` / ``indicator_type`` / ``hash_type``
(``pdq``, ``HASH_PDQ``, ``photo_pdq``, ``phash``, ...; inferred from the length when absent:
64 hex = PDQ, 16 hex = pHash); an ``id`` and a ``label`` / ``tags`` / ``name`` column are carried
into the matches when present.

Shared images (Pacheco et al., *Uncovering Coordinated Networks on Social Media*, ICWSM 2021,
image traces): images whose hashes are within the thresholds are joined into clusters
(connected components); clusters posted by at least ``min_accounts`` (default 2) different
accounts are written to ``image_clusters``, one row per post, for the coordination analysis's
``co_image`` edges.

Findings tables:

* ``image_hashes``: platform, post_id, media_key, account_id, created_at, local_path, pdq,
  pdq_quality, phash, error (why a file could not be hashed).
* ``image_matches``: platform, post_id, media_key, account_id, bank, bank_id, bank_label,
  hash_type, distance.
* ``image_clusters``: platform, cluster_id, post_id, media_key, account_id, created_at,
  hash_type, size (images in the cluster), posts (distinct posts), accounts (distinct accounts),
  representative (hash of the first image).

Parameters (defaults): ``hash_banks=()``, ``pdq_threshold=31``, ``phash_threshold=8``,
``min_pdq_quality=50`` (PDQ hashes of lower quality are not used for matching: flat images
give unreliable hashes), ``min_accounts=2``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from . import Analysis, findings_table
from ..progress import progress

try:  # the images extra
    import pdqhash as _pdqhash
except ImportError:  # pragma: no cover - depends on the environment
    _pdqhash = None

PDQ_MISSING_NOTE = "pdqhash is not installed: pHash only (pip install 'engineroom[images]' for PDQ)"

_HASH_SCHEMA = pa.schema([
    ("platform", pa.string()), ("post_id", pa.string()), ("media_key", pa.string()), ("account_id", pa.string()),
    ("created_at", pa.timestamp("us")), ("local_path", pa.string()), ("pdq", pa.string()),
    ("pdq_quality", pa.int32()), ("phash", pa.string()), ("error", pa.string()),
])


def pdq_available() -> bool:
    """Whether PDQ hashing is available (``pdqhash`` installed)."""
    return _pdqhash is not None


def hash_image(path: str | Path, use_pdq: bool = True) -> dict[str, Any]:
    """PDQ (64 hex chars + quality) and pHash (16 hex chars) of one image file.

    Raises ``OSError`` / ``ValueError`` when the file cannot be read as an image.
    """
    import imagehash
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        rgb = im.convert("RGB")
    out: dict[str, Any] = {"phash": str(imagehash.phash(rgb)), "pdq": None, "pdq_quality": None}
    if use_pdq and _pdqhash is not None:
        bits, quality = _pdqhash.compute(np.asarray(rgb))
        out["pdq"] = bits_to_hex(bits)
        out["pdq_quality"] = int(quality)
    return out


def bits_to_hex(bits: np.ndarray) -> str:
    """A 0/1 bit vector (PDQ order) as hex, first bit most significant."""
    b = np.asarray(bits, dtype=np.uint8)
    return np.packbits(b).tobytes().hex()


def hex_to_words(hexes: Sequence[str], nbits: int) -> np.ndarray:
    """Hex hashes as an (n, nbits/64) uint64 matrix for fast Hamming distances."""
    nbytes = nbits // 8
    buf = bytearray()
    for h in hexes:
        raw = bytes.fromhex(h)
        if len(raw) != nbytes:
            raise ValueError(f"hash {h!r} is not {nbits} bits")
        buf += raw
    return np.frombuffer(bytes(buf), dtype=">u8").astype(np.uint64).reshape(len(hexes), nbits // 64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances between every row of ``a`` and every row of ``b`` (uint64 words)."""
    x = a[:, None, :] ^ b[None, :, :]
    return np.bitwise_count(x).sum(axis=2)


def _hash_batch(df: pd.DataFrame, use_pdq: bool) -> pd.DataFrame:
    rows = []
    for r in df.itertuples(index=False):
        rec = {"platform": r.platform, "post_id": r.post_id, "media_key": r.media_key, "account_id": r.account_id,
               "created_at": r.created_at, "local_path": r.local_path, "pdq": None, "pdq_quality": None,
               "phash": None, "error": None}
        try:
            rec.update(hash_image(r.local_path, use_pdq=use_pdq))
        except Exception as exc:  # unreadable / not an image / missing file: keep the row with the reason
            rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
        rows.append(rec)
    out = pd.DataFrame(rows, columns=_HASH_SCHEMA.names)
    out["pdq_quality"] = out["pdq_quality"].astype("Int32")
    return out


_HASH_COLS = ("signal", "signal_str", "hash", "indicator", "hash_value", "pdq", "phash")
_TYPE_COLS = ("signal_type", "type", "indicator_type", "hash_type")
_ID_COLS = ("id", "signal_id", "indicator_id", "descriptor_id")
_LABEL_COLS = ("label", "tags", "name", "description", "privacy_group")


def read_hash_bank(path: str | Path) -> pd.DataFrame:
    """A hash-bank CSV (ThreatExchange style, see the module doc) as hash_type, hash, bank_id, bank_label."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"hash bank {path} not found")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = {f.lower().strip(): f for f in (reader.fieldnames or [])}
        hcol = next((fields[c] for c in _HASH_COLS if c in fields), None)
        if hcol is None:
            raise ValueError(f"hash bank {path}: no hash column (one of {', '.join(_HASH_COLS)})")
        tcol = next((fields[c] for c in _TYPE_COLS if c in fields), None)
        icol = next((fields[c] for c in _ID_COLS if c in fields), None)
        lcol = next((fields[c] for c in _LABEL_COLS if c in fields), None)
        rows = []
        for n, rec in enumerate(reader, start=2):
            h = (rec.get(hcol) or "").strip().lower()
            if not h:
                continue
            t = (rec.get(tcol) or "").strip().lower() if tcol else ""
            if "pdq" in t:
                kind = "pdq"
            elif "phash" in t:
                kind = "phash"
            else:  # no or other type: infer from the length (an MD5's 32 hex chars match neither)
                kind = {64: "pdq", 16: "phash"}.get(len(h), "")
            if kind == "pdq" and len(h) != 64 or kind == "phash" and len(h) != 16 or not kind:
                continue  # other signal types (MD5, video, URL) or malformed rows are not image hashes
            try:
                bytes.fromhex(h)
            except ValueError:
                continue
            rows.append({"hash_type": kind, "hash": h, "bank_id": (rec.get(icol) or str(n)) if icol else str(n),
                         "bank_label": rec.get(lcol) if lcol else None})
    return pd.DataFrame(rows, columns=["hash_type", "hash", "bank_id", "bank_label"])


def _components(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])


def similar_pairs(hexes: Sequence[str], nbits: int, threshold: int, chunk: int = 2048) -> list[tuple[int, int]]:
    """Index pairs (i < j) of hashes within Hamming ``threshold`` (chunked all-pairs)."""
    if len(hexes) < 2:
        return []
    W = hex_to_words(hexes, nbits)
    pairs: list[tuple[int, int]] = []
    for s in range(0, len(W), chunk):
        d = hamming(W[s : s + chunk], W)
        ii, jj = np.nonzero(d <= threshold)
        ii = ii + s
        keep = ii < jj
        pairs.extend(zip(ii[keep].tolist(), jj[keep].tolist()))
    return pairs


class Images(Analysis):
    """PDQ / pHash of local media, hash-bank matches and shared-image clusters; see the module doc."""

    name = "images"
    version = "1"
    reads = ("media", "posts")
    writes = (
        findings_table(
            "image_hashes", "One row per media file with a local path that was hashed (or failed to be).",
            ("platform", "VARCHAR", "the post's platform"),
            ("post_id", "VARCHAR", "the post holding the image"),
            ("media_key", "VARCHAR", "the media item"),
            ("account_id", "VARCHAR", "the post's author"),
            ("created_at", "TIMESTAMP", "when the post was made (UTC)"),
            ("local_path", "VARCHAR", "the file hashed"),
            ("pdq", "VARCHAR", "PDQ hash, 64 hex digits (NULL without pdqhash installed)"),
            ("pdq_quality", "INTEGER", "PDQ quality, 0-100"),
            ("phash", "VARCHAR", "pHash (DCT), 16 hex digits"),
            ("error", "VARCHAR", "why the file could not be hashed, else NULL"),
        ),
        findings_table(
            "image_matches", "One row per (image, hash-bank entry) within the match threshold.",
            ("platform", "VARCHAR", "the post's platform"),
            ("post_id", "VARCHAR", "the post holding the image"),
            ("media_key", "VARCHAR", "the media item"),
            ("account_id", "VARCHAR", "the post's author"),
            ("bank", "VARCHAR", "the hash-bank file"),
            ("bank_id", "VARCHAR", "the entry's id in the bank"),
            ("bank_label", "VARCHAR", "the entry's label / tags in the bank"),
            ("hash_type", "VARCHAR", "'pdq' or 'phash'"),
            ("distance", "BIGINT", "Hamming distance between the hashes"),
        ),
        findings_table(
            "image_clusters", "One row per post whose image is in a cluster of near-identical images "
            "posted by at least min_accounts accounts.",
            ("platform", "VARCHAR", "the post's platform"),
            ("cluster_id", "VARCHAR", "the cluster"),
            ("post_id", "VARCHAR", "the post"),
            ("media_key", "VARCHAR", "the media item"),
            ("account_id", "VARCHAR", "the post's author"),
            ("created_at", "TIMESTAMP", "when the post was made (UTC)"),
            ("hash_type", "VARCHAR", "'pdq' or 'phash': the hash that joined the cluster"),
            ("size", "BIGINT", "images in the cluster"),
            ("posts", "BIGINT", "distinct posts in the cluster"),
            ("accounts", "BIGINT", "distinct accounts in the cluster"),
            ("representative", "VARCHAR", "hash of the cluster's first image"),
        ),
    )

    def __init__(self, hash_banks: Sequence[str] = (), pdq_threshold: int = 31, phash_threshold: int = 8,
                 min_pdq_quality: int = 50, min_accounts: int = 2) -> None:
        self.hash_banks = hash_banks
        self.pdq_threshold = pdq_threshold
        self.phash_threshold = phash_threshold
        self.min_pdq_quality = min_pdq_quality
        self.min_accounts = min_accounts

    def run(self, engine) -> dict[str, Any]:
        use_pdq = pdq_available()
        banks = [(Path(p).name, read_hash_bank(p)) for p in self.hash_banks]  # fail early on a bad bank
        m = engine.table("media").filter(lambda t: t.local_path.notnull() & (t.local_path != ""))
        p = engine.table("posts").select("platform", "post_id", "account_id", "created_at")
        expr = m.left_join(p, [m.platform == p.platform, m.post_id == p.post_id]).select(
            m.platform, m.post_id, m.media_key, p.account_id, p.created_at, m.local_path)
        with progress("images: hashing", None) as bar:
            n = engine.map_batches("image_hashes", expr, lambda df: _hash_batch(df, use_pdq), _HASH_SCHEMA, batch_size=2000)
            bar.advance(n)
        h = engine.to_pandas(engine.table("image_hashes"))
        ok = h[h["error"].isna()].reset_index(drop=True)
        pdq_ok = ok["pdq"].notna() & (ok["pdq_quality"].fillna(0) >= self.min_pdq_quality)

        # matches against hash banks
        matches = []
        for bank_name, bank in banks:
            for kind, thr, nbits, usable in (("pdq", self.pdq_threshold, 256, pdq_ok),
                                             ("phash", self.phash_threshold, 64, ok["phash"].notna())):
                b = bank[bank["hash_type"] == kind].reset_index(drop=True)
                q = ok[usable].reset_index(drop=True)
                if b.empty or q.empty:
                    continue
                d = hamming(hex_to_words(q[kind].tolist(), nbits), hex_to_words(b["hash"].tolist(), nbits))
                ii, jj = np.nonzero(d <= thr)
                for i, j in zip(ii, jj):
                    r = q.iloc[i]
                    matches.append({"platform": r.platform, "post_id": r.post_id, "media_key": r.media_key,
                                    "account_id": r.account_id, "bank": bank_name, "bank_id": b.at[j, "bank_id"],
                                    "bank_label": b.at[j, "bank_label"], "hash_type": kind, "distance": int(d[i, j])})
        mcols = ["platform", "post_id", "media_key", "account_id", "bank", "bank_id", "bank_label", "hash_type", "distance"]
        mdf = pd.DataFrame(matches, columns=mcols).astype({c: "string" for c in mcols if c != "distance"})
        mdf["distance"] = mdf["distance"].astype("int64")
        engine.write("image_matches", mdf)

        # clusters of the same image (per platform; PDQ where usable, else pHash)
        clusters = []
        for plat, grp in ok.groupby("platform"):
            grp = grp.reset_index(drop=True)
            gp = pdq_ok.loc[ok["platform"] == plat].reset_index(drop=True)
            kind = "pdq" if use_pdq and gp.all() and len(grp) else "phash"
            if kind == "pdq":
                pairs = similar_pairs(grp["pdq"].tolist(), 256, self.pdq_threshold)
            else:
                sub = grp["phash"].notna()
                grp = grp[sub].reset_index(drop=True)
                pairs = similar_pairs(grp["phash"].tolist(), 64, self.phash_threshold)
                if use_pdq:
                    kind = "phash"  # some PDQ hashes too flat to trust: fall back for the whole platform
            comp = _components(len(grp), pairs)
            grp = grp.assign(_c=comp)
            for c, members in grp.groupby("_c"):
                accounts = members["account_id"].dropna().nunique()
                if len(members) < 2 or accounts < self.min_accounts:
                    continue
                members = members.sort_values(["created_at", "post_id"])
                cid = f"{plat}:img:{members.iloc[0][kind]}"
                for r in members.itertuples(index=False):
                    clusters.append({"platform": plat, "cluster_id": cid, "post_id": r.post_id, "media_key": r.media_key,
                                     "account_id": r.account_id, "created_at": r.created_at, "hash_type": kind,
                                     "size": len(members), "posts": int(members["post_id"].nunique()),
                                     "accounts": int(accounts),
                                     "representative": members.iloc[0][kind]})
        ccols = ["platform", "cluster_id", "post_id", "media_key", "account_id", "created_at", "hash_type", "size",
                 "posts", "accounts", "representative"]
        cdf = pd.DataFrame(clusters, columns=ccols)
        cdf = cdf.astype({"platform": "string", "cluster_id": "string", "post_id": "string", "media_key": "string",
                          "account_id": "string", "hash_type": "string", "representative": "string",
                          "size": "int64", "posts": "int64", "accounts": "int64"})
        cdf["created_at"] = pd.to_datetime(cdf["created_at"])
        engine.write("image_clusters", cdf)
        summary: dict[str, Any] = {
            "media_with_files": int(len(h)), "hashed": int(len(ok)), "unreadable": int(len(h) - len(ok)),
            "pdq": use_pdq, "bank_matches": int(len(mdf)), "clusters": int(cdf["cluster_id"].nunique()),
            "clustered_posts": int(len(cdf)),
        }
        if not use_pdq:
            summary["note"] = PDQ_MISSING_NOTE
        return summary
