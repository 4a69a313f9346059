"""The shipped hate / antisemitism model: load it and score posts.

The model is two calibrated logistic-regression heads over the same features
(:mod:`engineroom.hate.features`): *antisemitic* (trained on the ISCA/Jikeli IHRA-annotated tweets,
with HateXplain Jewish-target posts and RedditBias stereotypes as extra, down-weighted examples) and
*any hate* (HateXplain hate speech, Davidson hate speech, plus the antisemitic examples). Each
head's decision value goes through Platt scaling fitted on out-of-fold predictions, so ``score`` is a
calibrated probability; the decision threshold was chosen on out-of-fold predictions too.

The weights are a compressed NumPy ``.npz`` of arrays (no pickle, loaded with
``allow_pickle=False``) plus a JSON metadata record; ``engineroom train hate`` rebuilds them.

>>> m = load_model()                          # doctest: +SKIP
>>> m.predict(["the goyim know, shut it down"]).label[0]   # doctest: +SKIP
'antisemitic'
"""

from __future__ import annotations

import json
from itertools import repeat
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .features import LEX_FEATURES, Featurizer, lexicon_matrix, quoted, tfidf

from .lexicon import CATEGORIES, REFERENT_CUES, Hit, Lexicon, default_lexicon, english_stop_words
from .normalize import group_texts, normalize, normalizer
from .targets import Target, default_targets

MODEL_FILE = "hate_model.npz"

#: Context adjustment of the antisemitic score (see :meth:`HateModel.adjust`); chosen on
#: out-of-fold Jikeli predictions (F1) — a model's metadata may override them.
CONTEXT = {"explicit_counter": 0.4, "report": 1.0, "identity": 0.6, "strong_weight": 0.95, "strong_scale": 0.9,
           # categories the training data hardly covers: lexicon evidence lifts them from a lower bar
           "rare_categories": ["jewish_power_conspiracy", "dual_loyalty", "holocaust_denial", "blood_libel"],
           "rare_weight": 0.7,
           # a post with no reference to Jews, Israel or Zionism and no coded term: never labelled
           # antisemitic, and its score is scaled by this
           "no_reason": 0.3,
           # a post whose only reference is to Israel / Zionism (no Jews, no trope), and one that is
           # also framed as news ("police", "said", "officials"): reporting on or arguing about events
           # in Israel is not antisemitic for that alone
           "israel_only": 0.7, "israel_report": 0.5}


def default_model_dir() -> Path:
    """The package's own model folder (where ``engineroom train hate`` writes by default)."""
    return Path(str(resources.files("engineroom") / "data" / "hate" / "model"))


@dataclass
class Prediction:
    """Per-post results of :meth:`HateModel.predict` (parallel arrays/lists)."""

    score: np.ndarray
    hate_score: np.ndarray
    label: list[str]
    category: list[str | None]
    evidence: list[str]
    counter_speech: list[bool]
    #: why the post can be antisemitic at all (:func:`reason`); None: it can not, at any threshold
    reason: list[str | None]

    def take(self, rows: np.ndarray) -> "Prediction":
        """The predictions of ``rows`` (indices, repeats allowed), in that order."""
        idx = rows.tolist()
        return Prediction(self.score[rows], self.hate_score[rows], [self.label[i] for i in idx],
                          [self.category[i] for i in idx], [self.evidence[i] for i in idx],
                          [self.counter_speech[i] for i in idx], [self.reason[i] for i in idx])


#: the context of the any-hate head: the lexicon lift and the referent rules are about antisemitism
_HATE_CONTEXT = {"strong_weight": 2.0, "rare_weight": 2.0, "no_reason": 1.0, "israel_only": 1.0, "israel_report": 1.0}

#: the evidence of a post without lexicon hits that is not flagged
_NO_EVIDENCE = json.dumps({"lexicon": []}, ensure_ascii=False)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


#: the reason kinds :func:`reason` returns, strongest first
REASONS = ("trope", "jews", "israel")

@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Words never shown as evidence tokens (``STOP_WORDS``): :func:`lexicon.english_stop_words`
    (scikit-learn's list, imported on first use) and a few of social media's."""
    return english_stop_words() | {"actually", "just", "really", "it's", "i'm", "don't", "that's", "im",
                                            "dont", "thats", "rt", "amp", "https", "http"}


def __getattr__(name: str):
    if name == "STOP_WORDS":  # the module constant, computed on first use
        return stop_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reason(hits: list[Hit]) -> str | None:
    """Why a post can be antisemitic at all, from its lexicon hits: ``"trope"`` (a trope with its
    Jewish referent, or a coded term: the lexicon drops tropes without one), ``"jews"`` (a reference
    to Jews, Judaism or the Holocaust, or a Jewish identity statement), ``"israel"`` (a reference to
    Israel or Zionism only), or ``None`` (no reason: never labelled antisemitic)."""
    kinds = set()
    for h in hits:
        e = h.entry
        if e.kind == "trope":
            return "trope"
        if e.category in REFERENT_CUES:
            kinds.add("israel" if e.sub == "israel" else "jews")
    return "jews" if "jews" in kinds else ("israel" if kinds else None)


def adjust_scores(p_as: np.ndarray, hits: list[list[Hit]], context: dict | None = None) -> np.ndarray:
    """Context adjustment of P(antisemitic).

    A post without a reason (:func:`reason`: no reference to Jews, Israel or Zionism and no coded
    term) is scaled by ``no_reason``; one whose only reason is a reference to Israel or Zionism by
    ``israel_only``, and by ``israel_report`` instead when it is also framed as news or as a fact of
    history (a ``history`` cue: founded, established, independence, century, …). A post whose
    every trope is hedged ("some media owned by Jews, some by Christians") counts as counter-speech.

    A post that talks *about* antisemitism (names it, calls a trope a conspiracy theory, a slur, a
    myth) is scaled by ``explicit_counter``; otherwise a news report by ``report``; an identity
    statement without any trope by ``identity``. Strong lexicon evidence (the noisy-OR of the trope
    weights ≥ ``strong_weight``) outside counter-speech or a news frame (police, courts, research)
    lifts the score to at least ``evidence × strong_scale``; for the ``rare_categories`` that the
    training data hardly covers (power conspiracies, dual loyalty, Holocaust denial, blood libel) the
    bar is ``rare_weight``. This carries expert knowledge about tropes that are rare in the training
    data (e.g. "holohoax", "Rothschild bankers") into the score.
    """
    c = {**CONTEXT, **(context or {})}
    rare = set(c.get("rare_categories", ()))
    out = np.array(p_as, dtype=float, copy=True)
    no_reason = float(c.get("no_reason", 1.0))
    with_hits = [i for i, hs in enumerate(hits) if hs]
    none = np.ones(len(out), dtype=bool)
    none[with_hits] = False
    out[none] *= no_reason  # no hit: no reason at all (most posts; scaled in one go)
    for i in with_hits:
        hs = hits[i]
        why = reason(hs)
        if why is None:
            out[i] *= no_reason
        elif why == "israel":  # news about Israel, or a fact of its history ("founded in 1948"), weighs less
            framed = any(h.entry.category in ("report", "history") for h in hs)
            out[i] *= float(c.get("israel_report" if framed else "israel_only", 1.0))
        explicit = report = news = identity = False
        miss = 1.0
        rare_miss = 1.0
        hedged = [h.hedged for h in hs if h.entry.kind == "trope"]
        if hedged and all(hedged):  # every trope only described ("some media owned by Jews"): as counter-speech
            explicit = True
        for h in hs:
            e = h.entry
            if e.kind == "trope":
                if h.hedged:  # "some media owned by Jews": described, not asserted; lifts nothing
                    continue
                miss *= 1.0 - e.weight
                if e.category in rare:
                    rare_miss *= 1.0 - e.weight
            elif e.category == "counter_speech" and e.explicit:
                explicit = True
            elif e.category == "report":
                report = True
                news = news or e.explicit
            elif e.category == "identity":
                identity = True
        w = 1.0 - miss  # noisy-OR of the trope weights: two independent tropes are stronger evidence
        if explicit:
            out[i] *= c["explicit_counter"]
        elif report:
            out[i] *= c["report"]
        if identity and w == 0.0:
            out[i] *= c["identity"]
        if not explicit and not news:
            if w >= c["strong_weight"]:
                out[i] = max(out[i], w * c["strong_scale"])
            elif 1.0 - rare_miss >= c["rare_weight"]:
                out[i] = max(out[i], (1.0 - rare_miss) * c["strong_scale"])
    return out


def _cue_evidence(lexicon: list[dict], cues: set[str], why: str | None) -> dict:
    """The evidence record's lexicon part: trope hits, the sorted cue categories and the reason."""
    ev: dict = {"lexicon": lexicon}
    if cues:
        ev["cues"] = sorted(cues)
    if why is not None:
        ev["reason"] = why
    return ev


class HateModel:
    """Featuriser + two linear heads + calibration; see the module docstring."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict, lexicon: Lexicon | None = None) -> None:
        self.meta = meta
        self.featurizer = Featurizer(**meta["featurizer"])
        self.idf = arrays["idf"].astype(np.float32)
        self.coef_as = arrays["coef_as"].astype(np.float32)
        self.coef_hate = arrays["coef_hate"].astype(np.float32)
        self.lex_scale = arrays["lex_scale"].astype(np.float32)
        self.intercept_as = float(meta["intercept_as"])
        self.intercept_hate = float(meta["intercept_hate"])
        self.platt_as = tuple(meta["platt_as"])
        self.platt_hate = tuple(meta["platt_hate"])
        self.threshold = float(meta.get("threshold_adjusted", meta["threshold_as"]))
        self.hate_threshold = float(meta["threshold_hate"])
        self.lexicon = lexicon or default_lexicon()
        self.targets = default_targets()
        self.context = {**CONTEXT, **meta.get("context", {})}
        self._feature_sets: dict[str, tuple[int, ...]] = {}
        n = self.featurizer.n_features
        if self.coef_as.shape[0] != n + len(LEX_FEATURES):
            raise ValueError("model file does not match the featuriser / lexicon features; retrain with `engineroom train hate`")

    # -- scoring --------------------------------------------------------------------------
    def features(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, list[list[Hit]], list[str]]:
        """The model's feature matrix for raw texts, with lexicon hits and normalised texts."""
        raws = ["" if t is None else str(t) for t in texts]
        norms = [normalize(t) for t in raws]
        X, hits = self._features(norms, raws)
        return X, hits, norms

    def _features(self, norms: list[str], raws: list[str]) -> tuple[sp.csr_matrix, list[list[Hit]]]:
        X = tfidf(self.featurizer.counts(norms), self.idf)
        F, hits = lexicon_matrix(self.lexicon, norms, raws)
        return sp.hstack([X, sp.csr_matrix(F * self.lex_scale)], format="csr"), hits

    def decision(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Raw decision values of the two heads."""
        return X @ self.coef_as + self.intercept_as, X @ self.coef_hate + self.intercept_hate

    def calibrate(self, z_as: np.ndarray, z_hate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.platt_as
        p_as = _sigmoid(a * z_as + b)
        a, b = self.platt_hate
        p_hate = np.maximum(_sigmoid(a * z_hate + b), p_as)
        return p_as, p_hate

    def adjust(self, p_as: np.ndarray, hits: list[list[Hit]]) -> np.ndarray:
        """Context adjustment of P(antisemitic): see :func:`adjust_scores`."""
        return adjust_scores(p_as, hits, self.context)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated, context-adjusted P(antisemitic) per text."""
        X, hits, _ = self.features(texts)
        return self.adjust(self.calibrate(*self.decision(X))[0], hits)

    def _top_tokens(self, norm: str, x_row: sp.csr_matrix, coef: np.ndarray, k: int = 5) -> list[dict]:
        """Words whose n-grams pushed the score up most (the learned part of the evidence)."""
        return self._top_tokens_of(norm, x_row.indices, x_row.data, coef, k)

    def _top_tokens_of(self, norm: str, idx: np.ndarray, vals: np.ndarray, coef: np.ndarray, k: int = 5) -> list[dict]:
        """:meth:`_top_tokens` of a row given as its column indices and values."""
        row = dict(zip(idx.tolist(), (vals * coef[idx]).tolist()))
        contrib: dict[str, float] = {}
        get = row.get
        stop = stop_words()
        for tok in set(self.featurizer.tokens(norm)):
            if len(tok) < 2 or tok in stop:  # "the", "by", "actually" explain nothing
                continue
            contrib[tok] = sum(map(get, self._feature_set(tok), repeat(0.0)))
        top = sorted(contrib.items(), key=lambda kv: -kv[1])[:k]
        return [{"token": t, "weight": round(v, 3)} for t, v in top if v > 0.05]

    def _feature_set(self, tok: str) -> tuple[int, ...]:
        """The distinct feature indices of a word, in the order a ``set`` of them iterates (the
        order the contributions are summed in); cached per process."""
        got = self._feature_sets.get(tok)
        if got is None:
            got = tuple(set(np.frombuffer(self.featurizer.token_features(tok), dtype=np.int32).tolist()))
            if len(self._feature_sets) >= 100_000:
                self._feature_sets.clear()
            self._feature_sets[tok] = got
        return got

    def predict(self, texts: Sequence[str], explain: bool = True, *,
                norms: Sequence[str] | None = None) -> Prediction:
        """Label, calibrated scores, IHRA category, evidence and counter-speech flag per text.

        Texts with the same normalised text and quoted flag (copies, templates, texts that differ
        only in mentions, links, case or spacing) get the same prediction: it is computed once.
        ``norms``: the texts' :func:`~engineroom.hate.normalize.normalize` results, when the caller
        has them already (same length as ``texts``); computed here otherwise.
        """
        raws = ["" if t is None else str(t) for t in texts]
        if norms is None:
            norm = normalizer()  # copies that differ only in links or mentions: normalised once
        else:
            if len(norms) != len(raws):
                raise ValueError(f"{len(norms)} normalised texts for {len(raws)} texts")
            norm = dict(zip(raws, norms)).__getitem__
        keys, reps, of_text = group_texts(raws, lambda t: (norm(t), quoted(t)))
        pred = self._predict([norm for norm, _ in keys], reps, explain)
        if len(keys) == len(raws):
            return pred
        return pred.take(np.asarray(of_text, dtype=np.int64))

    def _scores(self, norms: list[str], raws: list[str]) -> tuple[sp.csr_matrix, list[list[Hit]], np.ndarray, np.ndarray]:
        """The n-gram TF-IDF rows (without the lexicon columns), the lexicon hits and the raw
        decision values of the two heads: the same values, bit for bit, as :meth:`decision` of
        :meth:`_features`, without stacking the lexicon columns onto the sparse rows.

        A sparse row times a vector adds its entries' products one by one, in ``float32``, from
        the n-gram columns to the lexicon columns; so the n-gram part is one sparse product and
        each lexicon column then adds its product to the rows where it is not zero, in column order.
        """
        X = self.featurizer.weights(norms, self.idf)
        F, hits = lexicon_matrix(self.lexicon, norms, raws)
        F *= self.lex_scale
        n = self.featurizer.n_features
        out = []
        for coef, intercept in ((self.coef_as, self.intercept_as), (self.coef_hate, self.intercept_hate)):
            z = X @ coef[:n]
            for j, w in enumerate(coef[n:]):
                col = F[:, j]
                np.add(z, col * w, out=z, where=col != 0)
            out.append(z + intercept)
        return X, hits, out[0], out[1]

    def _predict(self, norms: list[str], texts: list[str], explain: bool) -> Prediction:
        X, hits, z_as, z_hate = self._scores(norms, texts)
        p_as, p_hate = self.calibrate(z_as, z_hate)
        p_as = self.adjust(p_as, hits)
        # identity statements and explicit counter-speech are not hate of any kind either
        p_hate = np.maximum(adjust_scores(p_hate, hits, {**self.context, **_HATE_CONTEXT}), p_as)
        # no post is labelled antisemitic without a reason in it (a Jewish referent or a coded term)
        reasons = [reason(hs) if hs else None for hs in hits]
        anti = (p_as >= self.threshold) & np.array([r is not None for r in reasons], dtype=bool)
        other = ~anti & (p_hate >= self.hate_threshold)
        # other hate needs a target: a protected group named or slurred, outside a report of racism
        targets: dict[int, Target] = {}
        for i in np.flatnonzero(other).tolist():
            tg = targets[i] = self.targets.target_of(texts[i], norms[i])
            other[i] = tg.attacks_group
        n = len(texts)
        labels: list[str] = np.where(anti, "antisemitic", np.where(other, "other_hate", "none")).tolist()
        # a post with no lexicon hit and label none has the same evidence as every other such post
        cats: list[str | None] = [None] * n
        evs: list[str] = [_NO_EVIDENCE] * n
        counter: list[bool] = [False] * n
        todo = anti | other
        todo[[i for i, hs in enumerate(hits) if hs]] = True
        plain: dict[tuple[frozenset[str], str | None], str] = {}  # evidence of cue-only posts, by cues and reason
        for i in np.flatnonzero(todo).tolist():
            hs = hits[i]
            lab = labels[i]
            tropes = [h for h in hs if h.entry.kind == "trope"]
            cues = {h.entry.category for h in hs if h.entry.kind == "cue"}
            if lab == "antisemitic" and tropes:
                best = max(tropes, key=lambda h: h.entry.weight)
                cats[i] = best.entry.category
            counter[i] = bool(lab != "antisemitic" and "counter_speech" in cues and (
                "jewish_reference" in cues or bool(tropes)))
            if lab == "none" and not tropes:  # cues only (news, history, a reference to Jews): a few kinds
                key = (frozenset(cues), reasons[i])
                got = plain.get(key)
                if got is None:
                    got = plain[key] = json.dumps(_cue_evidence([], cues, reasons[i]), ensure_ascii=False)
                evs[i] = got
                continue
            ev = _cue_evidence([h.as_evidence() for h in tropes], cues, reasons[i])
            if lab == "other_hate":
                ev["target"] = targets[i].as_evidence()
            if explain and lab != "none":
                coef = self.coef_as if lab == "antisemitic" else self.coef_hate
                a, b = X.indptr[i], X.indptr[i + 1]
                ev["tokens"] = self._top_tokens_of(norms[i], X.indices[a:b], X.data[a:b], coef)
            evs[i] = json.dumps(ev, ensure_ascii=False)
        return Prediction(p_as, p_hate, labels, cats, evs, counter, reasons)

    # -- persistence ----------------------------------------------------------------------
    def save(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / MODEL_FILE
        np.savez_compressed(path, idf=self.idf.astype(np.float16), coef_as=self.coef_as.astype(np.float16),
                            coef_hate=self.coef_hate.astype(np.float16), lex_scale=self.lex_scale,
                            meta=np.array(json.dumps(self.meta)))
        (folder / "model.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n")
        return path


def load_model(folder: str | Path | None = None) -> HateModel:
    """Load a model folder (default: the one shipped in the package)."""
    folder = Path(folder) if folder else default_model_dir()
    path = folder / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"no hate model at {path}: run `engineroom train hate`")
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    return HateModel(arrays, meta)


@lru_cache(maxsize=4)
def _cached(folder: str) -> HateModel:
    return load_model(folder or None)


def shipped_model(folder: str | Path | None = None) -> HateModel:
    """The model, loaded once per process."""
    return _cached(str(folder) if folder else "")


__all__ = ["HateModel", "Prediction", "load_model", "shipped_model", "default_model_dir", "CATEGORIES"]
