"""Test helper, not a test module: a small planted corpus for the network / engine room /
campaign / trend tests, inserted directly into the corpus tables (no ingest needed). Imported by
the test_network*, test_engine_room*, test_campaigns*, test_trends* and test_graph_export* tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd

from engineroom import schema

START = datetime(2024, 3, 1)
BURST_ONSET = datetime(2024, 3, 5, 14, 0)
CAMPAIGN_START = datetime(2024, 3, 3, 9, 0)


def _frame(table: schema.Table, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=table.column_names)
    return df


def insert(corpus, table: str, rows: list[dict]) -> None:
    t = schema.TABLES[table]
    df = _frame(t, rows)
    corpus.con.register("__rows", df)
    cols = ", ".join(t.column_names)
    corpus.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM __rows")
    corpus.con.unregister("__rows")


def planted(corpus, seed: int = 1) -> dict:
    """Fill ``corpus`` with three communities, a 6-account engine room pushing #smearnarrative,
    a #sacktomwatson campaign at @tom_watson, and a #trendtag burst at BURST_ONSET.
    Returns the truth."""
    rnd = random.Random(seed)
    groups = {"a": 30, "b": 30, "c": 20}
    accounts, posts, inter, tags, urls = [], [], [], [], []
    members: dict[str, list[str]] = {}
    for g, n in groups.items():
        members[g] = [f"{g}{i}" for i in range(n)]
        for aid in members[g]:
            accounts.append(dict(platform="twitter", account_id=aid, handle=f"user_{aid}",
                                 display_name=f"User {aid}", followers=rnd.randint(10, 1000)))
    accounts.append(dict(platform="twitter", account_id="tw1", handle="tom_watson",
                         display_name="Tom Watson", followers=100000))
    core = members["a"][:6]
    pid = [0]

    def post(aid, when, text, kind="post", rt_of=None, tagl=(), mention=None, domain=None):
        pid[0] += 1
        p = f"p{pid[0]}"
        rt_acc = None
        if rt_of is not None:
            rt_acc = next(x["account_id"] for x in posts if x["post_id"] == rt_of)
        posts.append(dict(platform="twitter", post_id=p, account_id=aid, handle=f"user_{aid}",
                          created_at=when, text=text, kind=kind, retweet_of_post_id=rt_of,
                          retweet_of_account_id=rt_acc))
        if rt_of is not None:
            inter.append(dict(platform="twitter", post_id=p, kind="retweet", source_account_id=aid,
                              target_account_id=rt_acc, target_post_id=rt_of, created_at=when,
                              target_key=rt_acc))
        if mention is not None:
            tid, th = mention
            inter.append(dict(platform="twitter", post_id=p, kind="mention", source_account_id=aid,
                              target_account_id=tid, target_handle=th, created_at=when,
                              target_key=tid if tid else "@" + th))
        for i, t in enumerate(dict.fromkeys(tagl)):
            tags.append(dict(platform="twitter", post_id=p, tag=t.lower(), tag_raw=t, position=i))
        if domain:
            urls.append(dict(platform="twitter", post_id=p, position=0, url=f"https://{domain}/x",
                             expanded_url=f"https://{domain}/x", domain=domain, host=domain))
        return p

    # background: each community talks among itself with its own hashtags and domains
    for g, ms in members.items():
        for day in range(10):
            for aid in ms:
                when = START + timedelta(days=day, hours=rnd.randint(0, 23), minutes=rnd.randint(0, 59))
                other = rnd.choice([m for m in ms if m != aid])
                post(aid, when, f"talking about {g} things @user_{other}", tagl=[f"topic{g}", f"chat{g}"],
                     mention=(None, f"user_{other}"), domain=f"{g}news.example")
    # engine room: the core posts the narrative daily, community a retweets them
    narrative_posts = []
    for day in range(8):
        for aid in core:
            when = START + timedelta(days=day, hours=8 + rnd.randint(0, 8))
            p = post(aid, when, "antisemitism claims are a smear #smearnarrative", tagl=["smearnarrative"])
            narrative_posts.append(p)
            for rt in rnd.sample(members["a"][6:] + members["b"][:5], 6):
                post(rt, when + timedelta(minutes=rnd.randint(1, 120)), "antisemitism claims are a smear #smearnarrative",
                     kind="retweet", rt_of=p, tagl=["smearnarrative"])
    # a few peripheral one-off narrative posts
    for aid in members["b"][10:20]:
        post(aid, START + timedelta(days=rnd.randint(0, 9), hours=12), "is it a #smearnarrative?", tagl=["smearnarrative"])
    # campaign: 15 accounts push #sacktomwatson at @tom_watson
    camp_accounts = members["a"][6:21]
    for i in range(60):
        aid = camp_accounts[i % len(camp_accounts)]
        when = CAMPAIGN_START + timedelta(hours=i // 3, minutes=rnd.randint(0, 59))
        post(aid, when, "@tom_watson must go #SackTomWatson", tagl=["SackTomWatson"], mention=("tw1", "tom_watson"))
    # a neutral popular hashtag (no target)
    for i in range(40):
        aid = rnd.choice(members["c"])
        post(aid, START + timedelta(hours=rnd.randint(0, 230)), "nice weather #sunnyday", tagl=["sunnyday"])
    # burst: background trickle then a 3-hour burst
    for h in range(0, 230, 12):
        post(rnd.choice(members["b"]), START + timedelta(hours=h, minutes=5), "#trendtag meh", tagl=["trendtag"])
    for i in range(45):
        post(rnd.choice(members["b"] + members["c"]), BURST_ONSET + timedelta(minutes=4 * i + rnd.randint(0, 3)),
             "wow #trendtag", tagl=["trendtag"])
    insert(corpus, "accounts", accounts)
    insert(corpus, "posts", posts)
    insert(corpus, "interactions", inter)
    insert(corpus, "hashtags", tags)
    insert(corpus, "urls", urls)
    return {
        "groups": members,
        "core": core,
        "narrative_hashtags": ["smearnarrative"],
        "narrative_posts": narrative_posts,
        "campaign": {"hashtag": "sacktomwatson", "target_handle": "tom_watson", "target_name": "Tom Watson",
                     "accounts": camp_accounts},
        "burst": {"hashtag": "trendtag", "onset": BURST_ONSET},
    }


def add_hate(corpus, post_ids: list[str]) -> None:
    """A minimal ``hate`` findings table labelling ``post_ids`` antisemitic, the rest none."""
    df = corpus.query("SELECT platform, post_id, account_id FROM posts")
    df["label"] = ["antisemitic" if p in set(post_ids) else "none" for p in df["post_id"]]
    df["score"] = (df["label"] != "none").astype(float)
    df["hate_score"] = df["score"]
    df["category"] = None
    df["evidence"] = "{}"
    df["counter_speech"] = False
    corpus.write_table("hate", df)
