"""Synthetic corpora with planted ground truth, in real export formats.

:func:`synthesize` writes ``posts`` posts (Twitter-like) as twarc2 JSONL (API v2 response pages,
one per line, with ``includes`` expansions), as a Twitter Information Operations archive (the
31-column tweets CSV plus its users file) or as a plain CSV, and beside it:

- ``FILE.truth.json`` — what was planted (engine room, campaign, burst, operation, ...), with the
  account ids and handles an analysis should recover;
- ``FILE.posts_truth.csv`` — one row per post: ``post_id, hateful, narrative, campaign, operation,
  burst`` (0/1) plus ``counter_speech, identity, account_id, kind, stream``.

What is planted (30 days from 2024-03-01 by default):

- **organic accounts** with heavy-tailed (Pareto) activity and log-normal follower counts, posting
  everyday and political chatter, news links, replies, quotes and retweets; identity statements
  ("As a Jew, I ..."), neutral posts on Jewish life and Israeli politics, criticism of a government
  that is not antisemitic, and counter-speech — so that classifiers are tested on what they must
  not flag. A share of them ("noise" accounts) retweet a lot: many of them share the same popular
  posts by chance, which coordination detection must not mistake for an operation;
- **influencers** (verified, 10^5-10^6 followers) whose posts are widely retweeted;
- **the engine room**: 36 accounts pushing the narrative "antisemitism is a smear / weaponised /
  a witch-hunt" with its hashtags, amplified by many others (retweets, quotes); a third of them (12)
  also post antisemitic content built on coded tropes;
- **a hashtag campaign** (#SackMarlowe) against a fictional MP, with a start and a peak;
- **a hashtag burst** (#FloodReliefNow) that goes from a low baseline to a spike at a known hour;
- **a coordinated operation**: random-string and name+8-digit handles, templated bios, accounts
  created within three days, identical posts within seconds, links to a fake-news domain, one
  text sent at one influencer many times, near-zero engagement, retweets of each other in a ring,
  posting in office hours of another time zone.

Generation streams in time order, chunk by chunk (NumPy draws per chunk; Python only assembles
text and JSON), so memory stays bounded and 10M posts can be written. The output is the same for
the same ``(posts, seed, format)``.
"""

from __future__ import annotations

import csv
import gc
import gzip
import io
import json
import re
import string
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import words as W

try:  # orjson is faster; the standard library is the fallback
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

except ImportError:  # pragma: no cover
    def _dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


FORMATS = ("twarc2", "io-archive", "csv")

#: Twitter's snowflake epoch (ms)
TWEPOCH_MS = 1288834974657

# post kinds
POST, RETWEET, QUOTE, REPLY = 0, 1, 2, 3
KIND_NAMES = ("post", "retweet", "quote", "reply")
_REF_TYPE = {RETWEET: "retweeted", QUOTE: "quoted", REPLY: "replied_to"}

# flags (bits)
HATE, NARR, CAMP, OPER, BURST, COUNTER, IDENTITY = 1, 2, 4, 8, 16, 32, 64
#: flags a retweet inherits from the post it retweets (its text contains that post's text)
INHERITED = HATE | NARR | CAMP | BURST | COUNTER | IDENTITY

# planted names (all fictional)
NARRATIVE_NAME = "antisemitism_smear"
NARRATIVE_TAGS = ["AntisemitismSmear", "WitchHunt", "WeaponisedAntisemitism", "SmearCampaign"]
TARGET_NAME = "Judith Marlowe"
TARGET_SURNAME = "Marlowe"
TARGET_HANDLE = "JudithMarloweMP"
CAMPAIGN_TAG = "SackMarlowe"
BURST_TAG = "FloodReliefNow"
BURST_PLACE = "Ashbridge"
FAKE_DOMAIN = "truthwire-daily.net"
OP_INFLUENCER = ("GeorgeHalden", "George Halden")
INFLUENCERS = [
    OP_INFLUENCER,
    ("AnnaPrestonNews", "Anna Preston"),
    ("TheMarkColeShow", "Mark Cole"),
    ("RuthBaileyFT", "Ruth Bailey"),
    ("SamirDasPolitics", "Samir Das"),
    ("ClaireOkafor", "Claire Okafor"),
    ("TomWhitbyTV", "Tom Whitby"),
    ("PollsterJen", "Jen Harrow"),
    ("DrKateMorrow", "Dr Kate Morrow"),
    ("LeftFootForward_", "Left Foot Fwd"),
    ("BenCartwrightMP", "Ben Cartwright"),
    ("NorthernVoiceUK", "Northern Voice"),
]
N_ENGINE_ROOM = 36
N_ENGINE_ROOM_HATEFUL = 12

STREAMS: list[tuple[str, float, int, str]] = [
    # name, share of all posts, minimum, hourly profile
    ("org_post", 0.0, 0, "diurnal"),          # organic streams share what the special ones leave
    ("org_rt", 0.0, 0, "diurnal"),
    ("org_reply", 0.0, 0, "diurnal"),
    ("org_quote", 0.0, 0, "diurnal"),
    ("infl_post", 0.010, 60, "diurnal"),
    ("target_post", 0.0002, 6, "diurnal"),
    ("er_narr", 0.008, 150, "diurnal"),
    ("er_hate", 0.0015, 40, "diurnal"),
    ("amp_rt", 0.025, 400, "diurnal"),
    ("amp_quote", 0.003, 60, "diurnal"),
    ("amp_narr", 0.0015, 40, "diurnal"),
    ("amp_hate", 0.0008, 15, "diurnal"),
    ("counter_reply", 0.002, 30, "diurnal"),
    ("bg_hate", 0.002, 20, "diurnal"),
    ("camp_post", 0.004, 80, "campaign"),
    ("camp_rt", 0.002, 40, "campaign"),
    ("burst_post", 0.004, 60, "burst"),
    ("burst_rt", 0.002, 30, "burst"),
    ("op_copy", 0.004, 100, "office"),
    ("op_mention", 0.001, 30, "office"),
    ("op_link", 0.003, 50, "office"),
    ("op_rt", 0.002, 40, "office"),
]
STREAM_NAMES = [s[0] for s in STREAMS]
#: streams made of events: (fewest, most accounts, seconds from the first post to the last)
EVENT_STREAMS = {"op_copy": (6, 16, 20.0), "op_rt": (3, 8, 90.0)}
SID = {name: i for i, name in enumerate(STREAM_NAMES)}
ORGANIC_SHARES = {"org_post": 0.49, "org_rt": 0.35, "org_reply": 0.14, "org_quote": 0.02}

_FMT = string.Formatter()
_B62 = string.digits + string.ascii_letters
_NR = 8  # random integers drawn per post for template slots and choices


def _compile(templates: list[str]) -> list[list[tuple[str, str | None]]]:
    return [[(lit, field) for lit, field, _s, _c in _FMT.parse(t)] for t in templates]


def _fill(parts: list[tuple[str, str | None]], r: list[int], ctx: dict[str, str] | None = None) -> str:
    out = []
    k = 1  # r[0] chooses the template
    for lit, field in parts:
        out.append(lit)
        if field is not None:
            if ctx and field in ctx:
                out.append(ctx[field])
            else:
                lst = W.SLOTS[field]
                out.append(lst[((r[k % _NR] * 0x9E3779B1 + k * 0x85EBCA6B) >> 13) % len(lst)])
                k += 1
    return "".join(out)


def _b62(n: int, width: int) -> str:
    s = []
    for _ in range(width):
        n, d = divmod(n, 62)
        s.append(_B62[d])
    return "".join(s)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _slug(text: str, maxwords: int = 8) -> str:
    return "-".join(_NON_ALNUM.sub(" ", text.lower()).split()[:maxwords])


def _iso_ms(ms: np.ndarray) -> list[str]:
    """Epoch milliseconds -> Twitter API v2 timestamps (``2024-03-01T12:00:00.000Z``)."""
    s = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s.tolist()]


def _open_text(path: Path, mode: str = "w"):
    """Open for writing text, compressed by the file name's suffix (.gz, .zst)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="", compresslevel=5)
    if name.endswith(".zst"):
        import zstandard

        raw = open(path, mode + "b")
        return io.TextIOWrapper(zstandard.ZstdCompressor(level=3).stream_writer(raw), encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


class Post:
    """One generated post, before it is written in a format."""

    __slots__ = ("seq", "pid", "aidx", "ms", "iso", "kind", "text", "tags", "ments", "urls",
                 "ref", "refmeta", "conv", "metrics", "flags", "stream")

    def __init__(self) -> None:
        #: the post this one retweets / quotes / replies to (dropped once written)
        self.ref: Post | None = None
        #: (post id, author index) of that post, kept after ``ref`` is dropped
        self.refmeta: tuple[str, int] | None = None


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
        A.created_iso = _iso_ms(A.created_ms)
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
        parts = _compile(fragments)
        lead = _compile(first) if first else None
        rng = self.rng
        m = len(idxs)
        counts = rng.choice(4, m, p=p_count)
        picks = rng.integers(0, 2**31, (m, 3))
        seps = rng.integers(0, len(W.BIO_SEPARATORS), m)
        r = rng.integers(0, 2**31, (m, _NR)).tolist()
        for j, idx in enumerate(idxs.tolist()):
            k = int(counts[j])
            chosen = []
            for q in range(k):
                pool = lead if (lead and q == 0) else parts
                frag = pool[int(picks[j, q]) % len(pool)]
                rr = r[j][q:] + r[j][:q]
                chosen.append(_fill(frag, rr))
            chosen = list(dict.fromkeys(chosen))
            self.acc.bios[idx] = W.BIO_SEPARATORS[seps[j]].join(chosen)

    def _bios(self, idxs: np.ndarray, templates: list[str]) -> None:
        parts = _compile(templates)
        r = self.rng.integers(0, 2**31, (len(idxs), _NR)).tolist()
        for j, idx in enumerate(idxs.tolist()):
            rr = r[j]
            self.acc.bios[idx] = _fill(parts[rr[0] % len(parts)], rr)

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
                "r": rng.integers(0, 2**31, (len(sizes), _NR)),
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
        c = _compile
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
                r = rng.integers(0, 2**31, (n, _NR))
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
        iso = _iso_ms(ms)
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
            tco = "https://t.co/" + _b62((p.seq * 0x9E3779B97F4A7C15 + k * 7919 + self.w.seed) % (62 ** 10), 10)
            text += tco
            us.append((s, len(text), tco, expanded, display))
        p.text, p.ments, p.tags, p.urls = text, ments, tg, us

    def _link(self, r: list[int], fixed_tco: str | None = None) -> tuple[str, str]:
        dom, fmt = W.NEWS_DOMAINS[r[5] % len(W.NEWS_DOMAINS)]
        headline = _fill(self.w.T["headline"][r[4] % len(self.w.T["headline"])], r)
        url = fmt.format(n=10_000_000 + r[6] % 89_999_999, d=f"{1 + r[6] % 29:02d}", slug=_slug(headline),
                         hex=f"{r[7]:08x}{r[6]:08x}", yt=_b62(r[7] * 31 + r[6], 11))
        return url, _display(url)

    def _fake_link(self, r: list[int], headline: str) -> tuple[str, str]:
        if r[3] % 5 == 0:  # now and then a state-media article instead of the fake-news site
            url = f"https://www.rt.com/news/{590000 + r[6] % 9999}-{_slug(headline, 6)}/"
        else:
            url = f"https://{FAKE_DOMAIN}/2024/03/{_slug(headline, 7)}-{r[6] % 9000 + 1000}"
        return url, _display(url)

    def _general_tags(self, r: list[int]) -> list[str]:
        x = r[2] % 100
        if x < 28:
            return [W.GENERAL_HASHTAGS[_zipf_index(r[3], len(W.GENERAL_HASHTAGS))]]
        if x < 33:
            a = W.GENERAL_HASHTAGS[_zipf_index(r[3], len(W.GENERAL_HASHTAGS))]
            b = W.GENERAL_HASHTAGS[_zipf_index(r[4], len(W.GENERAL_HASHTAGS))]
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
        self._compose(p, comment, tags=tags, links=[(url, _display(url))])
        p.kind = QUOTE
        p.ref = orig

    def _reply(self, p: Post, parent: Post, body: str, tags: list[str] = ()) -> None:
        self._compose(p, body, mentions=[parent.aidx], tags=tags)
        p.kind = REPLY
        p.ref = parent
        p.conv = parent.conv

    def _t(self, key: str, r: list[int], ctx: bool = False) -> str:
        ts = self.w.T[key]
        return _fill(ts[r[0] % len(ts)], r, self.w.ctx if ctx else None)

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
            body = _fill(self.w.T["headline"][r[4] % len(self.w.T["headline"])], r)
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
        tags = [NARRATIVE_TAGS[_zipf_index(r[3], len(NARRATIVE_TAGS))]]
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
        tco = "https://t.co/" + _b62((r[6] * 2654435761 + r[7]) % (62 ** 10), 10)
        p.text = p.text[: p.urls[0][0]] + tco
        p.urls = [(p.urls[0][0], p.urls[0][0] + len(tco), tco, url, disp)]
        p.flags |= OPER
        self.pools["op"].append(p)

    def _b_op_mention(self, p: Post, r: list[int]) -> None:
        # the same post sent at one influencer many times
        k = 0 if r[1] % 10 < 7 else (1 if r[1] % 10 < 9 else 2)
        body = W.OP_MENTION_TEXTS[k]
        url = f"https://{FAKE_DOMAIN}/2024/02/the-story-they-buried-{k + 1}"
        self._compose(p, body, mentions=[self.w.op_influencer], links=[(url, _display(url))])
        tco = "https://t.co/" + _b62((k + 1) * 0x9E3779B97F4A7C15 % (62 ** 10), 10)
        s = p.urls[0][0]
        p.text = p.text[:s] + tco
        p.urls = [(s, s + len(tco), tco, url, _display(url))]
        p.flags |= OPER

    def _b_op_link(self, p: Post, r: list[int]) -> None:
        headline = self._op_headline(r)
        self._compose(p, headline, links=[self._fake_link(r, headline)])
        p.flags |= OPER
        self.pools["op"].append(p)

    def _b_op_rt(self, p: Post, r: list[int]) -> None:
        if self._retweet_from("op", p, r, self._b_op_link):
            p.flags |= OPER


def _zipf_index(r: int, n: int) -> int:
    """A Zipf-like index in [0, n) from a random integer (low indices are more frequent)."""
    u = ((r * 2654435761) % 1_000_003 + 1) / 1_000_004
    return min(n - 1, int(n ** u) - 1)


def _display(url: str) -> str:
    d = url.split("://", 1)[-1]
    if d.startswith("www."):
        d = d[4:]
    return d if len(d) <= 26 else d[:25] + "…"


# ---------------------------------------------------------------------------------------------
# writers
class Twarc2Writer:
    """Twitter API v2 response pages as ``twarc2 search`` writes them: one JSON page per line."""

    page_size = 100

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.f = _open_text(path)
        self.pages = 0
        self.retrieved = (world.start + timedelta(days=world.days + 2)).isoformat()
        self.url = (
            "https://api.twitter.com/2/tweets/search/all?expansions=author_id%2Creferenced_tweets.id%2C"
            "referenced_tweets.id.author_id%2Centities.mentions.username%2Cin_reply_to_user_id"
            "&tweet.fields=author_id%2Cconversation_id%2Ccreated_at%2Centities%2Cin_reply_to_user_id"
            "%2Clang%2Cpublic_metrics%2Creferenced_tweets%2Csource&user.fields=created_at%2Cdescription"
            "%2Clocation%2Cname%2Cprofile_image_url%2Cpublic_metrics%2Cverified%2Cusername"
            "&max_results=100&query=%28antisemitism+OR+labour+OR+uk%29"
        )
        self._users: dict[int, dict] = {}
        self._refs: dict[str, dict] = {}

    def user(self, i: int) -> dict:
        u = self._users.get(i)
        if u is None:
            A = self.w.acc
            img = ("https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                   if A.default_image[i] else
                   f"https://pbs.twimg.com/profile_images/{1500000000000000000 + i * 7919}/{_b62(i * 2654435761, 8)}_normal.jpg")
            u = {
                "id": A.id_str[i],
                "username": A.handles[i],
                "name": A.names[i],
                "description": A.bios[i],
                "location": A.locations[i] or None,
                "created_at": A.created_iso[i],
                "public_metrics": {
                    "followers_count": int(A.followers[i]),
                    "following_count": int(A.following[i]),
                    "tweet_count": int(A.tweet_count[i]),
                    "listed_count": int(A.listed[i]),
                },
                "verified": bool(A.verified[i]),
                "protected": False,
                "profile_image_url": img,
                "url": "",
            }
            if u["location"] is None:
                del u["location"]
            self._users[i] = u
        return u

    def tweet(self, p: Post) -> dict:
        A = self.w.acc
        d: dict[str, Any] = {
            "id": p.pid,
            "text": p.text,
            "author_id": A.id_str[p.aidx],
            "created_at": p.iso,
            "conversation_id": p.conv,
            "lang": "en",
            "source": A.client_name[p.aidx],
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "edit_history_tweet_ids": [p.pid],
            "public_metrics": {"retweet_count": p.metrics[0], "reply_count": p.metrics[1],
                               "like_count": p.metrics[2], "quote_count": p.metrics[3],
                               "impression_count": 0 if p.kind == RETWEET else p.metrics[2] * 37},
        }
        ents: dict[str, list] = {}
        if p.tags:
            ents["hashtags"] = [{"start": s, "end": e, "tag": t} for s, e, t in p.tags]
        if p.ments:
            ents["mentions"] = [{"start": s, "end": e, "username": A.handles[m], "id": A.id_str[m]} for s, e, m in p.ments]
        if p.urls:
            ents["urls"] = [{"start": s, "end": e, "url": u, "expanded_url": x, "display_url": dd} for s, e, u, x, dd in p.urls]
        if ents:
            d["entities"] = ents
        ref = (p.ref.pid, p.ref.aidx) if p.ref is not None else p.refmeta
        if ref is not None:
            d["referenced_tweets"] = [{"type": _REF_TYPE[p.kind], "id": ref[0]}]
            if p.kind == REPLY:
                d["in_reply_to_user_id"] = A.id_str[ref[1]]
        return d

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        for k in range(0, len(posts), self.page_size):
            page = posts[k:k + self.page_size]
            data = []
            users: dict[int, None] = {}
            refs: dict[str, Post] = {}
            for p in page:
                data.append(self.tweet(p))
                users[p.aidx] = None
                for _s, _e, m in p.ments:
                    users[m] = None
                if p.ref is not None:
                    refs[p.ref.pid] = p.ref
                    users[p.ref.aidx] = None
            inc_tweets = []
            cache = self._refs
            for pid, rp in refs.items():
                d = cache.get(pid)
                if d is None:
                    d = cache[pid] = self.tweet(rp)
                inc_tweets.append(d)
            obj = {
                "data": data,
                "includes": {"users": [self.user(u) for u in users], "tweets": inc_tweets}
                if inc_tweets else {"users": [self.user(u) for u in users]},
                "meta": {
                    "newest_id": max(page, key=lambda q: q.seq).pid,
                    "oldest_id": min(page, key=lambda q: q.seq).pid,
                    "result_count": len(page),
                    "next_token": _b62(self.pages * 104729 + 17, 24),
                },
                "__twarc": {"url": self.url, "version": "2.14.0", "retrieved_at": self.retrieved},
            }
            self.f.write(_dumps(obj))
            self.f.write("\n")
            self.pages += 1
        if len(self._users) > 200_000:
            self._users.clear()
        if len(self._refs) > 20_000:  # referenced posts: popular ones are referenced again and again
            self._refs.clear()

    def close(self) -> list[Path]:
        self.f.close()
        return []


IO_TWEET_COLUMNS = [
    "tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language", "tweet_language", "tweet_text", "tweet_time",
    "tweet_client_name", "in_reply_to_tweetid", "in_reply_to_userid", "quoted_tweet_tweetid",
    "is_retweet", "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count",
    "reply_count", "like_count", "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices",
]
IO_USER_COLUMNS = [
    "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language",
]


def io_users_path(path: Path) -> Path:
    """The users file written beside an IO-archive tweets file (``x_tweets.csv`` -> ``x_users.csv``)."""
    name = path.name
    if "tweets" in name:
        return path.with_name(name.replace("tweets", "users", 1))
    stem, dot, ext = name.partition(".")
    return path.with_name(f"{stem}_users.{ext}" if dot else f"{stem}_users")


class IOArchiveWriter:
    """Twitter's Information Operations archive: the 31-column tweets CSV (unhashed) and users CSV."""

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.path = path
        self.f = _open_text(path)
        self.out = csv.writer(self.f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        self.out.writerow(IO_TWEET_COLUMNS)
        A = world.acc
        self.created_day = [s[:10] for s in np.datetime_as_string(A.created_ms.astype("datetime64[ms]"), unit="D").tolist()]
        self.seen = np.zeros(A.n, dtype=bool)

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        rows = []
        for p in posts:
            i = p.aidx
            ref = p.ref
            rows.append((
                p.pid, A.id_str[i], A.names[i], A.handles[i], A.locations[i], A.bios[i], "",
                int(A.followers[i]), int(A.following[i]), self.created_day[i], "en", "en", p.text,
                p.iso[:10] + " " + p.iso[11:16], A.client_name[i],
                ref.pid if p.kind == REPLY else "", A.id_str[ref.aidx] if p.kind == REPLY else "",
                ref.pid if p.kind == QUOTE else "",
                "True" if p.kind == RETWEET else "False",
                A.id_str[ref.aidx] if p.kind == RETWEET else "", ref.pid if p.kind == RETWEET else "",
                "absent", "absent",
                0 if p.kind == RETWEET else p.metrics[3], 0 if p.kind == RETWEET else p.metrics[1],
                0 if p.kind == RETWEET else p.metrics[2], 0 if p.kind == RETWEET else p.metrics[0],
                "[" + ", ".join(t for _s, _e, t in p.tags) + "]",
                "[" + ", ".join(x for _s, _e, _u, x, _d in p.urls) + "]",
                "[" + ", ".join(A.id_str[m] for _s, _e, m in p.ments) + "]",
                "",
            ))
        self.out.writerows(rows)
        self.seen[np.fromiter((p.aidx for p in posts), dtype=np.int64, count=len(posts))] = True

    def close(self) -> list[Path]:
        self.f.close()
        A = self.w.acc
        upath = io_users_path(self.path)
        with _open_text(upath) as f:
            out = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            out.writerow(IO_USER_COLUMNS)
            for i in np.nonzero(self.seen)[0].tolist():
                out.writerow((A.id_str[i], A.names[i], A.handles[i], A.locations[i], A.bios[i], "",
                              int(A.followers[i]), int(A.following[i]), self.created_day[i], "en"))
        return [upath]


CSV_COLUMNS = [
    "post_id", "account_id", "screen_name", "display_name", "created_at", "text", "lang", "kind",
    "reply_to_post_id", "reply_to_account_id", "retweet_of_post_id", "retweet_of_account_id",
    "quote_of_post_id", "quote_of_account_id", "hashtags", "urls", "mentions", "like_count",
    "retweet_count", "reply_count", "quote_count", "followers", "following", "account_created_at",
    "bio", "client",
]


class CSVWriter:
    """A plain CSV, one post per row, with the column names a spreadsheet export would have."""

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.f = _open_text(path)
        self.out = csv.writer(self.f, lineterminator="\n")
        self.out.writerow(CSV_COLUMNS)
        A = world.acc
        self.created = _iso_ms(A.created_ms)

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        rows = []
        for p in posts:
            i = p.aidx
            ref = p.ref
            ra = A.id_str[ref.aidx] if ref is not None else ""
            rows.append((
                p.pid, A.id_str[i], A.handles[i], A.names[i], p.iso, p.text, "en", KIND_NAMES[p.kind],
                ref.pid if p.kind == REPLY else "", ra if p.kind == REPLY else "",
                ref.pid if p.kind == RETWEET else "", ra if p.kind == RETWEET else "",
                ref.pid if p.kind == QUOTE else "", ra if p.kind == QUOTE else "",
                " ".join(t for _s, _e, t in p.tags),
                " ".join(x for _s, _e, _u, x, _d in p.urls),
                " ".join(A.handles[m] for _s, _e, m in p.ments),
                p.metrics[2], p.metrics[0], p.metrics[1], p.metrics[3],
                int(A.followers[i]), int(A.following[i]), self.created[i], A.bios[i],
                A.client_name[i],
            ))
        self.out.writerows(rows)

    def close(self) -> list[Path]:
        self.f.close()
        return []


WRITERS = {"twarc2": Twarc2Writer, "io-archive": IOArchiveWriter, "csv": CSVWriter}


def truth_paths(out: Path) -> tuple[Path, Path]:
    """``FILE.truth.json`` and ``FILE.posts_truth.csv`` for an output ``FILE``."""
    out = Path(out)
    return out.with_name(out.name + ".truth.json"), out.with_name(out.name + ".posts_truth.csv")


def synthesize(
    posts: int,
    out: str | Path,
    format: str = "twarc2",  # noqa: A002
    seed: int = 0,
    *,
    start: str = "2024-03-01",
    days: int = 30,
    chunk_size: int = 100_000,
) -> dict[str, Any]:
    """Write a synthetic corpus of ``posts`` posts with planted ground truth; return the truth.

    ``format`` is ``twarc2`` (API v2 pages, JSONL), ``io-archive`` (31-column tweets CSV plus a
    users CSV beside it) or ``csv``; a ``.gz`` or ``.zst`` suffix on ``out`` compresses. The truth
    (see the module docstring) is written to ``out + '.truth.json'`` and returned with the paths of
    everything written; per-post truth goes to ``out + '.posts_truth.csv'``.
    """
    if format not in WRITERS:
        raise ValueError(f"unknown synth format {format!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: the cycle collector only costs time here
    try:
        return _synthesize(posts, out, format, seed, start, days, chunk_size)
    finally:
        if gc_was_enabled:
            gc.enable()


def _synthesize(posts: int, out: Path, format: str, seed: int, start: str, days: int, chunk_size: int) -> dict[str, Any]:  # noqa: A002
    from ..progress import progress

    truth_path, posts_truth_path = truth_paths(out)
    world = World(posts, seed=seed, start=start, days=days)
    gen = Generator(world, chunk_size=chunk_size)
    writer = WRITERS[format](out, world)
    with _open_text(posts_truth_path) as tf, progress(f"Synthesizing {out.name}", total=posts) as bar:
        tw = csv.writer(tf, lineterminator="\n")
        tw.writerow(["post_id", "hateful", "narrative", "campaign", "operation", "burst",
                     "counter_speech", "identity", "account_id", "kind", "stream"])
        A = world.acc
        for chunk in gen.chunks():
            writer.write(chunk)
            tw.writerows(
                (p.pid, p.flags & HATE and 1, (p.flags & NARR) >> 1, (p.flags & CAMP) >> 2,
                 (p.flags & OPER) >> 3, (p.flags & BURST) >> 4, (p.flags & COUNTER) >> 5,
                 (p.flags & IDENTITY) >> 6, A.id_str[p.aidx], KIND_NAMES[p.kind], STREAM_NAMES[p.stream])
                for p in chunk
            )
            for p in chunk:  # keep only what later posts may reference: the post, not its chain
                if p.ref is not None:
                    p.refmeta = (p.ref.pid, p.ref.aidx)
                    p.ref = None
            bar.advance(len(chunk))
    extra = writer.close()
    truth = _truth(world, gen, out, format)
    truth["truth_path"] = str(truth_path)
    truth["posts_truth_path"] = str(posts_truth_path)
    truth["files"] = [str(out)] + [str(p) for p in extra]
    if extra:
        truth["users_path"] = str(extra[0])
    truth_path.write_text(json.dumps(truth, indent=1, sort_keys=False))
    return truth


def _ids(world: World, idxs) -> list[str]:
    return [world.acc.id_str[i] for i in np.asarray(idxs, dtype=np.int64).tolist()]


def _handles(world: World, idxs) -> list[str]:
    return [world.acc.handles[i] for i in np.asarray(idxs, dtype=np.int64).tolist()]


def _truth(world: World, gen: Generator, out: Path, format: str) -> dict[str, Any]:  # noqa: A002
    w, g = world, gen
    A = w.acc
    posted = g.posts_by_account > 0
    er = w.engine_room
    er_hateful = er[g.hate_originals[er] > 0]
    camp_accounts = np.nonzero(g.flag_counts["camp"] > 0)[0]
    camp_authors = np.nonzero((g.flag_counts["camp"] > 0) & posted)[0]
    kinds = dict(zip(KIND_NAMES, g.kind_counts.tolist()))
    return {
        "seed": w.seed,
        "posts": w.n_posts,
        "format": format,
        "platform": "twitter",
        "path": str(out),
        "start": w.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (w.start + timedelta(days=w.days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": {
            "posts": w.n_posts,
            "accounts": int(posted.sum()),
            "kinds": kinds,
            "interactions": {
                "retweet": kinds["retweet"], "quote": kinds["quote"], "reply": kinds["reply"],
                "mention_entities": int(g.mention_count),
            },
            "streams": dict(zip(STREAM_NAMES, g.stream_counts.tolist())),
            "hateful_posts": int(g.hateful_total),
            "narrative_posts": int(g.flag_counts["narr"].sum()),
            "campaign_posts": int(g.flag_counts["camp"].sum()),
            "burst_posts": int(g.flag_counts["burst"].sum()),
        },
        "narrative": {
            "name": NARRATIVE_NAME,
            "hashtags": [t.lower() for t in NARRATIVE_TAGS],
            "hashtags_raw": NARRATIVE_TAGS,
            "description": "antisemitism is a smear / weaponised / a witch-hunt",
        },
        "engine_room": {
            "accounts": _ids(w, er),
            "handles": _handles(w, er),
            "hateful_accounts": _ids(w, er_hateful),
            "hateful_handles": _handles(w, er_hateful),
            "amplifiers": _ids(w, w.amplifiers),
            "narrative_posts_by_account": dict(zip(_ids(w, er), g.flag_counts["narr"][er].tolist())),
        },
        "campaign": {
            "hashtag": CAMPAIGN_TAG.lower(),
            "hashtag_raw": CAMPAIGN_TAG,
            "target_handle": A.handles[w.target],
            "target_name": TARGET_NAME,
            "target_account_id": A.id_str[w.target],
            "accounts": _ids(w, camp_authors),
            "members": _ids(w, w.campaign_members),
            "start": w.iso(w.campaign_start_h),
            "peak": w.iso(w.campaign_peak_h),
            "posts": int(g.flag_counts["camp"].sum()),
            "distinct_accounts": int(len(camp_accounts)),
        },
        "burst": {
            "hashtag": BURST_TAG.lower(),
            "hashtag_raw": BURST_TAG,
            "onset": w.iso(w.burst_onset_h),
            "peak": w.iso(w.burst_peak_h),
            "posts": int(g.flag_counts["burst"].sum()),
            "baseline_share": 0.1,
        },
        "operation": {
            "accounts": _ids(w, w.operation),
            "handles": _handles(w, w.operation),
            "domain": FAKE_DOMAIN,
            "influencer_handle": A.handles[w.op_influencer],
            "influencer_account_id": A.id_str[w.op_influencer],
            "created_from": w.iso((A.created_ms[w.operation].min() - w.start_ms) / 3_600_000),
            "created_to": w.iso((A.created_ms[w.operation].max() - w.start_ms) / 3_600_000),
            "copy_events": int(len(w.events["op_copy"]["sizes"])),
            "retweet_events": int(len(w.events["op_rt"]["sizes"])),
            "copy_max_spread_seconds": round(g.op_copy_max_spread, 3),
            "mention_texts": len(W.OP_MENTION_TEXTS),
        },
        "hateful_accounts": _ids(w, np.nonzero(g.hate_originals > 0)[0]),
        "hateful_post_ids_sample": g.hateful_sample,
        "influencers": _ids(w, w.influencers),
        "influencer_handles": _handles(w, w.influencers),
        "noise": {"accounts": _ids(w, w.noise)},
    }
