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

    def fit(self, handles: Iterable[str]) -> "HandleLM":
        for h in handles:
            if not isinstance(h, str) or not h:
                continue
            s = "^^" + _lm_chars(h) + "$"
            for i in range(2, len(s)):
                self.counts[s[i - 2 : i + 1]] += 1
                self.contexts[s[i - 2 : i]] += 1
        return self

    def score(self, handle: str) -> float:
        if not isinstance(handle, str) or not handle:
            return float("nan")
        s = "^^" + _lm_chars(handle) + "$"
        total = 0.0
        for i in range(2, len(s)):
            c = self.counts.get(s[i - 2 : i + 1], 0)
            n = self.contexts.get(s[i - 2 : i], 0)
            total += math.log2((c + self.K) / (n + self.K * self.V))
        return total / (len(s) - 2)

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


def handle_features(handles: pd.Series, names: pd.Series | None, lm: HandleLM | None) -> pd.DataFrame:
    """Handle randomness and name/handle mismatch signals for each handle."""
    h = handles.fillna("").astype(str)
    out = pd.DataFrame(index=handles.index)
    out["handle_len"] = h.str.len().astype(float)
    out["handle_entropy"] = [char_entropy(x) for x in h]
    out["handle_digits"] = h.str.count(r"\d").astype(float)
    out["handle_max_digit_run"] = [max((len(m) for m in _DIGIT_RUN.findall(x)), default=0) for x in h]
    out["handle_max_digit_run"] = out["handle_max_digit_run"].astype(float)
    out["handle_upper_share"] = [sum(c.isupper() for c in x) / len(x) if x else np.nan for x in h]
    out["handle_underscores"] = h.str.count("_").astype(float)
    out["handle_name8"] = [float(bool(_NAME8.match(x))) for x in h]
    out["handle_ngram_loglik"] = [lm.score(x) if lm is not None and x else np.nan for x in h]
    if names is not None:
        n = names.fillna("").astype(str)
        out["name_len"] = n.str.len().astype(float)
        out["name_words"] = n.str.split().str.len().fillna(0).astype(float)
        out["name_digits"] = n.str.count(r"\d").astype(float)
        out["name_handle_similarity"] = [name_handle_similarity(a, b) for a, b in zip(n, h)]
    out.loc[h == "", [c for c in out.columns if c.startswith("handle_")]] = np.nan
    return out


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

def bio_template_counts(bios: pd.Series, threshold: float = 0.8, min_len: int = 20, num_perm: int = 64) -> pd.Series:
    """For each bio, how many *other* accounts have a near-duplicate bio (templated bios).

    MinHash over character 4-gram shingles of the case-folded bio with digits masked, LSH at
    Jaccard ``threshold``; candidates are confirmed with rapidfuzz (ratio >= ``threshold``).
    Bios shorter than ``min_len`` characters count 0 (an empty bio is no template).
    """
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz

    norm = bios.fillna("").astype(str).str.lower().str.replace(r"\d+", "0", regex=True)
    norm = norm.str.replace(r"\s+", " ", regex=True).str.strip()
    result = pd.Series(0, index=bios.index, dtype=float)
    keep = [(i, t) for i, t in zip(bios.index, norm) if len(t) >= min_len]
    if len(keep) < 2:
        return result
    # exact duplicates first (cheap), then one representative per distinct text goes to LSH
    groups: dict[str, list] = {}
    for i, t in keep:
        groups.setdefault(t, []).append(i)
    texts = list(groups)
    shingles = [{t[j : j + 4].encode() for j in range(max(1, len(t) - 3))} for t in texts]
    mhs = MinHash.bulk(shingles, num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for k, m in enumerate(mhs):
        lsh.insert(k, m)
    for k, m in enumerate(mhs):
        similar = 0
        for other in lsh.query(m):
            if other == k:
                continue
            if fuzz.ratio(texts[k], texts[other]) >= threshold * 100:
                similar += len(groups[texts[other]])
        own = groups[texts[k]]
        for i in own:
            result.at[i] = similar + len(own) - 1
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


def _strip_for_linkonly(text: pd.Series) -> pd.Series:
    t = text.str.replace(_URL_RE.pattern, " ", regex=True)
    t = t.str.replace(r"^(RT\s+)?(@\w+[:\s]*)+", " ", regex=True)
    return t.str.replace(r"\s+", " ", regex=True).str.strip()


def post_style(posts: pd.DataFrame) -> pd.DataFrame:
    """Per-post style indicators (0/1 or counts) from ``text`` (and ``kind`` when given)."""
    text = posts["text"].fillna("").astype(str)
    kind = posts["kind"].fillna("").astype(str) if "kind" in posts else pd.Series("", index=posts.index)
    s = pd.DataFrame(index=posts.index)
    s["account_id"] = posts["account_id"].astype(str)
    rt = text.str.match(r"^RT @\w+") | kind.eq("retweet")
    s["retweet"] = rt.astype(float)
    s["reply"] = ((text.str.match(r"^\.?@\w+") & ~rt) | kind.eq("reply")).astype(float)
    quote = kind.eq("quote")
    if "is_quote" in posts:
        quote = quote | posts["is_quote"].astype(str).isin(["1", "True", "true"])
    s["quote"] = quote.astype(float)
    s["url"] = text.str.contains(_URL_RE.pattern, regex=True).astype(float)
    n_tags = text.str.count(r"(?:^|\s)#\w")
    s["hashtag"] = (n_tags > 0).astype(float)
    s["hashtags"] = n_tags.astype(float)
    s["mentions"] = text.str.count(r"@\w").astype(float)
    s["len"] = text.str.len().astype(float)
    letters = text.str.count(r"[A-Za-z]")
    s["upper"] = (text.str.count(r"[A-Z]") / letters.where(letters > 0)).fillna(0.0)
    rest = _strip_for_linkonly(text)
    s["linkonly"] = (s["url"].astype(bool) & (rest.str.len() <= 25)).astype(float)
    s["exclaim"] = text.str.contains("!", regex=False).astype(float)
    s["question"] = text.str.contains("?", regex=False).astype(float)
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


def is_automation_client(client: str) -> bool:
    if not isinstance(client, str) or not client:
        return False
    c = client.lower()
    return any(a in c for a in AUTOMATION_CLIENTS)
