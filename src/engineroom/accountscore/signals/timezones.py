"""Locations and time zones: the UTC offset a claimed location implies, the posting-hour profile,
the offset that profile implies, and how far apart the two are.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd


@lru_cache(maxsize=1)
def _locations() -> dict[str, float]:
    path = resources.files("engineroom") / "data" / "accounts" / "location_offsets.json"
    return json.loads(path.read_text(encoding="utf-8"))["offsets"]


def claimed_utc_offset(location: str) -> float:
    """Standard UTC offset (hours) of a self-reported location, from a bundled gazetteer of
    countries, US states and large cities; NaN when no place is recognised."""
    if not isinstance(location, str) or not location.strip():
        return float("nan")
    table = _locations()
    parts = [p.strip().lower() for p in re.split(r"[,/|;·•\-–]+", location) if p.strip()]
    # most specific first: whole string, then each part from the left (city before country)
    for cand in [location.strip().lower()] + parts:
        cand = re.sub(r"[^\w\s.']", "", cand).strip()
        if cand in table:
            return float(table[cand])
    return float("nan")


def hour_profile(hours: np.ndarray) -> tuple[float, float]:
    """Circular mean hour (0-24, UTC) and concentration (0 = spread, 1 = all at one hour)."""
    if len(hours) == 0:
        return float("nan"), float("nan")
    ang = np.asarray(hours, dtype=float) / 24.0 * 2 * np.pi
    s, c = np.sin(ang).mean(), np.cos(ang).mean()
    mean = (math.atan2(s, c) / (2 * np.pi) * 24.0) % 24.0
    return mean, float(math.hypot(s, c))


#: local hour around which people's posting is centred (circular mean of a typical day)
LOCAL_ACTIVITY_CENTRE = 15.0


def implied_utc_offset(mean_hour_utc: float) -> float:
    """UTC offset at which the account's circular-mean posting hour would be mid-afternoon local."""
    if mean_hour_utc != mean_hour_utc:
        return float("nan")
    return ((LOCAL_ACTIVITY_CENTRE - mean_hour_utc + 12.0) % 24.0) - 12.0


def implied_utc_offsets(mean_hours_utc: np.ndarray) -> np.ndarray:
    """:func:`implied_utc_offset` of each value (NaN stays NaN)."""
    h = np.asarray(mean_hours_utc, dtype=float)
    return np.mod(LOCAL_ACTIVITY_CENTRE - h + 12.0, 24.0) - 12.0


def claimed_utc_offsets(locations: pd.Series) -> np.ndarray:
    """:func:`claimed_utc_offset` of each location (each distinct location looked up once)."""
    codes, uniq = pd.factorize(pd.Series(locations, dtype=object), use_na_sentinel=True)
    vals = np.array([claimed_utc_offset(u) for u in uniq] + [np.nan], dtype=float)
    return vals[np.where(codes >= 0, codes, len(uniq))]


def offset_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`offset_distance` elementwise (NaN where either offset is unknown)."""
    d = np.mod(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)), 24.0)
    return np.minimum(d, 24.0 - d)


def offset_distance(a: float, b: float) -> float:
    """Hours between two UTC offsets on the 24-hour circle (0-12)."""
    if a != a or b != b:
        return float("nan")
    d = abs(a - b) % 24.0
    return min(d, 24.0 - d)
