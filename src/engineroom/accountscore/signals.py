"""Signals of operation-likeness, one number per account and signal.

Every function here takes pandas frames with the corpus's column names (``accounts`` and
``posts`` of :mod:`engineroom.schema`) and returns one value per account, so that the analysis
(:mod:`engineroom.analyses.accounts`), the training code and the evaluation all compute signals
the same way. What each signal means to an analyst:

Handle and name
    ``handle_entropy`` (Shannon entropy of the handle's characters, bits per character; random
    strings score high), ``handle_digits`` / ``handle_max_digit_run`` (digits, longest run of
    digits), ``handle_name8`` (the platform's default pattern *name followed by 8 digits*, as in
    ``Jane12345678``), ``handle_ngram_loglik`` (mean log2-probability per character under a
    character-trigram model of real people's handles; very negative = unlike real handles),
    ``name_handle_similarity`` (0-1 similarity of the display name and the handle; low values are
    a mismatch, as in a persona named "Jenna Abrams" with handle ``xk83hs``).
Profile
    counts (log scale), follower/following ratio, account age and posting rate at the time the
    profile was seen, bio length, bio links/hashtags, default profile flags.
Corpus-level
    ``bio_template_count`` (other accounts whose bio is a near duplicate: MinHash LSH over
    character 4-grams, Jaccard >= 0.8), ``creation_burst`` (accounts created within +-1 day of
    this one, relative to what an even spread over the corpus's creation dates would give).
Behaviour
    shares of the account's posts that are replies, retweets, quotes, carry links, hashtags or
    mentions, are link-only, come from automation clients; posting-hour profile (circular mean,
    concentration) and the UTC offset it implies vs the offset of the claimed location;
    identical posts sent at the same target account; engagement per post.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..coordination.text import band_keys, char_shingles, minhash_signatures

# -- handles -----------------------------------------------------------------------------------

_NAME8 = re.compile(r"^[A-Za-z][A-Za-z_]*\d{8}$")
_DIGIT_RUN = re.compile(r"\d+")
_LM_ALPHABET = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _lm_chars(handle: str) -> str:
    return "".join(c if c in _LM_ALPHABET else "?" for c in handle.lower())


class HandleLM:
    """Character-trigram model of real people's handles (add-k smoothing, k = 0.1).

    ``score(handle)`` is the mean log2-probability per character (end marker included): about
    -3 for ordinary handles, below -4.5 for random strings such as ``xq7vz93k``.
    """

    ORDER = 3
    K = 0.1
    V = len(_LM_ALPHABET) + 2  # + '?' + end marker

    def __init__(self, counts: dict[str, int] | None = None, contexts: dict[str, int] | None = None) -> None:
        self.counts: Counter = Counter(counts or {})
        self.contexts: Counter = Counter(contexts or {})
        self._cache: tuple | None = None
        self._dense_cache: np.ndarray | None = None

    def fit(self, handles: Iterable[str]) -> "HandleLM":
        for h in handles:
            if not isinstance(h, str) or not h:
                continue
            s = "^^" + _lm_chars(h) + "$"
            for i in range(2, len(s)):
                self.counts[s[i - 2 : i + 1]] += 1
                self.contexts[s[i - 2 : i]] += 1
        self._cache = None
        self._dense_cache = None
        return self

    def _tables(self) -> tuple[dict[str, float], dict[str, float], float]:
        """log2-probabilities of seen trigrams, of an unseen trigram after each seen context, and
        of any trigram after an unseen context (computed once per model)."""
        if getattr(self, "_cache", None) is None:
            kv = self.K * self.V
            seen = {t: math.log2((c + self.K) / (self.contexts.get(t[:2], 0) + kv)) for t, c in self.counts.items()}
            ctx = {t: math.log2(self.K / (n + kv)) for t, n in self.contexts.items()}
            self._cache = (seen, ctx, math.log2(self.K / kv))
        return self._cache

    def score(self, handle: str) -> float:
        if not isinstance(handle, str) or not handle:
            return float("nan")
        s = "^^" + _lm_chars(handle) + "$"
        seen, ctx, unseen = self._tables()
        total = 0.0
        for i in range(2, len(s)):
            lp = seen.get(s[i - 2 : i + 1])
            total += lp if lp is not None else ctx.get(s[i - 2 : i], unseen)
        return total / (len(s) - 2)

    #: symbol ids for the vectorised scorer: '^' 0, '$' 1, '?' 2, then the alphabet
    _SYMBOLS = "^$?" + "".join(sorted(_LM_ALPHABET))

    def _dense(self) -> np.ndarray:
        """log2-probability of every trigram over :attr:`_SYMBOLS` as one flat array (cached)."""
        if getattr(self, "_dense_cache", None) is None:
            seen, ctx, unseen = self._tables()
            sym = self._SYMBOLS
            m = len(sym)
            table = np.full(m ** 3, unseen)
            for c, lp in ctx.items():
                if all(ch in sym for ch in c):
                    base = (sym.index(c[0]) * m + sym.index(c[1])) * m
                    table[base : base + m] = lp
            for t, lp in seen.items():
                if all(ch in sym for ch in t):
                    table[(sym.index(t[0]) * m + sym.index(t[1])) * m + sym.index(t[2])] = lp
            self._dense_cache = table
        return self._dense_cache

    def score_many(self, handles: Iterable) -> np.ndarray:
        """:meth:`score` of each handle (NaN for a missing or empty one), vectorised with numpy."""
        vals = list(handles)
        low = ["^^" + h.lower() + "$" if isinstance(h, str) and h else "" for h in vals]
        out = np.full(len(vals), np.nan)
        lens = np.fromiter((len(x) for x in low), dtype=np.int64, count=len(low))
        ok = lens > 0
        if not ok.any():
            return out
        m = len(self._SYMBOLS)
        lut = np.full(0x110000, 2, dtype=np.int64)  # any other character is '?'
        lut[[ord(c) for c in self._SYMBOLS]] = np.arange(m)
        cp = np.frombuffer("".join(low).encode("utf-32-le"), dtype=np.uint32)
        ids = lut[cp]
        # the first two characters of each string are '^^': a trigram ends at every later position
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])[ok]
        n_tri = lens[ok] - 2
        tri_start = np.concatenate([[0], np.cumsum(n_tri)[:-1]])
        end = np.repeat(starts + 2 - tri_start, n_tri) + np.arange(int(n_tri.sum()))
        code = (ids[end - 2] * m + ids[end - 1]) * m + ids[end]
        lp = self._dense()[code]
        out[ok] = np.add.reduceat(lp, tri_start) / n_tri
        return out

    def merged(self, other: "HandleLM") -> "HandleLM":
        return HandleLM(self.counts + other.counts, self.contexts + other.contexts)

    def to_json(self) -> dict:
        return {"counts": dict(self.counts), "contexts": dict(self.contexts)}

    @classmethod
    def from_json(cls, obj: dict) -> "HandleLM":
        return cls(obj["counts"], obj["contexts"])


def char_entropy(s: str) -> float:
    """Shannon entropy of the characters of ``s`` in bits per character (case-folded)."""
    if not isinstance(s, str) or not s:
        return float("nan")
    s = s.lower()
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _letters(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalpha()) if isinstance(s, str) else ""


def name_handle_similarity(name: str, handle: str) -> float:
    """0-1 similarity between the display name and the handle (letters only, case-folded).

    Uses rapidfuzz's partial ratio so that ``Jane Smith`` / ``janesmith_news`` scores high and
    ``Jenna Abrams`` / ``xk83hs`` scores low. NaN when either is missing.
    """
    from rapidfuzz import fuzz

    a, b = _letters(name), _letters(handle)
    if not a or not b:
        return float("nan")
    return fuzz.partial_ratio(a, b) / 100.0


#: the columns :func:`handle_features` computes from the handle alone
HANDLE_FEATURES = ("handle_len", "handle_entropy", "handle_digits", "handle_max_digit_run", "handle_upper_share",
                   "handle_underscores", "handle_name8", "handle_ngram_loglik")


class _Chars:
    """The code points of many strings at once: ``cp`` (concatenated), ``owner`` (string index of
    each code point), ``lens`` and ``starts`` per string; per-character predicates are looked up
    once per distinct code point, so they keep Python's Unicode semantics."""

    def __init__(self, strings: list[str]) -> None:
        self.lens = np.fromiter((len(x) for x in strings), dtype=np.int64, count=len(strings))
        self.starts = np.concatenate([[0], np.cumsum(self.lens)[:-1]]).astype(np.int64)
        self.cp = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        self.owner = np.repeat(np.arange(len(strings)), self.lens)
        self._uniq, self._inv = np.unique(self.cp, return_inverse=True)

    def test(self, pred) -> np.ndarray:
        """``pred(char)`` for every code point (bool array)."""
        vals = np.array([bool(pred(chr(c))) for c in self._uniq], dtype=bool)
        return vals[self._inv] if len(vals) else np.zeros(0, dtype=bool)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.owner[mask], minlength=len(self.lens)).astype(float)

    def keep(self, mask: np.ndarray) -> list[str]:
        """Each string with only the characters where ``mask`` holds."""
        kept = self.cp[mask].astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
        ends = np.cumsum(np.bincount(self.owner[mask], minlength=len(self.lens)))
        begins = np.concatenate([[0], ends[:-1]])
        return [kept[a:b] for a, b in zip(begins.tolist(), ends.tolist())]


def _entropies(lowered: list[str]) -> np.ndarray:
    """:func:`char_entropy` of each (already case-folded) string, vectorised; NaN for ''."""
    ch = _Chars(lowered)
    out = np.full(len(lowered), np.nan)
    if len(ch.cp) == 0:
        return out
    key, cnt = np.unique(ch.owner * 0x110000 + ch.cp, return_counts=True)
    own = key // 0x110000
    p = cnt / ch.lens[own]
    ent = -np.bincount(own, weights=p * np.log2(p), minlength=len(lowered))
    ok = ch.lens > 0
    out[ok] = np.abs(ent[ok])  # abs: -0.0 for one-symbol strings
    return out


def _max_runs(ch: _Chars, mask: np.ndarray) -> np.ndarray:
    """Longest run of consecutive characters where ``mask`` holds, per string (0 when none)."""
    out = np.zeros(len(ch.lens))
    if not mask.any():
        return out
    pos = np.arange(len(mask))
    first = np.zeros(len(mask), dtype=bool)
    first[ch.starts[ch.lens > 0]] = True
    start = mask & (first | ~np.concatenate([[False], mask[:-1]]))
    run = np.cumsum(start) - 1
    lengths = np.bincount(run[mask])
    owners = ch.owner[pos[start]]
    np.maximum.at(out, owners, lengths.astype(float))
    return out


def handle_features(handles: pd.Series, names: pd.Series | None, lm: HandleLM | None) -> pd.DataFrame:
    """Handle randomness and name/handle mismatch signals for each handle (see the module doc).

    Vectorised over all handles; the values are those of :func:`char_entropy`,
    :func:`name_handle_similarity` and :meth:`HandleLM.score` for each one."""
    from rapidfuzz import fuzz, process

    h = handles.fillna("").astype(str)
    hl = h.tolist()
    ch = _Chars(hl)
    out = pd.DataFrame(index=handles.index)
    out["handle_len"] = ch.lens.astype(float)
    out["handle_entropy"] = _entropies([x.lower() for x in hl])
    out["handle_digits"] = h.str.count(r"\d").astype(float)
    out["handle_max_digit_run"] = _max_runs(ch, ch.test(lambda c: _DIGIT_RUN.match(c) is not None))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["handle_upper_share"] = np.where(ch.lens > 0, ch.count(ch.test(str.isupper)) / np.maximum(ch.lens, 1), np.nan)
    out["handle_underscores"] = h.str.count("_").astype(float)
    out["handle_name8"] = [float(bool(_NAME8.match(x))) for x in hl]
    out["handle_ngram_loglik"] = lm.score_many(hl) if lm is not None else np.nan
    if names is not None:
        n = names.fillna("").astype(str)
        nl = n.tolist()
        out["name_len"] = n.str.len().astype(float)
        out["name_words"] = n.str.split().str.len().fillna(0).astype(float)
        out["name_digits"] = n.str.count(r"\d").astype(float)
        a = _letters_many(nl)
        b = _letters_many(hl)
        sim = np.full(len(nl), np.nan)
        ok = np.array([bool(x) and bool(y) for x, y in zip(a, b)], dtype=bool)
        if ok.any():
            idx = np.nonzero(ok)[0]
            sim[idx] = process.cpdist([a[i] for i in idx], [b[i] for i in idx], scorer=fuzz.partial_ratio,
                                   dtype=np.float64) / 100.0  # float64: the scalar function's values
        out["name_handle_similarity"] = sim
    out.loc[(h == "").to_numpy(), [c for c in out.columns if c.startswith("handle_")]] = np.nan
    return out


def _letters_many(strings: list[str]) -> list[str]:
    """:func:`_letters` of each string."""
    ch = _Chars([x.lower() for x in strings])
    return ch.keep(ch.test(str.isalpha))


# -- profile -----------------------------------------------------------------------------------

_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.I)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def _flag(s: pd.Series) -> pd.Series:
    """Boolean-ish column to 0/1 (NULL / empty / 'NULL' / 'False' / '0' -> 0)."""
    if s.dtype == bool:
        return s.astype(float)
    v = s.astype(object).map(lambda x: str(x).strip().lower() if x is not None and x == x else "")
    return v.isin(["1", "true", "t", "yes", "1.0"]).astype(float)


#: profile-model inputs, in order (see :func:`profile_features`)
PROFILE_FEATURES = (
    "handle_len", "handle_entropy", "handle_digits", "handle_max_digit_run", "handle_upper_share",
    "handle_underscores", "handle_name8", "handle_ngram_loglik",
    "name_len", "name_words", "name_digits", "name_handle_similarity",
    "bio_len", "bio_urls", "bio_hashtags", "bio_mentions", "has_url", "has_location",
    "log_followers", "log_following", "log_posts", "log_likes", "log_listed", "follow_ratio",
    "age_days", "posts_per_day", "likes_per_day", "followers_per_day",
    "default_profile", "default_profile_image", "verified", "protected",
    "bio_template_count", "creation_burst", "likes_posts", "listed_followers", "name_title_words",
)


def profile_features(accounts: pd.DataFrame, lm: HandleLM | None, observed_at: pd.Series | None = None) -> pd.DataFrame:
    """Per-account profile signals from ``accounts`` columns alone.

    ``observed_at`` is when the profile (its counts) was seen: the crawl time for a profile dump,
    the account's last post in a corpus. Account age and per-day rates use it (NaN without it).
    """
    a = accounts
    out = handle_features(a["handle"], a.get("display_name"), lm)
    bio = a.get("bio", pd.Series("", index=a.index)).fillna("").astype(str)
    out["bio_len"] = bio.str.len().astype(float)
    out["bio_urls"] = bio.str.count(_URL_RE.pattern).astype(float)
    out["bio_hashtags"] = bio.str.count(r"#\w").astype(float)
    out["bio_mentions"] = bio.str.count(r"@\w").astype(float)
    out["has_url"] = a.get("url", pd.Series("", index=a.index)).fillna("").astype(str).str.strip().ne("").astype(float)
    out["has_location"] = a.get("location", pd.Series("", index=a.index)).fillna("").astype(str).str.strip().ne("").astype(float)
    for col, name in (("followers", "log_followers"), ("following", "log_following"), ("posts_count", "log_posts"),
                      ("likes_count", "log_likes"), ("listed_count", "log_listed")):
        out[name] = np.log1p(_num(a[col]).clip(lower=0)) if col in a else np.nan
    out["follow_ratio"] = out["log_followers"] - out["log_following"]
    created = pd.to_datetime(a["created_at"], errors="coerce") if "created_at" in a else pd.Series(pd.NaT, index=a.index)
    if observed_at is not None:
        obs = pd.to_datetime(observed_at, errors="coerce")
        age = (obs - created).dt.total_seconds() / 86400.0
        age = age.where(age >= 0)
    else:
        age = pd.Series(np.nan, index=a.index)
    out["age_days"] = age
    days = age.clip(lower=1.0)
    out["posts_per_day"] = np.log1p(_num(a["posts_count"]).clip(lower=0) / days) if "posts_count" in a else np.nan
    out["likes_per_day"] = np.log1p(_num(a["likes_count"]).clip(lower=0) / days) if "likes_count" in a else np.nan
    out["followers_per_day"] = np.log1p(_num(a["followers"]).clip(lower=0) / days) if "followers" in a else np.nan
    for col in ("default_profile", "default_profile_image", "verified", "protected"):
        out[col] = _flag(a[col]) if col in a else 0.0
    out["likes_posts"] = out["log_likes"] - out["log_posts"]
    out["listed_followers"] = out["log_listed"] - out["log_followers"]
    names = a.get("display_name", pd.Series("", index=a.index)).fillna("").astype(str)
    out["name_title_words"] = [sum(w[:1].isupper() for w in n.split()) / len(n.split()) if n.split() else np.nan
                               for n in names]
    # corpus-level: computed over the accounts given together (unsupervised, no labels)
    out["bio_template_count"] = np.log1p(bio_template_counts(bio))
    out["creation_burst"] = np.log1p(creation_burst(created))
    return out[list(PROFILE_FEATURES)]


# -- corpus-level profile signals --------------------------------------------------------------

#: LSH banding for :func:`bio_template_counts`: 10 bands of 6 MinHash values. A pair of bios with
#: Jaccard 0.8 becomes a candidate with probability 0.95 (0.9: 1.0, 0.5: 0.15); candidates are
#: then confirmed with rapidfuzz, so the bands only decide what is compared. (This signal used to
#: take datasketch's banding for 0.8 / 64 permutations, 5 x 11, which finds a pair at Jaccard 0.8
#: only with probability 0.36, so it counted fewer near duplicates.)
LSH_BANDS, LSH_ROWS = 10, 6


def _lsh_candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs (i < j, as an n x 2 array) of signatures that agree on all values of some band."""
    n = sig.shape[0]
    found = []
    keys = band_keys(sig, bands, rows)  # one 64-bit key per (signature, band), as coordination's LSH
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = keys[:, band]
            order = np.argsort(key, kind="stable")
            ks = key[order]
            brk = np.nonzero(np.diff(ks) != 0)[0] + 1
            bounds = np.concatenate([[0], brk, [n]])
            # every element pairs with the later elements of its bucket
            end = np.repeat(bounds[1:], np.diff(bounds))
            later = end - np.arange(n) - 1
            if later.sum() == 0:
                continue
            first = np.repeat(np.arange(n), later)
            offset = np.arange(int(later.sum())) - np.repeat(np.cumsum(later) - later, later)
            a, b = order[first], order[first + 1 + offset]
            found.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    code = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([code // n, code % n], axis=1)


def bio_template_counts(bios: pd.Series, threshold: float = 0.8, min_len: int = 20, num_perm: int = 64) -> pd.Series:
    """For each bio, how many *other* accounts have a near-duplicate bio (templated bios).

    Bios are case-folded with digits masked and white space collapsed; identical ones are one
    template group. Distinct texts are compared through MinHash over character 4-gram shingles
    (the package's one MinHash, :func:`engineroom.coordination.text.minhash_signatures`) with LSH banding (:data:`LSH_BANDS` x :data:`LSH_ROWS`), and a
    candidate pair counts when rapidfuzz's ratio is >= ``threshold``. Bios shorter than
    ``min_len`` characters count 0 (an empty bio is no template). ``num_perm`` must be at least
    ``LSH_BANDS * LSH_ROWS``.
    """
    from rapidfuzz import fuzz, process

    norm = bios.fillna("").astype(str).str.lower().str.replace(r"\d+", "0", regex=True)
    norm = norm.str.replace(r"\s+", " ", regex=True).str.strip()
    result = pd.Series(0.0, index=bios.index, dtype=float)
    keep = (norm.str.len() >= max(min_len, 4)).to_numpy()
    if keep.sum() < 2:
        return result
    codes, texts = pd.factorize(norm[keep])
    texts = list(texts)
    size = np.bincount(codes, minlength=len(texts)).astype(float)
    similar = np.zeros(len(texts))
    if len(texts) >= 2:
        sig = minhash_signatures([char_shingles(t, 4) for t in texts], max(num_perm, LSH_BANDS * LSH_ROWS))
        pairs = _lsh_candidate_pairs(sig, LSH_BANDS, LSH_ROWS)
        ok = np.zeros(len(pairs), dtype=bool)
        for a in range(0, len(pairs), 1_000_000):  # bounded memory on very large corpora
            chunk = pairs[a : a + 1_000_000]
            ok[a : a + len(chunk)] = process.cpdist([texts[i] for i in chunk[:, 0].tolist()],
                                                    [texts[j] for j in chunk[:, 1].tolist()],
                                                    scorer=fuzz.ratio, dtype=np.float64) >= threshold * 100
        pi, pj = pairs[ok, 0], pairs[ok, 1]
        similar = (np.bincount(pi, weights=size[pj], minlength=len(texts))
                   + np.bincount(pj, weights=size[pi], minlength=len(texts)))
    result.loc[keep] = (similar + size - 1)[codes]
    return result


def creation_burst(created_at: pd.Series, window_days: float = 1.0) -> pd.Series:
    """How crowded the days around each account's creation are, relative to an even spread.

    (accounts created within +-``window_days`` of this one, itself excluded) divided by what the
    same number of accounts spread evenly over the corpus's creation span would give. 1 = normal,
    10 = ten times more accounts than expected were created in those days. NaN without a date.
    """
    t = pd.to_datetime(created_at, errors="coerce")
    days = (t - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0
    valid = days.dropna()
    out = pd.Series(np.nan, index=created_at.index, dtype=float)
    if len(valid) < 3:
        return out
    span = max(valid.max() - valid.min(), 30.0)
    expected = (len(valid) - 1) * (2 * window_days) / span
    v = np.sort(valid.to_numpy())
    lo = np.searchsorted(v, valid.to_numpy() - window_days, side="left")
    hi = np.searchsorted(v, valid.to_numpy() + window_days, side="right")
    out.loc[valid.index] = (hi - lo - 1) / max(expected, 1e-9)
    return out


# -- locations and time zones ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _locations() -> dict[str, float]:
    path = resources.files("engineroom") / "data" / "accounts" / "location_offsets.json"
    return json.loads(path.read_text(encoding="utf-8"))["offsets"]


def claimed_utc_offset(location: str) -> float:
    """Standard UTC offset (hours) of a self-reported location, from a bundled gazetteer of
    countries, US states and large cities; NaN when no place is recognised."""
    if not isinstance(location, str) or not location.strip():
        return float("nan")
    table = _locations()
    parts = [p.strip().lower() for p in re.split(r"[,/|;·•\-–]+", location) if p.strip()]
    # most specific first: whole string, then each part from the left (city before country)
    for cand in [location.strip().lower()] + parts:
        cand = re.sub(r"[^\w\s.']", "", cand).strip()
        if cand in table:
            return float(table[cand])
    return float("nan")


def hour_profile(hours: np.ndarray) -> tuple[float, float]:
    """Circular mean hour (0-24, UTC) and concentration (0 = spread, 1 = all at one hour)."""
    if len(hours) == 0:
        return float("nan"), float("nan")
    ang = np.asarray(hours, dtype=float) / 24.0 * 2 * np.pi
    s, c = np.sin(ang).mean(), np.cos(ang).mean()
    mean = (math.atan2(s, c) / (2 * np.pi) * 24.0) % 24.0
    return mean, float(math.hypot(s, c))


#: local hour around which people's posting is centred (circular mean of a typical day)
LOCAL_ACTIVITY_CENTRE = 15.0


def implied_utc_offset(mean_hour_utc: float) -> float:
    """UTC offset at which the account's circular-mean posting hour would be mid-afternoon local."""
    if mean_hour_utc != mean_hour_utc:
        return float("nan")
    return ((LOCAL_ACTIVITY_CENTRE - mean_hour_utc + 12.0) % 24.0) - 12.0


def implied_utc_offsets(mean_hours_utc: np.ndarray) -> np.ndarray:
    """:func:`implied_utc_offset` of each value (NaN stays NaN)."""
    h = np.asarray(mean_hours_utc, dtype=float)
    return np.mod(LOCAL_ACTIVITY_CENTRE - h + 12.0, 24.0) - 12.0


def claimed_utc_offsets(locations: pd.Series) -> np.ndarray:
    """:func:`claimed_utc_offset` of each location (each distinct location looked up once)."""
    codes, uniq = pd.factorize(pd.Series(locations, dtype=object), use_na_sentinel=True)
    vals = np.array([claimed_utc_offset(u) for u in uniq] + [np.nan], dtype=float)
    return vals[np.where(codes >= 0, codes, len(uniq))]


def offset_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`offset_distance` elementwise (NaN where either offset is unknown)."""
    d = np.mod(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)), 24.0)
    return np.minimum(d, 24.0 - d)


def offset_distance(a: float, b: float) -> float:
    """Hours between two UTC offsets on the 24-hour circle (0-12)."""
    if a != a or b != b:
        return float("nan")
    d = abs(a - b) % 24.0
    return min(d, 24.0 - d)


# -- behaviour ---------------------------------------------------------------------------------

#: posting clients that are automation tools or schedulers (lower case, substring match)
AUTOMATION_CLIENTS = (
    "ifttt", "dlvr.it", "twittbot", "twitterfeed", "buffer", "hootsuite", "socialoomph",
    "tweetdeck api", "zapier", "botize", "roundteam", "tweetadder", "twibble", "sprout social",
    "everypost", "publer", "crowdfire", "paper.li", "rss", "autopost", "auto post", "bot",
    "nonli", "cheap bots", "tweet old post", "wordpress.com", "jetpack.com", "tumblr",
    "missinglettr", "recurpost", "fs poster", "later.com", "social report",
)

_NEWS_WORDS = re.compile(
    r"(news|daily|today|times|post|gazette|herald|tribune|report|journal|press|media|"
    r"chronicle|online|24|live|breaking|headlines|wire|telegraph|observer|info)", re.I
)

#: behaviour-model inputs, in order (see :func:`behaviour_features`)
BEHAVIOUR_FEATURES = (
    "reply_share", "retweet_share", "quote_share", "url_share", "hashtag_share", "hashtags_per_post",
    "mentions_per_post", "text_len", "upper_share", "linkonly_share", "exclaim_share",
    "question_share", "hour_sin", "hour_cos",
    "handle_len", "handle_entropy", "handle_digits", "handle_max_digit_run", "handle_upper_share",
    "handle_underscores", "handle_name8", "handle_ngram_loglik",
    "log_followers", "log_following", "follow_ratio",
)


def _arrow_text(s: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array, missing values as ''."""
    a = pa.array(s, type=pa.large_string(), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return pc.fill_null(a, "")


def _ascii_letter_counts(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per string: the number of ASCII capitals A-Z and of ASCII letters A-Za-z (counted on the
    UTF-8 bytes, where these bytes never occur inside a multi-byte character).

    One pass of byte comparisons and a segmented sum (``np.add.reduceat``) over the non-empty
    strings: no per-byte 64-bit array (a 1M-post corpus has ~100 MB of text)."""
    n = len(text)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    _valid, offs, data = text.buffers()
    offsets = np.frombuffer(offs, dtype=np.int64)[text.offset : text.offset + n + 1]
    caps, letters = np.zeros(n), np.zeros(n)
    if data is None or offsets[-1] == offsets[0]:
        return caps, letters
    b = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    rel = offsets - offsets[0]
    upper = (b - np.uint8(65)) < 26  # A-Z (uint8 arithmetic wraps below 'A')
    lower = (b - np.uint8(97)) < 26  # a-z
    full = np.diff(rel) > 0
    # consecutive non-empty strings tile the bytes, so each segment is exactly one string
    starts = rel[:-1][full]
    caps[full] = np.add.reduceat(upper, starts, dtype=np.int64)
    letters[full] = caps[full] + np.add.reduceat(lower, starts, dtype=np.int64)
    return caps, letters


def _np(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False))


def post_style(posts: pd.DataFrame) -> pd.DataFrame:
    """Per-post style indicators (0/1 or counts) from ``text`` (and ``kind`` when given).

    Text tests run vectorised in Arrow (RE2 regular expressions: ``\\w`` and ``\\s`` are ASCII).
    ``retweet``: starts with ``RT @name`` or kind retweet; ``reply``: starts with ``@name`` (or
    ``.@name``) and is no retweet, or kind reply; ``quote``: kind quote or ``is_quote``; ``url``:
    has a link; ``hashtag`` / ``hashtags``: has / number of hashtags; ``mentions``: number of
    @-mentions; ``len``: characters; ``upper``: share of capitals among ASCII letters;
    ``linkonly``: has a link and at most 25 characters besides links and leading mentions;
    ``exclaim`` / ``question``: has ! / ?; ``hour``: UTC hour of day with minutes as a fraction.
    """
    text = _arrow_text(posts["text"])
    kind = posts["kind"].fillna("").astype(str) if "kind" in posts else pd.Series("", index=posts.index)
    s = pd.DataFrame(index=posts.index)
    s["account_id"] = posts["account_id"].astype(str)
    rt = _np(pc.match_substring_regex(text, r"^RT @\w")) | kind.eq("retweet").to_numpy()
    s["retweet"] = rt.astype(float)
    s["reply"] = ((_np(pc.match_substring_regex(text, r"^\.?@\w")) & ~rt) | kind.eq("reply").to_numpy()).astype(float)
    quote = kind.eq("quote")
    if "is_quote" in posts:
        quote = quote | posts["is_quote"].astype(str).isin(["1", "True", "true"])
    s["quote"] = quote.astype(float)
    url = _np(pc.match_substring_regex(text, _URL_RE.pattern))
    s["url"] = url.astype(float)
    n_tags = _np(pc.count_substring_regex(text, r"(?:^|\s)#\w")).astype(float)
    s["hashtag"] = (n_tags > 0).astype(float)
    s["hashtags"] = n_tags
    s["mentions"] = _np(pc.count_substring_regex(text, r"@\w")).astype(float)
    s["len"] = _np(pc.utf8_length(text)).astype(float)
    up, letters = _ascii_letter_counts(text)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["upper"] = np.where(letters > 0, up / np.where(letters > 0, letters, 1), 0.0)
    linkonly = np.zeros(len(text), dtype=bool)
    if url.any():
        idx = np.nonzero(url)[0]
        rest = pc.replace_substring_regex(pc.take(text, pa.array(idx)), _URL_RE.pattern, " ")
        rest = pc.replace_substring_regex(rest, r"^(RT\s+)?(@\w+[:\s]*)+", " ", max_replacements=1)
        rest = pc.utf8_trim_whitespace(pc.replace_substring_regex(rest, r"\s+", " "))
        linkonly[idx] = _np(pc.utf8_length(rest)) <= 25
    s["linkonly"] = linkonly.astype(float)
    s["exclaim"] = _np(pc.match_substring(text, "!")).astype(float)
    s["question"] = _np(pc.match_substring(text, "?")).astype(float)
    t = pd.to_datetime(posts["created_at"], errors="coerce")
    s["hour"] = t.dt.hour + t.dt.minute / 60.0
    return s


def behaviour_features(posts: pd.DataFrame) -> pd.DataFrame:
    """Per-account shares of post styles (volume-invariant) and the posting-hour direction.

    ``posts`` needs ``account_id``, ``text``, ``created_at`` (``kind``, ``is_quote`` optional).
    Index of the result: ``account_id``.
    """
    s = post_style(posts)
    ang = s["hour"] / 24.0 * 2 * np.pi
    s["hour_sin"], s["hour_cos"] = np.sin(ang), np.cos(ang)
    g = s.groupby("account_id")
    out = pd.DataFrame({
        "reply_share": g["reply"].mean(),
        "retweet_share": g["retweet"].mean(),
        "quote_share": g["quote"].mean(),
        "url_share": g["url"].mean(),
        "hashtag_share": g["hashtag"].mean(),
        "hashtags_per_post": g["hashtags"].mean(),
        "mentions_per_post": g["mentions"].mean(),
        "text_len": g["len"].mean(),
        "upper_share": g["upper"].mean(),
        "linkonly_share": g["linkonly"].mean(),
        "exclaim_share": g["exclaim"].mean(),
        "question_share": g["question"].mean(),
        "hour_sin": g["hour_sin"].mean(),
        "hour_cos": g["hour_cos"].mean(),
    })
    return out


def news_persona(handle: str, name: str) -> float:
    """1 when the handle or display name presents the account as a news outlet."""
    txt = f"{handle or ''} {name or ''}"
    return float(bool(_NEWS_WORDS.search(txt)))


def automation_flags(clients: pd.Series) -> np.ndarray:
    """:func:`is_automation_client` of each value as 0/1 floats (each distinct client tested once)."""
    codes, uniq = pd.factorize(clients, use_na_sentinel=True)
    flags = np.array([float(is_automation_client(u)) for u in uniq] + [0.0])
    return flags[np.where(codes >= 0, codes, len(uniq))]


def news_personas(handles: pd.Series, names: pd.Series) -> np.ndarray:
    """:func:`news_persona` of each (handle, display name) pair as 0/1 floats."""
    h = pd.Series(handles, dtype=object).where(lambda x: x.notna(), "").astype(str).to_numpy()
    n = pd.Series(names, dtype=object).where(lambda x: x.notna(), "").astype(str).to_numpy()
    txt = pa.array(np.char.add(np.char.add(h.astype(str), " "), n.astype(str)).tolist(), type=pa.large_string())
    return _np(pc.match_substring_regex(txt, _NEWS_WORDS.pattern, ignore_case=True)).astype(float)


def is_automation_client(client: str) -> bool:
    if not isinstance(client, str) or not client:
        return False
    c = client.lower()
    return any(a in c for a in AUTOMATION_CLIENTS)
