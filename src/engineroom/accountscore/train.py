"""Train (and cross-validate) the shipped account models from ``../shared/data``.

``engineroom train accounts [--data ../shared/data] [--out DIR] [--no-cv]`` runs :func:`train`:

1. **Profile model** on ``cresci2017_account_profiles/users.csv.gz`` (development half): every
   genuine account is a negative, every spambot / fake follower a positive; features are
   :data:`~engineroom.accountscore.signals.PROFILE_FEATURES` computed from profile fields alone
   (counts and rates as of the crawl time). Every training row is used twice, the second time
   with the likes count unknown (as in Twitter API v2 exports) and half the weight, see
   :func:`augment_missing` and :data:`V2_COPY_WEIGHT`. Handle n-gram likelihoods use a handle model fitted
   on a *different* source (the organic accounts of the IRA corpus), so no handle is scored by a
   model that saw it.
2. **Behaviour model** on ``ira_vs_organic_dev`` (posts + account labels): features are
   :data:`~engineroom.accountscore.signals.BEHAVIOUR_FEATURES` computed from a sample of at most
   three posts per account. The sample size k is drawn, for *every* account, from the
   distribution of min(3, posts) among organic accounts, so that the number of posts carries no
   information about the label. Handle likelihoods use the handle model fitted on the cresci
   genuine accounts (again a different source).
3. Cross-validation (unless ``--no-cv``): cresci stratified 5-fold ROC AUC; leave-one-family-out
   (train without one bot family and without a fold of genuine accounts, score that family and
   that genuine fold; 5 folds pooled); IRA account-disjoint stratified 5-fold ROC AUC with the
   k <= 3 sampling above. Figures go to ``model_card.json``.
4. Final models, exported to ``engineroom/data/accounts/``: the profile model on every cresci
   development row; the behaviour model on the IRA-vs-organic accounts of the ``train`` role
   only. :func:`split_accounts` splits those accounts (stratified by label, seeded) into
   ``train`` (60 %), ``calibration`` (20 %) and ``test`` (20 %); the roles are shipped as
   ``training_accounts.csv`` (corpus, account_id, role: references to rows of
   ``account_labels.csv``, nothing else) so that ``engineroom eval accounts`` can tell training
   accounts from held-out ones.
5. Calibration (:func:`calibrate`): the IRA-vs-organic posts are ingested into a scratch corpus
   and the ``accounts`` analysis runs with the new models, as an analyst would run it. The
   default ``flagged`` threshold is the lowest ``operation_score`` at which the *calibration*
   accounts reach precision >= :data:`TARGET_PRECISION` *where operation accounts are rare*: the
   precision a corpus with :data:`TARGET_PRIOR` (1 %) operation accounts would see, from the
   calibration accounts' true- and false-positive rates (they hold 28 % IRA accounts, so their
   raw precision flatters any threshold). Precision and recall at that threshold on the *test*
   accounts (used for nothing else) go to the model card as the held-out figures.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .model import BEHAVIOUR_FEATURES, PROFILE_FEATURES, Forest, data_dir, fit_forest
from .signals import HandleLM, behaviour_features, handle_features, profile_features

SEED = 20240601
N_TREES = 300
#: precision the default ``flagged`` threshold is chosen for (on the calibration accounts)
TARGET_PRECISION = 0.95
#: share of operation accounts the default threshold is chosen for: precision is computed as it
#: would be in a corpus where 1 account in 100 belongs to an operation (the calibration accounts
#: hold 28 %, far above any real corpus), from the calibration accounts' TPR and FPR
TARGET_PRIOR = 0.01
#: shares of the IRA-vs-organic accounts per role (train, calibration, test)
ROLE_SHARES = (("train", 0.6), ("calibration", 0.2), ("test", 0.2))
#: the corpus the behaviour model's account roles refer to
BEHAVIOUR_CORPUS = "ira_vs_organic_dev"


# -- loading -------------------------------------------------------------------------------------

def _parse_twitter_time(s: pd.Series) -> pd.Series:
    """Twitter v1.1 ``created_at`` ('Tue May 13 10:37:57 +0000 2014') or epoch ms ('1183552203000L')."""
    s = s.fillna("").astype(str).str.strip()
    out = pd.to_datetime(s, format="%a %b %d %H:%M:%S %z %Y", errors="coerce", utc=True)
    ms = pd.to_numeric(s.str.rstrip("L"), errors="coerce")
    epoch = pd.to_datetime(ms, unit="ms", errors="coerce", utc=True)
    out = out.fillna(epoch)
    generic = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    return out.fillna(generic).dt.tz_localize(None)


def profiles_to_accounts(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """A cresci-style profile CSV (Twitter v1.1 user fields) as corpus ``accounts`` columns,
    plus the time each profile was seen (``crawled_at``, else ``updated``, else ``timestamp``)."""
    def col(*names: str) -> pd.Series:
        for n in names:
            if n in df:
                return df[n]
        return pd.Series([None] * len(df), index=df.index, dtype=object)

    acc = pd.DataFrame({
        "account_id": col("id", "account_id", "user_id").astype(str),
        "handle": col("screen_name", "handle"),
        "display_name": col("name", "display_name"),
        "bio": col("description", "bio"),
        "location": col("location"),
        "url": col("url"),
        "created_at": _parse_twitter_time(col("created_at")),
        "followers": pd.to_numeric(col("followers_count", "followers"), errors="coerce"),
        "following": pd.to_numeric(col("friends_count", "following_count", "following"), errors="coerce"),
        "posts_count": pd.to_numeric(col("statuses_count", "posts_count"), errors="coerce"),
        "likes_count": pd.to_numeric(col("favourites_count", "likes_count"), errors="coerce"),
        "listed_count": pd.to_numeric(col("listed_count"), errors="coerce"),
        "verified": col("verified"),
        "protected": col("protected"),
        "default_profile": col("default_profile"),
        "default_profile_image": col("default_profile_image"),
    }, index=df.index)
    seen = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for name in ("crawled_at", "updated", "timestamp"):
        if name in df:
            t = pd.to_datetime(df[name].replace("", None), errors="coerce", format="mixed")
            seen = seen.fillna(t)
    return acc, seen


def load_cresci(data: Path) -> pd.DataFrame:
    """The cresci-2017 development profiles with ``label`` (1 = bot) and ``family``."""
    path = Path(data) / "cresci2017_account_profiles" / "users.csv.gz"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["y"] = (df["label"] != "human").astype(int)
    return df


def load_ira(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IRA vs organic development posts and account labels (``y`` 1 = IRA)."""
    d = Path(data) / "ira_vs_organic_dev"
    posts = pd.read_csv(d / "posts.csv.gz", dtype=str, keep_default_na=False)
    labels = pd.read_csv(d / "account_labels.csv", dtype=str, keep_default_na=False)
    labels["y"] = (labels["label"] == "ira").astype(int)
    return posts, labels


# -- feature building ----------------------------------------------------------------------------

def cresci_features(df: pd.DataFrame, lm: HandleLM) -> pd.DataFrame:
    acc, seen = profiles_to_accounts(df)
    return profile_features(acc, lm, observed_at=seen)


def _k_distribution(labels: pd.DataFrame) -> np.ndarray:
    org = labels.loc[labels["y"] == 0, "n_posts"].astype(int).clip(upper=3)
    p = np.array([(org == k).mean() for k in (1, 2, 3)])
    return p / p.sum()


def sample_posts(posts: pd.DataFrame, accounts: np.ndarray, kdist: np.ndarray, rng: np.random.Generator,
                 max_posts: int = 3, draw: int = 0) -> pd.DataFrame:
    """For each account draw k ~ ``kdist`` (capped at its posts) and k of its posts at random."""
    g = posts[posts["account_id"].isin(set(accounts))]
    g = g.assign(_r=rng.random(len(g)))
    g = g.sort_values(["account_id", "_r"])
    g["_rank"] = g.groupby("account_id").cumcount()
    ks = pd.Series(rng.choice(np.arange(1, max_posts + 1), size=len(accounts), p=kdist), index=accounts)
    g = g[g["_rank"] < g["account_id"].map(ks)]
    return g.assign(sample_id=g["account_id"] + f"#{draw}")


def ira_account_frame(posts: pd.DataFrame) -> pd.DataFrame:
    """Account-level fields available in the IRA corpus: handle, followers, following (latest)."""
    last = posts.sort_values("created_at").groupby("account_id").tail(1).set_index("account_id")
    return pd.DataFrame({
        "handle": last["screen_name"],
        "followers": pd.to_numeric(last["followers_count"], errors="coerce"),
        "following": pd.to_numeric(last["following_count"], errors="coerce"),
    })


def behaviour_matrix(sample: pd.DataFrame, accounts: pd.DataFrame, lm: HandleLM) -> pd.DataFrame:
    """Behaviour-model features for each sample (index ``sample_id``; column ``account_id``)."""
    b = behaviour_features(sample.assign(account_id=sample["sample_id"]))
    acc_of = sample.drop_duplicates("sample_id").set_index("sample_id")["account_id"]
    b["account_id"] = acc_of.reindex(b.index).to_numpy()
    a = accounts.reindex(b["account_id"].to_numpy())
    h = handle_features(a["handle"].reset_index(drop=True), None, lm)
    h.index = b.index
    b = b.join(h)
    b["log_followers"] = np.log1p(a["followers"].clip(lower=0).to_numpy())
    b["log_following"] = np.log1p(a["following"].clip(lower=0).to_numpy())
    b["follow_ratio"] = b["log_followers"] - b["log_following"]
    return b


# -- evaluation helpers --------------------------------------------------------------------------

def _auc(y, s) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


#: profile features that Twitter API v2 exports (twarc2) do not carry: the likes count
V2_MISSING = ("log_likes", "likes_per_day", "likes_posts")


#: weight of the likes-unknown copy of each profile training row (the row as it is weighs 1).
#: Chosen by leave-one-family-out AUC among 0 (no copy), 0.5 and 1, see docs/accounts.md: 1 made
#: the trees lean so much on the other fields that social_spambots_3 (whose tell is few likes for
#: many posts) fell to 0.974-0.976; 0 lost traditional_spambots_3 (0.978); 0.5 kept every family
#: at >= 0.98.
V2_COPY_WEIGHT = 0.5


def augment_missing(X: pd.DataFrame, y: np.ndarray, weight: float = V2_COPY_WEIGHT) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Training rows twice: as they are (weight 1), and with the fields API v2 lacks set to
    unknown (weight ``weight``), so the trees learn what an unknown likes count means instead of
    reading it as zero likes. Returns rows, labels and sample weights."""
    X2 = X.copy()
    for c in V2_MISSING:
        X2[c] = np.nan
    w = np.concatenate([np.ones(len(y)), np.full(len(y), float(weight))])
    return pd.concat([X, X2], ignore_index=True), np.concatenate([y, y]), w


def _fit_profile(X: pd.DataFrame, y: np.ndarray, n_trees: int, meta: dict | None = None) -> Forest:
    Xa, ya, wa = augment_missing(X, y)
    return fit_forest(Xa, ya, PROFILE_FEATURES, seed=SEED, n_estimators=n_trees, meta=meta, sample_weight=wa)


def cv_cresci(df: pd.DataFrame, X: pd.DataFrame, n_trees: int = 200, folds: int = 5) -> dict[str, Any]:
    """Stratified k-fold AUC overall and leave-one-family-out AUC per bot family."""
    from sklearn.model_selection import StratifiedKFold

    y = df["y"].to_numpy()
    fam = df["cresci_group"].to_numpy()
    skf = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    pred = np.zeros(len(df))
    pred_v2 = np.zeros(len(df))
    for tr, te in skf.split(X, fam):
        f = _fit_profile(X.iloc[tr], y[tr], n_trees)
        pred[te] = f.predict(X.iloc[te])
        pred_v2[te] = f.predict(X.iloc[te].assign(**{c: np.nan for c in V2_MISSING}))
    overall = _auc(y, pred)
    per_family_cv = {g: _auc(y[(fam == g) | (y == 0)], pred[(fam == g) | (y == 0)]) for g in sorted(set(fam[y == 1]))}
    lofo: dict[str, float] = {}
    rng = np.random.default_rng(SEED)
    human = np.nonzero(y == 0)[0]
    hfold = rng.integers(0, folds, size=len(human))
    for g in sorted(set(fam[y == 1])):
        members = np.nonzero(fam == g)[0]
        mfold = rng.integers(0, folds, size=len(members))
        ys, ss = [], []
        others = np.nonzero((y == 1) & (fam != g))[0]
        for k in range(folds):
            tr = np.concatenate([human[hfold != k], others])
            te = np.concatenate([human[hfold == k], members[mfold == k]])
            f = _fit_profile(X.iloc[tr], y[tr], n_trees)
            ys.append(y[te])
            ss.append(f.predict(X.iloc[te]))
        lofo[g] = _auc(np.concatenate(ys), np.concatenate(ss))
    return {"cv_auc": overall, "cv_auc_without_likes_count": _auc(y, pred_v2), "cv_auc_by_family": per_family_cv, "lofo_auc": lofo,
            "lofo_min": min(lofo.values()), "n": int(len(df)), "folds": folds}


def cv_ira(posts: pd.DataFrame, labels: pd.DataFrame, lm: HandleLM, n_trees: int = 200, folds: int = 5,
           draws: int = 4) -> dict[str, Any]:
    """Account-disjoint stratified k-fold AUC, every account scored on k <= 3 of its posts."""
    from sklearn.model_selection import StratifiedKFold

    kdist = _k_distribution(labels)
    accounts = ira_account_frame(posts)
    lab = labels.set_index("account_id")["y"]
    ids = labels["account_id"].to_numpy()
    y = labels["y"].to_numpy()
    skf = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    rng = np.random.default_rng(SEED)
    ys, ss, ss_uncapped = [], [], []
    for fold, (tr, te) in enumerate(skf.split(ids, y)):
        train_rows = [behaviour_matrix(sample_posts(posts, ids[tr], kdist, rng, draw=d), accounts, lm) for d in range(draws)]
        Xtr = pd.concat(train_rows)
        f = fit_forest(Xtr, lab.reindex(Xtr["account_id"]).to_numpy(), BEHAVIOUR_FEATURES, seed=SEED, n_estimators=n_trees)
        Xte = behaviour_matrix(sample_posts(posts, ids[te], kdist, rng, draw=99), accounts, lm)
        ys.append(lab.reindex(Xte["account_id"]).to_numpy())
        ss.append(f.predict(Xte))
        # variant: k = min(3, posts) for every account (volume partly visible)
        Xte3 = behaviour_matrix(sample_posts(posts, ids[te], np.array([0.0, 0.0, 1.0]), rng, draw=98), accounts, lm)
        ss_uncapped.append((lab.reindex(Xte3["account_id"]).to_numpy(), f.predict(Xte3)))
    yy, sc = np.concatenate(ys), np.concatenate(ss)
    y3 = np.concatenate([a for a, _ in ss_uncapped])
    s3 = np.concatenate([b for _, b in ss_uncapped])
    return {"cv_auc_k_matched": _auc(yy, sc), "cv_auc_k_min3": _auc(y3, s3), "n": int(len(yy)),
            "folds": folds, "k_distribution": kdist.round(4).tolist(), "train_draws_per_account": draws}


# -- held-out accounts and the flag threshold ---------------------------------------------------------

def split_accounts(labels: pd.DataFrame, seed: int = SEED) -> pd.Series:
    """Role of each account (index ``account_id``): train / calibration / test, stratified by
    label (one seeded permutation per label, accounts in sorted id order)."""
    rng = np.random.default_rng(seed)
    roles = pd.Series("", index=pd.Index(labels["account_id"], name="account_id"), dtype=object)
    for _y, grp in labels.sort_values("account_id").groupby("y", sort=True):
        ids = grp["account_id"].to_numpy()[rng.permutation(len(grp))]
        cuts = np.round(np.cumsum([share for _r, share in ROLE_SHARES]) * len(ids)).astype(int)
        start = 0
        for (role, _share), end in zip(ROLE_SHARES, cuts):
            roles.loc[ids[start:end]] = role
            start = end
    return roles


def flag_threshold(y: np.ndarray, score: np.ndarray, target: float = TARGET_PRECISION,
                   prior: float | None = None) -> float:
    """The lowest score threshold at which precision (score >= threshold) is at least ``target``
    (the highest score when none reaches it).

    ``prior=None``: precision as observed on ``y``. ``prior=p``: precision in a corpus where a
    share ``p`` of the accounts are positives, from the true- and false-positive rates of ``y``
    (Bayes: ``p * TPR / (p * TPR + (1 - p) * FPR)``), so that a threshold chosen on a labelled set
    with many positives still holds where they are rare. With few negatives only FPR = 0 reaches
    a high precision at a low prior: the threshold then lies above every negative's score.
    """
    order = np.argsort(-score, kind="stable")
    s, yy = score[order], y[order]
    tp = np.cumsum(yy)
    if prior is None:
        precision = tp / np.arange(1, len(yy) + 1)
    else:
        fp = np.arange(1, len(yy) + 1) - tp
        tpr = tp / max(int(yy.sum()), 1)
        fpr = fp / max(int(len(yy) - yy.sum()), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.nan_to_num(prior * tpr / (prior * tpr + (1 - prior) * fpr))
    # a threshold must keep tied scores together: only the last position of each score counts
    last = np.r_[s[1:] != s[:-1], True]
    ok = np.nonzero(last & (precision >= target))[0]
    return float(s[ok[-1]]) if len(ok) else float(s[0])


def precision_recall(y: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    """Precision and recall of boolean flags against 1/0 labels, with the counts."""
    y, flagged = np.asarray(y, dtype=int), np.asarray(flagged, dtype=bool)
    tp = int((flagged & (y == 1)).sum())
    return {"precision": round(tp / max(int(flagged.sum()), 1), 4), "recall": round(tp / max(int(y.sum()), 1), 4),
            "flagged": int(flagged.sum()), "positives": int(y.sum()), "n": int(len(y))}


def calibrate(models_dir: Path, data: Path, roles: pd.Series, target: float = TARGET_PRECISION,
              workdir: Path | None = None, prior: float = TARGET_PRIOR) -> dict[str, Any]:
    """Run the ``accounts`` analysis with the models in ``models_dir`` on the IRA-vs-organic
    corpus; choose the flag threshold on the calibration accounts, measure it on the test ones."""
    import tempfile

    import engineroom
    from ..analyses.accounts import Accounts
    from .model import load_models

    load_models.cache_clear()
    _, labels = load_ira(data)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        with engineroom.open(Path(tmp) / "calibration.duckdb") as corpus:
            corpus.ingest([Path(data) / BEHAVIOUR_CORPUS / "posts.csv.gz"])
            Accounts(models_dir=str(models_dir), threshold=1.0).run(corpus.engine())
            scores = corpus.query("SELECT account_id, max(operation_score) AS score FROM account_scores GROUP BY 1")
    m = labels.merge(scores, on="account_id", how="inner")
    m["role"] = roles.reindex(m["account_id"]).to_numpy()
    cal, test = m[m["role"] == "calibration"], m[m["role"] == "test"]
    t = flag_threshold(cal["y"].to_numpy(), cal["score"].to_numpy(), target, prior=prior)
    return {
        "threshold": round(t, 6),
        "target_precision": target,
        "prior": prior,
        "score": "operation_score",
        "chosen_on": f"calibration accounts of {BEHAVIOUR_CORPUS} ({len(cal)}, never in training): the lowest "
                     f"operation_score with precision >= {target} where {prior:.0%} of accounts are operation "
                     f"accounts (precision = prior * TPR / (prior * TPR + (1 - prior) * FPR) from the calibration "
                     f"accounts; they hold {cal['y'].mean():.0%} IRA accounts)",
        "calibration": precision_recall(cal["y"].to_numpy(), cal["score"].to_numpy() >= t),
        "held_out_test": precision_recall(test["y"].to_numpy(), test["score"].to_numpy() >= t),
        "held_out_what": f"test accounts of {BEHAVIOUR_CORPUS} ({len(test)}): never in training, not used to choose "
                         "the threshold; accounts analysis with default settings on the ingested posts.csv.gz",
    }


# -- the command -----------------------------------------------------------------------------------

def train(out: Path | None = None, data_dir_: Path = Path("../shared/data"), cv: bool = True,
          console: Any = None) -> dict[str, Any]:
    """Train both account models (and cross-validate them unless ``cv=False``); write them to
    ``out`` (default: the package's ``data/accounts``). Returns the model card."""
    data = Path(data_dir_)
    out = Path(out) if out else data_dir()
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda m: console.print(m)) if console is not None else (lambda m: None)
    t0 = time.perf_counter()
    cres = load_cresci(data)
    posts, labels = load_ira(data)
    lm_profile = HandleLM().fit(labels.loc[labels["y"] == 0, "screen_name"])  # organic IRA-corpus handles
    lm_behaviour = HandleLM().fit(cres.loc[cres["y"] == 0, "screen_name"])  # cresci genuine handles
    card: dict[str, Any] = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "engineroom train accounts --data ../shared/data",
        "profile_model": {"data": "cresci2017_account_profiles (development half)", "features": list(PROFILE_FEATURES),
                          "trained_on": ["cresci2017_account_profiles"],
                          "handle_lm": "organic accounts of ira_vs_organic_dev", "trees": N_TREES,
                          "likes_unknown_copy_weight": V2_COPY_WEIGHT},
        "behaviour_model": {"data": "ira_vs_organic_dev (train role accounts only, see training_accounts.csv)",
                            "trained_on": [BEHAVIOUR_CORPUS], "features": list(BEHAVIOUR_FEATURES),
                            "handle_lm": "genuine accounts of cresci2017", "trees": N_TREES,
                            "posts_per_account": "k <= 3, k drawn from the organic min(3, posts) distribution"},
        "combination": "operation_score = 0.5 * rule score + 0.5 * mean of the probabilities of the models that can score the account (rule score alone when none can)",
    }
    Xc = cresci_features(cres, lm_profile)
    if cv:
        say("cross-validating the profile model on cresci-2017 (5-fold, leave-one-family-out) ...")
        card["profile_model"]["evaluation"] = cv_cresci(cres, Xc)
        say(json.dumps(card["profile_model"]["evaluation"]))
        say("cross-validating the behaviour model on IRA vs organic (account-disjoint 5-fold, <= 3 posts) ...")
        card["behaviour_model"]["evaluation"] = cv_ira(posts, labels, lm_behaviour)
        say(json.dumps(card["behaviour_model"]["evaluation"]))
    say("training the final models ...")
    prof = _fit_profile(Xc, cres["y"].to_numpy(), N_TREES, meta={"name": "profile"})
    kdist = _k_distribution(labels)
    rng = np.random.default_rng(SEED + 1)
    accounts = ira_account_frame(posts)
    roles = split_accounts(labels)
    ids = labels["account_id"].to_numpy()
    ids = ids[(roles.reindex(ids) == "train").to_numpy()]
    Xb = pd.concat([behaviour_matrix(sample_posts(posts, ids, kdist, rng, draw=d), accounts, lm_behaviour) for d in range(6)])
    yb = labels.set_index("account_id")["y"].reindex(Xb["account_id"]).to_numpy()
    beh = fit_forest(Xb, yb, BEHAVIOUR_FEATURES, seed=SEED, n_estimators=N_TREES, meta={"name": "behaviour"})
    prof.save(out / "profile_model.npz")
    beh.save(out / "behaviour_model.npz")
    (out / "handle_lm.json").write_text(json.dumps({"profile": lm_profile.to_json(), "behaviour": lm_behaviour.to_json()}))
    roles.rename("role").reset_index().assign(corpus=BEHAVIOUR_CORPUS)[["corpus", "account_id", "role"]].to_csv(
        out / "training_accounts.csv", index=False)
    card["behaviour_model"]["accounts"] = {r: int((roles == r).sum()) for r, _s in ROLE_SHARES}
    say("calibrating the flag threshold on held-out accounts (ingest + accounts analysis) ...")
    card["flag"] = calibrate(out, data, roles)
    say(json.dumps(card["flag"]))
    card["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "model_card.json").write_text(json.dumps(card, indent=2, sort_keys=True))
    from .model import load_models

    load_models.cache_clear()
    return card
