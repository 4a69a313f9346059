"""Links in and to posts: registered domains, shorteners, platforms, and links to a post or account.

One place for what a link means, used by ingest (``urls.domain``), the ``domains`` and ``accounts``
analyses, the report and the platform report export:

* :func:`registered_domain` — the registered domain of a URL or host (public suffix + one label,
  ``news.bbc.co.uk`` -> ``bbc.co.uk``) from the public-suffix list bundled in ``tldextract`` (no
  network). A host without a public suffix gives None: a URL cut short by the export
  (``https://t.c``, ``https://t``, ``www.topsecr``) names no domain. IP addresses are kept.
* :func:`is_shortener` — URL shorteners (``t.co``, ``bit.ly`` ...; bundled list
  ``data/domains/shorteners.txt``): their destination is unknown unless the export expanded it.
* :func:`is_platform` — platforms that host anyone's content (``youtube.com``, ``facebook.com`` ...;
  bundled list ``data/domains/platforms.txt``): a news-credibility rating says nothing about a video
  or post on them.
* :func:`post_link` — a link to a post only where one can work: the export's own http(s) URL, or one
  built from a real platform id (Twitter's numeric status ids; Bluesky's ``at://`` URIs); otherwise
  None and the reason, e.g. for datasets whose ids are opaque (``p_0f00c2bcf3db``).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

_HOST = re.compile(r"^[\w-]+(\.[\w-]+)*\.?$")
_TWITTER_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[^/?#]+/status(?:es)?/([^/?#]+)",
                             re.IGNORECASE)
_TWITTER_ID = re.compile(r"^[0-9]{1,20}$")
_TWITTER_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_AT_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9]+)$")


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_of(url: str | None) -> str | None:
    """Lower-case host of a URL or host name (``www.`` kept), or None."""
    if not isinstance(url, str) or not url.strip():
        return None
    u = url.strip()
    if "://" not in u:
        u = "http://" + u
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return host if _HOST.match(host) else None


@lru_cache(maxsize=200_000)
def registered_domain(url_or_host: str | None) -> str | None:
    """Registered domain (public suffix + one label) of a URL or host; an IP address as it is;
    None when there is none (no host, or a host without a public suffix: a truncated URL)."""
    host = host_of(url_or_host)
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    ext = _extractor()(host)
    if ext.suffix and ext.domain:
        return f"{ext.domain}.{ext.suffix}"
    return None


def _host_list(name: str) -> frozenset[str]:
    text = (resources.files("engineroom") / "data" / "domains" / name).read_text(encoding="utf-8")
    return frozenset(ln.strip().lower() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


@lru_cache(maxsize=1)
def shorteners() -> frozenset[str]:
    """Hosts of known URL shorteners (``data/domains/shorteners.txt``)."""
    return _host_list("shorteners.txt")


@lru_cache(maxsize=1)
def platforms() -> frozenset[str]:
    """Registered domains of platforms that host anyone's content (``data/domains/platforms.txt``)."""
    return _host_list("platforms.txt")


def _in(names: frozenset[str], host: str | None, domain: str | None) -> bool:
    h = host.lower() if isinstance(host, str) else ""
    if h.startswith("www."):
        h = h[4:]
    return bool(h and h in names) or (isinstance(domain, str) and domain.lower() in names)


def is_shortener(host: str | None, domain: str | None = None) -> bool:
    """Whether a host (or its registered domain) is a known URL shortener."""
    return _in(shorteners(), host, domain)


def is_platform(host: str | None, domain: str | None = None) -> bool:
    """Whether a host (or its registered domain) is a platform for anyone's content (not a news site)."""
    return _in(platforms(), host, domain)


def post_link(platform: Any, handle: Any, post_id: Any, url: Any = None) -> tuple[str | None, str | None]:
    """``(link, None)`` for a post link that can work, else ``(None, reason)``.

    The export's own http(s) URL is used unless it is a Twitter status URL whose id is not a Twitter
    id; otherwise a link is built only from a real platform id: a Twitter status id (digits) or a
    Bluesky ``at://`` post URI."""
    pid = "" if post_id is None else str(post_id)
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        m = _TWITTER_STATUS.match(url.strip())
        if m is None or _TWITTER_ID.match(m.group(1)):
            return url.strip(), None
        return None, "its URL's status id is not a Twitter post id"
    plat = str(platform or "").lower()
    if plat in ("twitter", "x"):
        if not _TWITTER_ID.match(pid):
            return None, "not a Twitter post id" if pid else "no post id"
        h = str(handle).lstrip("@") if handle else ""
        return (f"https://twitter.com/{h}/status/{pid}" if _TWITTER_HANDLE.match(h)
                else f"https://twitter.com/i/web/status/{pid}"), None
    if plat == "bluesky":
        m = _AT_URI.match(pid)
        if m:
            return f"https://bsky.app/profile/{m.group(1)}/post/{m.group(2)}", None
        return None, "the export gave no URL"
    return None, "the export gave no URL"


def post_url(platform: Any, handle: Any, post_id: Any, url: Any = None) -> str | None:
    """The link of :func:`post_link`, or None."""
    return post_link(platform, handle, post_id, url)[0]


def account_url(platform: Any, handle: Any) -> str | None:
    """A link to an account's profile page, where the platform has one by handle."""
    if not handle:
        return None
    h = str(handle).lstrip("@")
    return {"twitter": f"https://twitter.com/{h}", "bluesky": f"https://bsky.app/profile/{h}",
            "telegram": f"https://t.me/{h}"}.get(str(platform))
