"""The engine room: the small core of accounts that propels a narrative.

For each narrative, every account that took part is ranked on five signals of how much it drives
the narrative:

* ``original_posts`` — narrative posts it authored (posts, quotes, replies; not retweets);
* ``amplifications`` — retweets and quotes of its narrative posts (a retweet counts when either
  the retweet or the retweeted post is a narrative post), and ``amplifiers``, from how many
  distinct accounts;
* ``pagerank`` — weighted PageRank in the narrative's diffusion graph (every retweet, quote,
  reply and mention made in a narrative post, or amplifying one, as an edge from the acting
  account to the account acted upon: rank flows to those who are amplified);
* ``active_days`` — persistence: distinct days on which it posted in the narrative.

Each signal is scaled to [0, 1] (counts as ``log1p(x) / log1p(max)``, PageRank as ``pr / max``)
and the ``score`` is their weighted mean (weights: parameter ``weights``; by default
amplifications 2, amplifiers 2, pagerank 1, original_posts 1, active_days 1). Amplification
received counts double because it is what separates the accounts that *propel* a narrative from
the many that merely take part: prolific amplifiers author and retweet a lot, every day, but are
rarely amplified themselves. This follows the structure of the "engine room" analyses of
narrative diffusion (authorship + amplification + network centrality + persistence); the
combination is ours and documented here.

**Core rule.** Accounts are sorted by score; the core is the head of that curve up to its knee,
found with Kneedle (Satopää, Albrecht, Irwin & Raghavan 2011, "Finding a 'Kneedle' in a
Haystack") on the descending scores of the top ``max_core`` accounts with a score above zero,
bounded to ``[min_core, max_core]`` (defaults 3 and 200); of that head, the core keeps only the
accounts that authored the narrative in this corpus (``original_posts`` ≥ 1: a post, quote or
reply of its own that pushes the narrative). An account that was only mentioned, only retweeted
the narrative, or is absent from the corpus may rank but is never in the core. A narrative
whose posts were never amplified (no retweet or quote of a narrative post, ``amplifications`` = 0
for every account) has **no engine room**: nobody propels what nobody repeats, so its core is
empty (``core_size`` 0, ``in_core`` false on every row) and the run summary says
``"engine_room": false`` with the reason; the report's opening does not headline it. Only the head of the curve is used
because the long tail of one-off participants (thousands in a large corpus) would otherwise move
the knee outward as the corpus grows. ``core_size`` overrides
the rule with a fixed size.

**Headline figures** (run summary, and repeated on every row of the narrative):
``core_size``; ``core_reach_share`` — the share of the narrative's posts (all kinds, retweets
included) that were authored by a core account or retweet / quote a core account;
``core_hateful`` — how many core accounts posted content labelled hateful by ``hate`` (NULL when
that analysis has not run).

**Which narrative.** In order: ``hashtags`` / ``keywords`` parameters (posts using any of the
hashtags or containing any keyword, case-insensitive) as a narrative named ``narrative_name``;
else the ``narratives`` table (``kind = 'narrative'``; ``narrative`` picks one); else hateful
posts from ``hate`` (narrative ``'hate'``); else every post (narrative ``'all'``).

Findings table ``engine_room``: platform, account_id, handle, narrative, rank, score, in_core,
narrative_posts (all its narrative posts, retweets included), original_posts, amplifications,
amplifiers, pagerank, active_days, first_at, last_at, posted_hate (BOOLEAN, NULL without
``hate``), hate_posts, followers, evidence (JSON text: counts and top posts with their
amplification), core_size, core_reach_share, core_hateful. Only the top ``max_rows`` accounts per
narrative are kept.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd

from . import Analysis, findings_table
from .. import graphs
from ..progress import progress

SIGNALS = ("original_posts", "amplifications", "amplifiers", "pagerank", "active_days")
#: default signal weights (see the module docstring for why amplification counts double)
DEFAULT_WEIGHTS = {"original_posts": 1.0, "amplifications": 2.0, "amplifiers": 2.0, "pagerank": 1.0, "active_days": 1.0}


ENGINE_ROOM_TYPES = {
    "platform": "string", "account_id": "string", "handle": "string", "narrative": "string", "rank": "int64",
    "score": "float64", "in_core": "bool", "narrative_posts": "int64", "original_posts": "int64",
    "amplifications": "int64", "amplifiers": "int64", "pagerank": "float64", "active_days": "int64",
    "first_at": "timestamp", "last_at": "timestamp", "posted_hate": "bool", "hate_posts": "int64",
    "followers": "int64", "evidence": "string", "core_size": "int64", "core_reach_share": "float64",
    "core_hateful": "int64",
}


class EngineRoom(Analysis):
    """Rank accounts by how much they drive a narrative; report the core (Kneedle) with evidence.

    Parameters
    ----------
    narrative:
        one narrative name from the ``narratives`` table (default None: every narrative there).
    hashtags, keywords:
        define the narrative directly (default None); ``narrative_name`` names it (default
        ``"custom"``).
    use_hate:
        fall back to hateful posts from ``hate`` when there is no narrative (default True).
    weights:
        signal weights (default :data:`DEFAULT_WEIGHTS`: amplifications 2, amplifiers 2,
        pagerank 1, original_posts 1, active_days 1).
    min_core, max_core:
        bounds of the Kneedle core (defaults 3 and 200).
    core_size:
        fixed core size instead of the knee (default None).
    max_rows:
        accounts kept per narrative in the table (default 1000).
    top_posts:
        posts listed in each account's evidence (default 3).
    """

    name: ClassVar[str] = "engine_room"
    version: ClassVar[str] = "2"
    requires: ClassVar[tuple[str, ...]] = ("hate", "narratives")
    reads: ClassVar[tuple[str, ...]] = ("posts", "accounts", "hashtags", "hate", "narratives")
    writes: ClassVar[tuple] = (findings_table(
        "engine_room", "One row per (narrative, account) among the top max_rows accounts of each narrative.",
        ("platform", "VARCHAR", "the account's platform"),
        ("account_id", "VARCHAR", "the account"),
        ("handle", "VARCHAR", "its handle"),
        ("narrative", "VARCHAR", "the narrative ('hate' or 'all' when no narrative is defined)"),
        ("rank", "BIGINT", "rank by score within the narrative (1 = top)"),
        ("score", "DOUBLE", "weighted mean of the scaled signals (weights parameter)"),
        ("in_core", "BOOLEAN", "in the engine room (the head of the score curve up to its knee)"),
        ("narrative_posts", "BIGINT", "its narrative posts, retweets included"),
        ("original_posts", "BIGINT", "narrative posts it authored (not retweets)"),
        ("amplifications", "BIGINT", "retweets and quotes of its narrative posts"),
        ("amplifiers", "BIGINT", "distinct accounts amplifying it"),
        ("pagerank", "DOUBLE", "weighted PageRank in the narrative's diffusion graph"),
        ("active_days", "BIGINT", "distinct days it posted in the narrative"),
        ("first_at", "TIMESTAMP", "its first narrative post (UTC)"),
        ("last_at", "TIMESTAMP", "its last narrative post (UTC)"),
        ("posted_hate", "BOOLEAN", "it posted content labelled hateful (NULL without hate)"),
        ("hate_posts", "BIGINT", "its posts labelled hateful (NULL without hate)"),
        ("followers", "BIGINT", "followers when last seen"),
        ("evidence", "VARCHAR", "JSON: counts and top posts with their amplification"),
        ("core_size", "BIGINT", "accounts in the narrative's core (same on every row of the narrative)"),
        ("core_reach_share", "DOUBLE", "share of the narrative's posts authored by or amplifying a core account"),
        ("core_hateful", "BIGINT", "core accounts that posted hateful content (NULL without hate)"),
    ),)

    def __init__(
        self,
        narrative: str | None = None,
        hashtags: Sequence[str] | None = None,
        keywords: Sequence[str] | None = None,
        narrative_name: str = "custom",
        use_hate: bool = True,
        weights: dict[str, float] | None = None,
        min_core: int = 3,
        max_core: int = 200,
        core_size: int | None = None,
        max_rows: int = 1000,
        top_posts: int = 3,
    ) -> None:
        self.narrative = narrative
        # stored exactly as passed (scikit-learn's rule); lower-casing and default weights in run
        self.hashtags = hashtags
        self.keywords = keywords
        self.narrative_name = narrative_name
        self.use_hate = use_hate
        self.weights = weights
        bad = set(weights or {}) - set(SIGNALS)
        if bad:
            raise ValueError(f"unknown signal weights {sorted(bad)}; signals: {SIGNALS}")
        self.min_core = min_core
        self.max_core = max_core
        self.core_size = core_size
        self.max_rows = max_rows
        self.top_posts = top_posts

    # ------------------------------------------------------------------------------------
    def narrative_posts(self, engine) -> tuple[ibis.Table, str]:
        """The narrative posts as an Ibis table (narrative, platform, post_id, account_id,
        kind, created_at) and where they came from."""
        posts = engine.table("posts")
        hashtags = [h.lower().lstrip("#") for h in self.hashtags] if self.hashtags else None
        keywords = [k.lower() for k in self.keywords] if self.keywords else None
        if hashtags or keywords:
            cond = ibis.literal(False)
            if hashtags:
                ht = engine.table("hashtags")
                ht = ht.filter(ht.tag.isin(hashtags)).select(hp="platform", hid="post_id").distinct()
                tagged = posts.semi_join(ht, [posts.platform == ht.hp, posts.post_id == ht.hid])
                sel = tagged
            else:
                sel = None
            if keywords:
                low = posts.text.lower()
                for k in keywords:
                    cond = cond | low.contains(k)
                kw = posts.filter(cond)
                sel = kw if sel is None else sel.union(kw, distinct=True)
            src = f"hashtags/keywords ({self.narrative_name})"
            base = sel.mutate(narrative=ibis.literal(self.narrative_name))
        elif engine.has_table("narratives"):
            nt = engine.table("narratives")
            nt = nt.filter(nt.kind == "narrative")
            if self.narrative:
                nt = nt.filter(nt.narrative == self.narrative)
            nt = nt.select(n_pf="platform", n_pid="post_id", narrative="narrative").distinct()
            j = posts.join(nt, [posts.platform == nt.n_pf, posts.post_id == nt.n_pid])
            base = j.select(posts, narrative=j.narrative)
            src = "narratives table"
        elif self.use_hate and engine.has_table("hate"):
            h = engine.table("hate")
            h = h.filter(h.label != "none").select(h_pf="platform", h_pid="post_id").distinct()
            base = posts.semi_join(h, [posts.platform == h.h_pf, posts.post_id == h.h_pid]).mutate(
                narrative=ibis.literal("hate")
            )
            src = "hate table"
        else:
            base = posts.mutate(narrative=ibis.literal("all"))
            src = "all posts (no narrative, hashtags, keywords or hate findings)"
        return base.select("narrative", "platform", "post_id", "account_id", "kind", "created_at", "text"), src

    # ------------------------------------------------------------------------------------
    def run(self, engine) -> dict[str, Any]:
        N, source = self.narrative_posts(engine)
        engine.write("_engine_room_posts", N)
        N = engine.table("_engine_room_posts")
        inter = graphs.resolved_interactions(engine)

        # per-account authorship and persistence
        auth = N.group_by(["narrative", "platform", "account_id"]).aggregate(
            narrative_posts=lambda t: t.count(),
            original_posts=lambda t: (t.kind != "retweet").sum(),
            active_days=lambda t: t.created_at.date().nunique(),
            first_at=lambda t: t.created_at.min(),
            last_at=lambda t: t.created_at.max(),
        )
        # amplification edges: retweets / quotes that are narrative posts or amplify one
        amp_kinds = inter.filter(inter.kind.isin(["retweet", "quote"]))
        n1 = N.select(a_narr="narrative", a_pf="platform", a_pid="post_id")
        by_post = amp_kinds.join(n1, [amp_kinds.platform == n1.a_pf, amp_kinds.post_id == n1.a_pid])
        by_post = by_post.select("platform", "post_id", "source", "target", "target_post_id", narrative=by_post.a_narr)
        by_target = amp_kinds.join(n1, [amp_kinds.platform == n1.a_pf, amp_kinds.target_post_id == n1.a_pid])
        by_target = by_target.select("platform", "post_id", "source", "target", "target_post_id", narrative=by_target.a_narr)
        amp = by_post.union(by_target, distinct=True)
        engine.write("_engine_room_amp", amp)
        amp = engine.table("_engine_room_amp")
        ampc = amp.group_by(["narrative", "platform", "target"]).aggregate(
            amplifications=lambda t: t.post_id.nunique(), amplifiers=lambda t: t.source.nunique()
        ).rename(account_id="target")
        # diffusion graph: every interaction made in a narrative post, plus amplifications
        all_in = inter.join(n1, [inter.platform == n1.a_pf, inter.post_id == n1.a_pid])
        all_in = all_in.select("platform", "post_id", "source", "target", narrative=all_in.a_narr)
        diff_edges = all_in.union(amp.select("platform", "post_id", "source", "target", "narrative"), distinct=True)
        diff = diff_edges.group_by(["narrative", "platform", "source", "target"]).aggregate(weight=lambda t: t.count())

        with progress("Engine room", total=4) as bar:
            a = engine.to_pandas(auth)
            c = engine.to_pandas(ampc)
            e = engine.to_pandas(diff)
            bar.advance()
            if len(a) == 0 and len(c) == 0:  # no narrative posts at all
                graphs.write_frame(engine, "engine_room", pd.DataFrame(), ENGINE_ROOM_TYPES)
                for t in ("_engine_room_posts", "_engine_room_amp"):
                    engine.drop_table(t)
                return {"source": source, "narratives": {}}
            df = a.merge(c, on=["narrative", "platform", "account_id"], how="outer")
            for col in ("narrative_posts", "original_posts", "active_days", "amplifications", "amplifiers"):
                df[col] = df[col].fillna(0).astype("int64")
            # PageRank per narrative
            prs = []
            for narr, ed in e.groupby("narrative", sort=True):
                # integer vertex ids from the (platform, account) pairs; PageRank on the arrays
                # (scipy, the same model and scores as igraph's PRPACK: graphs.pagerank_arrays)
                ends = pd.DataFrame({"platform": np.concatenate([ed["platform"].to_numpy(), ed["platform"].to_numpy()]),
                                     "account_id": np.concatenate([ed["source"].to_numpy(), ed["target"].to_numpy()])})
                codes, uniq = pd.MultiIndex.from_frame(ends).factorize()
                m = len(ed)
                pr = graphs.pagerank_arrays(len(uniq), codes[:m], codes[m:], ed["weight"].to_numpy(dtype=float))
                prs.append(pd.DataFrame({"narrative": narr, "platform": uniq.get_level_values(0),
                                         "account_id": uniq.get_level_values(1), "pagerank": pr}))
            prdf = pd.concat(prs) if prs else pd.DataFrame(columns=["narrative", "platform", "account_id", "pagerank"])
            df = df.merge(prdf, on=["narrative", "platform", "account_id"], how="outer")
            for col in ("narrative_posts", "original_posts", "active_days", "amplifications", "amplifiers"):
                df[col] = df[col].fillna(0).astype("int64")
            df["pagerank"] = df["pagerank"].fillna(0.0).astype(float)
            bar.advance()
            df = self._score(df)
            bar.advance()
            df, headline = self._finish(engine, df, amp)
            bar.advance()
        graphs.write_frame(engine, "engine_room", df, ENGINE_ROOM_TYPES)
        for t in ("_engine_room_posts", "_engine_room_amp"):
            engine.drop_table(t)  # scratch tables
        return {"source": source, "narratives": headline}

    # ------------------------------------------------------------------------------------
    def _score(self, df: pd.DataFrame) -> pd.DataFrame:
        """Scaled signals, weighted score, rank and core per narrative."""
        out = []
        weights = dict(self.weights) if self.weights else dict(DEFAULT_WEIGHTS)
        wsum = sum(weights.values()) or 1.0
        for narr, d in df.groupby("narrative", sort=True):
            d = d.copy()
            score = np.zeros(len(d))
            for s in SIGNALS:
                w = weights.get(s, 0.0)
                if not w:
                    continue
                x = d[s].astype(float).to_numpy()
                mx = x.max() if len(x) else 0.0
                if mx <= 0:
                    continue
                scaled = x / mx if s == "pagerank" else np.log1p(x) / np.log1p(mx)
                score += w * scaled
            d["score"] = score / wsum
            d = d.sort_values(["score", "amplifications", "account_id"], ascending=[False, False, True])
            d["rank"] = np.arange(1, len(d) + 1)
            # the head of the curve (Kneedle over every account with a score, as ranked) ...
            scored = (d["score"] > 0).to_numpy()
            if self.core_size is not None:
                k = min(self.core_size, int(scored.sum()))
            else:
                # the knee of the head of the curve: a long tail of one-off participants would
                # otherwise pull the knee outward as the corpus grows
                head = d.loc[scored, "score"].to_numpy()[: self.max_core]
                k = graphs.kneedle(head, min_size=self.min_core, max_size=self.max_core)
            # ... keeps only accounts that authored the narrative here, and none at all when
            # nothing in the narrative was amplified
            in_head = np.zeros(len(d), dtype=bool)
            in_head[np.flatnonzero(scored)[:k]] = True
            eligible = in_head & (d["original_posts"] > 0).to_numpy()
            if int(d["amplifications"].sum()) == 0:
                eligible[:] = False
            d["in_core"] = False
            core_idx = d.index[eligible]
            d.loc[core_idx, "in_core"] = True
            out.append(d)
        return pd.concat(out) if out else df.assign(score=[], rank=[], in_core=[])

    def _finish(self, engine, df: pd.DataFrame, amp: ibis.Table):
        """Account facts, hate, evidence and headline figures; trims to max_rows per narrative."""
        acc = engine.to_pandas(
            engine.table("accounts").select("platform", "account_id", "handle", "followers")
        ) if len(df) else pd.DataFrame(columns=["platform", "account_id", "handle", "followers"])
        has_hate = engine.has_table("hate")
        df = df.merge(acc, on=["platform", "account_id"], how="left")
        miss = df["handle"].isna() & df["account_id"].astype(str).str.startswith("@")
        df.loc[miss, "handle"] = df.loc[miss, "account_id"].str[1:]
        if has_hate:
            h = engine.table("hate")
            hc = engine.to_pandas(
                h.filter(h.label != "none").group_by(["platform", "account_id"]).aggregate(hate_posts=lambda t: t.post_id.nunique())
            )
            df = df.merge(hc, on=["platform", "account_id"], how="left")
            df["hate_posts"] = df["hate_posts"].fillna(0).astype("int64")
            df["posted_hate"] = df["hate_posts"] > 0
        else:
            df["hate_posts"] = pd.Series([None] * len(df), dtype="Int64")
            df["posted_hate"] = pd.Series([None] * len(df), dtype="boolean")
        df = df[df["rank"] <= self.max_rows].copy()

        # headline: reach share of the core, computed in the engine
        N = engine.table("_engine_room_posts")
        core = df[df["in_core"]][["narrative", "platform", "account_id"]]
        headline: dict[str, Any] = {}
        reach = {}
        if len(core):
            cm = ibis.memtable(core.rename(columns={"narrative": "c_narr", "platform": "c_pf", "account_id": "c_id"}))
            authored = N.join(cm, [N.narrative == cm.c_narr, N.platform == cm.c_pf, N.account_id == cm.c_id]).select(
                "narrative", "platform", "post_id"
            )
            amped = amp.join(cm, [amp.narrative == cm.c_narr, amp.platform == cm.c_pf, amp.target == cm.c_id])
            amped = amped.select("narrative", "platform", "post_id")
            nq = N.select(q_n="narrative", q_pf="platform", q_pid="post_id")
            amped = amped.semi_join(nq, [amped.narrative == nq.q_n, amped.platform == nq.q_pf, amped.post_id == nq.q_pid])
            cr = authored.union(amped, distinct=True).group_by("narrative").aggregate(n=lambda t: t.count())
            tot = N.group_by("narrative").aggregate(n=lambda t: t.count())
            crd = dict(engine.to_pandas(cr).itertuples(index=False, name=None))
            totd = dict(engine.to_pandas(tot).itertuples(index=False, name=None))
            reach = {k: (crd.get(k, 0) / v if v else 0.0) for k, v in totd.items()}
        # evidence: top amplified posts of the kept accounts
        keep = df[df["rank"] <= max(self.max_rows, 1)][["narrative", "platform", "account_id"]]
        ev_posts = pd.DataFrame(columns=["narrative", "platform", "account_id", "post_id", "text", "created_at", "n"])
        if len(keep):
            km = ibis.memtable(keep.rename(columns={"narrative": "k_narr", "platform": "k_pf", "account_id": "k_id"}))
            mine = N.filter(N.kind != "retweet")
            mine = mine.join(km, [mine.narrative == km.k_narr, mine.platform == km.k_pf, mine.account_id == km.k_id])
            per_post = amp.group_by(["narrative", "platform", "target_post_id"]).aggregate(n=lambda t: t.post_id.nunique())
            j = mine.left_join(per_post, [mine.narrative == per_post.narrative, mine.platform == per_post.platform,
                                          mine.post_id == per_post.target_post_id])
            j = j.select(narrative=mine.narrative, platform=mine.platform, account_id=mine.account_id,
                         post_id=mine.post_id, text=mine.text, created_at=mine.created_at,
                         n=ibis.coalesce(per_post.n, 0))
            w = ibis.row_number().over(group_by=[j.narrative, j.platform, j.account_id],
                                       order_by=[ibis.desc(j.n), j.created_at, j.post_id])
            j = j.mutate(r=w).filter(lambda t: t.r < self.top_posts)
            ev_posts = engine.to_pandas(j)
        # one pass over the evidence posts (a per-account DataFrame group costs ~1 ms each)
        grouped: dict[tuple, list] = {}
        if len(ev_posts):
            for p in ev_posts.sort_values(["narrative", "platform", "account_id", "r"]).itertuples(index=False):
                grouped.setdefault((p.narrative, p.platform, p.account_id), []).append(p)
        evidence = []
        for r in df.itertuples():
            tops = grouped.get((r.narrative, r.platform, r.account_id))
            evidence.append(graphs.to_json({
                "narrative_posts": int(r.narrative_posts), "original_posts": int(r.original_posts),
                "amplifications": int(r.amplifications), "amplifiers": int(r.amplifiers),
                "active_days": int(r.active_days), "pagerank": round(float(r.pagerank), 6),
                "followers": None if pd.isna(r.followers) else int(r.followers),
                "hate_posts": None if pd.isna(r.hate_posts) else int(r.hate_posts),
                "top_posts": [] if tops is None else [
                    {"post_id": p.post_id, "created_at": str(p.created_at), "amplifications": int(p.n),
                     "text": (p.text or "")[:280]}
                    for p in tops
                ],
            }))
        df["evidence"] = evidence
        df["core_size"] = 0
        df["core_reach_share"] = 0.0
        df["core_hateful"] = pd.Series([None] * len(df), dtype="Int64")
        for narr, d in df.groupby("narrative"):
            cd = d[d["in_core"]]
            idx = d.index
            df.loc[idx, "core_size"] = len(cd)
            df.loc[idx, "core_reach_share"] = round(reach.get(narr, 0.0), 4)
            hateful = int(cd["posted_hate"].fillna(False).sum()) if has_hate else None
            if has_hate:
                df.loc[idx, "core_hateful"] = hateful
            amplified = int(d["amplifications"].sum()) > 0
            headline[narr] = {
                "engine_room": bool(len(cd)),
                "why": None if len(cd) else ("no amplification: no narrative post was retweeted or quoted"
                                             if not amplified else "no account authored the narrative"),
                "participants": int(len(d)),
                "authors": int((d["original_posts"] > 0).sum()),
                "narrative_posts": int(d["original_posts"].sum()),
                "amplifications": int(d["amplifications"].sum()),
                "core_size": int(len(cd)),
                "core_reach_share": round(reach.get(narr, 0.0), 4),
                "core_hateful": hateful,
                "core": [h if isinstance(h, str) else a for h, a in zip(cd["handle"].head(50), cd["account_id"].head(50))],
            }
        cols = ["platform", "account_id", "handle", "narrative", "rank", "score", "in_core", "narrative_posts",
                "original_posts", "amplifications", "amplifiers", "pagerank", "active_days", "first_at", "last_at",
                "posted_hate", "hate_posts", "followers", "evidence", "core_size", "core_reach_share", "core_hateful"]
        df = df.sort_values(["narrative", "rank"]).reset_index(drop=True)[cols]
        df["followers"] = df["followers"].astype("Int64")
        return df, headline
