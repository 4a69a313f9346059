"""The planted scenario of a synthetic corpus: its accounts, their roles, and when each stream posts.

:class:`World` draws, from the seed, every account (organic and "noise" accounts with heavy-tailed
activity and log-normal follower counts, influencers, the target MP, the engine room and its
amplifiers, campaign members, the coordinated operation with its random-string handles, templated
bios and creation dates within three days) and the schedule: how many posts each stream (see
:mod:`engineroom.synth.scenario`) makes in each hour — diurnal for organic chatter, a start and peak
for the campaign, a low baseline then a spike for the burst, office hours of another time zone for
the operation. :class:`Accounts` holds the accounts as parallel NumPy arrays. The posts themselves are
made by :class:`engineroom.synth.posts.Generator`.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone

import numpy as np

from . import words as W
from .scenario import (
    BURST_PLACE, EVENT_STREAMS, INFLUENCERS, N_ENGINE_ROOM, N_ENGINE_ROOM_HATEFUL, ORGANIC_SHARES, SID,
    STREAMS, STREAM_NAMES, TARGET_HANDLE, TARGET_NAME, TARGET_SURNAME, TWEPOCH_MS,
)
from .text import RANDOM_PER_POST, compile_templates, fill_template, iso_ms

class Accounts:
    """All accounts of the synthetic world, as parallel arrays (index = account number)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ids = np.zeros(n, dtype=np.int64)
        self.handles: list[str] = [""] * n
        self.names: list[str] = [""] * n
        self.bios: list[str] = [""] * n
        self.locations: list[str] = [""] * n
        self.created_ms = np.zeros(n, dtype=np.int64)
        self.followers = np.zeros(n, dtype=np.int64)
        self.following = np.zeros(n, dtype=np.int64)
        self.tweet_count = np.zeros(n, dtype=np.int64)
        self.listed = np.zeros(n, dtype=np.int64)
        self.verified = np.zeros(n, dtype=bool)
        self.default_image = np.zeros(n, dtype=bool)
        self.client = np.zeros(n, dtype=np.int64)
        self.activity = np.ones(n, dtype=np.float64)
        self.role = np.zeros(n, dtype=np.int8)


class World:
    """The planted scenario: accounts, their roles, and how many posts each stream makes per hour."""

    def __init__(self, posts: int, seed: int = 0, start: str = "2024-03-01", days: int = 30) -> None:
        if posts < 200:
            raise ValueError("synthesize needs at least 200 posts to plant every structure")
        self.n_posts = int(posts)
        self.seed = int(seed)
        self.rng = np.random.default_rng(np.random.SeedSequence([self.seed, 20240301]))
        self.start = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
        self.days = int(days)
        self.hours = self.days * 24
        self.start_ms = int(self.start.timestamp() * 1000)
        self._make_accounts()
        self._make_schedule()
        self._make_templates()

    # -- accounts ------------------------------------------------------------------------
    def _make_accounts(self) -> None:
        rng = self.rng
        n_org = max(400, self.n_posts // 15)
        self.n_op = 40 + self.n_posts // 200_000
        n_infl = len(INFLUENCERS)
        n = 1 + n_infl + N_ENGINE_ROOM + self.n_op + n_org
        A = self.acc = Accounts(n)
        self.target = 0
        self.influencers = np.arange(1, 1 + n_infl)
        self.engine_room = np.arange(1 + n_infl, 1 + n_infl + N_ENGINE_ROOM)
        self.operation = np.arange(self.engine_room[-1] + 1, self.engine_room[-1] + 1 + self.n_op)
        self.organic = np.arange(self.operation[-1] + 1, n)
        self.op_influencer = int(self.influencers[0])
        used: set[str] = set()

        def unique(h: str, i: int) -> str:
            h = h[:15]
            while h.lower() in used:
                h = (h[:11] + str(int(rng.integers(10, 9999))))[:15]
            used.add(h.lower())
            return h

        first = W.FIRST_NAMES
        last = W.LAST_NAMES
        # organic accounts: handles from name patterns, heavy-tailed activity and followers
        m = len(self.organic)
        fi = rng.integers(0, len(first), m)
        li = rng.integers(0, len(last), m)
        pat = rng.integers(0, 7, m)
        num = rng.integers(1, 9999, m)
        ni = rng.integers(0, len(W.NOUNS), m)
        ai = rng.integers(0, len(W.ADJECTIVES), m)
        for j, idx in enumerate(self.organic.tolist()):
            f, l = first[fi[j]], last[li[j]].replace("'", "")
            p = pat[j]
            if p == 0:
                h = f.capitalize() + l.capitalize()
            elif p == 1:
                h = f"{f}_{l}"
            elif p == 2:
                h = f"{f.capitalize()}{l.capitalize()}{num[j] % 100}"
            elif p == 3:
                h = f"{W.ADJECTIVES[ai[j]]}{W.NOUNS[ni[j]]}"
            elif p == 4:
                h = f"the{W.NOUNS[ni[j]]}{num[j] % 1000}"
            elif p == 5:
                h = f"{f}{num[j]}"
            else:
                h = f"{f[0]}{l}"
            A.handles[idx] = unique(h, idx)
            A.names[idx] = f"{f.capitalize()} {l.capitalize()}" if p != 3 else f"{W.ADJECTIVES[ai[j]]} {W.NOUNS[ni[j]]}"
        A.activity[self.organic] = np.minimum(rng.pareto(1.3, m) + 1.0, 3000.0)
        logf = rng.normal(5.0, 1.6, m) + 0.5 * np.log(A.activity[self.organic])
        A.followers[self.organic] = np.exp(logf).astype(np.int64)
        A.following[self.organic] = np.exp(rng.normal(5.6, 1.0, m)).astype(np.int64)
        # organic accounts created 2011-2023, more of them recently
        lo = datetime(2011, 1, 1, tzinfo=timezone.utc).timestamp() * 1000
        hi = datetime(2023, 12, 31, tzinfo=timezone.utc).timestamp() * 1000
        A.created_ms[self.organic] = (lo + (hi - lo) * rng.beta(1.6, 1.0, m)).astype(np.int64)
        self._fragment_bios(self.organic, W.BIO_FRAGMENTS, [0.15, 0.15, 0.4, 0.3])
        locs = rng.integers(0, len(W.LOCATIONS), m)
        for j, idx in enumerate(self.organic.tolist()):
            A.locations[idx] = W.LOCATIONS[locs[j]]
        A.client[self.organic] = rng.choice(4, m, p=[0.45, 0.3, 0.2, 0.05])
        A.default_image[self.organic] = rng.random(m) < 0.04

        # target and influencers
        A.handles[0] = unique(TARGET_HANDLE, 0)
        A.names[0] = TARGET_NAME
        A.bios[0] = "Member of Parliament for Ashbridge North. Chair, all-party group against antisemitism. Views my own."
        A.locations[0] = "Ashbridge & Westminster"
        A.followers[0] = 48_200
        A.following[0] = 1_630
        A.verified[0] = True
        A.created_ms[0] = int(datetime(2012, 5, 3, tzinfo=timezone.utc).timestamp() * 1000)
        A.activity[0] = 1.0
        for k, idx in enumerate(self.influencers.tolist()):
            h, name = INFLUENCERS[k]
            A.handles[idx] = unique(h, idx)
            A.names[idx] = name
            A.bios[idx] = ["Broadcaster and columnist.", "Political editor.", "Presenter. Podcast every Monday.",
                           "Writer. Opinions are my own.", "Pollster and data nerd."][k % 5]
            A.locations[idx] = "London"
        A.followers[self.influencers] = np.exp(rng.uniform(np.log(1.5e5), np.log(2e6), n_infl)).astype(np.int64)
        A.following[self.influencers] = rng.integers(300, 3000, n_infl)
        A.verified[self.influencers] = True
        A.activity[self.influencers] = rng.lognormal(0, 0.5, n_infl)
        A.created_ms[self.influencers] = int(datetime(2009, 6, 1, tzinfo=timezone.utc).timestamp() * 1000) + rng.integers(0, 3 * 365 * 86400_000, n_infl)
        A.client[self.influencers] = 2

        # the engine room: activist-looking accounts, a third of them hateful
        pre = ["Red", "Left", "Socialist", "Grassroots", "Comrade", "Unite", "Justice", "Solidarity", "Rebel", "Free"]
        for k, idx in enumerate(self.engine_room.tolist()):
            f = first[int(rng.integers(0, len(first)))]
            h = f"{pre[int(rng.integers(0, len(pre)))]}{f.capitalize()}"
            if rng.random() < 0.6:
                h += str(int(rng.integers(1, 99)))
            A.handles[idx] = unique(h, idx)
            A.names[idx] = f"{f.capitalize()} {last[int(rng.integers(0, len(last)))].capitalize().replace(chr(39), '')}"
            A.locations[idx] = W.LOCATIONS[int(rng.integers(0, 12))]
        self._fragment_bios(self.engine_room, W.ACTIVIST_BIO_FRAGMENTS + W.BIO_FRAGMENTS, [0.0, 0.2, 0.5, 0.3],
                            first=W.ACTIVIST_BIO_FRAGMENTS)
        A.followers[self.engine_room] = np.exp(rng.normal(8.3, 0.9, N_ENGINE_ROOM)).astype(np.int64)
        A.following[self.engine_room] = np.exp(rng.normal(7.5, 0.6, N_ENGINE_ROOM)).astype(np.int64)
        A.activity[self.engine_room] = rng.pareto(1.0, N_ENGINE_ROOM) + 1.0
        A.created_ms[self.engine_room] = int(datetime(2012, 1, 1, tzinfo=timezone.utc).timestamp() * 1000) + rng.integers(0, 8 * 365 * 86400_000, N_ENGINE_ROOM)
        A.client[self.engine_room] = rng.integers(0, 3, N_ENGINE_ROOM)
        self.er_hateful = np.sort(rng.choice(self.engine_room, N_ENGINE_ROOM_HATEFUL, replace=False))

        # the operation: random-string or name+8-digit handles, templated bios, created in a burst
        letters = np.array(list(string.ascii_lowercase + string.digits))
        op_created_lo = int(datetime(2024, 1, 8, tzinfo=timezone.utc).timestamp() * 1000)
        for k, idx in enumerate(self.operation.tolist()):
            f = first[int(rng.integers(0, len(first)))]
            if k % 2 == 0:
                h = str(letters[int(rng.integers(0, 26))]) + "".join(rng.choice(letters, 8).tolist())
                A.names[idx] = ["Patriot", "Truth", "Free", "Real"][k % 4] + " " + f.capitalize()
            else:
                h = f[:7].capitalize() + "".join(str(d) for d in rng.integers(0, 10, 8).tolist())
                A.names[idx] = f"{f.capitalize()} {last[int(rng.integers(0, len(last)))].capitalize().replace(chr(39), '')}"
            A.handles[idx] = unique(h, idx)
            A.locations[idx] = ["United Kingdom", "", "London", "England", "USA"][k % 5]
        self._bios(self.operation, W.OP_BIO_TEMPLATES)
        A.followers[self.operation] = rng.integers(0, 40, self.n_op)
        A.following[self.operation] = rng.integers(150, 900, self.n_op)
        A.created_ms[self.operation] = op_created_lo + rng.integers(0, 3 * 86400_000, self.n_op)
        A.default_image[self.operation] = rng.random(self.n_op) < 0.7
        A.client[self.operation] = 2
        A.activity[self.operation] = 1.0

        # account ids: snowflakes of the creation time
        A.created_ms = np.maximum(A.created_ms, TWEPOCH_MS + 86400_000)
        A.ids = ((A.created_ms - TWEPOCH_MS) << 22) | (np.arange(n, dtype=np.int64) & 0x3FFFFF)
        A.id_str = [str(x) for x in A.ids.tolist()]
        A.created_iso = iso_ms(A.created_ms)
        A.client_name = [W.CLIENTS_ORGANIC[c] for c in A.client.tolist()]
        A.listed = (A.followers // rng.integers(40, 200, n)).astype(np.int64)
        A.tweet_count = (np.exp(rng.normal(7, 1.5, n)) + A.activity * 50).astype(np.int64)
        A.tweet_count[self.operation] = rng.integers(200, 3000, self.n_op)

        # roles among organic accounts: amplifiers, campaign members, background hate, noise
        org = self.organic
        n_amp = max(120, len(org) // 60)
        perm = rng.permutation(org)
        self.amplifiers = np.sort(perm[:n_amp])
        self.amp_hateful = np.sort(rng.choice(self.amplifiers, max(5, n_amp // 5), replace=False))
        n_bg = max(10, len(org) // 300)
        self.bg_hate = np.sort(perm[n_amp:n_amp + n_bg])
        n_camp = int(np.clip(self.n_posts // 400, 60, 3000))
        n_camp_amp = int(n_camp * 0.4)
        rest = perm[n_amp + n_bg:]
        self.campaign_members = np.sort(np.concatenate([
            rng.choice(self.amplifiers, min(n_camp_amp, n_amp), replace=False),
            rng.choice(self.engine_room, 8, replace=False),
            rest[: n_camp - n_camp_amp - 8],
        ]))
        rest = rest[n_camp - n_camp_amp - 8:]
        self.noise = np.sort(rest[: max(20, len(org) // 20)])
        A.activity[self.amplifiers] *= 2.0
        self.rt_prop = rng.lognormal(0.0, 0.8, n)
        self.rt_prop[self.noise] *= 8.0
        self.rt_prop[self.operation] = 0.0

    def _fragment_bios(self, idxs: np.ndarray, fragments: list[str], p_count: list[float],
                       first: list[str] | None = None) -> None:
        """Bios of 0-3 random fragments (``p_count``: probabilities of 0, 1, 2, 3), ``first`` leading."""
        parts = compile_templates(fragments)
        lead = compile_templates(first) if first else None
        rng = self.rng
        m = len(idxs)
        counts = rng.choice(4, m, p=p_count)
        picks = rng.integers(0, 2**31, (m, 3))
        seps = rng.integers(0, len(W.BIO_SEPARATORS), m)
        r = rng.integers(0, 2**31, (m, RANDOM_PER_POST)).tolist()
        for j, idx in enumerate(idxs.tolist()):
            k = int(counts[j])
            chosen = []
            for q in range(k):
                pool = lead if (lead and q == 0) else parts
                frag = pool[int(picks[j, q]) % len(pool)]
                rr = r[j][q:] + r[j][:q]
                chosen.append(fill_template(frag, rr))
            chosen = list(dict.fromkeys(chosen))
            self.acc.bios[idx] = W.BIO_SEPARATORS[seps[j]].join(chosen)

    def _bios(self, idxs: np.ndarray, templates: list[str]) -> None:
        parts = compile_templates(templates)
        r = self.rng.integers(0, 2**31, (len(idxs), RANDOM_PER_POST)).tolist()
        for j, idx in enumerate(idxs.tolist()):
            rr = r[j]
            self.acc.bios[idx] = fill_template(parts[rr[0] % len(parts)], rr)

    # -- schedule ------------------------------------------------------------------------
    def _profiles(self) -> dict[str, np.ndarray]:
        H = self.hours
        hod = np.arange(H) % 24
        dow = (self.start.weekday() + np.arange(H) // 24) % 7
        day = np.array([0.35, 0.22, 0.15, 0.1, 0.08, 0.1, 0.2, 0.45, 0.7, 0.8, 0.85, 0.9, 1.0,
                        0.95, 0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.35, 1.3, 1.05, 0.7])
        diurnal = day[hod] * np.where(dow >= 5, 0.9, 1.0)
        office = np.where((hod >= 5) & (hod <= 14) & (dow < 5), 1.0, 0.04)
        t = np.arange(H, dtype=float)
        # campaign: nothing before its start, rising to a peak, then decaying
        c0, cp = self.campaign_start_h, self.campaign_peak_h
        x = np.clip((t - c0) / (cp - c0), 0, None)
        env = np.where(t < c0, 0.0, np.where(t <= cp, x ** 2 * np.exp(2 * (1 - x)), np.exp(-(t - cp) / 30.0)))
        campaign = env * (0.4 + diurnal)
        # burst: a low baseline, then a spike from its onset hour
        b0, bp = self.burst_onset_h, self.burst_peak_h
        spike = np.where(t < b0, 0.0, np.where(t <= bp, ((t - b0 + 1) / (bp - b0 + 1)) ** 2, np.exp(-(t - bp) / 6.0)))
        burst = 0.1 * diurnal / diurnal.sum() + 0.9 * spike / spike.sum()
        return {"diurnal": diurnal, "office": office, "campaign": campaign, "burst": burst}

    def _make_schedule(self) -> None:
        rng = self.rng
        H = self.hours
        self.campaign_start_h = int(round(self.hours * 0.27)) + 9   # day 8, 09:00
        self.campaign_peak_h = self.campaign_start_h + 58            # two days later, 19:00
        self.burst_onset_h = int(round(self.hours * 0.667)) + 14     # day 20, 14:00
        self.burst_peak_h = self.burst_onset_h + 3
        N = self.n_posts
        special = {name: max(mn, int(round(share * N))) for name, share, mn, _p in STREAMS if share > 0}
        total_special = sum(special.values())
        if total_special > 0.6 * N:  # small corpora: shrink the planted structures
            f = 0.6 * N / total_special
            special = {k: max(3, int(v * f)) for k, v in special.items()}
        rest = N - sum(special.values())
        organic = {k: int(rest * v) for k, v in ORGANIC_SHARES.items()}
        organic["org_post"] += rest - sum(organic.values())
        self.totals = np.array([organic.get(nm, special.get(nm, 0)) for nm in STREAM_NAMES], dtype=np.int64)
        assert self.totals.sum() == N
        profiles = self._profiles()
        self.per_hour = np.zeros((len(STREAMS), H), dtype=np.int64)
        # the operation's copies and ring retweets come in events: several accounts within seconds
        for i, (name, _s, _m, prof) in enumerate(STREAMS):
            if name in EVENT_STREAMS:
                continue
            p = profiles[prof] / profiles[prof].sum()
            self.per_hour[i] = rng.multinomial(self.totals[i], p)
        self.events: dict[str, dict[str, np.ndarray]] = {}
        p = profiles["office"] / profiles["office"].sum()
        for name, (lo, hi, _spread) in EVENT_STREAMS.items():
            T = int(self.totals[SID[name]])
            sizes: list[int] = []
            while sum(sizes) < T:
                sizes.append(int(rng.integers(min(lo, self.n_op), min(hi, self.n_op) + 1)))
            sizes[-1] -= sum(sizes) - T
            if sizes[-1] < 2 and len(sizes) > 1:
                last = sizes.pop()
                sizes[-1] += last
            ev = {
                "sizes": np.array(sizes, dtype=np.int64),
                "hour": np.sort(rng.choice(H, len(sizes), p=p)),
                "start": rng.uniform(0, 3600 - 120, len(sizes)),
                "r": rng.integers(0, 2**31, (len(sizes), RANDOM_PER_POST)),
            }
            self.events[name] = ev
            np.add.at(self.per_hour[SID[name]], ev["hour"], ev["sizes"])

        # who posts in each special stream: assigned up front (a few % of all posts), so that
        # every engine-room account posts at least a few times and every hateful one at least twice
        A = self.acc
        def weighted(idxs: np.ndarray, w: np.ndarray, n: int, pinned: int = 0) -> np.ndarray:
            if n <= 0:
                return np.zeros(0, dtype=np.int64)
            k = min(n, pinned * len(idxs))
            base = np.tile(idxs, pinned)[:k]
            extra = rng.choice(idxs, n - k, p=w / w.sum()) if n > k else np.zeros(0, dtype=np.int64)
            return rng.permutation(np.concatenate([base, extra]).astype(np.int64))

        act = A.activity
        tot = dict(zip(STREAM_NAMES, self.totals.tolist()))
        self.assigned = {
            "infl_post": weighted(self.influencers, act[self.influencers], tot["infl_post"], 2),
            "target_post": np.full(tot["target_post"], self.target, dtype=np.int64),
            "er_narr": weighted(self.engine_room, act[self.engine_room], tot["er_narr"], 3),
            "er_hate": weighted(self.er_hateful, act[self.er_hateful], tot["er_hate"], 2),
            "amp_rt": weighted(self.amplifiers, act[self.amplifiers], tot["amp_rt"]),
            "amp_quote": weighted(self.amplifiers, act[self.amplifiers], tot["amp_quote"]),
            "amp_narr": weighted(self.amplifiers, act[self.amplifiers], tot["amp_narr"]),
            "amp_hate": weighted(self.amp_hateful, act[self.amp_hateful], tot["amp_hate"], 1),
            "counter_reply": weighted(self.organic, np.sqrt(act[self.organic]), tot["counter_reply"]),
            "bg_hate": weighted(self.bg_hate, act[self.bg_hate], tot["bg_hate"], 1),
            "camp_post": weighted(self.campaign_members, act[self.campaign_members], tot["camp_post"]),
            "camp_rt": weighted(self.campaign_members, act[self.campaign_members], tot["camp_rt"]),
            "burst_post": weighted(self.organic, np.sqrt(act[self.organic]), tot["burst_post"]),
            "burst_rt": weighted(self.organic, np.sqrt(act[self.organic]), tot["burst_rt"]),
            "op_mention": weighted(self.operation, np.ones(self.n_op), tot["op_mention"]),
            "op_link": weighted(self.operation, np.ones(self.n_op), tot["op_link"], 1),
        }
        self.assigned_pos = {k: 0 for k in self.assigned}
        # everyone who posts ordinary posts: organic accounts, and the engine room now and then
        civil = np.concatenate([self.organic, self.engine_room])
        w_post = act[civil].copy()
        w_post[len(self.organic):] *= 0.3
        self.civil = civil
        self.civil_cdf_post = np.cumsum(w_post) / w_post.sum()
        w_rt = w_post * self.rt_prop[civil]
        self.civil_cdf_rt = np.cumsum(w_rt) / w_rt.sum()

    def _make_templates(self) -> None:
        c = compile_templates
        self.T = {
            "politics": c(W.POLITICS), "everyday": c(W.EVERYDAY), "headline": c(W.HEADLINES),
            "jewish": c(W.JEWISH_NEUTRAL), "israel": c(W.ISRAEL_NEUTRAL), "counter": c(W.COUNTER_SPEECH),
            "israel_crit": c(W.ISRAEL_CRITICISM), "reply": c(W.REPLIES), "quote": c(W.QUOTE_COMMENTS),
            "influencer": c(W.INFLUENCER_POSTS), "target": c(W.TARGET_POSTS), "narrative": c(W.NARRATIVE),
            "amp": c(W.AMPLIFIER_COMMENTS), "hate": c(W.HATEFUL), "hate_narr": c(W.HATEFUL_NARRATIVE),
            "campaign": c(W.CAMPAIGN), "campaign_narr": c(W.CAMPAIGN_NARRATIVE), "burst": c(W.BURST), "op_headline": c(W.OP_HEADLINES),
        }
        self.ctx = {"target_name": TARGET_NAME, "surname": TARGET_SURNAME, "burst_place": BURST_PLACE}

    # -- truth ---------------------------------------------------------------------------
    def iso(self, hour: float) -> str:
        return (self.start + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
