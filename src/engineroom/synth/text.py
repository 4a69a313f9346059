"""Text from random integers: the small deterministic helpers the synthetic world and posts use.

Template filling (``{slot}`` fields drawn from :data:`engineroom.synth.words.SLOTS` by the post's
random integers), base-62 strings (t.co links, page tokens), URL slugs, Twitter API v2 timestamps
from epoch milliseconds, a Zipf-like index (popular hashtags are picked more often) and the short
form of a URL Twitter displays. Every function is pure: the same integers give the same text, so the
same ``(posts, seed, format)`` gives the same corpus.
"""

from __future__ import annotations

import re
import string

import numpy as np

from . import words as W

_FMT = string.Formatter()
_B62 = string.digits + string.ascii_letters
#: random integers drawn per post for template slots and choices
RANDOM_PER_POST = 8


def compile_templates(templates: list[str]) -> list[list[tuple[str, str | None]]]:
    """Parse ``str.format`` templates once into (literal text, slot name or None) pairs."""
    return [[(lit, field) for lit, field, _s, _c in _FMT.parse(t)] for t in templates]


def fill_template(parts: list[tuple[str, str | None]], r: list[int], ctx: dict[str, str] | None = None) -> str:
    """Fill a compiled template: a slot named in ``ctx`` takes that value, any other slot a word of
    its list in :data:`engineroom.synth.words.SLOTS`, chosen by hashing the post's random integers
    ``r`` (``r[0]`` chose the template; slot k mixes ``r[k % RANDOM_PER_POST]`` with k)."""
    out = []
    k = 1  # r[0] chooses the template
    for lit, field in parts:
        out.append(lit)
        if field is not None:
            if ctx and field in ctx:
                out.append(ctx[field])
            else:
                lst = W.SLOTS[field]
                out.append(lst[((r[k % RANDOM_PER_POST] * 0x9E3779B1 + k * 0x85EBCA6B) >> 13) % len(lst)])
                k += 1
    return "".join(out)


def base62(n: int, width: int) -> str:
    """``n`` as ``width`` base-62 digits (0-9, a-z, A-Z), least significant first (t.co ids,
    page tokens)."""
    s = []
    for _ in range(width):
        n, d = divmod(n, 62)
        s.append(_B62[d])
    return "".join(s)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def slug(text: str, maxwords: int = 8) -> str:
    """A URL slug: the first ``maxwords`` (default 8) lower-case alphanumeric words joined by ``-``."""
    return "-".join(_NON_ALNUM.sub(" ", text.lower()).split()[:maxwords])


def iso_ms(ms: np.ndarray) -> list[str]:
    """Epoch milliseconds -> Twitter API v2 timestamps (``2024-03-01T12:00:00.000Z``)."""
    s = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s.tolist()]


def zipf_index(r: int, n: int) -> int:
    """A Zipf-like index in [0, n) from a random integer (low indices are more frequent)."""
    u = ((r * 2654435761) % 1_000_003 + 1) / 1_000_004
    return min(n - 1, int(n ** u) - 1)


def display_url(url: str) -> str:
    """The short form of a link Twitter shows: no scheme, no ``www.``, cut to 25 characters + "…"."""
    d = url.split("://", 1)[-1]
    if d.startswith("www."):
        d = d[4:]
    return d if len(d) <= 26 else d[:25] + "…"
