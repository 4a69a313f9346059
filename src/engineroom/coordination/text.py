"""Text keys for the co-tweet and co-similar-tweet networks, and MinHash signatures for LSH.

Both follow the Coordination Network Toolkit (CNT, Graham et al., QUT Digital Media Research
Centre, ``coordination-network-toolkit`` 1.5.2, ``similarity.py``) exactly, so that engineroom's
networks equal CNT's on the same corpus:

* :func:`normalise_text` is CNT's ``message_preprocessor``: lower-case, remove every ``@mention``
  (an ``@`` and everything up to the next whitespace), collapse whitespace. Two posts are
  co-tweets when their normalised texts are identical. (Deliberate difference: a text that
  normalises to the empty string, e.g. a post of mentions only, is never a co-tweet here; CNT
  matches all such posts with each other.)
* :func:`tokenize` is CNT's ``tokenize``: the set of Unicode word-segmentation tokens (UAX #29;
  each punctuation character is a token, spaces and stand-alone apostrophes are dropped) of the
  lower-cased text without mentions. These token sets are the shingles of the co-similar-tweet
  network, compared with exact Jaccard similarity. For ASCII text an equivalent pattern of the
  standard ``re`` module is used (about twice as fast; equality with CNT's tokenizer is tested on
  random strings of the characters that matter), otherwise CNT's own ``regex`` pattern.

:class:`MinHasher` computes MinHash signatures of many token sets at once with NumPy, with the
permutations and the MurmurHash3 pre-mix of :class:`datasketch.MinHash`'s default "affine32"
scheme and a vectorised 32-bit token hash (:func:`token_hash32`; a signature equals
``datasketch.MinHash(num_perm, seed, hashfunc=...)`` updated with the same tokens), and :func:`band_keys`
turns them into locality-sensitive-hashing band keys (Leskovec, Rajaraman & Ullman, *Mining of
Massive Datasets*, ch. 3). :func:`lsh_params` picks the banding so that a pair at the Jaccard
threshold is missed with probability at most ``max_miss`` (default 1e-6); candidate pairs are
always verified with the exact Jaccard similarity, so LSH only prunes. :func:`minhash_signatures`
is the package's one MinHash entry point for any token sets (the account signals' bio templates
use it on character shingles).

Salted copies. Operations post the same sentence with random hashtags, mentions, links or emoji
added ("salt") so that exact and token-set matching miss the copies. :func:`salted_words` strips
all of these, case and punctuation, and keeps the words (runs of Unicode letters and digits);
texts with fewer than :data:`SALT_MIN_WORDS` words left are too short to say anything (a "thank
you so much" is shared by chance) and get no salted key. The ``co_salted_tweet`` network compares
the distinct-word sets of what is left by MinHash LSH and the exact Jaccard similarity.
"""

from __future__ import annotations

import hashlib
import re
import struct
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import regex

#: CNT's word tokenizer (Unicode word boundaries; whitespace is dropped).
WORD_TOKENIZER = regex.compile(r"\b\p{Word_Break=WSegSpace}*'?", flags=regex.WORD | regex.UNICODE | regex.V1)
#: CNT's mention remover: "@" and everything up to the next whitespace or the end.
MENTION = regex.compile(r"@.*?(?=(?:\s|$))")

#: The same tokens as WORD_TOKENIZER for ASCII text: word segments (letters, digits, "_", with
#: . : ' between letters and . , ; ' between digits), CR LF, and every other character but space
#: and the apostrophe (UAX #29 rules WB3, WB3d, WB5-WB13b, WB999 restricted to ASCII).
ASCII_TOKEN = re.compile(
    r"[a-z0-9_]+(?:(?:(?<=[a-z])[.:'](?=[a-z])|(?<=[0-9])[.,;'](?=[0-9]))[a-z0-9_]+)*|\r\n|[^ 'a-z0-9_]"
)

#: Salt: links (scheme or www.), hashtags and mentions (with their word), removed before the words are kept.
#: (NUL, which joins the texts of a batch, ends them too.)
SALT = re.compile(r"(?:https?://|www\.)[^\s\x00]+|[#@\uff03\uff20][^\s\x00#@\uff03\uff20]*")
#: A word of a salted text: a run of Unicode letters or digits (emoji, punctuation, "_" split words).
SALT_WORD = re.compile(r"[^\W_]+")
#: Texts with fewer words than this after stripping the salt get no salted key (default of the
#: coordination analysis' ``salt_min_words``).
SALT_MIN_WORDS = 6

_MAX_HASH = np.uint32((1 << 32) - 1)
# MurmurHash3's 32-bit finalizer constants (datasketch's pre-mix for the affine32 scheme)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _clean(text: str) -> str:
    low = text.lower()
    return MENTION.sub("", low) if "@" in low else low


def normalise_text(text: str | None) -> str:
    """The text as CNT's co-tweet compares it: lower case, without @mentions, single spaces."""
    if not text:
        return ""
    return " ".join(_clean(text).split())


def _tokens(cleaned: str) -> list[str]:
    # CNT stores " ".join(tokens) and compares set(token_set.split()): tokens that are whitespace
    # (newline, tab, ...) vanish and the rest are split on whitespace, so the same is done here.
    if cleaned.isascii():
        return sorted({t for t in ASCII_TOKEN.findall(cleaned) if not t.isspace()})
    return sorted(set(" ".join({t for t in WORD_TOKENIZER.split(cleaned) if t}).split()))


def tokenize(text: str | None) -> list[str]:
    """CNT's effective token set of a text (sorted, distinct): the shingles for co-similar-tweet.

    Equal to ``set(coordination_network_toolkit.similarity.tokenize(text).split())``, the set
    CNT's similarity function compares.
    """
    if not text:
        return []
    return _tokens(_clean(text))


def key_and_tokens(text: str | None) -> tuple[str | None, list[str]]:
    """(:func:`text_key` of the normalised text, :func:`tokenize`) in one pass over the text."""
    if not text:
        return None, []
    cleaned = _clean(text)
    return text_key(" ".join(cleaned.split())), _tokens(cleaned)


def salted_words(text: str | None) -> list[str]:
    """The words of a text without its salt: links, hashtags, mentions, emoji, punctuation and case
    removed, in order ("#vero Netanyahu Exposes the WITCH-HUNT! https://t.co/x" gives
    ``["netanyahu", "exposes", "the", "witch", "hunt"]``)."""
    if not text:
        return []
    return SALT_WORD.findall(SALT.sub(" ", text.lower()))


def salted_batch(texts: Sequence[str | None], min_words: int = SALT_MIN_WORDS) -> tuple[list, list]:
    """:func:`salted_words` for many texts: (key, sorted distinct words) per text.

    The key is :func:`text_key` of the words joined by a space (None, with no words, when fewer
    than ``min_words`` words are left). One regular-expression pass strips the salt of the whole
    batch (texts joined by NUL, which the patterns never cross)."""
    n = len(texts)
    if n == 0:
        return [], []
    joined = _SEP.join(t.replace(_SEP, " ") if isinstance(t, str) else "" for t in texts).lower()
    parts = SALT.sub(" ", joined).split(_SEP)
    keys: list = [None] * n
    words: list = [[]] * n
    for i, part in enumerate(parts):
        w = SALT_WORD.findall(part)
        if len(w) >= min_words:
            keys[i] = text_key(" ".join(w))
            words[i] = sorted(set(w))
    return keys, words


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two token sets (0 when either is empty, as CNT's CLI default)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def text_key(normalised: str) -> str | None:
    """A compact join key for a normalised text (BLAKE2b-128 hex); None for empty text."""
    if not normalised:
        return None
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()


def sha1_hash32(token: str) -> int:
    """datasketch's default token hash: the first 4 bytes of SHA-1, little-endian."""
    return struct.unpack("<I", hashlib.sha1(token.encode("utf-8")).digest()[:4])[0]


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutations of ``datasketch.MinHash(num_perm, seed)`` (its "affine32" scheme).

    Drawn exactly as datasketch 2 draws them (odd multipliers, uniform offsets, 32 bits), without
    importing datasketch at run time (its import pulls SciPy); equality is tested.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def token_hash32(tokens: Sequence[str]) -> np.ndarray:
    """32-bit token hashes: the low 32 bits of pandas' vectorised SipHash (fixed key, so
    reproducible across runs and machines). Pass ``hashfunc=lambda b: int(token_hash32([b])[0])``
    to ``datasketch.MinHash`` to get the same signatures from datasketch."""
    if len(tokens) == 0:
        return np.empty(0, dtype=np.uint32)
    h = pd.util.hash_array(np.asarray(tokens, dtype=object), categorize=False)
    return (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


class MinHasher:
    """Vectorised MinHash with datasketch's permutations; caches token hashes across batches."""

    def __init__(self, num_perm: int = 64, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        self.a, self.b = permutations(num_perm, seed)

    def token_hashes(self, tokens: Sequence[str]) -> np.ndarray:
        """:func:`token_hash32` of each token, pre-mixed with the MurmurHash3 finalizer (as datasketch)."""
        with np.errstate(over="ignore"):
            return _fmix32(token_hash32(tokens))

    def signatures(self, token_sets: Sequence[Sequence[str]], chunk_tokens: int = 250_000) -> np.ndarray:
        """MinHash signatures, one row per token set (rows of empty sets are all 2**32 - 1).

        ``chunk_tokens`` bounds the working memory (token sets are hashed in chunks of about that
        many tokens).
        """
        n = len(token_sets)
        sig = np.full((n, self.num_perm), _MAX_HASH, dtype=np.uint32)
        lengths = np.fromiter((len(t) for t in token_sets), dtype=np.int64, count=n)
        ends = np.cumsum(lengths)
        start = 0
        while start < n:
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + chunk_tokens, side="right"))
            stop = min(max(stop, start + 1), n)
            flat = [t for s in token_sets[start:stop] for t in s]
            if flat:
                codes, vocab = pd.factorize(np.asarray(flat, dtype=object))
                sig[start:stop] = self.signatures_from_codes(vocab, codes, lengths[start:stop])
            start = stop
        return sig

    def signatures_from_codes(self, vocab: Sequence[str], codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """MinHash signatures of token sets given as codes into ``vocab``.

        ``codes`` holds the token sets one after the other (``lengths[i]`` tokens for set ``i``,
        each token once per set). Each distinct token is hashed once; a set's signature is the
        element-wise minimum of its tokens' permuted hashes, taken position by position over the
        sets ordered by length (vectorised over the sets, not per set).
        """
        n = len(lengths)
        sig = np.full((n, self.num_perm), _MAX_HASH, dtype=np.uint32)
        if n == 0 or len(codes) == 0:
            return sig
        hv = self.token_hashes(vocab)
        with np.errstate(over="ignore"):
            phv = hv[:, None] * self.a[None, :] + self.b[None, :]  # (tokens in vocab, num_perm)
        lengths = np.asarray(lengths, dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        order = np.argsort(-lengths, kind="stable")
        sl, st = lengths[order], starts[order]
        out = sig[order]
        codes = np.asarray(codes)
        for pos in range(int(sl[0])):
            k = int(np.searchsorted(-sl, -pos, side="left"))  # sets with more than pos tokens
            if k == 0:
                break
            np.minimum(out[:k], phv[codes[st[:k] + pos]], out=out[:k])
        sig[order] = out
        return sig


def minhash_signatures(token_sets: Sequence[Sequence[str]], num_perm: int = 64, seed: int = 1) -> np.ndarray:
    """MinHash signatures (``len(token_sets)`` x ``num_perm``, uint32) of token sets: the package's
    one MinHash (:class:`MinHasher`, datasketch's permutations; rows of empty sets are 2**32 - 1).
    Word sets, CNT token sets and character shingles all go through it."""
    return MinHasher(num_perm, seed=seed).signatures(token_sets)


def char_shingles(text: str, k: int = 4) -> list[str]:
    """The distinct character ``k``-grams of a text (the text itself when shorter than ``k``)."""
    if len(text) <= k:
        return [text] if text else []
    return list({text[i : i + k] for i in range(len(text) - k + 1)})


class TokenBatch(NamedTuple):
    """Text keys and CNT token sets of a batch of texts (see :func:`tokenize_batch`)."""

    keys: list  #: :func:`text_key` of each normalised text (None when empty)
    lengths: np.ndarray  #: number of distinct tokens per text
    vocab: np.ndarray  #: the distinct tokens of the batch
    codes: np.ndarray  #: per text, its tokens as indexes into ``vocab``, sorted as the strings, concatenated

    def token_set_array(self) -> pa.Array:
        """Each text's sorted tokens joined by a space (CNT's stored ``token_set``), as Arrow strings."""
        values = pa.array(self.vocab, pa.string()).take(pa.array(self.codes, pa.int64()))
        offsets = np.concatenate(([0], np.cumsum(self.lengths))).astype(np.int32)
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), " ")

    def token_set_strings(self) -> list[str]:
        """Each text's sorted tokens joined by a space (CNT's stored ``token_set``)."""
        return self.token_set_array().to_pylist()

    def distinct(self, joined: pa.Array | None = None) -> tuple["TokenBatch", np.ndarray]:
        """The batch's distinct non-empty token sets, and per text its set's row among them (-1
        for an empty set): texts that differ (salt, case, punctuation, mentions) but have equal
        sets are MinHashed once. ``joined``: :meth:`token_set_array`, when already made."""
        joined = self.token_set_array() if joined is None else joined
        inverse = pc.dictionary_encode(joined).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        first = np.unique(inverse, return_index=True)[1]  # (codes count up in order of first appearance)
        first = first[self.lengths[first] > 0]
        row = np.full(len(self.lengths), -1, dtype=np.int64)  # (per distinct joined string)
        row[inverse[first]] = np.arange(len(first))
        lengths = self.lengths[first]
        starts = (np.cumsum(self.lengths) - self.lengths)[first]
        take = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        keys = [self.keys[i] for i in first]
        return TokenBatch(keys, lengths, self.vocab, self.codes[take]), row[inverse]


_SEP = "\x00"


def text_keys(texts: Sequence[str | None]) -> list:
    """:func:`text_key` of each text's normalised form (None when empty): the co_tweet keys of
    :func:`tokenize_batch` without its token sets."""
    out: list = []
    for t in texts:
        c = _clean(t) if isinstance(t, str) and t else ""
        out.append(text_key(" ".join(c.split())) if c else None)
    return out


def _simple(cleaned: str) -> bool:
    """True for a lower-cased text of ASCII letters and digits between spaces only: its
    :data:`ASCII_TOKEN` tokens are its space-separated words (no joiner, punctuation or other
    whitespace can make a token of its own), so ``str.split`` finds them."""
    return cleaned.isascii() and cleaned.replace(" ", "").isalnum()


def _factorize(flat: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, vocab) of a list of strings, as ``pd.factorize``: codes in order of first appearance,
    vocab the distinct strings as a NumPy object array (Arrow's hash table: several times faster
    than pandas' on Python strings)."""
    enc = pa.array(flat, pa.string()).dictionary_encode()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), np.asarray(enc.dictionary.to_pylist(), dtype=object)


def tokenize_batch(texts: Sequence[str | None]) -> TokenBatch:
    """:func:`key_and_tokens` for many texts at once (the same keys and token sets).

    ASCII texts are tokenised by one pass over the texts joined by NUL (a token of its own, so no
    token spans two texts): texts of plain words and single spaces (:func:`_simple`) by
    ``str.split``, the other ASCII texts by :data:`ASCII_TOKEN`; the rest one by one with CNT's
    pattern. Sets and their order come from NumPy on token codes rather than per-text Python sets.
    """
    n = len(texts)
    cleaned = [_clean(t) if isinstance(t, str) and t else "" for t in texts]
    keys = [text_key(" ".join(c.split())) if c else None for c in cleaned]
    fast, simple, slow = [], [], []
    for i, c in enumerate(cleaned):
        if not c:
            continue
        if c.isascii() and _SEP not in c:
            (simple if _simple(c) else fast).append(i)
        else:
            slow.append(i)
    # simple texts: " \x00 "-joined and split on spaces gives their words with a NUL token after each
    flat: list[str] = (" \x00 ".join(cleaned[i] for i in simple) + " \x00").split() if simple else []
    if fast:
        flat.extend(ASCII_TOKEN.findall(_SEP.join(cleaned[i] for i in fast) + _SEP))
    fast = simple + fast  # (the order of the NUL-separated texts in ``flat``)
    slow_tokens = [_tokens(cleaned[i]) for i in slow]
    n_fast = len(flat)
    flat.extend(t for ts in slow_tokens for t in ts)
    if not flat:
        return TokenBatch(keys, np.zeros(n, dtype=np.int64), np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
    codes, vocab = _factorize(flat)
    sep = np.array([v == _SEP for v in vocab], dtype=bool)
    space = np.array([v.isspace() for v in vocab], dtype=bool)
    keep = ~space[codes]
    text_of = np.empty(len(flat), dtype=np.int64)
    if n_fast:
        is_sep = sep[codes[:n_fast]]
        text_of[:n_fast] = np.asarray(fast, dtype=np.int64)[np.cumsum(is_sep) - is_sep]
        keep[:n_fast] &= ~is_sep  # (a slow text's own NUL token is kept, as CNT keeps it)
    if slow:
        text_of[n_fast:] = np.repeat(np.asarray(slow, dtype=np.int64), [len(ts) for ts in slow_tokens])
    lengths, set_codes = _distinct_sets(vocab, codes, text_of, keep, n)
    return TokenBatch(keys, lengths, vocab, set_codes)


def _distinct_sets(vocab: np.ndarray, codes: np.ndarray, text_of: np.ndarray, keep: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per text its distinct kept tokens in string order: (lengths, codes into ``vocab``, concatenated)."""
    order = np.argsort(vocab, kind="stable")  # Python's string order, as sorted()
    rank = np.empty(len(vocab), dtype=np.int64)
    rank[order] = np.arange(len(vocab))
    v = np.int64(len(vocab))
    combined = np.sort(text_of[keep] * v + rank[codes[keep]])
    if len(combined) > 1:  # distinct tokens per text, in string order
        combined = combined[np.concatenate(([True], combined[1:] != combined[:-1]))]
    lengths = np.bincount(combined // v, minlength=n).astype(np.int64)
    return lengths, order[combined % v]


_SALT_WORD_OR_SEP = re.compile(r"[^\W_]+|\x00")


def salted_token_batch(texts: Sequence[str | None], min_words: int = SALT_MIN_WORDS) -> TokenBatch:
    """The distinct words without salt (:func:`salted_batch`'s word sets) of many texts, vectorised:
    one pass of the salt pattern and one of the word pattern over the NUL-joined batch, sets by
    NumPy. Texts with fewer than ``min_words`` words get an empty set; ``keys`` are not computed
    (all None)."""
    n = len(texts)
    empty = TokenBatch([None] * n, np.zeros(n, dtype=np.int64), np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
    if n == 0:
        return empty
    joined = _SEP.join(t.replace(_SEP, " ") if isinstance(t, str) else "" for t in texts).lower()
    flat = _SALT_WORD_OR_SEP.findall(SALT.sub(" ", joined) + _SEP)
    codes, vocab = _factorize(flat)
    sep_code = next(i for i, v in enumerate(vocab) if v == _SEP)  # (NumPy's == strips trailing NULs)
    is_sep = codes == sep_code
    text_of = (np.cumsum(is_sep) - is_sep).astype(np.int64)
    words = np.bincount(text_of[~is_sep], minlength=n)
    keep = ~is_sep & (words[text_of] >= min_words)
    if not keep.any():
        return empty
    lengths, set_codes = _distinct_sets(vocab, codes, text_of, keep, n)
    return TokenBatch([None] * n, lengths, vocab, set_codes)


def lsh_params(threshold: float, num_perm: int, max_miss: float = 1e-6) -> tuple[int, int]:
    """(bands, rows) with the most rows per band such that P(miss | J = threshold) <= max_miss.

    A pair with Jaccard similarity ``s`` shares at least one band with probability
    ``1 - (1 - s**r)**b``; more rows per band mean fewer false candidates to verify.
    """
    if not 0 < threshold <= 1:
        raise ValueError("similarity threshold must be in (0, 1]")
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 1:
            break
        miss = (1 - threshold**r) ** b
        if miss <= max_miss:
            best = (b, r)
    return best


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One signed 64-bit key per (token set, band): a hash of the band's rows and the band number.

    All bands at once, row by row (``rows`` passes over an (n, bands) array)."""
    n = sig.shape[0]
    block = sig[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9), (n, bands)).copy()
        for k in range(rows):
            h ^= block[:, :, k]
            h *= mult
            h ^= h >> np.uint64(29)
    return h.view(np.int64)


def miss_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that LSH misses a pair of the given Jaccard similarity."""
    return float((1 - similarity**rows) ** bands)


__all__ = [
    "normalise_text",
    "tokenize",
    "salted_words",
    "salted_batch",
    "salted_token_batch",
    "minhash_signatures",
    "char_shingles",
    "key_and_tokens",
    "tokenize_batch",
    "text_keys",
    "TokenBatch",
    "jaccard",
    "text_key",
    "MinHasher",
    "lsh_params",
    "band_keys",
    "miss_probability",
    "sha1_hash32",
    "permutations",
]

