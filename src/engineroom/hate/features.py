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
  news report is not an attack. A hedged trope ("some media owned by Jews",
  :mod:`engineroom.hate.lexicon`) is left out of the trope features.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain, count

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


#: distinct words whose feature indices a :class:`Featurizer` keeps (≈ 200 bytes each)
_CACHE_MAX = 500_000


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
        crc = zlib.crc32
        b = f" {tok} ".encode("utf-8")
        L = len(b)
        idx = [crc(b"w\x00" + b)]
        for n in range(self.char_min, min(self.char_max, L) + 1):
            idx.extend([crc(b[i:i + n]) for i in range(L - n + 1)])
        return idx

    def token_features(self, tok: str) -> bytes:
        """The feature indices (``int32``, reduced modulo ``n_features``, with repeats) of a word and
        its character n-grams, as raw bytes (``np.frombuffer(..., np.int32)``); cached per process."""
        got = self._cache.get(tok)
        if got is None:
            got = (np.asarray(self._token(tok), dtype=np.int64) % self.n_features).astype(np.int32).tobytes()
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[tok] = got
        return got

    def tokens(self, norm: str) -> list[str]:
        """Tokens of a normalised text: the spaced view plus squashed-view words it lacks."""
        spaced, _, squashed = norm.partition(SEPARATOR)
        toks = spaced.split()
        if squashed and squashed != spaced:
            have = set(toks)
            toks += [t for t in squashed.split() if t not in have]
        return toks

    def counts(self, norms: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts (documents × ``n_features``, ``float32``, canonical CSR).

        Vectorised: each distinct word of the batch is hashed once (and cached per process), each
        distinct word bigram once, and the counts are one sparse product ``documents × terms`` @
        ``terms × features``, so Python touches each token once, not each of its ~20 n-grams.
        """
        return self._counts(norms, descending=False)

    def weights(self, norms: list[str], idf: np.ndarray) -> sp.csr_matrix:
        """The TF-IDF rows of normalised texts: the same matrix, entry for entry and in the same
        order, as ``tfidf(self.counts(norms), idf)``, built without reversing each row afterwards
        (the counts come out with each row's features in descending order, the order
        :func:`tfidf` lists them in)."""
        return _tfidf_descending(self._counts(norms, descending=True), idf)

    def _counts(self, norms: list[str], descending: bool) -> sp.csr_matrix:
        """:meth:`counts`, each row's features in ascending order or, with ``descending``, in
        descending order (flagged as not canonical)."""
        m = self.n_features
        n = len(norms)
        # a term id per distinct token, in order of first occurrence (assigned in C, not in a loop)
        vocab: defaultdict[str, int] = defaultdict(count().__next__)
        per_doc = list(map(self.tokens, norms))
        lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=n)
        occ = list(map(vocab.__getitem__, chain.from_iterable(per_doc)))  # term id of every token
        if not occ:
            return sp.csr_matrix((n, m), dtype=np.float32)
        V = len(vocab)
        ids = np.asarray(occ, dtype=np.int64)
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        words = list(vocab)
        feats = [self.token_features(w) for w in words]
        parts = [b"".join(feats)]
        sizes = [np.fromiter(map(len, feats), dtype=np.int64, count=V) // 4]
        rows, cols = [doc], [ids]
        if self.word_n >= 2 and len(ids) > 1:
            same = doc[1:] == doc[:-1]
            keys = ids[:-1][same] * V + ids[1:][same]
            if len(keys):
                pairs, inverse = np.unique(keys, return_inverse=True)
                crc = zlib.crc32
                first, second = (pairs // V).tolist(), (pairs % V).tolist()
                hashes = [crc(f"b\x00{words[a]} {words[b]}".encode("utf-8")) for a, b in zip(first, second)]
                parts.append((np.asarray(hashes, dtype=np.int64) % m).astype(np.int32).tobytes())
                sizes.append(np.ones(len(pairs), dtype=np.int64))
                rows.append(doc[1:][same])
                cols.append(V + inverse.ravel())
        sizes_all = np.concatenate(sizes)
        terms = len(sizes_all)
        feature = np.frombuffer(b"".join(parts), dtype=np.int32)
        if descending:  # features numbered backwards: the counting sort below then lists them descending
            feature = (m - 1) - feature
        # terms × features: row t holds the (repeated) feature indices of term t
        T = sp.csr_matrix((np.ones(int(sizes_all.sum()), dtype=np.float32), feature,
                           np.concatenate([[0], np.cumsum(sizes_all)])), shape=(terms, m))
        # documents × terms, a token's repeats left as repeated entries (the product sums them);
        # the rows are runs already in document order, so the stable sort only merges them
        r, c = np.concatenate(rows), np.concatenate(cols)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
        D = sp.csr_matrix((np.ones(len(r), dtype=np.float32), c[np.argsort(r, kind="stable")], indptr), shape=(n, terms))
        # features × documents, then its CSC form is the documents × features CSR with each row's
        # indices sorted and summed (a counting sort; cheaper than sorting D @ T row by row)
        Xt = (T.T.tocsr() @ D.T.tocsr()).tocsc()
        if descending:
            indices = Xt.indices
            np.subtract(m - 1, indices, out=indices)
            X = sp.csr_matrix((Xt.data, indices, Xt.indptr), shape=(n, m))
            X.has_sorted_indices = False
            return X
        X = sp.csr_matrix((Xt.data, Xt.indices, Xt.indptr), shape=(n, m))
        X.has_canonical_format = True  # sorted, no repeats: what the per-token version produced
        return X


def tfidf(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF × IDF, rows L2-normalised (as TfidfVectorizer(sublinear_tf=True)).

    ``X`` is raw counts as :meth:`Featurizer.counts` returns them. The result's entries are in the
    order (within each row) and the ``float32`` values of the original implementation
    (``diags(1 / norms) @ X``, which lists each row's entries in reverse), so the scores that sum
    over them are bit for bit the same; it is just done without the sparse products.
    """
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    indptr, indices = X.indptr, X.indices
    data = (np.log(X.data) + 1.0) * idf[indices]
    # squared norms as X.multiply(X).sum(axis=1) computed them (same order, same float32 sums)
    sq = sp.csr_matrix((data * data, indices, indptr), shape=X.shape)
    norms = np.sqrt(np.asarray(sq.sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    inv = (1.0 / norms).astype(np.float32)
    nnz = len(data)
    # int32 positions where they fit: half the memory, and arrays under glibc's mmap threshold
    # are reused between batches instead of being faulted in afresh
    itype = np.int32 if nnz < 2**31 - 1 else np.int64
    lengths = np.diff(indptr).astype(itype)
    row = np.repeat(np.arange(X.shape[0], dtype=itype), lengths)
    data *= inv[row]
    last = (indptr[1:] + indptr[:-1] - 1).astype(itype)  # first + last position of each row
    rev = last[row]
    rev -= np.arange(nnz, dtype=itype)
    return sp.csr_matrix((data[rev], indices[rev], indptr.copy()), shape=X.shape)


def _tfidf_descending(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """:func:`tfidf` of raw counts whose rows list their features in descending order (as
    ``Featurizer._counts(..., descending=True)`` makes them): the same entries, order and
    ``float32`` values as :func:`tfidf` of the canonical counts. The squared norms are summed
    in ascending feature order, as :func:`tfidf` sums them, over the arrays read backwards."""
    indptr, indices = X.indptr, X.indices
    data = np.log(X.data)
    data += np.float32(1.0)
    data *= idf[indices]
    nnz = len(data)
    # read backwards, the rows come last to first and each row's features ascending: summed as
    # X.multiply(X).sum(axis=1) sums the canonical rows (np.add.reduceat over the non-empty rows)
    sq = np.square(data[::-1])
    starts = nnz - indptr[::-1]
    full = np.flatnonzero(np.diff(starts))
    norms = np.zeros(X.shape[0], dtype=np.float32)
    if len(full):
        norms[full] = np.add.reduceat(sq, starts[full].astype(np.intp))
    norms = np.sqrt(norms[::-1])
    norms[norms == 0] = 1.0
    inv = (1.0 / norms).astype(np.float32)
    data *= np.repeat(inv, np.diff(indptr))
    return sp.csr_matrix((data, indices, indptr), shape=X.shape)


def fit_idf(X: sp.csr_matrix) -> np.ndarray:
    """Smoothed IDF from raw counts (as scikit-learn's ``smooth_idf=True``)."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


_QUOTED = LEX_FEATURES.index("quoted")
_NO_JEWREF = LEX_FEATURES.index("no_jewref")


def quoted(raw: str) -> float:
    """1.0 when the raw post quotes something (the ``quoted`` lexicon feature)."""
    return 1.0 if (raw and ('"' in raw or "\u201c" in raw or "'" in raw[:1])) else 0.0


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
        elif h.entry.kind == "cue":  # a cue the model has no feature for (history): context adjustment only
            continue
        elif h.hedged:  # "some media owned by Jews": the trope is described, not asserted
            continue
        else:
            w = h.entry.weight
            if w > cat[c]:
                cat[c] = w
            tsum += w
            n += 1
    tmax = max(cat.values())
    is_quoted = quoted(raw)
    return [
        *cat.values(), min(tsum, 3.0), tmax, min(n, 5) / 5.0,
        cues["jewish_reference"], cues["counter_speech"], cues["identity"], cues["report"], is_quoted,
        tmax * cues["counter_speech"], tmax * cues["identity"], tmax * cues["report"], tmax * is_quoted,
        cues["jewish_reference"] * cues["counter_speech"], 1.0 - cues["jewish_reference"],
    ]


def lexicon_matrix(lexicon: Lexicon, norms: list[str], raws: list[str]) -> tuple[np.ndarray, list[list[Hit]]]:
    """Lexicon features for many posts, and their hits (for evidence)."""
    all_hits = [lexicon.match_normalized(n) for n in norms]
    F = np.zeros((len(norms), len(LEX_FEATURES)), dtype=np.float32)
    # a post without hits has only two non-zero features (no_jewref, quoted): filled in bulk
    F[:, _NO_JEWREF] = 1.0
    F[:, _QUOTED] = [quoted(r) for r in raws]
    for i, h in enumerate(all_hits):
        if h:
            F[i] = lexicon_features(h, raws[i])
    return F, all_hits
