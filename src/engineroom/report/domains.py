"""The report's domains section: where links point, with credibility ratings."""

from __future__ import annotations

from .blocks import fmt, pct, table
from .context import Context
from .data import parse_json, truthy


def domains_section(ctx: Context) -> dict | None:
    """Where links point: news and other sites with their credibility, platforms apart, shortened
    links counted as unresolved (their destination is unknown), links cut short not counted."""
    f = ctx.f
    if not f.nonempty("domains"):
        return None
    rows = f.rows("""SELECT domain, kind AS kind, sum(posts) AS posts, sum(links) AS links,
                            sum(accounts) AS accounts,
                            max(credibility) AS credibility,
                            bool_or(low_credibility) AS low,
                            sum(coordinated_accounts) AS coord
                     FROM domains GROUP BY 1, 2 ORDER BY posts DESC, domain""")
    sites = [r for r in rows if r["kind"] == "site"]
    plats = [r for r in rows if r["kind"] == "platform"]
    short = [r for r in rows if r["kind"] == "shortener"]
    total = sum(r["links"] or 0 for r in rows)
    n_short = sum(r["links"] or 0 for r in short)
    blocks: list[dict] = []
    summary = (f"{fmt(total)} links point to {fmt(len(sites))} news and other sites, {fmt(len(plats))} platforms "
               f"and {fmt(len(short))} URL shorteners.")
    if short:
        summary += (f" {fmt(n_short)} links ({pct(n_short, total)}) go through a shortener "
                    f"({', '.join(r['domain'] for r in short[:5])}) whose destination the export did not give: "
                    "they are counted as unresolved, not as a domain.")
    run = f.rows("SELECT summary FROM runs WHERE analysis = 'domains' ORDER BY finished_at DESC LIMIT 1")
    cut = (parse_json(run[0]["summary"]) or {}).get("links_without_domain") if run else None
    if isinstance(cut, int) and cut:
        summary += (f" {fmt(cut)} links name no domain at all (cut short by the export, such as https://t.c) "
                     "and are not counted.")
    blocks.append({"kind": "text", "text": summary})
    source = ("Credibility: the aggregate news-domain quality rating pc1 (0 = lowest, 1 = highest) of Lin et al., "
              "“High level of correspondence across different news domain quality rating sets”, PNAS Nexus 2023, "
              "bundled with engineroom; low credibility = pc1 below the domains analysis's threshold "
              "(default 0.4); “not rated” = the domain is not among their 11,520. Platforms are not rated: "
              "they host anyone's content.")
    if sites:
        blocks.append(table("News and other sites, most linked first",
                            ["domain", "posts", "links", "accounts", "coordinated accounts", "credibility (pc1)"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"]), fmt(r["coord"]),
                              "not rated" if r["credibility"] is None else
                              f"{r['credibility']:.2f}" + (" · low" if truthy(r["low"]) else "")]
                             for r in sites]))
        low = [r for r in sites if truthy(r["low"])]
        if low:
            blocks.insert(1, table("Low-credibility sites", ["domain", "posts", "accounts", "credibility (pc1)"],
                                   [[r["domain"], fmt(r["posts"]), fmt(r["accounts"]), f"{r['credibility']:.2f}"]
                                    for r in low]))
    if plats:
        blocks.append(table("Platforms linked (hosting anyone's content; not rated)",
                            ["platform", "posts", "links", "accounts", "coordinated accounts"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"]), fmt(r["coord"])]
                             for r in plats]))
    if short:
        blocks.append(table("Unresolved links (URL shorteners)", ["shortener", "posts", "links", "accounts"],
                            [[r["domain"], fmt(r["posts"]), fmt(r["links"]), fmt(r["accounts"])] for r in short]))
    blocks.append({"kind": "text", "text": source})
    return {"id": "domains", "title": "Domains and their credibility",
            "intro": "Where links in the corpus point: sites with their credibility rating where one is known, "
                     "platforms apart, and links whose destination is unknown.",
            "blocks": blocks}

