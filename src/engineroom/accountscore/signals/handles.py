"""Handle and name signals: character entropy, digits, the platform's default *name + 8 digits*
pattern, how unlike real people's handles a handle is (a character-trigram model), and how
little the display name resembles the handle.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable

import numpy as np
import pandas as pd


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
        vals = handles.tolist() if isinstance(handles, pd.Series) else list(handles)  # tolist: no per-item iterator
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
        # distinct code points by hashing (pandas), not sorting: any order serves :meth:`test`
        self._inv, self._uniq = pd.factorize(self.cp)

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
