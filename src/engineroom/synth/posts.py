"""The posts of a synthetic corpus, made in time order from the world's schedule.

:class:`Generator` walks the hours of :class:`engineroom.synth.world.World`'s schedule chunk by chunk
(about ``chunk_size`` posts each; NumPy draws per chunk, Python only assembles text), and for each
post calls its stream's builder: organic posts, retweets, replies and quotes; influencer posts; the
engine room's narrative and hateful posts and their amplification; counter-speech; the campaign
against the target; the burst; the operation's copy-paste posts, mentions, fake-news links and
retweet ring. A :class:`Post` is format-free: the writers (:mod:`engineroom.synth.twarc2`,
:mod:`engineroom.synth.io_archive`, :mod:`engineroom.synth.plain_csv`) turn it into a file format.
The generator also counts what it planted (per account, per stream, per flag) for the truth files.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterator

import numpy as np

from . import words as W
from .scenario import (
    BURST, BURST_TAG, CAMP, CAMPAIGN_TAG, COUNTER, EVENT_STREAMS, FAKE_DOMAIN, HATE, IDENTITY, INHERITED,
    NARR, NARRATIVE_TAGS, OPER, POST, QUOTE, REPLY, RETWEET, SID, STREAMS, STREAM_NAMES, TWEPOCH_MS,
)
from .text import RANDOM_PER_POST, base62, display_url, fill_template, iso_ms, slug, zipf_index
from .world import World

class Post:
    """One generated post, before it is written in a format."""

    __slots__ = ("seq", "pid", "aidx", "ms", "iso", "kind", "text", "tags", "ments", "urls",
                 "ref", "refmeta", "conv", "metrics", "flags", "stream")

    def __init__(self) -> None:
        #: the post this one retweets / quotes / replies to (dropped once written)
        self.ref: Post | None = None
        #: (post id, author index) of that post, kept after ``ref`` is dropped
        self.refmeta: tuple[str, int] | None = None


class Generator:
    """Walks the world's schedule in time order and makes the posts, chunk by chunk."""

    def __init__(self, world: World, chunk_size: int = 100_000) -> None:
        self.w = world
        self.rng = np.random.default_rng(np.random.SeedSequence([world.seed, 7]))
        self.chunk_size = chunk_size
        self.seq = 0
        maxlen = {"infl": 400, "org": 3000, "er": 400, "camp": 300, "burst": 300, "op": 300}
        self.pools: dict[str, deque] = {k: deque(maxlen=v) for k, v in maxlen.items()}
        n = world.acc.n
        self.posts_by_account = np.zeros(n, dtype=np.int64)
        self.flag_counts = {f: np.zeros(n, dtype=np.int64) for f in ("hate", "narr", "camp", "burst")}
        self.hate_originals = np.zeros(n, dtype=np.int64)
        self.stream_counts = np.zeros(len(STREAMS), dtype=np.int64)
        self.kind_counts = np.zeros(4, dtype=np.int64)
        self.mention_count = 0
        self.hateful_sample: list[str] = []
        self.hateful_total = 0
        self.op_copy_max_spread = 0.0
        self.first_ms = None
        self.last_ms = None
        self.builders: dict[int, Callable[[Post, list[int]], None]] = {
            SID[name]: getattr(self, "_b_" + name) for name in STREAM_NAMES
        }

    # -- chunks --------------------------------------------------------------------------
    def chunks(self) -> Iterator[list[Post]]:
        w = self.w
        per_hour_total = w.per_hour.sum(axis=0)
        h0 = 0
        while h0 < w.hours:
            h1 = h0
            acc = 0
            while h1 < w.hours and (acc < self.chunk_size or h1 == h0):
                acc += per_hour_total[h1]
                h1 += 1
            if acc:
                yield self._chunk(h0, h1)
            h0 = h1

    def _chunk(self, h0: int, h1: int) -> list[Post]:
        w, rng = self.w, self.rng
        times: list[np.ndarray] = []
        accts: list[np.ndarray] = []
        sids: list[np.ndarray] = []
        rvals: list[np.ndarray] = []
        for s, name in enumerate(STREAM_NAMES):
            counts = w.per_hour[s, h0:h1]
            n = int(counts.sum())
            if n == 0:
                continue
            if name in EVENT_STREAMS:
                evs = w.events[name]
                spread = EVENT_STREAMS[name][2]
                ev = np.nonzero((evs["hour"] >= h0) & (evs["hour"] < h1))[0]
                t_parts, a_parts, r_parts = [], [], []
                for e in ev.tolist():
                    k = int(evs["sizes"][e])
                    t0 = evs["hour"][e] * 3600.0 + evs["start"][e]
                    offs = np.sort(rng.uniform(0, spread, k))
                    offs[0] = 0.0
                    if name == "op_copy":
                        self.op_copy_max_spread = max(self.op_copy_max_spread, float(offs[-1]))
                    t_parts.append(t0 + offs)
                    a_parts.append(rng.choice(w.operation, k, replace=False))
                    r_parts.append(np.repeat(evs["r"][e][None, :], k, axis=0))
                t = np.concatenate(t_parts)
                a = np.concatenate(a_parts)
                r = np.concatenate(r_parts)
            else:
                hours = np.repeat(np.arange(h0, h1), counts)
                t = hours * 3600.0 + rng.uniform(0, 3600, n)
                if name in w.assigned:
                    pos = w.assigned_pos[name]
                    a = w.assigned[name][pos:pos + n]
                    w.assigned_pos[name] = pos + n
                elif name == "org_rt":
                    a = w.civil[np.searchsorted(w.civil_cdf_rt, rng.random(n), side="right").clip(0, len(w.civil) - 1)]
                else:
                    a = w.civil[np.searchsorted(w.civil_cdf_post, rng.random(n), side="right").clip(0, len(w.civil) - 1)]
                r = rng.integers(0, 2**31, (n, RANDOM_PER_POST))
            times.append(t)
            accts.append(a)
            sids.append(np.full(n, s, dtype=np.int16))
            rvals.append(r)
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        t = t[order]
        a = np.concatenate(accts)[order]
        sid = np.concatenate(sids)[order]
        r = np.concatenate(rvals)[order]
        n = len(t)
        ms = w.start_ms + (t * 1000).astype(np.int64)
        # engagement: grows with followers; the operation gets next to none
        A = w.acc
        fol = A.followers[a].astype(float)
        like = np.floor(np.exp(0.55 * np.log1p(fol) - 1.2 + rng.normal(0, 1.0, n))).astype(np.int64)
        is_op = np.isin(sid, [SID["op_copy"], SID["op_mention"], SID["op_link"], SID["op_rt"]])
        like[is_op] = rng.poisson(0.05, int(is_op.sum()))
        rts = np.floor(like * rng.uniform(0.05, 0.35, n)).astype(np.int64)
        reps = np.floor(like * rng.uniform(0.02, 0.15, n)).astype(np.int64)
        quotes = np.floor(like * rng.uniform(0.0, 0.05, n)).astype(np.int64)
        iso = iso_ms(ms)
        seq0 = self.seq
        seqs = np.arange(seq0, seq0 + n, dtype=np.int64)
        pids = (((ms - TWEPOCH_MS) << 22) | (seqs & 0x3FFFFF)).tolist()
        self.seq += n
        out: list[Post] = []
        r_l = r.tolist()
        a_l = a.tolist()
        sid_l = sid.tolist()
        ms_l = ms.tolist()
        metrics = list(zip(rts.tolist(), reps.tolist(), like.tolist(), quotes.tolist()))
        builders = self.builders
        for i in range(n):
            p = Post()
            p.seq = seq0 + i
            p.pid = str(pids[i])
            p.aidx = a_l[i]
            p.ms = ms_l[i]
            p.iso = iso[i]
            p.stream = sid_l[i]
            p.metrics = metrics[i]
            p.flags = 0
            p.tags = p.ments = p.urls = ()
            p.conv = p.pid
            p.kind = POST
            builders[p.stream](p, r_l[i])
            out.append(p)
        # bookkeeping for the truth file
        kinds = np.fromiter((p.kind for p in out), dtype=np.int64, count=n)
        flags = np.fromiter((p.flags for p in out), dtype=np.int64, count=n)
        np.add.at(self.posts_by_account, a, 1)
        for bit, key in ((HATE, "hate"), (NARR, "narr"), (CAMP, "camp"), (BURST, "burst")):
            sel = (flags & bit) > 0
            np.add.at(self.flag_counts[key], a[sel], 1)
        sel = ((flags & HATE) > 0) & (kinds != RETWEET)
        np.add.at(self.hate_originals, a[sel], 1)
        self.stream_counts += np.bincount(sid, minlength=len(STREAMS))
        self.kind_counts += np.bincount(kinds, minlength=4)
        self.mention_count += sum(len(p.ments) for p in out)
        hateful_ids = [p.pid for p in out if p.flags & HATE]
        self.hateful_total += len(hateful_ids)
        if len(self.hateful_sample) < 500:
            self.hateful_sample.extend(hateful_ids[: 500 - len(self.hateful_sample)])
        self.first_ms = ms_l[0] if self.first_ms is None else self.first_ms
        self.last_ms = ms_l[-1]
        return out

    # -- text helpers --------------------------------------------------------------------
    def _compose(self, p: Post, body: str, mentions: list[int] = (), tags: list[str] = (),
                 links: list[tuple[str, str]] = (), trailing: list[int] = ()) -> None:
        """Set the post's text and entities: @mentions, the body, "cc @trailing", hashtags, links."""
        A = self.w.acc
        text = ""
        ments = []
        for m in mentions:
            s = len(text)
            text += "@" + A.handles[m]
            ments.append((s, len(text), m))
            text += " "
        text += body
        if trailing:
            text += " cc"
            for m in trailing:
                text += " "
                s = len(text)
                text += "@" + A.handles[m]
                ments.append((s, len(text), m))
        tg = []
        for t in tags:
            text += " "
            s = len(text)
            text += "#" + t
            tg.append((s, len(text), t))
        us = []
        for k, (expanded, display) in enumerate(links):
            text += " "
            s = len(text)
            tco = "https://t.co/" + base62((p.seq * 0x9E3779B97F4A7C15 + k * 7919 + self.w.seed) % (62 ** 10), 10)
            text += tco
            us.append((s, len(text), tco, expanded, display))
        p.text, p.ments, p.tags, p.urls = text, ments, tg, us

    def _link(self, r: list[int], fixed_tco: str | None = None) -> tuple[str, str]:
        dom, fmt = W.NEWS_DOMAINS[r[5] % len(W.NEWS_DOMAINS)]
        headline = fill_template(self.w.T["headline"][r[4] % len(self.w.T["headline"])], r)
        url = fmt.format(n=10_000_000 + r[6] % 89_999_999, d=f"{1 + r[6] % 29:02d}", slug=slug(headline),
                         hex=f"{r[7]:08x}{r[6]:08x}", yt=base62(r[7] * 31 + r[6], 11))
        return url, display_url(url)

    def _fake_link(self, r: list[int], headline: str) -> tuple[str, str]:
        if r[3] % 5 == 0:  # now and then a state-media article instead of the fake-news site
            url = f"https://www.rt.com/news/{590000 + r[6] % 9999}-{slug(headline, 6)}/"
        else:
            url = f"https://{FAKE_DOMAIN}/2024/03/{slug(headline, 7)}-{r[6] % 9000 + 1000}"
        return url, display_url(url)

    def _general_tags(self, r: list[int]) -> list[str]:
        x = r[2] % 100
        if x < 28:
            return [W.GENERAL_HASHTAGS[zipf_index(r[3], len(W.GENERAL_HASHTAGS))]]
        if x < 33:
            a = W.GENERAL_HASHTAGS[zipf_index(r[3], len(W.GENERAL_HASHTAGS))]
            b = W.GENERAL_HASHTAGS[zipf_index(r[4], len(W.GENERAL_HASHTAGS))]
            return [a, b] if a != b else [a]
        return []

    def _pick(self, pool: str, r: list[int], fallback: str | None = None) -> Post | None:
        q = self.pools[pool]
        if not q and fallback:
            q = self.pools[fallback]
        if not q:
            return None
        n = len(q)
        u = (r[7] % 1_000_003) / 1_000_003
        return q[n - 1 - int(n * u ** 3)]

    def _retweet(self, p: Post, orig: Post) -> None:
        A = self.w.acc
        h = A.handles[orig.aidx]
        prefix = f"RT @{h}: "
        text = prefix + orig.text
        cut = len(text)
        if cut > 280:
            cut = 279
            text = text[:279] + "…"
        k = len(prefix)
        p.text = text
        p.ments = [(3, 4 + len(h), orig.aidx)] + [(s + k, e + k, m) for s, e, m in orig.ments if e + k <= cut]
        p.tags = [(s + k, e + k, t) for s, e, t in orig.tags if e + k <= cut]
        p.urls = [(s + k, e + k, u, x, d) for s, e, u, x, d in orig.urls if e + k <= cut]
        p.kind = RETWEET
        p.ref = orig
        p.flags |= orig.flags & INHERITED
        p.metrics = (orig.metrics[0], 0, 0, 0)

    def _quote(self, p: Post, orig: Post, comment: str, tags: list[str] = ()) -> None:
        A = self.w.acc
        url = f"https://twitter.com/{A.handles[orig.aidx]}/status/{orig.pid}"
        self._compose(p, comment, tags=tags, links=[(url, display_url(url))])
        p.kind = QUOTE
        p.ref = orig

    def _reply(self, p: Post, parent: Post, body: str, tags: list[str] = ()) -> None:
        self._compose(p, body, mentions=[parent.aidx], tags=tags)
        p.kind = REPLY
        p.ref = parent
        p.conv = parent.conv

    def _t(self, key: str, r: list[int], ctx: bool = False) -> str:
        ts = self.w.T[key]
        return fill_template(ts[r[0] % len(ts)], r, self.w.ctx if ctx else None)

    def _personal(self, body: str, r: list[int], level: int = 3, opener: bool = True) -> str:
        """A person's own touch around a template: an opener, a second sentence, a closer, an emoji.

        Real organic posts rarely share most of their words by chance; templates alone would, and
        similar-text coordination detection would mistake ordinary accounts for an operation.
        ``level`` 0-3 says how much may be added (identical operation posts get none).
        """
        if level <= 0:
            return body
        h = (r[0] * 0x2545F491 + r[6] * 0x9E3779B1 + r[3] * 0x85EBCA77) & 0xFFFFFFFFFF
        parts = []
        if opener and h % 10 < 3:
            parts.append(W.OPENERS[(h >> 4) % len(W.OPENERS)])
        parts.append(body)
        if level >= 2 and (h >> 12) % 10 < 5:
            parts.append(W.REACTIONS[(h >> 16) % len(W.REACTIONS)])
        if level >= 3 and (h >> 22) % 10 < 4:
            parts.append(W.CLOSERS[(h >> 26) % len(W.CLOSERS)])
        text = " ".join(parts)
        if (h >> 33) % 10 < 2:
            text += W.EMOJI_SUFFIX[(h >> 35) % len(W.EMOJI_SUFFIX)]
        return text

    # -- builders, one per stream --------------------------------------------------------
    def _b_org_post(self, p: Post, r: list[int]) -> None:
        x = r[1] % 1000
        links: list = []
        if x < 340:
            body = self._personal(self._t("politics", r), r)
        elif x < 640:
            body = self._personal(self._t("everyday", r), r)
        elif x < 810:
            body = fill_template(self.w.T["headline"][r[4] % len(self.w.T["headline"])], r)
            opener = W.NEWS_OPENERS[(r[6] >> 3) % len(W.NEWS_OPENERS)]
            body = self._personal(f"{opener} {body}".strip(), r, level=1, opener=False)
            links = [self._link(r)]
        elif x < 870:
            body = self._personal(self._t("jewish", r), r)
            p.flags |= IDENTITY
        elif x < 910:
            body = self._personal(self._t("israel", r), r)
        elif x < 930:
            body = self._personal(self._t("israel_crit", r), r, level=2)
        else:
            body = self._personal(self._t("counter", r), r, level=2)
            p.flags |= COUNTER
        self._compose(p, body, tags=self._general_tags(r) if not links or r[3] % 3 == 0 else [], links=links)
        self.pools["org"].append(p)

    def _b_org_rt(self, p: Post, r: list[int]) -> None:
        orig = self._pick("infl" if r[1] % 100 < 65 else "org", r, fallback="org") or self._pick("infl", r)
        if orig is None or orig.aidx == p.aidx:
            return self._b_org_post(p, r)
        self._retweet(p, orig)

    def _b_org_reply(self, p: Post, r: list[int]) -> None:
        parent = self._pick("infl" if r[1] % 100 < 40 else "org", r, fallback="org")
        if parent is None or parent.aidx == p.aidx:
            return self._b_org_post(p, r)
        self._reply(p, parent, self._personal(self._t("reply", r), r))

    def _b_org_quote(self, p: Post, r: list[int]) -> None:
        orig = self._pick("infl", r, fallback="org")
        if orig is None or orig.aidx == p.aidx:
            return self._b_org_post(p, r)
        self._quote(p, orig, self._personal(self._t("quote", r), r))

    def _b_infl_post(self, p: Post, r: list[int]) -> None:
        links = [self._link(r)] if r[1] % 4 == 0 else []
        self._compose(p, self._personal(self._t("influencer", r), r, level=2), tags=self._general_tags(r), links=links)
        self.pools["infl"].append(p)

    def _b_target_post(self, p: Post, r: list[int]) -> None:
        self._compose(p, self._t("target", r))
        self.pools["org"].append(p)

    def _narr_tags(self, r: list[int], p_none: int = 15) -> list[str]:
        x = r[2] % 100
        if x < p_none:
            return []
        tags = [NARRATIVE_TAGS[zipf_index(r[3], len(NARRATIVE_TAGS))]]
        if x > 70:
            other = NARRATIVE_TAGS[r[4] % len(NARRATIVE_TAGS)]
            if other != tags[0]:
                tags.append(other)
        return tags

    def _b_er_narr(self, p: Post, r: list[int]) -> None:
        trailing = []
        if r[5] % 10 == 0:  # now and then "cc @" another engine-room account or the MP
            er = self.w.engine_room
            m = int(er[r[6] % len(er)]) if r[6] % 3 else self.w.target
            if m != p.aidx:
                trailing = [m]
        self._compose(p, self._t("narrative", r), tags=self._narr_tags(r),
                      links=[self._link(r)] if r[1] % 6 == 0 else [], trailing=trailing)
        p.flags |= NARR
        self.pools["er"].append(p)

    def _b_er_hate(self, p: Post, r: list[int]) -> None:
        if r[1] % 100 < 40:
            self._compose(p, self._t("hate_narr", r), tags=self._narr_tags(r, 10))
            p.flags |= HATE | NARR
        else:
            self._compose(p, self._personal(self._t("hate", r), r, level=1), tags=[])
            p.flags |= HATE
        self.pools["er"].append(p)

    def _b_amp_rt(self, p: Post, r: list[int]) -> None:
        orig = self._pick("er", r)
        if orig is None:
            return self._b_amp_narr(p, r)
        self._retweet(p, orig)

    def _b_amp_quote(self, p: Post, r: list[int]) -> None:
        orig = self._pick("er", r)
        if orig is None:
            return self._b_amp_narr(p, r)
        self._quote(p, orig, self._t("amp", r), tags=self._narr_tags(r, 40))
        p.flags |= NARR

    def _b_amp_narr(self, p: Post, r: list[int]) -> None:
        self._compose(p, self._t("narrative", r), tags=self._narr_tags(r, 30))
        p.flags |= NARR

    def _b_amp_hate(self, p: Post, r: list[int]) -> None:
        self._compose(p, self._personal(self._t("hate", r), r))
        p.flags |= HATE

    def _b_counter_reply(self, p: Post, r: list[int]) -> None:
        parent = self._pick("er", r)
        body = self._personal(self._t("counter", r), r, level=2)
        if parent is None:
            self._compose(p, body)
        else:
            self._reply(p, parent, body)
        p.flags |= COUNTER

    def _b_bg_hate(self, p: Post, r: list[int]) -> None:
        self._compose(p, self._personal(self._t("hate", r), r))
        p.flags |= HATE

    def _b_camp_post(self, p: Post, r: list[int]) -> None:
        tags = [CAMPAIGN_TAG]
        narrative = r[1] % 100 < 15  # some campaign posts also push the narrative
        if r[2] % 100 < 15:
            tags.append(NARRATIVE_TAGS[1])
            narrative = True
        mentions = [self.w.target] if r[3] % 100 < 70 else []
        body = self._personal(self._t("campaign_narr" if r[1] % 100 < 15 else "campaign", r, ctx=True), r, level=1)
        self._compose(p, body, mentions=mentions, tags=tags)
        p.flags |= CAMP | (NARR if narrative else 0)
        self.pools["camp"].append(p)

    def _retweet_from(self, pool: str, p: Post, r: list[int], otherwise) -> bool:
        """Make ``p`` a retweet of a post from ``pool`` by another account; else ``otherwise(p, r)``."""
        orig = self._pick(pool, r)
        if orig is None or orig.aidx == p.aidx:
            otherwise(p, r)
            return False
        self._retweet(p, orig)
        return True

    def _b_camp_rt(self, p: Post, r: list[int]) -> None:
        self._retweet_from("camp", p, r, self._b_camp_post)

    def _b_burst_post(self, p: Post, r: list[int]) -> None:
        tags = [BURST_TAG] + (["UKFloods"] if r[2] % 4 == 0 else [])
        self._compose(p, self._personal(self._t("burst", r, ctx=True), r), tags=tags)
        p.flags |= BURST
        self.pools["burst"].append(p)

    def _b_burst_rt(self, p: Post, r: list[int]) -> None:
        self._retweet_from("burst", p, r, self._b_burst_post)

    def _op_headline(self, r: list[int]) -> str:
        return self._t("op_headline", r)

    def _b_op_copy(self, p: Post, r: list[int]) -> None:
        # identical text (same r for every copy of an event), posted within seconds
        headline = self._op_headline(r)
        url, disp = self._fake_link(r, headline)
        self._compose(p, headline, tags=[["WakeUpUK", "TruthBomb", "MSMLies"][r[2] % 3]] if r[2] % 2 else [],
                      links=[(url, disp)])
        tco = "https://t.co/" + base62((r[6] * 2654435761 + r[7]) % (62 ** 10), 10)
        p.text = p.text[: p.urls[0][0]] + tco
        p.urls = [(p.urls[0][0], p.urls[0][0] + len(tco), tco, url, disp)]
        p.flags |= OPER
        self.pools["op"].append(p)

    def _b_op_mention(self, p: Post, r: list[int]) -> None:
        # the same post sent at one influencer many times
        k = 0 if r[1] % 10 < 7 else (1 if r[1] % 10 < 9 else 2)
        body = W.OP_MENTION_TEXTS[k]
        url = f"https://{FAKE_DOMAIN}/2024/02/the-story-they-buried-{k + 1}"
        self._compose(p, body, mentions=[self.w.op_influencer], links=[(url, display_url(url))])
        tco = "https://t.co/" + base62((k + 1) * 0x9E3779B97F4A7C15 % (62 ** 10), 10)
        s = p.urls[0][0]
        p.text = p.text[:s] + tco
        p.urls = [(s, s + len(tco), tco, url, display_url(url))]
        p.flags |= OPER

    def _b_op_link(self, p: Post, r: list[int]) -> None:
        headline = self._op_headline(r)
        self._compose(p, headline, links=[self._fake_link(r, headline)])
        p.flags |= OPER
        self.pools["op"].append(p)

    def _b_op_rt(self, p: Post, r: list[int]) -> None:
        if self._retweet_from("op", p, r, self._b_op_link):
            p.flags |= OPER
