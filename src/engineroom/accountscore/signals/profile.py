"""Profile signals: counts (log scale), follower / following ratio, account age and posting rate
when the profile was seen, bio length, links and hashtags in the bio, default profile flags; the
profile model's inputs (:data:`PROFILE_FEATURES`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .handles import HandleLM, handle_features
from .lookalikes import bio_template_counts, creation_burst


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
