"""The report's opening summary: the strongest findings that pass evidence floors, and nothing else.

Every analysis that has run offers *candidate* findings, each with the numbers behind it read from
its findings table (so every number printed is a count over the corpus, not an estimate):

* **narratives** (``narratives``, ``engine_room``, ``hate``): a narrative whose engine room exists
  (it was amplified, and its core authored it, see :mod:`engineroom.analyses.engine_room`) with
  its core size, its posts and authors, how often the core's narrative posts were retweeted or
  quoted, the core's followers, and how many core accounts posted content labelled antisemitic
  (``hate.label = 'antisemitic'``, not any hate); a narrative found
  but never amplified is stated as such, never as an engine room;
* **hate** (``hate``): posts labelled antisemitic, and posts labelled hateful towards other groups,
  each with the accounts posting them and the hashtags they most used;
* **bursts** (``trends``): the largest hashtag bursts (Kleinberg) with their day, size and peak hour;
* **campaigns** (``campaigns``): hashtag campaigns against a named person;
* **coordination** (``coordination_clusters``): coordinated clusters of accounts.

A candidate is kept only when it passes the evidence floors (:data:`FLOORS`: at least 10 posts
and 3 accounts for anything, 10 amplifications for an engine room, 50 posts for a burst, 3
accounts per coordinated cluster). The kept ones are ordered by strength (posts involved, then
accounts; coordinated clusters by accounts), the strongest of each kind before a second of any
kind, and the first :data:`MAX_SENTENCES` become the opening sentences. When the narratives
analysis ran and none of the installed narratives matched a post, the summary says so and names
the packs that were looked for. The cards give corpus totals.

``headline(ctx)`` returns ``{"sentences": [...], "cards": [(label, value), ...], "blocks": [...],
"findings": [...]}`` (``findings``: every candidate with its numbers and whether it passed), or
``None`` when there is nothing to say.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .context import Context

#: evidence floors a finding must pass to be headlined
FLOORS = {"posts": 10, "accounts": 3, "amplifications": 10, "burst_posts": 50, "cluster_accounts": 3}
#: opening sentences at most
MAX_SENTENCES = 6


def _n(v: Any) -> str:
    return f"{int(v or 0):,}"


def _pct(part: float, whole: float) -> str:
    if not whole:
        return "-"
    x = 100.0 * part / whole
    return f"{x:.2f}%" if 0 < x < 0.1 else f"{x:.1f}%"


def _day(ts: Any) -> str:
    s = str(ts or "")
    return s[:10]


def _strength(posts: int, accounts: int) -> float:
    return math.log1p(posts) + math.log1p(accounts)


def _finding(kind: str, sentence: str, posts: int, accounts: int, passed: bool, **facts: Any) -> dict:
    return {"kind": kind, "sentence": sentence, "posts": int(posts), "accounts": int(accounts), "passed": bool(passed),
            "strength": _strength(posts, accounts), **facts}


# -- candidates ----------------------------------------------------------------------------
def narrative_findings(f) -> tuple[list[dict], str | None]:
    """Engine-room / narrative candidates, and the sentence for "no installed narrative found"."""
    out: list[dict] = []
    if not f.exists("narratives"):
        return out, None
    found = f.rows("SELECT narrative, count(DISTINCT post_id) AS posts, count(DISTINCT account_id) AS accounts "
                   "FROM narratives WHERE kind = 'narrative' GROUP BY 1 ORDER BY 2 DESC, 1")
    none_sentence = None
    if not found:
        packs = ""
        if f.exists("narrative_defs"):
            defs = f.rows("SELECT pack, any_value(language) AS language, count(*) FILTER (WHERE kind = 'narrative') AS n "
                          "FROM narrative_defs GROUP BY 1 ORDER BY 1")
            total = sum(int(d["n"] or 0) for d in defs)
            names = ", ".join(f"“{d['pack']}”" + (f" ({d['language']})" if d["language"] else "") for d in defs)
            packs = (f" of the {total:,} installed narratives (pack{'s' if len(defs) > 1 else ''} {names})"
                     if defs else "")
        none_sentence = f"None{packs} was found in this corpus."
        return out, none_sentence
    er = {}
    if f.exists("engine_room"):
        for r in f.rows("SELECT narrative, count(*) FILTER (WHERE in_core) AS core, "
                        "sum(amplifications) FILTER (WHERE in_core) AS core_amp, sum(amplifications) AS amp, "
                        "sum(followers) FILTER (WHERE in_core) AS followers FROM engine_room GROUP BY 1"):
            er[r["narrative"]] = r
    anti = None
    if f.exists("hate") and f.exists("engine_room"):
        anti = {r["narrative"]: int(r["m"] or 0) for r in f.rows(
            "SELECT e.narrative, count(DISTINCT e.account_id) AS m FROM engine_room e "
            "JOIN hate h ON h.platform = e.platform AND h.account_id = e.account_id "
            "WHERE e.in_core AND h.label = 'antisemitic' GROUP BY 1")}
    for r in found:
        name, posts, accounts = r["narrative"], int(r["posts"]), int(r["accounts"])
        e = er.get(name)
        core = int(e["core"] or 0) if e else 0
        core_amp = int(e["core_amp"] or 0) if e else 0
        if core and core_amp:
            s = (f"{core:,} core accounts drove the “{name}” narrative ({posts:,} posts by {accounts:,} accounts); "
                 f"their narrative posts were retweeted or quoted {core_amp:,} times")
            if e.get("followers") is not None:
                s += f", and they have {int(e['followers']):,} followers between them"
            if anti is not None:
                m = anti.get(name, 0)
                s += f"; {m:,} of them ({_pct(m, core)}) posted content labelled antisemitic"
            passed = posts >= FLOORS["posts"] and accounts >= FLOORS["accounts"] and core_amp >= FLOORS["amplifications"]
            out.append(_finding("engine_room", s + ".", posts, accounts, passed, narrative=name, core=core,
                                amplifications=core_amp))
        else:
            s = (f"The “{name}” narrative was found in {posts:,} posts by {accounts:,} accounts, "
                 "but none of them was retweeted or quoted: it has no engine room.")
            passed = posts >= FLOORS["posts"] and accounts >= FLOORS["accounts"]
            # a narrative without amplification is reported, never ranked above amplified findings
            out.append(_finding("narrative", s, posts, accounts, passed, narrative=name, core=0, amplifications=0))
    return out, None


def hate_findings(f) -> list[dict]:
    """One finding for the hate labels: hateful towards other groups and antisemitic, each with its
    accounts and most used hashtags; each label passes the floors on its own."""
    if not f.exists("hate"):
        return []
    total = int(f.scalar("SELECT count(DISTINCT post_id) FROM hate") or 0)
    rows = {r["label"]: r for r in f.rows("SELECT label, count(DISTINCT post_id) AS posts, count(DISTINCT account_id) AS accounts "
                                          "FROM hate WHERE label <> 'none' GROUP BY 1")}
    parts, posts_all, accounts_max, labels = [], 0, 0, []
    for label in sorted(rows, key=lambda x: (x == "antisemitic", x)):  # other hate first, antisemitic after
        r = rows[label]
        posts, accounts = int(r["posts"]), int(r["accounts"])
        if posts < FLOORS["posts"] or accounts < FLOORS["accounts"]:
            continue
        what = {"antisemitic": "labelled antisemitic",
                "other_hate": "labelled hateful towards groups other than Jews"}.get(label, f"labelled {label}")
        part = f"{posts:,} of the {total:,} posts classified ({_pct(posts, total)}), by {accounts:,} accounts, were {what}"
        if f.exists("hashtags"):
            tags = f.rows("SELECT t.tag, count(DISTINCT h.post_id) AS n FROM hate h JOIN hashtags t "
                          "ON t.platform = h.platform AND t.post_id = h.post_id WHERE h.label = ? "
                          "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 2", [label])
            tags = [t for t in tags if int(t["n"]) >= FLOORS["posts"]]
            if tags:
                part += ", most often with " + " and ".join(f"#{t['tag']} ({int(t['n']):,} posts)" for t in tags)
        parts.append(part)
        posts_all += posts
        accounts_max = max(accounts_max, accounts)
        labels.append(label)
    if not parts:
        return []
    s = "; ".join(parts) + "."
    return [_finding("hate", s[0].upper() + s[1:], posts_all, accounts_max, True, labels=labels)]


def burst_findings(f, top: int = 3) -> list[dict]:
    out: list[dict] = []
    if not f.exists("trends"):
        return out
    # one row per tag: its largest burst at the finest resolution that ran
    rows = f.rows("""
        SELECT tag, posts, accounts, start, "end", peak_at, peak_posts, resolution FROM (
            SELECT *, row_number() OVER (PARTITION BY tag ORDER BY (resolution = 'hour') DESC, posts DESC, start) AS r
            FROM trends) WHERE r = 1 ORDER BY posts DESC, tag LIMIT ?""", [top])
    for r in rows:
        posts, accounts = int(r["posts"]), int(r["accounts"])
        unit = "hour" if r["resolution"] == "hour" else "day"
        span = _day(r["start"]) if _day(r["start"]) == _day(r["end"]) else f"{_day(r['start'])} to {_day(r['end'])}"
        peak = pd.Timestamp(r["peak_at"]).strftime("%Y-%m-%d %H:%M") if unit == "hour" else _day(r["peak_at"])
        s = (f"#{r['tag']} burst on {span}: {posts:,} posts by {accounts:,} accounts, "
             f"{int(r['peak_posts']):,} of them in the peak {unit} ({peak} UTC).")
        passed = posts >= FLOORS["burst_posts"] and accounts >= FLOORS["accounts"]
        out.append(_finding("burst", s, posts, accounts, passed, tag=r["tag"]))
    return out


def campaign_findings(f, top: int = 3) -> list[dict]:
    """The ``top`` largest campaign targets; a person's hashtags share one sentence
    ("Hashtag campaigns against Rahm Emanuel: #RahmEmanuelOut, 65 posts …; #ResignRahm, 44 posts …")."""
    out: list[dict] = []
    if not f.exists("campaigns"):
        return out
    groups: dict[str, list[dict]] = {}
    for r in f.rows("SELECT tag_raw AS tag, target_name AS name, target_handle AS handle, posts, accounts, start, \"end\" "
                    "FROM campaigns ORDER BY posts DESC, hashtag"):
        who = r["name"] or (f"@{r['handle']}" if r["handle"] else None)
        if r["handle"] and r["name"] and r["name"] != r["handle"]:
            who += f" (@{r['handle']})"
        key = who.lower() if who else f"#{r['tag']}"  # an unnamed target is its own group
        if key not in groups and len(groups) == top:
            continue
        groups.setdefault(key, []).append(dict(r, who=who or "a named person"))
    for rows in groups.values():
        parts = []
        for r in rows:
            when = (f"on {_day(r['start'])}" if _day(r["start"]) == _day(r["end"])
                    else f"from {_day(r['start'])} to {_day(r['end'])}")
            parts.append(f"#{r['tag']}, {int(r['posts']):,} posts by {int(r['accounts']):,} accounts {when}")
        lead = rows[0]  # the largest hashtag decides the strength and the floors
        posts, accounts = int(lead["posts"]), int(lead["accounts"])
        noun = "A hashtag campaign" if len(rows) == 1 else "Hashtag campaigns"
        s = f"{noun} against {lead['who']}: {'; '.join(parts)}."
        passed = posts >= FLOORS["posts"] and accounts >= FLOORS["accounts"]
        out.append(_finding("campaign", s, posts, accounts, passed, hashtag=lead["tag"]))
    return out


def coordination_findings(f) -> list[dict]:
    if not f.exists("coordination_clusters"):
        return []
    methods = [r["method"] for r in f.rows("SELECT DISTINCT method FROM coordination_clusters ORDER BY 1")]
    method = "leiden" if "leiden" in methods else (methods[0] if methods else None)
    where = "WHERE method = ?" if method else ""
    params = [method] if method else []
    rows = f.rows(f"SELECT cluster_id, count(DISTINCT account_id) AS n FROM coordination_clusters {where} "
                  "GROUP BY 1 HAVING count(DISTINCT account_id) >= ? ORDER BY 2 DESC", params + [FLOORS["cluster_accounts"]])
    if not rows:
        return []
    accounts = sum(int(r["n"]) for r in rows)
    posts = 0
    if f.exists("posts"):
        posts = int(f.scalar(f"SELECT count(*) FROM posts WHERE account_id IN (SELECT account_id FROM coordination_clusters "
                             f"{where + ' AND' if where else 'WHERE'} CAST(cluster_id AS VARCHAR) IN (SELECT unnest(?::VARCHAR[])))",
                             params + [[str(r["cluster_id"]) for r in rows]]) or 0)
    s = (f"{len(rows):,} coordinated cluster{'s' if len(rows) != 1 else ''} of at least {FLOORS['cluster_accounts']} accounts ({accounts:,} accounts in all, "
         f"the largest {int(rows[0]['n']):,}) acted in near-identical ways; these accounts posted {posts:,} posts.")
    # ranked by the accounts in the clusters (their posts are not all coordinated)
    return [_finding("coordination", s, 0, accounts, True, clusters=len(rows), cluster_posts=posts)]


# -- the summary ---------------------------------------------------------------------------
def findings(ctx: "Context") -> tuple[list[dict], str | None]:
    """Every candidate finding (passed or not) and the no-narrative sentence, if any."""
    f = ctx.f
    narr, none_sentence = narrative_findings(f)
    cands = narr + hate_findings(f) + burst_findings(f) + campaign_findings(f) + coordination_findings(f)
    return cands, none_sentence


def headline(ctx: "Context") -> dict | None:
    """The opening summary: the strongest findings that pass the evidence floors (see the module doc)."""
    f = ctx.f
    cands, none_sentence = findings(ctx)
    # an engine room is the report's purpose: it leads when one passes; a narrative without one
    # never outranks another finding; otherwise the strongest (posts, accounts) come first, the
    # best of each kind before a second of any kind
    kept = sorted((c for c in cands if c["passed"]),
                  key=lambda c: (c["kind"] == "engine_room", c["kind"] != "narrative", c["strength"]), reverse=True)
    seen: set[str] = set()
    first = [c for c in kept if c["kind"] not in seen and not seen.add(c["kind"])]
    order = first + [c for c in kept if c not in first]
    sentences = [c["sentence"] for c in order[:MAX_SENTENCES]]
    if none_sentence:
        sentences.insert(min(1, len(sentences)), none_sentence)
    cards: list[tuple[str, str]] = []
    if f.exists("posts"):
        cards.append(("posts", _n(f.count("posts"))))
    if f.exists("accounts"):
        cards.append(("accounts", _n(f.count("accounts"))))
    if f.exists("hate"):
        r = f.rows("SELECT count(*) FILTER (WHERE label = 'antisemitic') AS a, "
                   "count(*) FILTER (WHERE label NOT IN ('none', 'antisemitic')) AS o, count(*) AS n FROM hate")[0]
        cards.append(("antisemitic posts", f"{_n(r['a'])} ({_pct(r['a'] or 0, r['n'] or 0)})"))
        cards.append(("other hateful posts", f"{_n(r['o'])} ({_pct(r['o'] or 0, r['n'] or 0)})"))
    if f.exists("narratives"):
        cards.append(("narrative posts", _n(f.scalar("SELECT count(DISTINCT post_id) FROM narratives "
                                                     "WHERE kind = 'narrative'"))))
    if f.exists("campaigns"):
        cards.append(("campaigns", _n(f.count("campaigns"))))
    if f.nonempty("account_scores"):
        # a review list, not a count of operations: the flag's threshold is calibrated on one
        # corpus (IRA vs news-thread repliers) and flags many ordinary accounts of other corpora
        cards.append(("accounts flagged for review", _n(f.scalar("SELECT count(*) FROM account_scores WHERE operation_label"))))
    if not sentences and not cards:
        return None
    blocks: list[dict] = []
    rooms = [c for c in kept if c["kind"] == "engine_room"]
    if len(rooms) > 1:
        blocks.append({"kind": "table", "caption": "Engine rooms per narrative",
                       "columns": ["narrative", "core accounts", "narrative posts", "accounts", "core amplified"],
                       "rows": [[c["narrative"], _n(c["core"]), _n(c["posts"]), _n(c["accounts"]), _n(c["amplifications"])]
                                for c in rooms], "note": "", "detail": False})
    return {"sentences": sentences, "cards": cards, "blocks": blocks,
            "findings": [{k: v for k, v in c.items() if k != "strength"} for c in cands]}
