"""Analysis ``domains``: which web domains the corpus links to, how credible they are, who pushes them.

Method: every link's registered domain, computed here from its host with the package's one
definition (:func:`engineroom.links.registered_domain`: public-suffix list bundled with
``tldextract``, no network); a host without a public suffix (a URL the export cut short, such as
``https://t.c``) names no domain and is counted in ``links_without_domain``, not as a domain. Each
domain has a ``kind``: ``shortener`` (bundled list ``engineroom/data/domains/shorteners.txt``,
t.co, bit.ly ...: the destination is unknown unless the export expanded it, so these links are
unresolved, not a domain anyone chose), ``platform`` (``platforms.txt``: youtube.com, facebook.com
... host anyone's content, so a publisher's rating does not apply) or ``site``. Credibility of
sites from the news-domain quality ratings of Lin et al., *High level of correspondence across
different news domain quality rating sets*, PNAS Nexus 2023 (aggregate ``pc1``, 0-1, bundled in
``engineroom/data/domains/``); ``low_credibility`` = pc1 below ``low_credibility`` (default 0.4);
both NULL for shorteners and platforms. When the ``coordination``
analysis has written ``coordination_clusters``, ``coordinated_accounts`` counts the accounts of
coordinated clusters that linked to the domain (Giglietto et al.'s CooRnet asks the same
question of coordinated link sharing).

Findings table ``domains``: platform, domain, kind, posts, accounts, links, credibility,
low_credibility, shortener, coordinated_accounts, coordinated_posts, first_at, last_at.

Parameters (defaults): ``low_credibility=0.4``.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from . import Analysis, findings_table
from ..accountscore.domains import load_ratings
from ..links import host_of, is_platform, is_shortener, registered_domain


class Domains(Analysis):
    """Registered domains, shorteners, Lin et al. (2023) credibility and coordinated pushers."""

    name = "domains"
    version = "1"
    requires = ("coordination",)
    reads = ("posts", "urls", "coordination_clusters")
    writes = (findings_table(
        "domains", "One row per (platform, registered domain) linked to.",
        ("platform", "VARCHAR", "the platform of the posts"),
        ("domain", "VARCHAR", "registered domain (public-suffix list)"),
        ("kind", "VARCHAR", "'site' (rated when Lin et al. rate it), 'platform' (youtube.com, facebook.com ...: never rated as news) or 'shortener' (t.co, bit.ly ...: destination unresolved)"),
        ("posts", "BIGINT", "posts linking to it"),
        ("accounts", "BIGINT", "distinct accounts linking to it"),
        ("links", "BIGINT", "links to it (a post may hold several)"),
        ("credibility", "DOUBLE", "Lin et al. (2023) pc1 rating, 0-1, for sites only; NULL when unrated"),
        ("low_credibility", "BOOLEAN", "credibility below the low_credibility parameter"),
        ("shortener", "BOOLEAN", "a known URL shortener (destination unknown)"),
        ("coordinated_accounts", "BIGINT", "accounts of coordination clusters that linked to it (NULL without coordination)"),
        ("coordinated_posts", "BIGINT", "their posts linking to it (NULL without coordination)"),
        ("first_at", "TIMESTAMP", "first post linking to it (UTC)"),
        ("last_at", "TIMESTAMP", "last post linking to it (UTC)"),
    ),)

    def __init__(self, low_credibility: float = 0.4) -> None:
        self.low_credibility = low_credibility

    def run(self, engine) -> dict[str, Any]:
        u = engine.table("urls")
        p = engine.table("posts").select("platform", "post_id", "account_id", "created_at")
        link = u.expanded_url.fill_null(u.url)
        # hosts that ingest left NULL: from the link, per distinct link, in Python
        missing = engine.to_pandas(u.filter(u.host.isnull()).select(link=link).distinct())
        if len(missing):
            missing["computed_host"] = [host_of(x) for x in missing["link"]]
            fill = ibis.memtable(missing.dropna(subset=["link"]))
            u2 = u.mutate(_link=link)
            u = u2.left_join(fill, u2._link == fill.link)
            u = u.mutate(host=u.host.fill_null(u.computed_host))
        # the registered domain of every distinct host (one definition for the package)
        hosts = engine.to_pandas(u.filter(u.host.notnull()).select("host").distinct())
        hosts["reg_domain"] = [registered_domain(h) for h in hosts["host"]]
        hmap = ibis.memtable(hosts.rename(columns={"host": "_h"}))
        u = u.left_join(hmap, u.host == hmap._h)
        n_all = engine.to_pandas(u.aggregate(n=u.count(), nd=u.reg_domain.count()))
        links_without_domain = int(n_all["n"].iloc[0] - n_all["nd"].iloc[0])
        links = u.select("platform", "post_id", "host", domain=u.reg_domain).filter(lambda t: t.domain.notnull())
        j = links.join(p, [links.platform == p.platform, links.post_id == p.post_id]).select(
            links.platform, links.post_id, links.domain, links.host, p.account_id, p.created_at)

        if engine.has_table("coordination_clusters"):
            cc = engine.table("coordination_clusters").select("platform", "account_id").distinct().mutate(_coord=ibis.literal(1))
            j = j.left_join(cc, [j.platform == cc.platform, j.account_id == cc.account_id]).select(
                j.platform, j.post_id, j.domain, j.host, j.account_id, j.created_at, _coord=cc._coord.fill_null(0))
        else:
            j = j.mutate(_coord=ibis.literal(0))
        agg = j.group_by(["platform", "domain"]).aggregate(
            posts=j.post_id.nunique(),
            accounts=j.account_id.nunique(),
            links=j.post_id.count(),
            coordinated_accounts=ibis.ifelse(j._coord == 1, j.account_id, ibis.null("string")).nunique(),
            coordinated_posts=ibis.ifelse(j._coord == 1, j.post_id, ibis.null("string")).nunique(),
            first_at=j.created_at.min(),
            last_at=j.created_at.max(),
        )
        df = engine.to_pandas(agg)
        # the hosts of the links whose post is in the corpus (a semi-join: the coordination join
        # above adds no rows and no hosts)
        hosts = engine.to_pandas(links.semi_join(p, [links.platform == p.platform, links.post_id == p.post_id])
                                 .select("domain", "host").distinct())
        short_hosts = {d for d, h in zip(hosts["domain"], hosts["host"]) if is_shortener(h, d)}
        ratings = load_ratings().set_index("domain")["pc1"]
        df["shortener"] = df["domain"].map(lambda d: d in short_hosts or is_shortener(None, d)).astype(bool)
        df["kind"] = ["shortener" if s else "platform" if is_platform(None, d) else "site"
                      for d, s in zip(df["domain"], df["shortener"])]
        df["credibility"] = df["domain"].map(ratings).astype(float).where(df["kind"] == "site")
        df["low_credibility"] = (df["credibility"] < self.low_credibility).where(df["credibility"].notna())
        df["low_credibility"] = df["low_credibility"].astype("boolean")
        if not engine.has_table("coordination_clusters"):
            df["coordinated_accounts"] = pd.Series(pd.NA, index=df.index, dtype="Int64")
            df["coordinated_posts"] = pd.Series(pd.NA, index=df.index, dtype="Int64")
        cols = ["platform", "domain", "kind", "posts", "accounts", "links", "credibility", "low_credibility", "shortener",
                "coordinated_accounts", "coordinated_posts", "first_at", "last_at"]
        df = df[cols].sort_values(["platform", "posts", "domain"], ascending=[True, False, True]).reset_index(drop=True)
        if df.empty:
            df = df.astype({"platform": str, "domain": str, "kind": str, "posts": "int64", "accounts": "int64", "links": "int64",
                            "credibility": float, "shortener": bool})
        engine.write("domains", df)
        rated = df["credibility"].notna()
        return {
            "domains": int(len(df)),
            "rated": int(rated.sum()),
            "low_credibility_domains": int(df["low_credibility"].fillna(False).sum()),
            "links_to_low_credibility": int(df.loc[df["low_credibility"].fillna(False).astype(bool), "links"].sum()),
            "shortener_links": int(df.loc[df["shortener"], "links"].sum()),
            "platform_links": int(df.loc[df["kind"] == "platform", "links"].sum()),
            "links_without_domain": links_without_domain,
        }
