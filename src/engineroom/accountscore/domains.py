"""Domain helpers shared by the ``domains`` and ``accounts`` analyses (data, not analysis logic).

* :func:`registered_domain` — registered domain of a URL or host from the public-suffix list that
  ships inside ``tldextract`` (no network: ``suffix_list_urls=()``), e.g. ``news.bbc.co.uk`` ->
  ``bbc.co.uk``.
* :func:`load_ratings` — the Lin et al. (2023) news-domain quality ratings (``pc1``, 0-1) bundled
  in ``engineroom/data/domains/``.
* :func:`shorteners` — the bundled list of URL-shortener hosts.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

import pandas as pd

_HOST = re.compile(r"^[\w-]+(\.[\w-]+)*\.?$")

#: pc1 below this is "low credibility" (see data/domains/README.md)
LOW_CREDIBILITY = 0.4


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_of(url: str | None) -> str | None:
    """Lower-case host of a URL (``www.`` kept), or None."""
    if not isinstance(url, str) or not url.strip():
        return None
    u = url.strip()
    if "://" not in u:
        u = "http://" + u
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    if not host or not _HOST.match(host):
        return None
    return host.lower().rstrip(".")


@lru_cache(maxsize=200_000)
def registered_domain(url_or_host: str | None) -> str | None:
    """Registered domain (public suffix + one label) of a URL or host; None when there is none."""
    host = host_of(url_or_host)
    if not host:
        return None
    ext = _extractor()(host)
    if ext.suffix and ext.domain:
        return f"{ext.domain}.{ext.suffix}"
    return host if not ext.suffix else None


@lru_cache(maxsize=1)
def load_ratings() -> pd.DataFrame:
    """Lin et al. (2023) ratings: columns ``domain``, ``pc1`` (0 = lowest quality, 1 = highest)."""
    path = resources.files("engineroom") / "data" / "domains" / "lin2023_domain_pc1.csv.gz"
    with resources.as_file(path) as p:
        df = pd.read_csv(p, dtype={"domain": str, "pc1": float}, keep_default_na=False)
    df["domain"] = df["domain"].str.lower().str.strip()
    return df


@lru_cache(maxsize=1)
def shorteners() -> frozenset[str]:
    """Hosts of known URL shorteners."""
    text = (resources.files("engineroom") / "data" / "domains" / "shorteners.txt").read_text(encoding="utf-8")
    return frozenset(l.strip().lower() for l in text.splitlines() if l.strip() and not l.startswith("#"))


def is_shortener(host: str | None, domain: str | None = None) -> bool:
    """Whether a host (or its registered domain) is a known URL shortener."""
    s = shorteners()
    h = host.lower() if isinstance(host, str) else ""
    if h.startswith("www."):
        h = h[4:]
    return bool(h and h in s) or (isinstance(domain, str) and domain.lower() in s)
