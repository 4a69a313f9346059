"""Text features for the hate model: hashed word and character n-grams plus lexicon features.

The learned part of the model is a linear classifier over

* **hashed n-grams** of the normalised text (:mod:`engineroom.hate.normalize`): word unigrams and
  bigrams, and character 2–5-grams inside each word padded with spaces (scikit-learn's
  ``char_wb``), hashed with CRC-32 into ``n_features`` buckets, sublinear TF times IDF, L2-normalised.
  Hashing means no vocabulary has to ship with the model, and the features of a word are cached
  per process, so a corpus is featurised at tens of thousands of posts per second;
* **lexicon features** (:mod:`engineroom.hate.lexicon`): per IHRA category the strongest matching
  trope weight, the sum of trope weights, and the presence of context cues (reference to Jews or
  Israel, counter-speech, identity statement, news-report language, quotation marks) and their
  interactions with trope hits, so the model can learn that a slur inside counter-speech or a
  news report is not an attack.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .lexicon import CATEGORIES, Hit, Lexicon
from .normalize import SEPARATOR

LEX_FEATURES = (
    [f"cat_{c}" for c in CATEGORIES]
    + ["trope_sum", "trope_max", "n_tropes", "jewish_reference", "counter_speech", "identity", "report",
       "quoted", "trope_x_counter", "trope_x_identity", "trope_x_report", "trope_x_quoted",
       "jewref_x_counter", "no_jewref"]
)


def _crc(s: str) -> int:
    return zlib.crc32(s.encode("utf-8"))


@dataclass
class Featurizer:
    """Hashed word 1..``word_n``-grams and in-word character ``char_min``..``char_max``-grams."""

    n_features: int = 2**19
    word_n: int = 2
    char_min: int = 2
    char_max: int = 5
    _cache: dict = field(default_factory=dict, repr=False)

    def params(self) -> dict:
        return {"n_features": self.n_features, "word_n": self.word_n, "char_min": self.char_min, "char_max": self.char_max}

    def _token(self, tok: str) -> list[int]:
        """Hashes (not yet reduced modulo ``n_features``) of a word and its character n-grams."""
        got = self._cache.get(tok)
        if got is not None:
            return got
        crc = zlib.crc32
        b = f" {tok} ".encode("utf-8")
        L = len(b)
        idx = [crc(b"w\x00" + b)]
        for n in range(self.char_min, min(self.char_max, L) + 1):
            idx.extend([crc(b[i:i + n]) for i in range(L - n + 1)])
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[tok] = idx
        return idx

    def tokens(self, norm: str) -> list[str]:
        """Tokens of a normalised text: the spaced view plus squashed-view words it lacks."""
        spaced, _, squashed = norm.partition(SEPARATOR)
        toks = spaced.split()
        if squashed and squashed != spaced:
            have = set(toks)
            toks.extend(t for t in squashed.split() if t not in have)
        return toks

    def counts(self, norms: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts (documents × ``n_features``)."""
        m = self.n_features
        indices: list[int] = []
        indptr = [0]
        for norm in norms:
            toks = self.tokens(norm)
            for t in toks:
                indices.extend(self._token(t))
            if self.word_n >= 2:
                for a, b in zip(toks, toks[1:]):
                    indices.append(_crc(f"b\x00{a} {b}"))
            indptr.append(len(indices))
        ind = (np.asarray(indices, dtype=np.int64) % m).astype(np.int32)
        X = sp.csr_matrix((np.ones(len(ind), dtype=np.float32), ind, np.asarray(indptr, dtype=np.int64)),
                          shape=(len(norms), m))
        X.sum_duplicates()
        return X


def tfidf(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF × IDF, rows L2-normalised (as TfidfVectorizer(sublinear_tf=True))."""
    X = X.copy()
    X.data = (np.log(X.data) + 1.0) * idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X = sp.diags((1.0 / norms).astype(np.float32)) @ X
    return X.tocsr()


def fit_idf(X: sp.csr_matrix) -> np.ndarray:
    """Smoothed IDF from raw counts (as scikit-learn's ``smooth_idf=True``)."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


def lexicon_features(hits: list[Hit], raw: str) -> list[float]:
    """The dense lexicon feature vector of one post (order: :data:`LEX_FEATURES`)."""
    cat = dict.fromkeys(CATEGORIES, 0.0)
    cues = {"jewish_reference": 0.0, "counter_speech": 0.0, "identity": 0.0, "report": 0.0}
    tsum = 0.0
    n = 0
    for h in hits:
        c = h.entry.category
        if c in cues:
            cues[c] = 1.0
        else:
            w = h.entry.weight
            if w > cat[c]:
                cat[c] = w
            tsum += w
            n += 1
    tmax = max(cat.values())
    quoted = 1.0 if (raw and ('"' in raw or "\u201c" in raw or "'" in raw[:1])) else 0.0
    return [
        *cat.values(), min(tsum, 3.0), tmax, min(n, 5) / 5.0,
        cues["jewish_reference"], cues["counter_speech"], cues["identity"], cues["report"], quoted,
        tmax * cues["counter_speech"], tmax * cues["identity"], tmax * cues["report"], tmax * quoted,
        cues["jewish_reference"] * cues["counter_speech"], 1.0 - cues["jewish_reference"],
    ]


def lexicon_matrix(lexicon: Lexicon, norms: list[str], raws: list[str]) -> tuple[np.ndarray, list[list[Hit]]]:
    """Lexicon features for many posts, and their hits (for evidence)."""
    all_hits = [lexicon.match_normalized(n) for n in norms]
    F = np.array([lexicon_features(h, r) for h, r in zip(all_hits, raws)], dtype=np.float32).reshape(len(norms), len(LEX_FEATURES))
    return F, all_hits
