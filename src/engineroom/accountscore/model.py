"""The shipped account models and the transparent rule set.

Models are random forests (scikit-learn) exported to plain arrays (``.npz``: per node the feature,
threshold, children and the share of operation accounts in the leaf), so the shipped weights do
not depend on the installed scikit-learn version; at prediction time the arrays are handed to
scikit-learn's compiled tree code (numpy walks the same splits where that is not possible). Missing
feature values are replaced by :data:`MISSING` (-999) before both training and prediction, so
the trees learn what "unknown" means.

Files in ``engineroom/data/accounts/`` (written by ``engineroom train accounts``):
``profile_model.npz``, ``behaviour_model.npz``, ``handle_lm.json`` (character-trigram counts of
real handles, two sources) and ``model_card.json`` (features, training data, CV figures).

Combination (:func:`engineroom.analyses.accounts.combine_scores`): ``operation_score`` is half
the rule-set score (:func:`rule_score`) plus half the mean of the model probabilities that apply;
an account neither model can score gets the rule-set score. (The behaviour model alone over-flags
ordinary non-reply posting, because its organic training class is mostly replies in
breaking-news threads.)
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .signals import BEHAVIOUR_FEATURES, PROFILE_FEATURES, HandleLM

MISSING = -999.0


def prepare(X: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Feature matrix in model order with missing values as :data:`MISSING`."""
    M = np.array(X.reindex(columns=list(features)).to_numpy(dtype=np.float64), copy=True)
    M[~np.isfinite(M)] = MISSING
    return M


@dataclass
class Forest:
    """A random forest as arrays; ``predict(X)`` gives the mean leaf share of positives."""

    features: tuple[str, ...]
    feature: np.ndarray  # int32, -2 at leaves
    threshold: np.ndarray  # float64
    left: np.ndarray  # int32, global node index
    right: np.ndarray
    value: np.ndarray  # float64, P(positive) at the node
    roots: np.ndarray  # int32, root node of each tree
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_sklearn(cls, model: Any, features: Sequence[str], meta: dict | None = None) -> "Forest":
        feats, thr, lft, rgt, val, roots = [], [], [], [], [], []
        offset = 0
        pos = list(model.classes_).index(1)
        for est in model.estimators_:
            t = est.tree_
            n = t.node_count
            roots.append(offset)
            feats.append(t.feature.astype(np.int32))
            thr.append(t.threshold.astype(np.float64))
            lft.append(np.where(t.children_left >= 0, t.children_left + offset, -1).astype(np.int32))
            rgt.append(np.where(t.children_right >= 0, t.children_right + offset, -1).astype(np.int32))
            v = t.value[:, 0, :]
            v = v / np.clip(v.sum(axis=1, keepdims=True), 1e-12, None)
            val.append(v[:, pos].astype(np.float64))
            offset += n
        return cls(tuple(features), np.concatenate(feats), np.concatenate(thr), np.concatenate(lft),
                   np.concatenate(rgt), np.concatenate(val), np.asarray(roots, dtype=np.int32), meta or {})

    @classmethod
    def concat(cls, forests: Sequence["Forest"], meta: dict | None = None) -> "Forest":
        """One forest holding the trees of all ``forests`` (same features); predicts their mean
        over all trees."""
        if len(forests) == 1:
            f = forests[0]
            return cls(f.features, f.feature, f.threshold, f.left, f.right, f.value, f.roots, meta or {})
        feats, thr, lft, rgt, val, roots = [], [], [], [], [], []
        offset = 0
        for f in forests:
            if f.features != forests[0].features:
                raise ValueError("forests with different features cannot be joined")
            feats.append(f.feature)
            thr.append(f.threshold)
            lft.append(np.where(f.left >= 0, f.left + offset, -1).astype(np.int32))
            rgt.append(np.where(f.right >= 0, f.right + offset, -1).astype(np.int32))
            val.append(f.value)
            roots.append(f.roots + offset)
            offset += len(f.feature)
        return cls(forests[0].features, np.concatenate(feats), np.concatenate(thr), np.concatenate(lft),
                   np.concatenate(rgt), np.concatenate(val), np.concatenate(roots).astype(np.int32), meta or {})

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Mean over the trees of the positive share in the leaf each row reaches.

        Runs in scikit-learn's compiled tree code when the installed scikit-learn accepts the
        arrays (see :meth:`_compiled`), else in numpy (:meth:`predict_numpy`); both walk the same
        splits (features compared as float32, as scikit-learn does)."""
        M = prepare(X, self.features) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=np.float64)
        if M.shape[0] == 0:
            return np.zeros(0)
        trees = self._compiled()
        if trees is None:
            return self.predict_numpy(M)
        M32 = np.ascontiguousarray(M, dtype=np.float32)
        n = len(M32)

        def part(ts: list) -> np.ndarray:  # scikit-learn's tree code runs without the GIL
            acc = np.zeros(n)
            for t in ts:
                acc += t.predict(M32).reshape(n, -1)[:, 1]
            return acc

        workers = max(1, min(4, os.cpu_count() or 1, n // 5000))
        if workers == 1:
            return part(trees) / len(trees)
        chunks = [trees[i::workers] for i in range(workers)]
        with ThreadPoolExecutor(workers) as pool:
            total = sum(pool.map(part, chunks))
        return total / len(trees)

    def _compiled(self) -> list | None:
        """The trees as scikit-learn ``Tree`` objects built from these arrays (once per model),
        or None when this scikit-learn's tree internals do not take them."""
        if getattr(self, "_trees", False) is not False:
            return self._trees
        self._trees = None
        try:
            from sklearn.tree._tree import NODE_DTYPE, Tree

            bounds = list(self.roots) + [len(self.feature)]
            n_features = len(self.features)
            # depth of every node, all trees at once (breadth first from the roots)
            depth_all = np.zeros(len(self.feature), dtype=np.int64)
            frontier, d = np.asarray(self.roots, dtype=np.int64), 0
            while frontier.size:
                inner = frontier[self.feature[frontier] >= 0]
                frontier = np.concatenate([self.left[inner], self.right[inner]]).astype(np.int64)
                d += 1
                depth_all[frontier] = d
            max_depth = np.maximum.reduceat(depth_all, np.asarray(self.roots, dtype=np.int64))
            trees = []
            for k in range(len(self.roots)):
                a, b = int(bounds[k]), int(bounds[k + 1])
                n = b - a
                leaf = self.feature[a:b] < 0
                nodes = np.zeros(n, dtype=NODE_DTYPE)
                nodes["left_child"] = np.where(leaf, -1, self.left[a:b] - a)
                nodes["right_child"] = np.where(leaf, -1, self.right[a:b] - a)
                nodes["feature"] = np.where(leaf, -2, self.feature[a:b])
                nodes["threshold"] = np.where(leaf, -2.0, self.threshold[a:b])
                nodes["n_node_samples"] = 1
                nodes["weighted_n_node_samples"] = 1.0
                values = np.zeros((n, 1, 2))
                values[:, 0, 1] = self.value[a:b]
                values[:, 0, 0] = 1.0 - self.value[a:b]
                t = Tree(n_features, np.array([2], dtype=np.intp), 1)
                t.__setstate__({"max_depth": int(max_depth[k]), "node_count": n, "nodes": nodes, "values": values})
                trees.append(t)
            probe = np.zeros((1, n_features))
            if not np.allclose(sum(t.predict(probe.astype(np.float32)).reshape(1, -1)[0, 1] for t in trees) / len(trees),
                               self.predict_numpy(probe)):
                return None
            self._trees = trees
        except Exception:  # another scikit-learn layout: numpy evaluation
            self._trees = None
        return self._trees

    def predict_numpy(self, M: np.ndarray) -> np.ndarray:
        """:meth:`predict` in numpy, tree by tree, on a prepared matrix (see :func:`prepare`)."""
        M = np.asarray(M, dtype=np.float32).astype(np.float64)
        n = M.shape[0]
        if n == 0:
            return np.zeros(0)
        total = np.zeros(n)
        rows = np.arange(n)
        for root in self.roots:
            node = np.full(n, root, dtype=np.int64)
            while True:
                f = self.feature[node]
                inner = f >= 0
                if not inner.any():
                    break
                idx = np.nonzero(inner)[0]
                go_left = M[rows[idx], f[idx]] <= self.threshold[node[idx]]
                node[idx] = np.where(go_left, self.left[node[idx]], self.right[node[idx]])
            total += self.value[node]
        return total / len(self.roots)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, feature=self.feature.astype(np.int16), threshold=self.threshold.astype(np.float32),
            left=self.left, right=self.right, value=self.value.astype(np.float32), roots=self.roots,
            features=np.array(self.features), meta=np.array(json.dumps(self.meta)),
        )

    @classmethod
    def load(cls, path) -> "Forest":
        with np.load(path, allow_pickle=False) as z:
            return cls(tuple(str(f) for f in z["features"]), z["feature"].astype(np.int32),
                       z["threshold"].astype(np.float64), z["left"].astype(np.int32), z["right"].astype(np.int32),
                       z["value"].astype(np.float64), z["roots"].astype(np.int32), json.loads(str(z["meta"])))


def fit_forest(X: pd.DataFrame, y: np.ndarray, features: Sequence[str], seed: int = 0, n_estimators: int = 300,
               meta: dict | None = None, sample_weight: np.ndarray | None = None, extra_trees: int = 0,
               **kw: Any) -> Forest:
    """Train a random forest (balanced classes) and export it as a :class:`Forest`.

    ``extra_trees`` > 0 adds that many extremely randomised trees (scikit-learn's
    ``ExtraTreesClassifier``, same settings) to the ``n_estimators`` random-forest trees; the
    exported forest averages all of them. ``sample_weight`` weights the training rows."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    params = dict(n_estimators=n_estimators, min_samples_leaf=2, max_features="sqrt",
                  class_weight="balanced_subsample", n_jobs=2, random_state=seed)
    params.update(kw)
    M, yy = prepare(X, features), np.asarray(y, dtype=int)
    models = []
    if n_estimators > 0:
        models.append(RandomForestClassifier(**params).fit(M, yy, sample_weight=sample_weight))
    if extra_trees > 0:
        models.append(ExtraTreesClassifier(**{**params, "n_estimators": extra_trees}).fit(M, yy, sample_weight=sample_weight))
    parts = [Forest.from_sklearn(m, features) for m in models]
    return Forest.concat(parts, meta)


# -- shipped models ------------------------------------------------------------------------------

def data_dir() -> Path:
    return Path(str(resources.files("engineroom") / "data" / "accounts"))


@dataclass
class AccountModels:
    """The shipped models: profile forest, behaviour forest and the handle language models."""

    profile: Forest | None
    behaviour: Forest | None
    lm_profile: HandleLM  # real handles the profile model's handle_ngram_loglik was computed with
    lm_behaviour: HandleLM  # ... and the behaviour model's
    card: dict

    @property
    def lm_signal(self) -> HandleLM:
        """Handle model used for the ``handle_ngram_loglik`` signal column (both sources)."""
        return self.lm_profile.merged(self.lm_behaviour)


@lru_cache(maxsize=4)
def load_models(folder: str | None = None) -> AccountModels:
    """Load the models shipped in the package (or from ``folder``). Missing files -> None."""
    d = Path(folder) if folder else data_dir()
    lm_path = d / "handle_lm.json"
    lms = json.loads(lm_path.read_text()) if lm_path.exists() else {}
    prof = Forest.load(d / "profile_model.npz") if (d / "profile_model.npz").exists() else None
    beh = Forest.load(d / "behaviour_model.npz") if (d / "behaviour_model.npz").exists() else None
    card_path = d / "model_card.json"
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    return AccountModels(
        prof, beh,
        HandleLM.from_json(lms["profile"]) if "profile" in lms else HandleLM(),
        HandleLM.from_json(lms["behaviour"]) if "behaviour" in lms else HandleLM(),
        card,
    )


# -- the transparent rule set ------------------------------------------------------------------

#: (signal, test, weight, reason). An account's rule score is min(1, sum of the weights of the
#: rules it meets / 3). A rule whose signal is unknown (NULL) is not met.
RULES: tuple[tuple[str, str, float, str], ...] = (
    ("handle_name8", ">= 1", 1.0, "handle is a name followed by 8 digits (the platform default)"),
    ("handle_ngram_loglik", "<= -4.6", 1.0, "handle looks like a random string"),
    ("handle_max_digit_run", ">= 5", 0.5, "handle has a long run of digits"),
    ("name_handle_similarity", "<= 0.35", 0.5, "display name does not match the handle"),
    ("default_profile_image", ">= 1", 0.5, "default avatar"),
    ("bio_template_count", ">= 2", 1.0, "bio is a near duplicate of other accounts' bios"),
    ("creation_burst", ">= 10", 1.0, "created in a burst of account creations"),
    ("tz_mismatch_hours", ">= 5", 0.5, "posting hours imply a time zone far from the claimed location"),
    ("automation_share", ">= 0.5", 1.0, "most posts sent by automation clients"),
    ("repeat_at_target_max", ">= 5", 1.0, "the same post sent at one account many times"),
    ("low_cred_link_share", ">= 0.5", 1.0, "most links go to low-credibility domains"),
    ("news_persona_linkonly", ">= 1", 1.0, "link-only 'news' persona"),
    ("retweet_share", ">= 0.95", 0.5, "almost only retweets"),
    ("engagement_per_post", "<= 0.05", 0.5, "near-zero engagement on many posts"),
    ("follow_ratio", "<= -3", 0.5, "follows far more accounts than follow it"),
)
RULE_SCALE = 3.0


def _test(values: pd.Series, test: str) -> pd.Series:
    op, thr = test.split()
    v = pd.to_numeric(values, errors="coerce")
    res = v >= float(thr) if op == ">=" else v <= float(thr)
    return res.fillna(False).astype(bool)


def rule_hits(signals: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per rule (named by its signal) saying whether the account meets it."""
    out = pd.DataFrame(index=signals.index)
    for sig, test, _w, _why in RULES:
        if sig in signals:
            out[sig] = _test(signals[sig], test)
        else:
            out[sig] = False
    if "engagement_per_post" in signals and "n_posts" in signals:
        out["engagement_per_post"] &= pd.to_numeric(signals["n_posts"], errors="coerce").fillna(0).ge(10).to_numpy()
    return out


def rule_score(signals: pd.DataFrame) -> pd.Series:
    """The transparent score: sum of the weights of rules met, divided by 3, capped at 1."""
    hits = rule_hits(signals)
    weights = pd.Series({sig: w for sig, _t, w, _why in RULES})
    return (hits.astype(float) * weights.reindex(hits.columns).to_numpy()).sum(axis=1).div(RULE_SCALE).clip(upper=1.0)
