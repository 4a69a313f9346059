"""Score posts against narratives: required concepts, excluded contexts, exemplar similarity, keywords.

Each post and each exemplar is normalised (:mod:`engineroom.hate.normalize`, so obfuscated and
hashtag-compounded spellings count) and turned into a hashed word 1–2-gram + in-word character
2–5-gram TF-IDF vector (:mod:`engineroom.hate.features`; IDF from the shipped hate model's training
corpus of ~50k posts, or, without it, smoothed IDF over the exemplars). For each narrative:

* ``similarity`` = the highest cosine similarity between the post and one of its exemplars;
* ``keywords`` = the narrative's keywords found in the post (Aho-Corasick, word boundaries);
* ``score`` = ``similarity + keyword_weight × min(#distinct keywords, 2)``, capped at 1.

A post matches a narrative when ``score ≥ threshold`` (per narrative; default 0.3) **and**, for a
narrative with ``require`` groups / ``exclude`` phrases, every required concept group has a phrase
in the post and no excluded phrase is there (:class:`PhraseMatcher`: whole words on the normalised
post, ``word*`` as a word prefix); a narrative with ``near`` rules also needs, in a group set that has all
of a rule's groups, one phrase of each within that rule's number of words of the others (word positions within one view of the normalised text). Pushing a narrative and calling it out are exclusive: when a
post matches narratives of both kinds, a narrative with required groups wins (the more specific
reading), else the kind with the higher score is kept (``exclusive_kinds``). The evidence records
the closest exemplar, its similarity, the keywords found and, for gated narratives, the phrase
found for each concept group (``concepts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import product
from typing import Sequence

import ahocorasick
import numpy as np
import scipy.sparse as sp

from ..hate.features import Featurizer, fit_idf, tfidf
from ..hate.normalize import SEPARATOR, group_texts, normalize, normalizer
from .packs import Narrative

KEYWORD_WEIGHT = 0.2


@dataclass
class Match:
    """One (post, narrative) match."""

    row: int
    narrative: str
    kind: str
    score: float
    evidence: str


def _boundary(ch: str) -> bool:
    return not (ch.isalnum() or ch == "_")


class PhraseMatcher:
    """Find pack phrases in normalised text: whole words, ``word*`` as a word prefix, a plural ``s``.

    Every phrase is added in both normalised views (spaced and squashed, see
    :func:`engineroom.hate.normalize.normalize`); ``add`` tags it with an owner, and ``find``
    returns ``{owner: {phrase as written, ...}}`` for one normalised text (Aho-Corasick, one pass).
    """

    def __init__(self) -> None:
        self._forms: dict[tuple[str, bool], set[tuple[object, str]]] = {}
        self._auto = ahocorasick.Automaton()
        self._ready = False

    def add(self, phrase: str, owner: object) -> None:
        prefix = phrase.endswith("*")
        body = phrase[:-1] if prefix else phrase
        spaced, _, squashed = normalize(body).partition(SEPARATOR)
        for f in {spaced.strip(), squashed.strip()}:
            if f:
                self._forms.setdefault((f, prefix), set()).add((owner, phrase))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def _build(self) -> None:
        by_form: dict[str, list[tuple[bool, tuple]]] = {}
        for (f, prefix), owners in self._forms.items():
            by_form.setdefault(f, []).append((prefix, tuple(owners)))
        for f, entries in by_form.items():
            self._auto.add_word(f, (f, tuple(entries)))
        if by_form:
            self._auto.make_automaton()
        self._ready = True

    def _hits(self, norm: str):
        """(start, end, owner, phrase) of every phrase found (end inclusive, character offsets)."""
        if not self._ready:
            self._build()
        if not self._forms or not norm:
            return
        n = len(norm)
        for end, (form, entries) in self._auto.iter(norm):
            start = end - len(form) + 1
            if start and not _boundary(norm[start - 1]):
                continue
            after = end + 1
            whole = after >= n or _boundary(norm[after]) or (norm[after] == "s" and (after + 1 >= n or _boundary(norm[after + 1])))
            for prefix, owners in entries:
                if prefix or whole:
                    for owner, phrase in owners:
                        yield start, end, owner, phrase

    def find(self, norm: str) -> dict[object, set[str]]:
        # the loop of _hits written out: this runs on every post, a generator costs ~20 % more here
        if not self._ready:
            self._build()
        found: dict[object, set[str]] = {}
        if not self._forms or not norm:
            return found
        n = len(norm)
        for end, (form, entries) in self._auto.iter(norm):
            start = end - len(form) + 1
            if start and not _boundary(norm[start - 1]):
                continue
            after = end + 1
            whole = after >= n or _boundary(norm[after]) or (norm[after] == "s" and (after + 1 >= n or _boundary(norm[after + 1])))
            for prefix, owners in entries:
                if prefix or whole:
                    for owner, phrase in owners:
                        found.setdefault(owner, set()).add(phrase)
        return found

    def find_spans(self, norm: str, owners: set) -> dict[object, list[tuple[int, int, int]]]:
        """``{owner: [(view, first word, last word), ...]}`` for the given owners: where each phrase
        lies, as word positions within its view of the normalised text (spaced, then squashed)."""
        sep = norm.find(SEPARATOR)
        out: dict[object, list[tuple[int, int, int]]] = {}
        for start, end, owner, _phrase in self._hits(norm):
            if owner not in owners:
                continue
            view = 0 if sep < 0 or start < sep else 1
            base = 0 if view == 0 else sep + len(SEPARATOR)
            first = len(norm[base:start].split())
            out.setdefault(owner, []).append((view, first, first + len(norm[start:end + 1].split()) - 1))
        return out


def _close(spans: list[list[tuple[int, int, int]]], words: int) -> bool:
    """Whether one span of each list lies in the same view within ``words`` words of all the others."""
    for combo in product(*spans):
        if len({v for v, _, _ in combo}) == 1 and max(a for _, a, _ in combo) - min(b for _, _, b in combo) <= words:
            return True
    return False


class NarrativeScorer:
    """Compiled narratives: exemplar vectors, a keyword matcher and a concept matcher."""

    def __init__(self, narratives: Sequence[Narrative], idf: np.ndarray | None = None,
                 featurizer: Featurizer | None = None, keyword_weight: float = KEYWORD_WEIGHT,
                 exclusive_kinds: bool = True) -> None:
        if not narratives:
            raise ValueError("no narratives to score")
        self.narratives = list(narratives)
        self.keyword_weight = keyword_weight
        self.exclusive_kinds = exclusive_kinds
        self.featurizer = featurizer or Featurizer()
        ex_texts: list[str] = []
        owner: list[int] = []
        for k, n in enumerate(self.narratives):
            for e in n.exemplars:
                ex_texts.append(e)
                owner.append(k)
        ex_norm = [normalize(t) for t in ex_texts]
        counts = self.featurizer.counts(ex_norm)
        self.idf = idf if idf is not None and len(idf) == self.featurizer.n_features else fit_idf(counts)
        self.ex_texts = ex_texts
        self.owner = np.asarray(owner)
        self.E = tfidf(counts, self.idf).T.tocsr()  # features × exemplars
        # the same as a dense matrix over the few features the exemplars have (plus a zero row
        # that every other feature maps to): X @ E as one sparse × dense product
        used = np.flatnonzero(np.diff(self.E.indptr) > 0)
        self._feature_row = np.full(self.E.shape[0], len(used), dtype=np.int32)
        self._feature_row[used] = np.arange(len(used), dtype=np.int32)
        self._E_dense = np.zeros((len(used) + 1, self.E.shape[1]), dtype=self.E.dtype)
        self._E_dense[:-1] = self.E[used].toarray()
        # keywords (score bonus) and concepts (required groups, excluded contexts)
        self.keywords = PhraseMatcher()
        self.concepts = PhraseMatcher()
        for k, n in enumerate(self.narratives):
            for kw in n.keywords:
                self.keywords.add(kw, k)
            for g, phrases in n.require:
                for ph in phrases:
                    self.concepts.add(ph, (k, g))
            for j, alt in enumerate(n.or_require):  # alternative group sets: "or<j>.<group>"
                for g, phrases in alt:
                    for ph in phrases:
                        self.concepts.add(ph, (k, f"or{j}.{g}"))
            for ph in n.exclude:
                self.concepts.add(ph, (k, None))
        self.has_keywords = bool(self.keywords)
        self._checked = np.array([bool(n.require or n.exclude) for n in self.narratives])  # need the concept pass
        self._gated = np.array([bool(n.require) for n in self.narratives])  # have required concept groups
        self._index = {n.name: k for k, n in enumerate(self.narratives)}
        # per narrative, its group sets as (concept keys, the `near` rules that bind the set as
        # (keys, words)), built once: the concept pass runs on almost every post
        self._sets: dict[int, list[tuple[tuple[str, ...], list[tuple[tuple[str, ...], int]]]]] = {}
        for k, n in enumerate(self.narratives):
            sets = []
            for pre, alt in [("", n.require)] + [(f"or{j}.", a) for j, a in enumerate(n.or_require)]:
                if not alt:
                    continue
                names = {g for g, _ in alt}
                rules = [(tuple(f"{pre}{g}" for g in groups), words) for groups, words in n.near if all(g in names for g in groups)]
                sets.append((tuple(f"{pre}{g}" for g, _ in alt), rules))
            self._sets[k] = sets
        # the concept owners (narrative, group key) whose word positions a `near` rule needs
        self._span_owners = {(k, key) for k, sets in self._sets.items()
                             for _keys, rules in sets for rkeys, _w in rules for key in rkeys}
        self._checked_idx = np.flatnonzero(self._checked).tolist()
        # allowed when the post has no concept phrase at all: narratives with no required groups
        # (unchecked ones, and those with exclusions only)
        self._allowed_bare = np.array([not self._sets[k] for k in range(len(self.narratives))], dtype=bool)

    def _keywords(self, norm: str) -> dict[int, set[str]]:
        return self.keywords.find(norm)  # type: ignore[return-value]

    def _concepts(self, norm: str) -> tuple[np.ndarray, dict[int, dict[str, list[str]]], dict[int, list[str]]]:
        """(allowed per narrative, concept phrases found per narrative and group, exclusions found)."""
        found = self.concepts.find(norm)
        if not found:  # no phrase at all: every narrative with required groups is ruled out
            return self._allowed_bare.copy(), {}, {}
        groups: dict[int, dict[str, list[str]]] = {}
        excluded: dict[int, list[str]] = {}
        for (k, g), phrases in found.items():  # type: ignore[misc]
            if g is None:
                excluded[k] = sorted(phrases)
            else:
                groups.setdefault(k, {})[g] = sorted(phrases)
        ok = np.ones(len(self.narratives), dtype=bool)
        spans = None
        for k in self._checked_idx:
            if k in excluded:
                ok[k] = False
                continue
            sets = self._sets[k]
            if not sets:  # exclusions only: allowed unless excluded
                continue
            have = groups.get(k)
            if not have:
                ok[k] = False
                continue
            full = [(keys, rules) for keys, rules in sets if all(key in have for key in keys)]
            if any(rules for _keys, rules in full):
                # a set bound by `near` rules needs one phrase of each rule's groups within its words
                if spans is None:
                    spans = self.concepts.find_spans(norm, self._span_owners)
                full = [(keys, rules) for keys, rules in full
                        if all(_close([spans.get((k, key), []) for key in rkeys], words) for rkeys, words in rules)]
            ok[k] = bool(full)
        return ok, groups, excluded

    def score(self, texts: Sequence[str | None], *, norms: Sequence[str | None] | None = None) -> list[Match]:
        """Matches (score ≥ the narrative's threshold) of each text, with evidence.

        Ordered by row, then by narrative (pack order). A score depends on the normalised text
        only, so texts that normalise identically (copies, texts that differ only in mentions,
        links, case or spacing) are scored once per call. ``norms``: the texts'
        :func:`~engineroom.hate.normalize.normalize` results where the caller has them (None, or a
        None item: computed here).
        """
        norm = normalizer()
        if norms is None:
            norms, _reps, inverse = group_texts([t or "" for t in texts], norm)
        else:
            if len(norms) != len(texts):
                raise ValueError(f"{len(norms)} normalised texts for {len(texts)} texts")
            given = [n if isinstance(n, str) else norm(t) for t, n in zip(texts, norms)]
            norms, _reps, inverse = group_texts(given, lambda n: n)
        matches = self._score(norms)
        if len(norms) == len(inverse):
            return matches
        by_text: dict[int, list[Match]] = {}
        for m in matches:
            by_text.setdefault(m.row, []).append(m)
        out: list[Match] = []
        for i, u in enumerate(inverse):
            got = by_text.get(u)
            if got:
                out.extend(Match(i, m.narrative, m.kind, m.score, m.evidence) for m in got)
        return out

    def _score(self, norms: list[str]) -> list[Match]:
        """Matches of normalised texts.

        The concept pass (required groups, excluded contexts) runs first; the similarity and the
        keywords only for texts that it leaves a narrative to match (each text's score depends on
        that text alone, so the matches are those of scoring every text)."""
        allowed = np.ones((len(norms), len(self.narratives)), dtype=bool)
        concepts: dict[int, dict[int, dict[str, list[str]]]] = {}
        if self._checked.any():
            for i, norm in enumerate(norms):
                ok, groups, _excluded = self._concepts(norm)
                allowed[i] = ok
                concepts[i] = groups
        rows = np.flatnonzero(allowed.any(axis=1))
        norms = [norms[i] for i in rows.tolist()]
        n = len(norms)
        if not n:
            return []
        X = tfidf(self.featurizer.counts(norms), self.idf)
        if self.E.shape[1]:
            # each similarity sums the same products in the same order as X @ E (a feature the
            # exemplars lack adds an exact 0), so S is bit for bit that product's
            Xr = sp.csr_matrix((X.data, self._feature_row[X.indices], X.indptr), shape=(n, len(self._E_dense)))
            S = Xr @ self._E_dense
        else:
            S = np.zeros((n, 0))
        # best exemplar per narrative
        K = len(self.narratives)
        best_sim = np.zeros((n, K))
        best_ex = np.zeros((n, K), dtype=int)
        for k in range(K):
            cols = np.flatnonzero(self.owner == k)
            sub = S[:, cols]
            arg = sub.argmax(axis=1)
            best_sim[:, k] = sub[np.arange(n), arg]
            best_ex[:, k] = cols[arg]
        thresholds = np.array([m.threshold for m in self.narratives])
        # keywords found per (post, narrative); the score as the per-post loop computed it
        kws: dict[int, dict[int, set[str]]] = {}
        n_kw = np.zeros((n, K))
        if self.has_keywords:
            for i, norm in enumerate(norms):
                found = self._keywords(norm)
                if found:
                    kws[i] = found
                    for k, words in found.items():
                        n_kw[i, k] = min(len(words), 2)
        score = np.minimum(1.0, best_sim + self.keyword_weight * n_kw)
        hit = (score >= thresholds) & (score > 0) & allowed[rows]
        out: list[Match] = []
        for i in np.flatnonzero(hit.any(axis=1)).tolist():
            found_i = kws.get(i, {})
            r = int(rows[i])  # the text's position in the call
            row: list[Match] = []
            for k in np.flatnonzero(hit[i]).tolist():
                nar = self.narratives[k]
                ev = {"similarity": round(float(best_sim[i, k]), 3), "exemplar": self.ex_texts[best_ex[i, k]][:200],
                      "keywords": sorted(found_i.get(k, ())), "pack": nar.pack}
                if nar.require:
                    # sorted by group: the same post gives the same evidence on every run
                    ev["concepts"] = dict(sorted(concepts.get(r, {}).get(k, {}).items()))
                row.append(Match(r, nar.name, nar.kind, round(float(score[i, k]), 4), json.dumps(ev, ensure_ascii=False)))
            if self.exclusive_kinds and len({m.kind for m in row}) > 1:
                # pushing a narrative and calling it out are exclusive. A narrative whose required
                # concept groups all matched (e.g. antisemitism + a dismissive frame) is the more
                # specific reading and wins (counter-speech that quotes the frame to reject it is
                # what the narrative's `exclude` phrases are for); otherwise the stronger score wins
                gated = [m for m in row if m.kind == "narrative" and self._gated[self._index[m.narrative]]]
                top = "narrative" if gated else max(row, key=lambda m: m.score).kind
                row = [m for m in row if m.kind == top]
            out.extend(row)
        return out
