"""Targets: the accounts and named people that hateful or narrative posts are aimed at, over time.

Source posts are the hateful posts (``hate``, label other than ``none``: source ``hate``) and the
posts of each narrative (``narratives``, kind ``narrative``: source ``narrative:<name>``); with the
``hashtags`` / ``keywords`` parameters also the posts using them (source ``custom``). Without any
of these there is nothing to aim at and the tables are written empty.

* **Accounts**: every mention of and reply to another account in a source post (the
  ``interactions`` table; handles resolved to accounts where the corpus knows them).
* **Named people**: runs of two or three capitalised words in the post text that are not common
  capitalised non-names (:func:`engineroom.graphs.person_names`; a simple model-free heuristic,
  so it also finds place and organisation names — read the evidence), counted once per post; kept
  when used in at least ``min_posts`` posts by at least ``min_accounts`` accounts. Posts written in
  Title Case (news headlines, :func:`headline_case`) give no names: every run of their words is
  capitalised.

Findings tables
---------------
``targets``
    platform, source, target_kind (``account`` / ``person``), target (account id, ``@handle``, or
    the name), handle, display_name, posts, accounts (distinct authors aiming at it), first_at,
    last_at, peak_day, peak_posts, rank (within source and kind, by posts).
``targets_daily``
    platform, source, target_kind, target, day, posts, accounts: the same counts per day.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Sequence

import ibis
import pandas as pd
import pyarrow as pa

from . import Analysis, findings_table
from .. import graphs
from ..progress import progress

NAME_SCHEMA = pa.schema([
    ("platform", pa.string()), ("post_id", pa.string()), ("account_id", pa.string()),
    ("created_at", pa.timestamp("us")), ("source", pa.string()), ("name", pa.string()),
])


_WORD = re.compile(r"(?<![#@/\w])[A-Za-z][A-Za-z'’]{2,}")


def headline_case(text: str | None, min_words: int = 5, share: float = 0.6) -> bool:
    """Whether a post is written in Title Case, as news headlines are ("Megyn Kelly And Mark Fuhrman
    Exploit San Bernardino Shooting To Smear …"): at least ``min_words`` words of three or more
    letters (hashtags, mentions and links aside) and at least ``share`` of them capitalised. In such
    a post every run of words looks like a name, so no names are taken from it."""
    words = _WORD.findall(text or "")
    if len(words) < min_words:
        return False
    return sum(w[0].isupper() for w in words) / len(words) >= share


def _names_batch(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in df.itertuples(index=False):
        if headline_case(r.text):
            continue
        for n in graphs.person_names(r.text):
            rows.append((r.platform, r.post_id, r.account_id, r.created_at, r.source, n))
    return pd.DataFrame(rows, columns=NAME_SCHEMA.names)


class Targets(Analysis):
    """Accounts and named people most often mentioned / replied to in hateful or narrative posts.

    Parameters
    ----------
    hashtags, keywords:
        also treat posts with these hashtags / keywords as a source (``custom``; default None).
    min_posts:
        minimum posts naming a person (default 3).
    min_accounts:
        minimum distinct accounts naming a person (default 2).
    max_targets:
        targets kept per source and kind (default 200).
    """

    name: ClassVar[str] = "targets"
    version: ClassVar[str] = "1"
    requires: ClassVar[tuple[str, ...]] = ("hate", "narratives")
    reads: ClassVar[tuple[str, ...]] = ("posts", "interactions", "accounts", "hashtags", "hate", "narratives")
    writes: ClassVar[tuple] = (
        findings_table(
            "targets", "One row per (source, target): the top max_targets targets per source and kind.",
            ("platform", "VARCHAR", "the posts' platform"),
            ("source", "VARCHAR", "'hate', 'narrative:<name>' or 'custom' (hashtags / keywords parameters)"),
            ("target_kind", "VARCHAR", "'account' (mentioned / replied to) or 'person' (a name in the text)"),
            ("target", "VARCHAR", "account id, '@handle' or the name"),
            ("handle", "VARCHAR", "the target account's handle"),
            ("display_name", "VARCHAR", "the target account's display name"),
            ("posts", "BIGINT", "source posts aimed at it"),
            ("accounts", "BIGINT", "distinct authors of those posts"),
            ("first_at", "TIMESTAMP", "first such post (UTC)"),
            ("last_at", "TIMESTAMP", "last such post (UTC)"),
            ("peak_day", "DATE", "day with most such posts (UTC)"),
            ("peak_posts", "BIGINT", "posts on the peak day"),
            ("rank", "BIGINT", "rank by posts within source and kind (1 = most)"),
        ),
        findings_table(
            "targets_daily", "One row per (source, target, day): the targets' counts per UTC day.",
            ("platform", "VARCHAR", "the posts' platform"),
            ("source", "VARCHAR", "as targets.source"),
            ("target_kind", "VARCHAR", "as targets.target_kind"),
            ("target", "VARCHAR", "as targets.target"),
            ("day", "DATE", "the day (UTC)"),
            ("posts", "BIGINT", "source posts aimed at the target that day"),
            ("accounts", "BIGINT", "distinct authors of those posts"),
        ),
    )

    COLUMNS = ["platform", "source", "target_kind", "target", "handle", "display_name", "posts", "accounts",
               "first_at", "last_at", "peak_day", "peak_posts", "rank"]
    DAILY = ["platform", "source", "target_kind", "target", "day", "posts", "accounts"]
    TYPES = {
        "platform": "string", "source": "string", "target_kind": "string", "target": "string", "handle": "string",
        "display_name": "string", "posts": "int64", "accounts": "int64", "first_at": "timestamp",
        "last_at": "timestamp", "peak_day": "date", "peak_posts": "int64", "rank": "int64",
    }
    DAILY_TYPES = {"platform": "string", "source": "string", "target_kind": "string", "target": "string",
                   "day": "date", "posts": "int64", "accounts": "int64"}

    def __init__(self, hashtags: Sequence[str] | None = None, keywords: Sequence[str] | None = None,
                 min_posts: int = 3, min_accounts: int = 2, max_targets: int = 200) -> None:
        self.hashtags = hashtags  # as passed (scikit-learn's rule); lower-cased in source_posts
        self.keywords = keywords
        self.min_posts = min_posts
        self.min_accounts = min_accounts
        self.max_targets = max_targets

    def source_posts(self, engine) -> ibis.Table | None:
        """(source, platform, post_id) of every hateful / narrative / custom post."""
        parts = []
        if engine.has_table("hate"):
            h = engine.table("hate")
            parts.append(h.filter(h.label != "none").select(
                source=ibis.literal("hate"), platform=h.platform, post_id=h.post_id))
        if engine.has_table("narratives"):
            n = engine.table("narratives")
            parts.append(n.filter(n.kind == "narrative").select(
                source=ibis.literal("narrative:") + n.narrative, platform=n.platform, post_id=n.post_id))
        posts = engine.table("posts")
        hashtags = [h.lower().lstrip("#") for h in self.hashtags] if self.hashtags else None
        keywords = [k.lower() for k in self.keywords] if self.keywords else None
        if hashtags:
            ht = engine.table("hashtags")
            parts.append(ht.filter(ht.tag.isin(hashtags)).select(
                source=ibis.literal("custom"), platform=ht.platform, post_id=ht.post_id))
        if keywords:
            low = posts.text.lower()
            cond = ibis.literal(False)
            for k in keywords:
                cond = cond | low.contains(k)
            parts.append(posts.filter(cond).select(source=ibis.literal("custom"), platform=posts.platform,
                                                   post_id=posts.post_id))
        if not parts:
            return None
        sch = {"source": "string", "platform": "string", "post_id": "string"}
        parts = [p.cast(sch) for p in parts]  # same nullability, so the union is allowed
        out = parts[0]
        for p in parts[1:]:
            out = out.union(p)
        return out.distinct()

    def run(self, engine) -> dict[str, Any]:
        src = self.source_posts(engine)
        if src is None:
            graphs.write_frame(engine, "targets", pd.DataFrame(), self.TYPES)
            graphs.write_frame(engine, "targets_daily", pd.DataFrame(), self.DAILY_TYPES)
            return {"skipped": "no hate or narratives findings and no hashtags/keywords given", "targets": 0}
        posts = engine.table("posts").select("platform", "post_id", "account_id", "created_at", "text")
        sp = src.join(posts, [src.platform == posts.platform, src.post_id == posts.post_id]).select(
            src.source, posts.platform, posts.post_id, posts.account_id, posts.created_at, posts.text)
        with progress("Targets", total=3) as bar:
            # accounts: mentions and replies in source posts
            inter = graphs.resolved_interactions(engine, ("mention", "reply"))
            spi = sp.select(s_src="source", s_pf="platform", s_pid="post_id")
            acc_hits = inter.join(spi, [inter.platform == spi.s_pf, inter.post_id == spi.s_pid]).select(
                source=ibis._.s_src, platform=ibis._.platform, post_id=ibis._.post_id,
                author=ibis._.source, target=ibis._.target, created_at=ibis._.created_at,
                target_kind=ibis.literal("account"),
            )
            bar.advance()
            # named people, per row in Python (map_batches), then counted in the engine
            engine.map_batches("_targets_names", sp, _names_batch, NAME_SCHEMA)
            nm = engine.table("_targets_names")
            name_hits = nm.select(source=nm.source, platform=nm.platform, post_id=nm.post_id, author=nm.account_id,
                                  target=nm.name, created_at=nm.created_at, target_kind=ibis.literal("person"))
            hsch = {"source": "string", "platform": "string", "post_id": "string", "author": "string",
                    "target": "string", "created_at": "timestamp", "target_kind": "string"}
            hits = acc_hits.cast(hsch).union(name_hits.distinct().cast(hsch))
            # the hits and the kept targets, materialised once: the daily counts, the targets'
            # rows and their account facts all read them (else each redoes the interaction join)
            engine.write("_targets_hits", hits)
            hits = engine.table("_targets_hits")
            bar.advance()
            tot = hits.group_by(["platform", "source", "target_kind", "target"]).aggregate(
                posts=lambda t: t.post_id.nunique(), accounts=lambda t: t.author.nunique(),
                first_at=lambda t: t.created_at.min(), last_at=lambda t: t.created_at.max(),
            )
            tot = tot.filter((tot.target_kind == "account")
                             | ((tot.posts >= self.min_posts) & (tot.accounts >= self.min_accounts)))
            w = ibis.row_number().over(group_by=[tot.platform, tot.source, tot.target_kind],
                                       order_by=[ibis.desc(tot.posts), ibis.desc(tot.accounts), tot.target])
            engine.write("_targets_tot", tot.mutate(rank=w + 1).filter(lambda t: t.rank <= self.max_targets))
            tot = engine.table("_targets_tot")
            daily = hits.semi_join(tot, ["platform", "source", "target_kind", "target"])
            daily = daily.group_by(["platform", "source", "target_kind", "target",
                                    daily.created_at.date().name("day")]).aggregate(
                posts=lambda t: t.post_id.nunique(), accounts=lambda t: t.author.nunique())
            engine.write("targets_daily", daily.select(*self.DAILY))
            tdf = engine.to_pandas(tot)
            ddf = engine.to_pandas(engine.table("targets_daily"))
            acc = engine.to_pandas(engine.table("accounts").select("platform", "account_id", "handle", "display_name")
                                   .semi_join(tot.filter(tot.target_kind == "account"),
                                              [ibis._.platform == tot.platform, ibis._.account_id == tot.target]))
            bar.advance()
        tdf = tdf.merge(acc.rename(columns={"account_id": "target"}), on=["platform", "target"], how="left")
        tdf.loc[tdf["target_kind"] != "account", ["handle", "display_name"]] = None
        m = (tdf["target_kind"] == "account") & tdf["handle"].isna() & tdf["target"].str.startswith("@")
        tdf.loc[m, "handle"] = tdf.loc[m, "target"].str[1:]
        if len(ddf):
            pk = ddf.sort_values(["posts", "day"], ascending=[False, True]).drop_duplicates(
                ["platform", "source", "target_kind", "target"])[["platform", "source", "target_kind", "target", "day", "posts"]]
            pk = pk.rename(columns={"day": "peak_day", "posts": "peak_posts"})
            tdf = tdf.merge(pk, on=["platform", "source", "target_kind", "target"], how="left")
        else:
            tdf["peak_day"], tdf["peak_posts"] = None, None
        tdf["rank"] = tdf["rank"].astype("int64")
        tdf = tdf.sort_values(["source", "target_kind", "rank"]).reset_index(drop=True)[self.COLUMNS]
        graphs.write_frame(engine, "targets", tdf, self.TYPES)
        for scratch in ("_targets_names", "_targets_hits", "_targets_tot"):
            engine.drop_table(scratch)
        summary: dict[str, Any] = {"targets": int(len(tdf))}
        for (source, kind), d in tdf.groupby(["source", "target_kind"]):
            summary.setdefault(source, {})[kind] = [
                {"target": (h if isinstance(h, str) else t), "posts": int(p)}
                for t, h, p in zip(d["target"].head(5), d["handle"].head(5), d["posts"].head(5))
            ]
        return summary
