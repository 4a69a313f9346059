"""Domains analysis: registered domains, shorteners, Lin et al. credibility, coordinated pushers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from engineroom.accountscore.domains import is_shortener, load_ratings, registered_domain
from engineroom.analyses.domains import Domains


def test_registered_domain_offline_and_ratings_bundled():
    assert registered_domain("https://news.bbc.co.uk/a/b?c=1") == "bbc.co.uk"
    assert registered_domain("http://WWW.Example.COM:8080/x") == "example.com"
    assert registered_domain("www.rt.com/news") == "rt.com"
    assert registered_domain("not a url") is None
    assert registered_domain(None) is None
    r = load_ratings().set_index("domain")["pc1"]
    assert len(r) > 10_000 and r.between(0, 1).all()
    assert r["infowars.com"] < 0.4 < r["bbc.co.uk"]
    assert is_shortener("bit.ly") and is_shortener("www.bit.ly") and not is_shortener("bbc.co.uk")
    # truncated URLs name no domain; IP addresses are hosts as they are
    for cut in ("https://t.c", "https://t", "t.c", "https://www.topsecr", "ttli"):
        assert registered_domain(cut) is None, cut
    assert registered_domain("http://192.168.0.1/x") == "192.168.0.1"


def test_one_registered_domain_function_in_the_package():
    from engineroom import links
    from engineroom.accountscore import domains as ad
    from engineroom.ingest import domains as idom

    assert ad.registered_domain is links.registered_domain is idom.registered_domain


def test_post_links_only_from_real_ids():
    from engineroom.links import post_link

    assert post_link("twitter", "jane", "1700000000000000001") == ("https://twitter.com/jane/status/1700000000000000001", None)
    assert post_link("twitter", None, "17")[0] == "https://twitter.com/i/web/status/17"
    link, why = post_link("twitter", "Crystal1Johnson", "p_0f00c2bcf3db")
    assert link is None and why == "not a Twitter post id"
    # a status URL built upstream from an opaque id is no link either
    assert post_link("twitter", "a", "p_1", "https://twitter.com/a/status/p_1")[0] is None
    assert post_link("telegram", "c", "5", "https://t.me/c/5") == ("https://t.me/c/5", None)
    assert post_link("bluesky", "h", "at://did:plc:abc/app.bsky.feed.post/3kxyz")[0] == \
        "https://bsky.app/profile/did:plc:abc/post/3kxyz"
    assert post_link("csv", None, "9")[0] is None


def _corpus(corpus):
    t0 = datetime(2024, 3, 1, 9)
    posts = [("p1", "u1"), ("p2", "u2"), ("p3", "u3"), ("p4", "u1"), ("p5", "u4"), ("p6", "u5")]
    for i, (pid, acc) in enumerate(posts):
        corpus.con.execute("INSERT INTO posts (platform, post_id, account_id, created_at, text) VALUES ('twitter', ?, ?, ?, 'x')",
                           [pid, acc, t0 + timedelta(minutes=i)])
    urls = [  # post, position, url, expanded, domain (as ingest may or may not fill it)
        ("p1", 0, "https://t.co/a", "https://www.infowars.com/story", None),
        ("p2", 0, "https://t.co/b", "https://infowars.com/other", "infowars.com"),
        ("p3", 0, "https://t.co/c", "https://www.bbc.co.uk/news/1", None),
        ("p4", 0, "https://bit.ly/xyz", None, None),
        ("p4", 1, "https://t.co/d", "https://unrated-blog.example.org/p", None),
        ("p5", 0, "https://t.co/e", "https://infowars.com/3", None),
        ("p6", 0, "https://t.co/f", "not a url at all", None),
        ("p6", 1, "https://t.c", None, "t.c"),  # cut short by the export (ingest once called it a domain)
        ("p6", 2, "https://t", None, None),
        ("p5", 1, "https://www.youtube.com/watch?v=abc", None, None),
    ]
    for pid, pos, url, exp, dom in urls:
        corpus.con.execute("INSERT INTO urls (platform, post_id, position, url, expanded_url, domain) VALUES ('twitter', ?, ?, ?, ?, ?)",
                           [pid, pos, url, exp, dom])


def test_domains_table(corpus):
    _corpus(corpus)
    corpus.write_table("coordination_clusters", pd.DataFrame({
        "platform": ["twitter", "twitter"], "cluster_id": ["c1", "c1"], "account_id": ["u1", "u2"],
        "method": ["components", "components"], "size": [2, 2], "networks": ["co_link", "co_link"], "evidence": ["{}", "{}"]}))
    summary = Domains().run(corpus.engine())
    d = corpus.table("domains").set_index("domain")
    assert set(d.index) == {"infowars.com", "bbc.co.uk", "bit.ly", "example.org", "youtube.com"}
    assert d.loc["bit.ly", "kind"] == "shortener" and d.loc["infowars.com", "kind"] == "site"
    # a platform hosts anyone's content: no publisher rating (Lin et al. rate youtube.com 0.38)
    assert d.loc["youtube.com", "kind"] == "platform" and pd.isna(d.loc["youtube.com", "credibility"])
    iw = d.loc["infowars.com"]
    assert iw["posts"] == 3 and iw["accounts"] == 3 and bool(iw["low_credibility"])
    assert iw["coordinated_accounts"] == 2 and iw["coordinated_posts"] == 2
    assert not bool(d.loc["bbc.co.uk", "low_credibility"]) and d.loc["bbc.co.uk", "coordinated_accounts"] == 0
    assert bool(d.loc["bit.ly", "shortener"]) and not bool(d.loc["infowars.com", "shortener"])
    assert pd.isna(d.loc["example.org", "credibility"]) and pd.isna(d.loc["example.org", "low_credibility"])
    assert summary["domains"] == 5 and summary["low_credibility_domains"] == 1 and summary["links_to_low_credibility"] == 3
    assert summary["links_without_domain"] == 3 and summary["shortener_links"] == 1 and summary["platform_links"] == 1


def test_domains_without_coordination(corpus):
    _corpus(corpus)
    Domains(low_credibility=0.9).run(corpus.engine())
    d = corpus.table("domains").set_index("domain")
    assert d["coordinated_accounts"].isna().all()
    assert bool(d.loc["bbc.co.uk", "low_credibility"])  # 0.72 < 0.9
