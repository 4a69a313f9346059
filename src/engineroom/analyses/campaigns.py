"""Hashtag campaigns aimed at a person (#SackTomWatson, #CorbynOut, ...).

A hashtag is a campaign when it has at least ``min_posts`` posts and either

* **hostile verb** — the hashtag is a hostile verb joined to a name: a prefix verb (sack, fire,
  oust, expel, ban, jail, arrest, impeach, deport, deselect, suspend, remove, boycott, dump,
  ditch, resign, kickout, getridof, ...) followed by a name, or a name followed by a suffix
  (out, mustgo, mustresign, resign, mustbesacked, outnow, ...); the name must look like a person:
  two or more capitalised words in the hashtag as written (``SackTomWatson`` → "Tom Watson"), or
  the handle / display name of an account mentioned in the hashtag's posts, or — for a single
  word (``ResignRahm``, ``DumpTrump``) — a word that the hashtag's own posts write as part of a
  two-word name in Title Case ("Rahm Emanuel", "Donald Trump"; titles such as "Mayor",
  function words and the hashtag's verbs — "Pokemon Go" — do not count) in at least ``min_name_posts`` (default 3) distinct posts. A
  hashtag game or a product (``PokemonGO``, ``BanIslam``, ``Chicago``) has no such name; or
* **mention concentration** — at least ``concentration`` (default 0.5) of its posts mention or
  reply to the same account (and at least ``min_accounts`` accounts post it) *and* at least
  ``hostile_share`` (default 0.5) of its posts carry hostile intent: a word or phrase of
  :data:`HOSTILE_TERMS` (resign, sack, fire, oust, expel, deselect, impeach, arrest, jail, lock
  up, deport, traitor, treason, disgrace, get out, step down, must go, ...). A hashtag game or a
  show prompt (``@midnight #DogSongs``) concentrates on one account too, but its posts are jokes,
  not demands against a person, so it is not a campaign.

Every campaign records ``hostile_share``, the share of its posts with a hostile term.

The target is resolved to an account where possible: the most-mentioned account in the hashtag's
posts whose handle or display name contains the name's surname, else an account whose handle
equals the squashed name.

For each campaign: start (first post), peak (hour with most posts), end, posts, accounts, the
accounts pushing it (top by posts), concentration (Gini of posts per account: 0 = evenly spread,
→1 = a few accounts post nearly all), and the share of its posts from coordinated accounts
(``coordination_clusters``) and operation-like accounts (``account_scores.operation_label``)
where those analyses have run (NULL otherwise), and the share of hateful posts (``hate``).

Findings table ``campaigns``: platform, hashtag, tag_raw, rule, verb, target_name,
target_handle, target_account_id, target_share, posts, accounts, start, peak_at, peak_posts,
end, gini, top_accounts (JSON), coordinated_share, operation_share, hateful_share, hostile_share.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd

from . import Analysis, findings_table
from .. import graphs
from ..progress import progress

PREFIX_VERBS = (
    "getridof", "kickout", "lockup", "sack", "fire", "oust", "expel", "ban", "jail", "arrest",
    "impeach", "deport", "deselect", "suspend", "remove", "boycott", "dump", "ditch", "resign",
    "sue", "prosecute", "investigate", "unseat", "defund", "bin", "axe", "boot", "dropout",
)
SUFFIX_VERBS = (
    "mustbesacked", "mustresign", "mustgo", "outnow", "resignnow", "toresign", "mustquit",
    "resign", "out", "gone", "go", "quit",
)
#: first words that mean the rest of a camel-case hashtag is not a person's name (#BanTheBomb)
_NOT_NAMES = frozenset("the a an this that these those all our your my their his her its it no every".split())
#: words that never occur inside a person's name (#BritainInOut is not aimed at "Britain In")
_FUNCTION_WORDS = frozenset(
    "in on of the a an and or to for at by with from is are be now all no not it this that my our your "
    "his her their its we us you me".split()
)
#: words and phrases of hostile intent against a person (whole words, case-insensitive)
HOSTILE_TERMS = (
    "resign", "resigns", "resignation", "sack", "sacked", "sacking", "fire him", "fire her", "fired", "oust", "ousted",
    "expel", "expelled", "deselect", "deselected", "impeach", "impeached", "impeachment", "arrest", "arrested",
    "jail", "prison", "lock him up", "lock her up", "lockhimup", "lockherup", "deport", "deported", "traitor",
    "traitors", "treason", "disgrace", "disgraceful", "get out", "get him out", "get her out", "kick out",
    "kicked out", "thrown out", "step down", "must go", "has to go", "time to go", "out now", "suspend",
    "suspended", "remove", "removed", "prosecute", "prosecuted", "boycott", "ban", "banned", "liar", "corrupt",
    "criminal", "crook", "shame on", "hound",
)
#: words before or after a name that are titles, not a first name or a surname ("Mayor Rahm")
TITLES = frozenset(
    "mr mrs ms miss dr sir dame lord lady mayor president senator sen governor gov rep congressman "
    "congresswoman prime minister secretary chancellor judge candidate pm mp general gen".split()
)
#: a run of two Title-Case words not preceded by a hashtag, mention or letter
_PAIR = re.compile(r"(?<![#@\w])([A-Z][a-z]+)(?=\s+([A-Z][a-z]+)(?![\w]))")  # overlapping pairs


def name_in_texts(name: str, texts: Sequence[str], min_posts: int = 3) -> str | None:
    """The two-word name ("Rahm Emanuel") that ``texts`` most often write around the single word
    ``name`` ("rahm"), if at least ``min_posts`` of the texts write one; else None.

    >>> name_in_texts("rahm", ["Rahm Emanuel must go", "Mayor Rahm Emanuel", "Rahm Emanuel lied"])
    'Rahm Emanuel'
    >>> name_in_texts("pokemon", ["Catch them at the Pokemon Go museum"]) is None
    True
    """
    name = name.lower()
    counts: dict[str, int] = {}
    n_posts = 0
    for t in texts:
        pairs = set()
        for a, b in _PAIR.findall(t or ""):
            la, lb = a.lower(), b.lower()
            if name not in (la, lb):
                continue
            other = lb if la == name else la
            if other in _NOT_NAME_PARTS or other == name:
                continue
            pairs.add(f"{a} {b}")
        if pairs:
            n_posts += 1
            for pr in pairs:
                counts[pr] = counts.get(pr, 0) + 1
    if n_posts < min_posts:
        return None
    return max(sorted(counts), key=lambda k: counts[k])


#: words that are never the other half of a person's name: titles, function words, the verbs
#: themselves ("Pokemon Go" under #PokemonGo, "Corbyn Out")
_NOT_NAME_PARTS = TITLES | _FUNCTION_WORDS | _NOT_NAMES | frozenset(PREFIX_VERBS) | frozenset(SUFFIX_VERBS)

HOSTILE_PATTERN = r"(^|[^a-z0-9_])(" + "|".join(re.escape(t) for t in HOSTILE_TERMS) + r")([^a-z0-9_]|$)"
_CAMEL = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|\d+")


def split_hostile(tag: str, raw: str | None = None) -> tuple[str, str, str] | None:
    """(verb, name part as squashed text, name as written) if ``tag`` is a hostile verb + name.

    >>> split_hostile("sacktomwatson", "SackTomWatson")
    ('sack', 'tomwatson', 'Tom Watson')
    >>> split_hostile("corbynout", "CorbynOut")
    ('out', 'corbyn', 'Corbyn')
    """
    t = tag.lower()
    words = _CAMEL.findall(raw) if raw else []
    for v in PREFIX_VERBS:
        if t.startswith(v) and len(t) - len(v) >= 4:
            rest = t[len(v):]
            return v, rest, _name_from_words(words, v, prefix=True) or rest
    for v in SUFFIX_VERBS:
        if t.endswith(v) and len(t) - len(v) >= 4:
            rest = t[: -len(v)]
            return v, rest, _name_from_words(words, v, prefix=False) or rest
    return None


def _name_from_words(words: list[str], verb: str, prefix: bool) -> str | None:
    """The name in a camel-case hashtag once the verb's words are removed ('' if not camel-case)."""
    if len(words) < 2:
        return None
    low = [w.lower() for w in words]
    joined = ""
    if prefix:
        i = 0
        while i < len(low) and len(joined) < len(verb):
            joined += low[i]
            i += 1
        rest = words[i:] if joined == verb else []
    else:
        i = len(low)
        while i > 0 and len(joined) < len(verb):
            i -= 1
            joined = low[i] + joined
        rest = words[:i] if joined == verb else []
    if (rest and all(w[:1].isupper() for w in rest) and rest[0].lower() not in _NOT_NAMES
            and not any(w.lower() in _FUNCTION_WORDS for w in rest)):
        return " ".join(rest)
    return None


class Campaigns(Analysis):
    """Hashtag campaigns aimed at a person, with timing, pushers and concentration.

    Parameters
    ----------
    min_posts:
        hashtags with fewer posts are not considered (default 10).
    min_accounts:
        minimum distinct accounts posting a campaign hashtag (default 3).
    concentration:
        share of a hashtag's posts mentioning / replying to one account for the mention rule
        (default 0.5).
    top_accounts:
        pushing accounts listed per campaign (default 10).
    hostile_share:
        share of a hashtag's posts that must carry a hostile term for the mention rule (default 0.5).
    min_name_posts:
        distinct posts of a hostile-verb hashtag with a single-word name (``ResignRahm``) that must
        write that word as part of a two-word name for it to count as a person (default 3).
    """

    name: ClassVar[str] = "campaigns"
    version: ClassVar[str] = "3"
    requires: ClassVar[tuple[str, ...]] = ("hate", "coordination", "accounts")
    reads: ClassVar[tuple[str, ...]] = ("posts", "hashtags", "interactions", "accounts", "hate",
                                        "coordination_clusters", "account_scores")
    writes: ClassVar[tuple] = (findings_table(
        "campaigns", "One row per hashtag campaign aimed at a person.",
        ("platform", "VARCHAR", "the posts' platform"),
        ("hashtag", "VARCHAR", "the hashtag, lower case"),
        ("tag_raw", "VARCHAR", "the hashtag as most often written"),
        ("rule", "VARCHAR", "why it is a campaign: hostile verb + name, or mention concentration"),
        ("verb", "VARCHAR", "the hostile verb or suffix found (NULL for mention concentration)"),
        ("target_name", "VARCHAR", "the person's name"),
        ("target_handle", "VARCHAR", "the target account's handle, when resolved"),
        ("target_account_id", "VARCHAR", "the target account, when resolved"),
        ("target_share", "DOUBLE", "share of the hashtag's posts mentioning / replying to the target"),
        ("posts", "BIGINT", "posts with the hashtag"),
        ("accounts", "BIGINT", "distinct accounts posting it"),
        ("start", "TIMESTAMP", "first post (UTC)"),
        ("peak_at", "TIMESTAMP", "hour with most posts (UTC)"),
        ("peak_posts", "BIGINT", "posts in the peak hour"),
        ("end", "TIMESTAMP", "last post (UTC)"),
        ("gini", "DOUBLE", "Gini of posts per account: 0 evenly spread, near 1 a few accounts post nearly all"),
        ("top_accounts", "VARCHAR", "JSON: the accounts pushing it, by posts"),
        ("coordinated_share", "DOUBLE", "share of its posts by accounts of coordination clusters (NULL without coordination)"),
        ("operation_share", "DOUBLE", "share of its posts by operation-like accounts (NULL without accounts)"),
        ("hateful_share", "DOUBLE", "share of its posts labelled hateful (NULL without hate)"),
        ("hostile_share", "DOUBLE", "share of its posts holding a hostile term (sack, out, resign, jail, traitor ...)"),
    ),)

    COLUMNS = ["platform", "hashtag", "tag_raw", "rule", "verb", "target_name", "target_handle",
               "target_account_id", "target_share", "posts", "accounts", "start", "peak_at", "peak_posts",
               "end", "gini", "top_accounts", "coordinated_share", "operation_share", "hateful_share", "hostile_share"]

    TYPES = {
        "platform": "string", "hashtag": "string", "tag_raw": "string", "rule": "string", "verb": "string",
        "target_name": "string", "target_handle": "string", "target_account_id": "string", "target_share": "float64",
        "posts": "int64", "accounts": "int64", "start": "timestamp", "peak_at": "timestamp", "peak_posts": "int64",
        "end": "timestamp", "gini": "float64", "top_accounts": "string", "coordinated_share": "float64",
        "operation_share": "float64", "hateful_share": "float64", "hostile_share": "float64",
    }

    def __init__(self, min_posts: int = 10, min_accounts: int = 3, concentration: float = 0.5,
                 top_accounts: int = 10, hostile_share: float = 0.5, min_name_posts: int = 3) -> None:
        self.hostile_share = hostile_share
        self.min_name_posts = min_name_posts
        self.min_posts = min_posts
        self.min_accounts = min_accounts
        self.concentration = concentration
        self.top_accounts = top_accounts

    def run(self, engine) -> dict[str, Any]:
        posts = engine.table("posts").select("platform", "post_id", "account_id", "created_at", "text")
        ht = engine.table("hashtags")
        tagged = ht.select("platform", "post_id", "tag", "tag_raw").join(
            posts, [ht.platform == posts.platform, ht.post_id == posts.post_id]
        ).select(ht.platform, ht.post_id, ht.tag, ht.tag_raw, posts.account_id, posts.created_at,
                 hostile=posts.text.lower().re_search(HOSTILE_PATTERN).fill_null(False))
        stats = tagged.group_by(["platform", "tag"]).aggregate(
            posts=lambda t: t.post_id.nunique(), accounts=lambda t: t.account_id.nunique(),
            start=lambda t: t.created_at.min(), end=lambda t: t.created_at.max(),
            hostile_posts=lambda t: t.post_id.nunique(where=t.hostile),
        )
        stats = stats.filter((stats.posts >= self.min_posts) & (stats.accounts >= self.min_accounts))
        engine.write("_campaigns_tags", stats)
        try:  # the scratch table goes, whether the analysis ends or fails
            stats = engine.table("_campaigns_tags")
            tg = tagged.semi_join(stats, [tagged.platform == stats.platform, tagged.tag == stats.tag])
            # the most common spelling of each tag
            raw = tg.group_by(["platform", "tag", "tag_raw"]).aggregate(n=lambda t: t.count())
            w = ibis.row_number().over(group_by=[raw.platform, raw.tag], order_by=[ibis.desc(raw.n), raw.tag_raw])
            raw = raw.mutate(r=w).filter(lambda t: t.r == 0).select("platform", "tag", "tag_raw")
            # mention / reply targets of each tag's posts
            inter = graphs.resolved_interactions(engine, ("mention", "reply"))
            mt = tg.select(m_pf="platform", m_pid="post_id", m_tag="tag", m_author="account_id").join(
                inter, [ibis._.m_pf == inter.platform, ibis._.m_pid == inter.post_id]
            )
            mt = mt.filter(mt.target != mt.m_author)
            mcount = mt.group_by(["m_pf", "m_tag", "target"]).aggregate(n=lambda t: t.m_pid.nunique())
            w = ibis.row_number().over(group_by=[mcount.m_pf, mcount.m_tag], order_by=[ibis.desc(mcount.n), mcount.target])
            mtop = mcount.mutate(r=w).filter(lambda t: t.r < 5)
            acc = engine.table("accounts").select("platform", "account_id", "handle", "display_name")
            mtop = mtop.left_join(acc, [mtop.m_pf == acc.platform, mtop.target == acc.account_id]).select(
                mtop, handle=acc.handle, display_name=acc.display_name
            )
            with progress("Campaigns", total=3) as bar:
                sdf = engine.to_pandas(stats.join(raw, ["platform", "tag"]))
                mdf = engine.to_pandas(mtop).sort_values("r")
                bar.advance()
                cands = self._candidates(sdf, mdf, self._single_name_texts(engine, posts, tg, sdf))
                bar.advance()
                out = self._details(engine, tg, cands)
                bar.advance()
            graphs.write_frame(engine, "campaigns", out, self.TYPES)
        finally:
            engine.drop_table("_campaigns_tags")
        return {
            "campaigns": int(len(out)),
            "hostile_verb": int(out["rule"].str.contains("hostile_verb").sum()) if len(out) else 0,
            "mention_concentration": int(out["rule"].str.contains("mention_concentration").sum()) if len(out) else 0,
            "top": [
                {"hashtag": r.hashtag, "target": r.target_handle or r.target_name, "posts": int(r.posts),
                 "start": str(r.start), "gini": round(float(r.gini), 3)}
                for r in out.head(5).itertuples()
            ],
        }

    # ------------------------------------------------------------------------------------
    def _single_name_texts(self, engine, posts: ibis.Table, tg: ibis.Table,
                           sdf: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
        """Distinct post texts of the hostile-verb hashtags whose name is a single word (few)."""
        keys = [(r.platform, r.tag) for r in sdf.itertuples()
                if (hv := split_hostile(r.tag, r.tag_raw)) and " " not in hv[2]]
        if not keys:
            return {}
        km = ibis.memtable(pd.DataFrame(keys, columns=["k_pf", "k_tag"]))
        t = tg.join(km, [tg.platform == km.k_pf, tg.tag == km.k_tag]).select("platform", "tag", "post_id")
        pt = posts.select(p_pf="platform", p_id="post_id", text="text")
        t = t.join(pt, [t.platform == pt.p_pf, t.post_id == pt.p_id])
        df = engine.to_pandas(t.select("platform", "tag", "text").distinct())
        return {k: d["text"].tolist() for k, d in df.groupby(["platform", "tag"])}

    def _candidates(self, sdf: pd.DataFrame, mdf: pd.DataFrame,
                    name_texts: dict[tuple[str, str], list[str]] | None = None) -> pd.DataFrame:
        """Apply both rules in Python (one row per qualifying hashtag: small)."""
        mentions = {k: d for k, d in mdf.groupby(["m_pf", "m_tag"])} if len(mdf) else {}
        name_texts = name_texts or {}
        rows = []
        for r in sdf.itertuples():
            md = mentions.get((r.platform, r.tag))
            hv = split_hostile(r.tag, r.tag_raw)
            rule, verb, name, squashed = [], None, None, None
            target = None
            if hv:
                verb, squashed, name = hv
                surname = graphs.squash(name.split()[-1]) if " " in name else squashed
                if md is not None:
                    for m in md.itertuples():
                        keys = [graphs.squash(m.handle), graphs.squash(m.display_name)]
                        if any(k and (squashed in k or surname in k or k in squashed) for k in keys if len(k) >= 3):
                            target = m
                            break
                camel = " " in name
                written = None
                if not camel and target is None:
                    written = name_in_texts(squashed, name_texts.get((r.platform, r.tag), []), self.min_name_posts)
                    if written:
                        name = written  # "Rahm Emanuel" as the posts write it
                if camel or target is not None or written:
                    rule.append("hostile_verb")
                else:
                    hv, verb, name = None, None, None
            top_share = 0.0
            hostile = float(r.hostile_posts) / float(r.posts) if r.posts else 0.0
            if md is not None and len(md):
                top = md.iloc[0]
                top_share = float(top["n"]) / float(r.posts)
                if top_share >= self.concentration and hostile >= self.hostile_share:
                    rule.append("mention_concentration")
                    if target is None:
                        target = next(md.head(1).itertuples())
            if not rule:
                continue
            if target is not None:
                t_share = float(target.n) / float(r.posts)
                t_handle = target.handle if isinstance(target.handle, str) else (
                    target.target[1:] if str(target.target).startswith("@") else None)
                t_id = None if str(target.target).startswith("@") else target.target
                dn = target.display_name if isinstance(target.display_name, str) else None
                t_name = name if (name and " " in name) else (dn or name or t_handle)
            else:
                t_share, t_handle, t_id, t_name = 0.0, None, None, name
            rows.append(dict(platform=r.platform, hashtag=r.tag, tag_raw=r.tag_raw, rule="+".join(rule), verb=verb,
                             target_name=t_name, target_handle=t_handle, target_account_id=t_id,
                             target_share=round(t_share, 4), posts=int(r.posts), accounts=int(r.accounts),
                             start=r.start, end=r.end, hostile_share=round(hostile, 4)))
        return pd.DataFrame(rows)

    def _details(self, engine, tg: ibis.Table, cands: pd.DataFrame) -> pd.DataFrame:
        if not len(cands):
            return pd.DataFrame({c: pd.Series(dtype="object") for c in self.COLUMNS})
        cm = ibis.memtable(cands[["platform", "hashtag"]].rename(columns={"platform": "c_pf", "hashtag": "c_tag"}))
        cp = tg.join(cm, [tg.platform == cm.c_pf, tg.tag == cm.c_tag]).select(
            "platform", "tag", "post_id", "account_id", "created_at"
        )
        per_acc = cp.group_by(["platform", "tag", "account_id"]).aggregate(n=lambda t: t.post_id.nunique())
        pa_df = engine.to_pandas(per_acc)
        hours = cp.group_by(["platform", "tag", cp.created_at.truncate("h").name("hour")]).aggregate(
            n=lambda t: t.post_id.nunique()
        )
        hdf = engine.to_pandas(hours)
        acc = engine.to_pandas(
            engine.table("accounts").select("platform", "account_id", "handle").semi_join(
                per_acc, ["platform", "account_id"])
        )
        handles = dict(zip(zip(acc["platform"], acc["account_id"]), acc["handle"]))

        def share_from(table: str, pred) -> dict | None:
            if not engine.has_table(table):
                return None
            t = engine.table(table)
            t = pred(t).select(s_pf="platform", s_id="account_id").distinct()
            j = cp.join(t, [cp.platform == t.s_pf, cp.account_id == t.s_id])
            d = engine.to_pandas(j.group_by(["platform", "tag"]).aggregate(n=lambda x: x.post_id.nunique()))
            return {(a, b): n for a, b, n in d.itertuples(index=False, name=None)}

        coord = share_from("coordination_clusters", lambda t: t)
        oper = share_from("account_scores", lambda t: t.filter(t.operation_label))
        hate = None
        if engine.has_table("hate"):
            h = engine.table("hate")
            h = h.filter(h.label != "none").select(h_pf="platform", h_pid="post_id").distinct()
            j = cp.join(h, [cp.platform == h.h_pf, cp.post_id == h.h_pid])
            d = engine.to_pandas(j.group_by(["platform", "tag"]).aggregate(n=lambda x: x.post_id.nunique()))
            hate = {(a, b): n for a, b, n in d.itertuples(index=False, name=None)}
        out = cands.copy()
        pk_at, pk_n, gin, tops, cs, os_, hs = [], [], [], [], [], [], []
        pa_g = {k: d for k, d in pa_df.groupby(["platform", "tag"])}
        h_g = {k: d for k, d in hdf.groupby(["platform", "tag"])}
        for r in out.itertuples():
            k = (r.platform, r.hashtag)
            hd = h_g[k].sort_values(["n", "hour"], ascending=[False, True])
            pk_at.append(hd["hour"].iloc[0])
            pk_n.append(int(hd["n"].iloc[0]))
            ad = pa_g[k].sort_values(["n", "account_id"], ascending=[False, True])
            gin.append(round(graphs.gini(ad["n"]), 4))
            tops.append(graphs.to_json([
                {"account_id": a, "handle": handles.get((r.platform, a)), "posts": int(n)}
                for a, n in zip(ad["account_id"].head(self.top_accounts), ad["n"].head(self.top_accounts))
            ]))
            cs.append(None if coord is None else round(coord.get(k, 0) / r.posts, 4))
            os_.append(None if oper is None else round(oper.get(k, 0) / r.posts, 4))
            hs.append(None if hate is None else round(hate.get(k, 0) / r.posts, 4))
        out["peak_at"], out["peak_posts"], out["gini"], out["top_accounts"] = pk_at, pk_n, gin, tops
        out["coordinated_share"] = pd.Series(cs, dtype="float64")
        out["operation_share"] = pd.Series(os_, dtype="float64")
        out["hateful_share"] = pd.Series(hs, dtype="float64")
        # hostile-verb campaigns first, then by size
        out["_hv"] = out["rule"].str.contains("hostile_verb")
        out = out.sort_values(["_hv", "posts"], ascending=[False, False]).reset_index(drop=True)
        return out[self.COLUMNS]
