"""Registered domains of hosts (``www.bbc.co.uk`` -> ``bbc.co.uk``), offline, cached per host.

The one definition is :func:`engineroom.links.registered_domain` (tldextract's bundled
public-suffix list, no network); a host without a public suffix (a URL cut short by the export,
``t.c``) has no registered domain (None).
"""

from __future__ import annotations

from ..links import registered_domain

__all__ = ["registered_domain"]
