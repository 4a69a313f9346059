"""Hashtag trends: bursts by Kleinberg's two-state model, hourly and daily.

Method: Kleinberg (2002), "Bursty and hierarchical structure in streams" (KDD; J. Data Mining
and Knowledge Discovery 7, 2003), the enumerated / batched two-state automaton: in each time bin
``t`` a hashtag has ``r_t`` of the ``d_t`` posts of the platform; the base state emits it with
probability ``p0 = Σr/Σd``, the burst state with ``p1 = s·p0``; entering the burst state costs
``γ·ln T``. The cheapest state sequence is found by Viterbi (:func:`engineroom.graphs.kleinberg_bursts`).
Bins with no posts at all are left out (the series is over bins in which the platform posted).

Per-hashtag counts and per-bin totals are computed in the engine; the Viterbi pass is vectorised
over hashtags in numpy.

Findings table ``trends``: platform, tag, resolution (``hour`` / ``day``), burst (1, 2, ... by
size), start (first bin of the burst), end (last bin), onset (time of the first post with the tag
in the onset bin: see the onset rule in :class:`Trends`),
peak_at (bin with most posts), peak_posts, posts (size: posts in the
burst), accounts (distinct authors in the burst), share_in_burst (posts / all posts with the tag),
first_movers (JSON: the first ``first_movers`` accounts to use the tag from the onset bin on, with
handle and time), tag_posts (all posts with the tag).
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import ibis
import numpy as np
import pandas as pd

from . import Analysis, findings_table
from .. import graphs
from ..progress import progress


class Trends(Analysis):
    """Per-hashtag bursts (Kleinberg two-state) with onset, peak, size and first movers.

    Parameters
    ----------
    resolutions:
        bin sizes (default ``("hour", "day")``).
    s:
        burst-state rate multiplier (default 2.0, Kleinberg's choice).
    gamma:
        cost of entering a burst, times ln T (default 1.0).
    min_posts:
        hashtags with fewer posts are skipped (default 10).
    min_burst_posts:
        bursts with fewer posts are dropped (default 5).
    first_movers:
        accounts listed as first movers (default 10).
    onset_fraction:
        see the onset rule below (default 0.05).

    Onset rule: Kleinberg's state sequence often enters the burst state a few bins early, on a
    stray background post. The onset bin is the first bin of the unbroken run of bins with posts
    that leads up to the peak bin (a silent bin ends a stray prelude), and no earlier than the
    first bin of that run reaching ``onset_fraction`` of the peak bin's count; the onset is the
    first post in that bin.
    batch:
        hashtags per Viterbi batch (default 256; bounds memory).
    """

    name: ClassVar[str] = "trends"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("posts", "hashtags", "accounts")
    writes: ClassVar[tuple] = (findings_table(
        "trends", "One row per burst of a hashtag at one resolution.",
        ("platform", "VARCHAR", "the posts' platform"),
        ("tag", "VARCHAR", "the hashtag, lower case"),
        ("resolution", "VARCHAR", "'hour' or 'day': the bin size"),
        ("burst", "BIGINT", "1, 2, ... by size within the hashtag and resolution"),
        ("start", "TIMESTAMP", "first bin of the burst (UTC)"),
        ("end", "TIMESTAMP", "last bin of the burst (UTC)"),
        ("onset", "TIMESTAMP", "first post with the tag in the onset bin (see the onset rule)"),
        ("peak_at", "TIMESTAMP", "bin with most posts"),
        ("peak_posts", "BIGINT", "posts in the peak bin"),
        ("posts", "BIGINT", "posts with the tag in the burst"),
        ("accounts", "BIGINT", "distinct authors in the burst"),
        ("share_in_burst", "DOUBLE", "posts / all posts with the tag"),
        ("first_movers", "VARCHAR", "JSON: the first accounts to use the tag from the onset bin on, with handle and time"),
        ("tag_posts", "BIGINT", "all posts with the tag"),
    ),)

    def __init__(
        self,
        resolutions: Sequence[str] = ("hour", "day"),
        s: float = 2.0,
        gamma: float = 1.0,
        min_posts: int = 10,
        min_burst_posts: int = 5,
        first_movers: int = 10,
        onset_fraction: float = 0.05,
        batch: int = 256,
    ) -> None:
        bad = set(resolutions) - {"hour", "day"}
        if bad:
            raise ValueError(f"unknown resolutions {sorted(bad)}: use hour and/or day")
        self.resolutions = resolutions
        self.s = s
        self.gamma = gamma
        self.min_posts = min_posts
        self.min_burst_posts = min_burst_posts
        self.first_movers = first_movers
        self.onset_fraction = onset_fraction
        self.batch = batch

    COLUMNS = ["platform", "tag", "resolution", "burst", "start", "end", "onset", "peak_at", "peak_posts",
               "posts", "accounts", "share_in_burst", "first_movers", "tag_posts"]

    TYPES = {
        "platform": "string", "tag": "string", "resolution": "string", "burst": "int64", "start": "timestamp",
        "end": "timestamp", "onset": "timestamp", "peak_at": "timestamp", "peak_posts": "int64", "posts": "int64",
        "accounts": "int64", "share_in_burst": "float64", "first_movers": "string", "tag_posts": "int64",
    }

    def run(self, engine) -> dict[str, Any]:
        posts = engine.table("posts").select("platform", "post_id", "account_id", "created_at")
        posts = posts.filter(posts.created_at.notnull())
        ht = engine.table("hashtags").select("platform", "post_id", "tag").distinct()
        tagged = ht.join(posts, [ht.platform == posts.platform, ht.post_id == posts.post_id]).select(
            ht.platform, ht.tag, ht.post_id, posts.account_id, posts.created_at
        )
        tc = tagged.group_by(["platform", "tag"]).aggregate(n=lambda t: t.count())
        keep = tc.filter(tc.n >= self.min_posts)
        tagged = tagged.semi_join(keep, [tagged.platform == keep.platform, tagged.tag == keep.tag])
        # the kept tags' posts, materialised once: the per-bin counts at each resolution and the
        # burst details all read them (otherwise each would redo the hashtags-posts join)
        engine.write("_trends_tagged", tagged)
        try:
            out = self._run(engine, posts, engine.table("_trends_tagged"))
        finally:
            engine.drop_table("_trends_tagged")
        summary: dict[str, Any] = {}
        for res in self.resolutions:
            d = out[out["resolution"] == res] if len(out) else out
            summary[res] = {
                "bursts": int(len(d)),
                "hashtags_bursting": int(d["tag"].nunique()) if len(d) else 0,
                "top": [
                    {"tag": r.tag, "onset": str(r.onset), "peak_at": str(r.peak_at), "posts": int(r.posts)}
                    for r in d.sort_values("posts", ascending=False).head(5).itertuples()
                ] if len(d) else [],
            }
        return summary

    def _run(self, engine, posts: ibis.Table, tagged: ibis.Table) -> pd.DataFrame:
        """Bursts of the kept tags (``tagged``: their posts) at every resolution, with their
        details; writes and returns the ``trends`` table."""
        rows: list[dict] = []
        bursts_found = {}
        with progress("Trends", total=len(self.resolutions)) as bar:
            for res in self.resolutions:
                unit = "h" if res == "hour" else "D"
                tot = posts.group_by(["platform", posts.created_at.truncate(unit).name("bin")]).aggregate(
                    d=lambda t: t.count()
                )
                cnt = tagged.group_by(["platform", "tag", tagged.created_at.truncate(unit).name("bin")]).aggregate(
                    r=lambda t: t.count()
                )
                totdf = engine.to_pandas(tot)
                cntdf = engine.to_pandas(cnt)
                found = []
                for platform, td in totdf.groupby("platform"):
                    td = td.sort_values("bin").reset_index(drop=True)
                    cd = cntdf[cntdf["platform"] == platform]
                    found += self._bursts(platform, res, td, cd)
                bursts_found[res] = found
                bar.advance()
        # details (onset, accounts, first movers) for each burst, in the engine
        all_b = [b for res in bursts_found.values() for b in res]
        if all_b:
            bdf = pd.DataFrame(all_b)
            bm = ibis.memtable(bdf[["platform", "tag", "resolution", "burst", "win_start", "win_end", "onset_bin"]].rename(
                columns={"platform": "b_pf", "tag": "b_tag"}))
            j = tagged.join(bm, [tagged.platform == bm.b_pf, tagged.tag == bm.b_tag,
                                 tagged.created_at >= bm.win_start, tagged.created_at < bm.win_end])
            stats = j.group_by(["b_pf", "b_tag", "resolution", "burst"]).aggregate(
                onset=lambda t: t.created_at.min(where=t.created_at >= t.onset_bin),
                accounts=lambda t: t.account_id.nunique(),
            )
            j = j.filter(j.created_at >= j.onset_bin)
            firsts = j.group_by(["b_pf", "b_tag", "resolution", "burst", "account_id"]).aggregate(
                first=lambda t: t.created_at.min()
            )
            w = ibis.row_number().over(group_by=[firsts.b_pf, firsts.b_tag, firsts.resolution, firsts.burst],
                                       order_by=[firsts.first, firsts.account_id])
            firsts = firsts.mutate(r=w).filter(lambda t: t.r < self.first_movers)
            acc = engine.table("accounts").select("platform", "account_id", "handle")
            firsts = firsts.left_join(acc, [firsts.b_pf == acc.platform, firsts.account_id == acc.account_id]).select(
                firsts, handle=acc.handle
            )
            sdf = engine.to_pandas(stats)
            fdf = engine.to_pandas(firsts).sort_values("r")
            key = ["platform", "tag", "resolution", "burst"]
            sdf = sdf.rename(columns={"b_pf": "platform", "b_tag": "tag"})
            fdf = fdf.rename(columns={"b_pf": "platform", "b_tag": "tag"})
            fm = {
                k: graphs.to_json([{"account_id": a, "handle": h, "at": str(f)} for a, h, f in zip(d["account_id"], d["handle"], d["first"])])
                for k, d in fdf.groupby(key)
            }
            bdf = bdf.merge(sdf, on=key, how="left")
            bdf["first_movers"] = [fm.get(tuple(k), "[]") for k in bdf[key].itertuples(index=False, name=None)]
            bdf["accounts"] = bdf["accounts"].fillna(0).astype("int64")
            out = bdf[self.COLUMNS].sort_values(["resolution", "posts"], ascending=[True, False]).reset_index(drop=True)
        else:
            out = pd.DataFrame({c: pd.Series(dtype="object") for c in self.COLUMNS})
        graphs.write_frame(engine, "trends", out, self.TYPES)
        return out

    def _bursts(self, platform: str, res: str, totals: pd.DataFrame, counts: pd.DataFrame) -> list[dict]:
        """Run the Viterbi pass for every hashtag of one platform; one dict per burst."""
        step = pd.Timedelta(hours=1) if res == "hour" else pd.Timedelta(days=1)
        bins = pd.DatetimeIndex(totals["bin"])
        d = totals["d"].to_numpy(dtype=float)
        tags = sorted(counts["tag"].unique())
        out: list[dict] = []
        if not len(tags):
            return out
        idx = bins.get_indexer(pd.DatetimeIndex(counts["bin"]))
        tag_pos = {t: i for i, t in enumerate(tags)}
        tcol = counts["tag"].map(tag_pos).to_numpy()
        rvals = counts["r"].to_numpy(dtype=float)
        for b0 in range(0, len(tags), self.batch):
            sel = (tcol >= b0) & (tcol < b0 + self.batch)
            width = min(self.batch, len(tags) - b0)
            M = np.zeros((len(bins), width))
            M[idx[sel], tcol[sel] - b0] = rvals[sel]
            states = graphs.kleinberg_bursts(M, d, s=self.s, gamma=self.gamma)
            for h in range(width):
                col = M[:, h]
                total = col.sum()
                runs = graphs.burst_intervals(states[:, h])
                found = []
                for a, b in runs:
                    size = col[a:b + 1].sum()
                    if size < self.min_burst_posts:
                        continue
                    pk = a + int(np.argmax(col[a:b + 1]))
                    # onset: start of the unbroken run of bins with posts that leads to the peak,
                    # and no earlier than the first bin reaching onset_fraction of the peak
                    zeros = np.flatnonzero(col[a:pk + 1] == 0)
                    run = a + (int(zeros[-1]) + 1 if len(zeros) else 0)
                    on = run + int(np.argmax(col[run:pk + 1] >= self.onset_fraction * col[pk]))
                    found.append(dict(
                        platform=platform, tag=tags[b0 + h], resolution=res,
                        start=bins[a], end=bins[b], peak_at=bins[pk], peak_posts=int(col[pk]),
                        posts=int(size), share_in_burst=round(float(size / total), 4) if total else 0.0,
                        tag_posts=int(total), win_start=bins[a], win_end=bins[b] + step, onset_bin=bins[on],
                    ))
                found.sort(key=lambda x: -x["posts"])
                for i, f in enumerate(found, 1):
                    f["burst"] = i
                out += found
        return out
