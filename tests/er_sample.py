"""A small corpus with findings tables in their declared shapes (docs/findings.md), for the report,
export and review-app tests. Rows are inserted directly (:func:`write_declared`: every declared
column, typed, NULL where a test gives no value); ids look like real Twitter ids (long numbers) so
that a leak is unambiguous.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from engineroom import findings

XSS_DIR = Path(__file__).resolve().parent / "data" / "xss"


def xss_payloads() -> list[str]:
    """The XSS corpus: one payload a line (each calls ``xss(n)`` or ``alert(n)`` if it runs)."""
    lines = (XSS_DIR / "payloads.txt").read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if ln.strip() and not ln.startswith("##")]


#: ways a post may name an account that a pseudonymiser must still find (``rename`` below)
MENTION_FORMS = ("@{h}", "İSTANBUL @{H}", "%40{h}", "{h}_2024", "2{H}", "_{h}_", "https://twitter.com/{h}/status/1")


def build(corpus, n_accounts: int = 60, n_posts: int = 600, seed: int = 7, xss: bool = False,
          findings: bool = True, rename: dict[int, str] | None = None) -> dict:
    """Fill ``corpus`` with accounts, posts, interactions, hashtags, urls and findings tables.

    Returns what was planted: account ids, handles, post ids, display names, the core accounts.
    With ``xss=True`` the XSS payloads go into post texts, display names, bios, hashtags and URLs.
    ``rename``: account index -> handle (e.g. ``{0: "TIME"}``); a third of the posts then mention
    one of those accounts, in each of :data:`MENTION_FORMS` in turn.
    """
    rng = random.Random(seed)
    payloads = xss_payloads() if xss else []
    start = datetime(2024, 3, 1)
    acc_ids = [str(1_400_000_000_000_000_000 + rng.randrange(10**15)) for _ in range(n_accounts)]
    handles = [f"{rng.choice(['real', 'true', 'daily', 'voice', 'proud'])}{rng.choice(['Patriot', 'Truth', 'Reader', 'Watcher'])}{rng.randrange(1000, 9999)}x" for _ in range(n_accounts)]
    for i, h in (rename or {}).items():
        handles[i] = h
    names = [f"{rng.choice(['Alice', 'Boris', 'Chandra', 'Dmitri', 'Elena'])} {rng.choice(['Quintrell', 'Vashtenko', 'Oyelaran', 'Brackley'])}{i}" for i in range(n_accounts)]
    accounts = []
    for i, (a, h, nm) in enumerate(zip(acc_ids, handles, names)):
        bio = f"Just a reader {i}"
        url = f"https://example.org/{h}"
        if payloads:
            nm = payloads[i % len(payloads)]
            bio = payloads[(i + 7) % len(payloads)]
            url = payloads[(i + 13) % len(payloads)]
        names[i] = nm
        accounts.append({"platform": "twitter", "account_id": a, "handle": h, "display_name": nm, "bio": bio,
                         "location": None, "url": url, "created_at": start - timedelta(days=rng.randrange(30, 3000)),
                         "followers": rng.randrange(10, 50000), "following": rng.randrange(10, 5000)})
    core = acc_ids[:6]
    posts, inter, tags, urls = [], [], [], []
    post_ids = []
    for j in range(n_posts):
        pid = str(1_700_000_000_000_000_000 + j * 7919 + rng.randrange(1000))
        post_ids.append(pid)
        ai = rng.randrange(n_accounts) if rng.random() > 0.3 else rng.randrange(6)
        target = rng.randrange(n_accounts)
        text = f"Post {j} about the smear campaign @{handles[target]} see https://news.example.com/a/{j}"
        if payloads:
            text = payloads[j % len(payloads)] + f" @{handles[target]}"
        if rename and j % 3 == 0:
            target = sorted(rename)[(j // 3) % len(rename)]
            h = handles[target]
            form = MENTION_FORMS[(j // 3) % len(MENTION_FORMS)].format(h=h, H=h.upper())
            text = f"Post {j} names {form} again"
        created = start + timedelta(hours=rng.randrange(24 * 20), minutes=rng.randrange(60))
        kind = "retweet" if rng.random() < 0.4 else "post"
        posts.append({"platform": "twitter", "post_id": pid, "account_id": acc_ids[ai], "handle": handles[ai],
                      "created_at": created, "text": text, "kind": kind,
                      "retweet_of_account_id": acc_ids[target] if kind == "retweet" else None,
                      "url": f"https://twitter.com/{handles[ai]}/status/{pid}",
                      "like_count": rng.randrange(50), "retweet_count": rng.randrange(20)})
        inter.append({"platform": "twitter", "post_id": pid, "kind": "retweet" if kind == "retweet" else "mention",
                      "source_account_id": acc_ids[ai], "target_account_id": acc_ids[target],
                      "target_handle": handles[target].lower(), "target_post_id": None, "created_at": created,
                      "target_key": acc_ids[target]})
        tag = payloads[(j + 3) % len(payloads)] if payloads else rng.choice(["smear", "sackquintrell", "news", "truth"])
        tags.append({"platform": "twitter", "post_id": pid, "tag": tag.lower(), "tag_raw": tag, "position": 0})
        link = payloads[(j + 5) % len(payloads)] if payloads else f"https://news.example.com/a/{j}"
        urls.append({"platform": "twitter", "post_id": pid, "position": 0, "url": link, "expanded_url": link,
                     "domain": "news.example.com" if j % 3 else "fakenews.example", "host": "news.example.com"})
    con = corpus.con
    for name, rows in (("accounts", accounts), ("posts", posts), ("interactions", inter), ("hashtags", tags), ("urls", urls)):
        df = pd.DataFrame(rows)
        con.register("__df", df)
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __df")
        con.unregister("__df")
    planted = {"account_ids": acc_ids, "handles": handles, "names": names, "post_ids": post_ids, "core": core,
               "posts": posts}
    if findings:
        write_findings(corpus, planted, rng)
    return planted


def write_declared(corpus, table: str, data: "pd.DataFrame | list[dict] | dict") -> None:
    """Write findings table ``table`` in the shape its analysis declares (every declared column, in
    order, cast to its declared type; those ``data`` lacks are NULL), as a table the analysis wrote
    would be. A column the table does not declare raises :class:`KeyError`."""
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    declared = findings.declaration(table).columns
    names = {c.name for c in declared}
    extra = [c for c in df.columns if c not in names]
    if extra:
        raise KeyError(f"{table} declares no column {', '.join(map(str, extra))}")
    select = ", ".join(
        (f'CAST(d."{c.name}" AS {c.type})' if c.name in df.columns else f"CAST(NULL AS {c.type})") + f' AS "{c.name}"'
        for c in declared if not c.name.endswith("*"))
    cur = corpus.con.cursor()
    try:
        cur.register("__declared", df if len(df.columns) else pd.DataFrame({"_": range(len(df))}))
        cur.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT {select} FROM __declared d')
        cur.unregister("__declared")
    finally:
        cur.close()


def write_findings(corpus, planted: dict, rng: random.Random) -> None:
    posts = planted["posts"]
    acc_ids, handles, core = planted["account_ids"], planted["handles"], planted["core"]
    handle_of = dict(zip(acc_ids, handles))
    hate, narr = [], []
    for k, p in enumerate(posts):
        s = rng.random()
        label = "antisemitic" if s > 0.8 or (p["account_id"] in core[:2] and s > 0.4) else ("other_hate" if s > 0.7 else "none")
        hate.append({"platform": "twitter", "post_id": p["post_id"], "account_id": p["account_id"], "label": label,
                     "score": s, "hate_score": min(1.0, s + 0.1),
                     "category": rng.choice(["conspiracy", "dehumanisation", "holocaust_denial"]) if label == "antisemitic" else None,
                     "evidence": json.dumps({"spans": [p["text"][:20]]}), "counter_speech": s < 0.05})
        if p["account_id"] in core or s > 0.6:
            narr.append({"platform": "twitter", "post_id": p["post_id"], "account_id": p["account_id"],
                         "narrative": "antisemitism_smear", "kind": "narrative", "score": s,
                         "evidence": json.dumps({"matched": ["smear"]})})
    write_declared(corpus, "hate", pd.DataFrame(hate))
    write_declared(corpus, "narratives", pd.DataFrame(narr))
    write_declared(corpus, "narrative_defs", pd.DataFrame([{"name": "antisemitism_smear", "kind": "narrative",
                                                        "description": "antisemitism is a smear", "pack": "uk"}]))
    er = []
    for r, a in enumerate(acc_ids[:10]):
        ev = [p["post_id"] for p in posts if p["account_id"] == a][:3]
        er.append({"platform": "twitter", "account_id": a, "handle": handle_of[a], "narrative": "antisemitism_smear",
                   "rank": r + 1, "score": 1.0 / (r + 1), "in_core": a in core, "narrative_posts": 10 - r,
                   "amplifications": 100 - r, "amplifiers": 30 - r, "pagerank": 0.05, "active_days": 12,
                   "posted_hate": r % 3 == 0, "followers": 1000 * (r + 1), "evidence": json.dumps({"post_ids": ev})})
    write_declared(corpus, "engine_room", pd.DataFrame(er))
    edges = {}
    for p in posts:
        t = p["retweet_of_account_id"]
        if t and t != p["account_id"]:
            edges[(p["account_id"], t)] = edges.get((p["account_id"], t), 0) + 1
    write_declared(corpus, "graph_edges", pd.DataFrame([{"platform": "twitter", "source": s, "target": t, "kind": "retweet",
                                                     "weight": w} for (s, t), w in edges.items()]))
    write_declared(corpus, "graph_nodes", pd.DataFrame([{"platform": "twitter", "account_id": a, "handle": handle_of[a],
                                                     "community": i % 4, "pagerank": rng.random()}
                                                    for i, a in enumerate(acc_ids)]))
    write_declared(corpus, "communities", [{"platform": "twitter", "community": k,
                                            "size": len([a for i, a in enumerate(acc_ids) if i % 4 == k])}
                                           for k in range(4)])
    write_declared(corpus, "trends", [{"platform": "twitter", "tag": "sackquintrell", "resolution": "day", "burst": 1,
                                       "start": "2024-03-05", "end": "2024-03-07", "onset": "2024-03-05 10:00",
                                       "peak_at": "2024-03-06", "peak_posts": 40, "posts": 140, "accounts": 30,
                                       "share_in_burst": 0.8, "tag_posts": 175}])
    write_declared(corpus, "campaigns", [{"platform": "twitter", "hashtag": "sackquintrell",
                                          "target_handle": handles[7], "accounts": 12, "posts": 140,
                                          "start": "2024-03-05", "end": "2024-03-07"}])
    write_declared(corpus, "targets", [{"platform": "twitter", "target": acc_ids[7],
                                        "handle": handles[7], "posts": 80}])
    coord, clusters = [], []
    cluster_accs = sorted(acc_ids[10:16])
    for i in range(len(cluster_accs)):
        for j in range(i + 1, len(cluster_accs)):
            pids = [p["post_id"] for p in posts if p["account_id"] in (cluster_accs[i], cluster_accs[j])][:2]
            coord.append({"network": "co_retweet", "platform": "twitter", "account_1": cluster_accs[i],
                          "account_2": cluster_accs[j], "weight": 3.0, "post_ids": json.dumps(pids),
                          "first_at": datetime(2024, 3, 2), "last_at": datetime(2024, 3, 9)})
    for a in cluster_accs:
        clusters.append({"platform": "twitter", "cluster_id": 1, "account_id": a, "method": "leiden",
                         "size": len(cluster_accs), "networks": json.dumps(["co_retweet"]),
                         "evidence": json.dumps({"edges": 15})})
    write_declared(corpus, "coordination", pd.DataFrame(coord))
    write_declared(corpus, "coordination_clusters", pd.DataFrame(clusters))
    write_declared(corpus, "account_scores", pd.DataFrame([
        {"platform": "twitter", "account_id": a, "handle": handle_of[a], "handle_entropy": rng.random(),
         "operation_score": (0.9 if a in cluster_accs else rng.random() * 0.5),
         "operation_label": a in cluster_accs,
         "top_signals": json.dumps({"random_handle": 0.8, "creation_burst": 0.7})} for a in acc_ids]))
    write_declared(corpus, "domains", pd.DataFrame([
        {"platform": "twitter", "domain": "news.example.com", "kind": "site", "posts": 400, "links": 400,
         "accounts": 50, "credibility": 0.9,
         "low_credibility": False, "shortener": False, "coordinated_accounts": 1},
        {"platform": "twitter", "domain": "fakenews.example", "kind": "site", "posts": 200, "links": 200,
         "accounts": 8, "credibility": 0.1,
         "low_credibility": True, "shortener": False, "coordinated_accounts": 6}]))
    con = corpus.con
    for name, params in (("hate", {"threshold": 0.5, "model": "tfidf-lr-v1"}),
                         ("engine_room", {"core_size": 36, "min_posts": 3}),
                         ("coordination", {"time_window": 60, "min_edge_weight": 2})):
        con.execute("INSERT INTO runs VALUES (?, ?, 'duckdb', ?, '1', ?, ?, ?)",
                    [f"run-{name}", name, json.dumps(params), json.dumps({"rows": 10}),
                     datetime(2024, 4, 1, 10), datetime(2024, 4, 1, 10, 1)])


def ingest_xss(corpus, seed: int = 11) -> dict:
    """Ingest the XSS corpus (tests/data/xss/xss_twarc2.jsonl) through the real twarc2 adapter,
    then write findings tables over its posts so that every payload reaches the report's and the
    review app's sections (queue, post, account and cluster pages)."""
    reports = corpus.ingest([XSS_DIR / "xss_twarc2.jsonl"], format="twarc2")
    assert sum(r.stored for r in reports) >= 50, reports
    posts = corpus.con.execute(
        """SELECT p.post_id, p.account_id, p.text,
                  (SELECT any_value(i.target_account_id) FROM interactions i
                   WHERE i.platform = p.platform AND i.post_id = p.post_id) AS retweet_of_account_id
           FROM posts p ORDER BY p.post_id""").fetchall()
    posts = [dict(zip(("post_id", "account_id", "text", "retweet_of_account_id"), r)) for r in posts]
    accs = corpus.con.execute("SELECT account_id, handle, display_name FROM accounts ORDER BY account_id").fetchall()
    planted = {"account_ids": [a[0] for a in accs], "handles": [a[1] for a in accs], "names": [a[2] for a in accs],
               "post_ids": [p["post_id"] for p in posts], "core": [a[0] for a in accs][:6], "posts": posts}
    write_findings(corpus, planted, random.Random(seed))
    # every post flagged, so that every payload is in the queue
    corpus.con.execute("UPDATE hate SET label = 'antisemitic', category = 'conspiracy'")
    return planted
