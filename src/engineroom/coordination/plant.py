"""Synthetic corpora with a planted coordinated operation, for tests and benchmarks.

:func:`plant_corpus` writes a Twitter-like corpus straight into a corpus's tables (``accounts``,
``posts``, ``urls``, ``hashtags``, ``interactions``): organic accounts with heavy-tailed activity
post originals (random words, Zipf hashtags, links over Zipf domains, mentions), reply, and
retweet Zipf-popular posts with exponential delays, so that noise accounts share popular
retweets by chance. A planted operation of ``n_operation`` accounts acts in bursts: in each event
most of its accounts, within ``burst_seconds``, retweet the same post of an influencer, post the
same or a lightly edited text, push the same link to a fake news domain, or post the same
hashtag sequence; between events they also post like organic accounts. The truth (operation
account ids) is returned.

It is vectorised (NumPy) so a million posts take seconds; it is not the project's general
synthetic-corpus generator (:mod:`engineroom.synth`), only a fast, controlled one for the
coordination analysis.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2024, 3, 1)


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lens = rng.integers(3, 9, n)
    return np.array(["".join(rng.choice(letters, k)) for k in lens])


def _zipf_index(rng: np.random.Generator, n_items: int, size: int, a: float = 1.1) -> np.ndarray:
    ranks = np.arange(1, n_items + 1, dtype=float)
    p = ranks ** (-a)
    p /= p.sum()
    return rng.choice(n_items, size=size, p=p)


def plant_corpus(
    con,
    n_posts: int = 10_000,
    seed: int = 0,
    n_operation: int = 30,
    days: int = 14,
    events: int | None = None,
    burst_seconds: int = 40,
    participation: float = 0.8,
    platform: str = "twitter",
) -> dict:
    """Write a synthetic corpus with a planted operation into a DuckDB connection's corpus tables.

    Returns the truth: ``{"operation": {"accounts": [...]}, "posts": n, "seed": seed, ...}``.
    """
    rng = np.random.default_rng(seed)
    period = days * 86400
    n_accounts = max(200, n_posts // 20)
    vocab = _words(rng, 8000)
    tags = np.array([f"tag{w}" for w in _words(rng, 600)])
    domains = np.array([f"{w}.com" for w in _words(rng, 1500)])
    n_urls = 30000
    url_domain = _zipf_index(rng, len(domains), n_urls, 1.0)
    url_paths = rng.integers(10**6, 10**7, n_urls)
    urls_all = np.array([f"https://{domains[d]}/a/{p}" for d, p in zip(url_domain, url_paths)])

    accounts = np.array([str(10**9 + i) for i in range(n_accounts)])
    op_idx = rng.choice(n_accounts, n_operation, replace=False)
    is_op = np.zeros(n_accounts, bool)
    is_op[op_idx] = True
    activity = rng.lognormal(0, 1.2, n_accounts)
    activity[op_idx] = np.median(activity)
    activity /= activity.sum()

    n_events = events if events is not None else max(12, n_posts // 4000)
    op_posts_est = int(n_events * n_operation * participation)
    n_org = max(0, n_posts - op_posts_est)

    # organic posts ----------------------------------------------------------------------
    author = rng.choice(n_accounts, n_org, p=activity)
    kind = rng.choice(3, n_org, p=[0.45, 0.10, 0.45])  # 0 original, 1 reply, 2 retweet
    t = rng.integers(0, period, n_org)
    orig_mask = kind == 0
    orig_pos = np.nonzero(orig_mask)[0]
    # popularity of originals: Zipf over the original posts
    n_o = len(orig_pos)
    target = np.full(n_org, -1)
    if n_o:
        pop = _zipf_index(rng, n_o, int((~orig_mask).sum()), 1.05)
        target[~orig_mask] = orig_pos[pop]
        # retweets / replies come after their target
        delay = rng.exponential(3 * 3600, n_org).astype(np.int64)
        later = ~orig_mask
        t[later] = np.minimum(t[target[later]] + delay[later], period + 86400)

    n_words = rng.integers(6, 20, n_org)
    word_idx = _zipf_index(rng, len(vocab), int(n_words.sum()), 0.9)
    splits = np.split(word_idx, np.cumsum(n_words)[:-1])
    texts = [" ".join(vocab[w]) for w in splits]

    rows_posts = {
        "post_id": np.array([str(10**12 + i) for i in range(n_org)], dtype=object),
        "account": author,
        "t": t,
        "kind": kind,
        "target": target,
        "text": np.array(texts, dtype=object),
    }
    post_ids = rows_posts["post_id"]

    # hashtags, urls, mentions of organic originals and replies
    non_rt = np.nonzero(kind != 2)[0]
    n_tags = np.minimum(rng.poisson(0.7, len(non_rt)), 5)
    ht_post = np.repeat(non_rt, n_tags)
    ht_pos = np.concatenate([np.arange(k) for k in n_tags]) if len(n_tags) else np.array([], int)
    ht_tag = tags[_zipf_index(rng, len(tags), len(ht_post), 1.0)]
    has_url = rng.random(len(non_rt)) < 0.3
    url_post = non_rt[has_url]
    url_val = urls_all[_zipf_index(rng, n_urls, len(url_post), 0.8)]
    has_mention = rng.random(len(non_rt)) < 0.2
    men_post = non_rt[has_mention]
    men_target = rng.choice(n_accounts, len(men_post), p=activity)

    # operation ---------------------------------------------------------------------------
    op_rows = []
    influencer = int(rng.choice(np.nonzero(~is_op)[0]))
    fake_domain = "daily-truth-news.info"
    op_post_seq = 0
    extra_tags, extra_urls, extra_mentions = [], [], []
    for ev in range(n_events):
        t0 = int(rng.integers(0, period))
        members = op_idx[rng.random(n_operation) < participation]
        etype = ev % 4
        base_words = vocab[rng.integers(0, len(vocab), 14)]
        seq = list(rng.choice(tags, 4, replace=False))
        link = f"https://{fake_domain}/story/{ev}"
        infl_post = f"9{ev:011d}"
        for m in members:
            pid = f"8{seed:03d}{op_post_seq:09d}"
            op_post_seq += 1
            tt = t0 + int(rng.integers(0, burst_seconds))
            if etype == 0:  # retweet the influencer's post
                op_rows.append((pid, m, tt, 2, infl_post, "RT"))
            elif etype == 1:  # same text, some lightly edited (co_tweet and co_similar_tweet)
                words = list(base_words)
                if rng.random() < 0.3:
                    words[int(rng.integers(0, len(words)))] = str(vocab[rng.integers(0, len(vocab))])
                op_rows.append((pid, m, tt, 0, None, " ".join(words) + f" @{accounts[influencer]}"))
                extra_mentions.append((pid, influencer))
            elif etype == 2:  # same link to the fake domain
                op_rows.append((pid, m, tt, 0, None, " ".join(vocab[rng.integers(0, len(vocab), 8)]) + " " + link))
                extra_urls.append((pid, link))
            else:  # same hashtag sequence
                op_rows.append((pid, m, tt, 0, None, " ".join(vocab[rng.integers(0, len(vocab), 8)]) + " " + " ".join("#" + s for s in seq)))
                extra_tags.extend((pid, s, i) for i, s in enumerate(seq))

    ts = lambda secs: pd.to_datetime(START) + pd.to_timedelta(np.asarray(secs, dtype=np.int64), unit="s")  # noqa: E731

    org_kind = np.array(["post", "reply", "retweet"], dtype=object)[kind]
    tgt_post = np.where(target >= 0, post_ids[np.maximum(target, 0)], None)
    tgt_acc = np.where(target >= 0, accounts[author[np.maximum(target, 0)]], None)
    posts = pd.DataFrame(
        {
            "platform": platform,
            "post_id": post_ids,
            "account_id": accounts[author],
            "created_at": ts(t),
            "text": np.where(kind == 2, None, rows_posts["text"]),
            "kind": org_kind,
            "reply_to_post_id": np.where(kind == 1, tgt_post, None),
            "reply_to_account_id": np.where(kind == 1, tgt_acc, None),
            "retweet_of_post_id": np.where(kind == 2, tgt_post, None),
            "retweet_of_account_id": np.where(kind == 2, tgt_acc, None),
        }
    )
    if op_rows:
        op = pd.DataFrame(op_rows, columns=["post_id", "acc", "t", "kind", "target", "text"])
        opp = pd.DataFrame(
            {
                "platform": platform,
                "post_id": op["post_id"],
                "account_id": accounts[op["acc"].to_numpy()],
                "created_at": ts(op["t"].to_numpy()),
                "text": np.where(op["kind"] == 2, None, op["text"]),
                "kind": np.where(op["kind"] == 2, "retweet", "post"),
                "reply_to_post_id": None,
                "reply_to_account_id": None,
                "retweet_of_post_id": op["target"],
                "retweet_of_account_id": np.where(op["kind"] == 2, accounts[influencer], None),
            }
        )
        infl_ids = sorted(set(op.loc[op["kind"] == 2, "target"]))
        infl = pd.DataFrame(
            {
                "platform": platform,
                "post_id": infl_ids,
                "account_id": accounts[influencer],
                "created_at": ts(np.full(len(infl_ids), 0)),
                "text": [f"influencer post {i}" for i in infl_ids],
                "kind": "post",
                "reply_to_post_id": None,
                "reply_to_account_id": None,
                "retweet_of_post_id": None,
                "retweet_of_account_id": None,
            }
        )
        posts = pd.concat([posts, opp, infl], ignore_index=True)

    hashtags = pd.DataFrame(
        {"platform": platform, "post_id": post_ids[ht_post], "tag": ht_tag, "tag_raw": ht_tag, "position": ht_pos.astype("int32")}
    )
    if extra_tags:
        et = pd.DataFrame(extra_tags, columns=["post_id", "tag", "position"])
        hashtags = pd.concat([hashtags, et.assign(platform=platform, tag_raw=et["tag"], position=et["position"].astype("int32"))], ignore_index=True)
    hashtags = hashtags.drop_duplicates(["platform", "post_id", "tag"])
    urls = pd.DataFrame({"platform": platform, "post_id": post_ids[url_post], "url": url_val})
    if extra_urls:
        urls = pd.concat([urls, pd.DataFrame(extra_urls, columns=["post_id", "url"]).assign(platform=platform)], ignore_index=True)
    urls["position"] = 0
    urls["expanded_url"] = urls["url"]
    urls["host"] = urls["url"].str.split("/").str[2]
    urls["domain"] = urls["host"]
    urls = urls.drop_duplicates(["platform", "post_id", "position"])

    inter = [
        pd.DataFrame(
            {
                "platform": platform,
                "post_id": post_ids[men_post],
                "kind": "mention",
                "source_account_id": accounts[author[men_post]],
                "target_account_id": accounts[men_target],
                "created_at": ts(t[men_post]),
            }
        )
    ]
    if extra_mentions:
        em = pd.DataFrame(extra_mentions, columns=["post_id", "target"])
        em = em.merge(posts[["post_id", "account_id", "created_at"]], on="post_id")
        inter.append(
            pd.DataFrame(
                {
                    "platform": platform,
                    "post_id": em["post_id"],
                    "kind": "mention",
                    "source_account_id": em["account_id"],
                    "target_account_id": accounts[em["target"].to_numpy()],
                    "created_at": em["created_at"],
                }
            )
        )
    rts = posts[posts["retweet_of_post_id"].notna()]
    inter.append(
        pd.DataFrame(
            {
                "platform": platform,
                "post_id": rts["post_id"],
                "kind": "retweet",
                "source_account_id": rts["account_id"],
                "target_account_id": rts["retweet_of_account_id"],
                "created_at": rts["created_at"],
                "target_post_id": rts["retweet_of_post_id"],
            }
        )
    )
    interactions = pd.concat(inter, ignore_index=True)
    interactions["target_key"] = interactions["target_account_id"]
    interactions = interactions.drop_duplicates(["platform", "post_id", "kind", "target_key"])
    acc = pd.DataFrame({"platform": platform, "account_id": accounts, "handle": [f"user{a}" for a in accounts]})

    for name, df in (("accounts", acc), ("posts", posts), ("urls", urls), ("hashtags", hashtags), ("interactions", interactions)):
        insert_frame(con, name, df)
    return {
        "seed": seed,
        "posts": int(len(posts)),
        "platform": platform,
        "start": START.isoformat(),
        "end": (START + timedelta(seconds=period)).isoformat(),
        "operation": {
            "accounts": sorted(accounts[op_idx].tolist()),
            "domain": fake_domain,
            "influencer_account_id": str(accounts[influencer]),
            "events": n_events,
        },
    }


def insert_frame(con, table: str, df: pd.DataFrame) -> None:
    """Append ``df`` to corpus table ``table``; the table's columns ``df`` lacks are NULL."""
    cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
    df = df.assign(**{c: None for c in cols if c not in df.columns})[cols]
    con.register("__plant", df)
    try:
        con.execute(f'INSERT INTO "{table}" SELECT * FROM __plant')
    finally:
        con.unregister("__plant")
