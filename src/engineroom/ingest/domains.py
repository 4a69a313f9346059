"""Registered domains of hosts (``www.bbc.co.uk`` -> ``bbc.co.uk``), offline, cached per host.

Uses tldextract with its bundled public-suffix list (no network): ``TLDExtract(suffix_list_urls=(),
cache_dir=None)``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

_EXTRACT = None


def _extractor():
    global _EXTRACT
    if _EXTRACT is None:
        import tldextract

        _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _EXTRACT


@lru_cache(maxsize=200_000)
def registered_domain(host: str | None) -> str | None:
    """The registered domain of a host name (``news.bbc.co.uk`` -> ``bbc.co.uk``).

    IP addresses are returned as they are; a host with no public suffix (``localhost``) as well.
    """
    if not host:
        return None
    host = host.strip().strip(".").lower()
    if not host:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    ext = _extractor()(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host
