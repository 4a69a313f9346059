"""Behaviour signals from an account's posts: shares of replies, retweets, quotes, posts with links,
hashtags or mentions, link-only posts and posts from automation clients; news-outlet personas;
the behaviour model's inputs (:data:`BEHAVIOUR_FEATURES`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .profile import _URL_RE


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


def _arrow_text(s: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array, missing values as ''."""
    a = pa.array(s, type=pa.large_string(), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return pc.fill_null(a, "")


def _ascii_letter_counts(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per string: the number of ASCII capitals A-Z and of ASCII letters A-Za-z (counted on the
    UTF-8 bytes, where these bytes never occur inside a multi-byte character).

    One pass of byte comparisons and a segmented sum (``np.add.reduceat``) over the non-empty
    strings: no per-byte 64-bit array (a 1M-post corpus has ~100 MB of text)."""
    n = len(text)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    _valid, offs, data = text.buffers()
    offsets = np.frombuffer(offs, dtype=np.int64)[text.offset : text.offset + n + 1]
    caps, letters = np.zeros(n), np.zeros(n)
    if data is None or offsets[-1] == offsets[0]:
        return caps, letters
    b = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    rel = offsets - offsets[0]
    upper = (b - np.uint8(65)) < 26  # A-Z (uint8 arithmetic wraps below 'A')
    lower = (b - np.uint8(97)) < 26  # a-z
    full = np.diff(rel) > 0
    # consecutive non-empty strings tile the bytes, so each segment is exactly one string
    starts = rel[:-1][full]
    caps[full] = np.add.reduceat(upper, starts, dtype=np.int64)
    letters[full] = caps[full] + np.add.reduceat(lower, starts, dtype=np.int64)
    return caps, letters


def _np(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False))


def post_style(posts: pd.DataFrame) -> pd.DataFrame:
    """Per-post style indicators (0/1 or counts) from ``text`` (and ``kind`` when given).

    Text tests run vectorised in Arrow (RE2 regular expressions: ``\\w`` and ``\\s`` are ASCII).
    ``retweet``: starts with ``RT @name`` or kind retweet; ``reply``: starts with ``@name`` (or
    ``.@name``) and is no retweet, or kind reply; ``quote``: kind quote or ``is_quote``; ``url``:
    has a link; ``hashtag`` / ``hashtags``: has / number of hashtags; ``mentions``: number of
    @-mentions; ``len``: characters; ``upper``: share of capitals among ASCII letters;
    ``linkonly``: has a link and at most 25 characters besides links and leading mentions;
    ``exclaim`` / ``question``: has ! / ?; ``hour``: UTC hour of day with minutes as a fraction.
    """
    return pd.DataFrame({"account_id": posts["account_id"].astype(str), **post_style_columns(posts)}, index=posts.index)


def post_style_columns(posts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of :func:`post_style` after ``account_id`` as float arrays (NaN where a post
    has no time), without a frame around them."""
    text = _arrow_text(posts["text"])
    kind = posts["kind"].fillna("").astype(str) if "kind" in posts else pd.Series("", index=posts.index)
    s: dict[str, np.ndarray] = {}
    rt = _np(pc.match_substring_regex(text, r"^RT @\w")) | kind.eq("retweet").to_numpy()
    s["retweet"] = rt.astype(float)
    s["reply"] = ((_np(pc.match_substring_regex(text, r"^\.?@\w")) & ~rt) | kind.eq("reply").to_numpy()).astype(float)
    quote = kind.eq("quote")
    if "is_quote" in posts:
        quote = quote | posts["is_quote"].astype(str).isin(["1", "True", "true"])
    s["quote"] = quote.to_numpy().astype(float)
    url = _np(pc.match_substring_regex(text, _URL_RE.pattern))
    s["url"] = url.astype(float)
    n_tags = _np(pc.count_substring_regex(text, r"(?:^|\s)#\w")).astype(float)
    s["hashtag"] = (n_tags > 0).astype(float)
    s["hashtags"] = n_tags
    s["mentions"] = _np(pc.count_substring_regex(text, r"@\w")).astype(float)
    s["len"] = _np(pc.utf8_length(text)).astype(float)
    up, letters = _ascii_letter_counts(text)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["upper"] = np.where(letters > 0, up / np.where(letters > 0, letters, 1), 0.0)
    linkonly = np.zeros(len(text), dtype=bool)
    if url.any():
        idx = np.nonzero(url)[0]
        rest = pc.replace_substring_regex(pc.take(text, pa.array(idx)), _URL_RE.pattern, " ")
        rest = pc.replace_substring_regex(rest, r"^(RT\s+)?(@\w+[:\s]*)+", " ", max_replacements=1)
        rest = pc.utf8_trim_whitespace(pc.replace_substring_regex(rest, r"\s+", " "))
        linkonly[idx] = _np(pc.utf8_length(rest)) <= 25
    s["linkonly"] = linkonly.astype(float)
    s["exclaim"] = _np(pc.match_substring(text, "!")).astype(float)
    s["question"] = _np(pc.match_substring(text, "?")).astype(float)
    t = pd.to_datetime(posts["created_at"], errors="coerce")
    s["hour"] = (t.dt.hour + t.dt.minute / 60.0).to_numpy(dtype=float, na_value=np.nan)
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


def automation_flags(clients: pd.Series) -> np.ndarray:
    """:func:`is_automation_client` of each value as 0/1 floats (each distinct client tested once)."""
    codes, uniq = pd.factorize(clients, use_na_sentinel=True)
    flags = np.array([float(is_automation_client(u)) for u in uniq] + [0.0])
    return flags[np.where(codes >= 0, codes, len(uniq))]


def news_personas(handles: pd.Series, names: pd.Series) -> np.ndarray:
    """:func:`news_persona` of each (handle, display name) pair as 0/1 floats."""
    h = pd.Series(handles, dtype=object).where(lambda x: x.notna(), "").astype(str).to_numpy()
    n = pd.Series(names, dtype=object).where(lambda x: x.notna(), "").astype(str).to_numpy()
    txt = pa.array(np.char.add(np.char.add(h.astype(str), " "), n.astype(str)).tolist(), type=pa.large_string())
    return _np(pc.match_substring_regex(txt, _NEWS_WORDS.pattern, ignore_case=True)).astype(float)


def is_automation_client(client: str) -> bool:
    if not isinstance(client, str) or not client:
        return False
    c = client.lower()
    return any(a in c for a in AUTOMATION_CLIENTS)
