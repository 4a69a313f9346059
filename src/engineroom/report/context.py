"""What every report section needs: the findings reader, post and handle lookups, link rules."""

from __future__ import annotations

from typing import Any

from ..links import post_link
from .data import Findings
from .evidence import chips, highlight, terms


class Context:
    """What every section needs: the findings, post lookup and whether URLs may be linked."""

    def __init__(self, f: Findings, link_urls: bool = True) -> None:
        self.f = f
        self.link_urls = link_urls
        self._handles: dict[tuple[str, str], str] | None = None
        self._post_cache: dict[str, dict | None] = {}
        self.platform_default = None
        #: posts shown without a link, and the first reason (the methods section says why)
        self.unlinked = 0
        self.unlinked_reason: str | None = None
        if f.exists("posts"):
            plats = f.rows("SELECT DISTINCT platform FROM posts LIMIT 2")
            if len(plats) == 1:
                self.platform_default = plats[0]["platform"]

    def prefetch_posts(self, ids: list[str]) -> None:
        """Look up many posts in one query (each lookup scans the posts table, so a section that
        shows posts for many rows asks for all of them first); :meth:`posts` then reads the cache."""
        if not self.f.exists("posts"):
            return
        wanted = list(dict.fromkeys(str(i) for i in ids if i is not None and str(i) not in self._post_cache))
        if not wanted:
            return
        # the wanted rows are found by their ids first (a scan of the post_id column alone), and
        # only those rows' texts are read: about half the CPU of one scan of every post's columns
        rows = self.f.rows(
            "SELECT platform, post_id, account_id, handle, created_at, text, url, kind FROM posts "
            "WHERE rowid IN (SELECT rowid FROM posts WHERE post_id IN (SELECT unnest(?::VARCHAR[])))",
            [wanted],
        )
        for r in rows:
            self._post_cache.setdefault(r["post_id"], r)
        for i in wanted:
            self._post_cache.setdefault(i, None)  # not in the corpus

    def posts(self, ids: list[tuple[str | None, str]], limit: int = 5) -> list[dict]:
        """Posts by (platform, post_id), as dicts for the template (text, handle, time, url)."""
        ids = [(p, str(i)) for p, i in ids if i is not None][: max(limit, 0)]
        if not ids or not self.f.exists("posts"):
            return []
        self.prefetch_posts([i for _, i in ids])
        by_id = self._post_cache
        out = []
        for plat, pid in ids:
            r = by_id.get(pid)
            if r is None:
                continue
            out.append(self.post_dict(r))
        return out

    def post_dict(self, r: dict, evidence: Any = None) -> dict:
        """A post for the template; with ``evidence``, its matched words marked and its chips."""
        url, why = post_link(r.get("platform"), r.get("handle"), r.get("post_id"), r.get("url"))
        if url is None:
            self.unlinked += 1
            self.unlinked_reason = self.unlinked_reason or why
        text = r.get("text") or ""
        if len(text) > 600:
            text = text[:597] + "..."
        marks = terms(evidence) if evidence is not None else []
        return {
            "segments": highlight(text, marks) if marks else None,
            "chips": chips(evidence) if evidence is not None else [],
            "post_id": r.get("post_id"),
            "handle": r.get("handle") or r.get("account_id"),
            "time": (r.get("created_at") or "")[:16],
            "text": text,
            "url": url if self.link_urls else None,
            "no_link": None if url else why,
            "label": r.get("label"),
        }

    def handle_of(self, platform: str | None, account_id: str | None) -> str | None:
        if account_id is None:
            return None
        if self._handles is None:
            self._handles = {}
        key = (platform or "", str(account_id))
        if key not in self._handles and self.f.exists("accounts"):
            r = self.f.rows(
                "SELECT handle FROM accounts WHERE account_id = ? AND (? = '' OR platform = ?) LIMIT 1",
                [str(account_id), platform or "", platform or ""],
            )
            self._handles[key] = r[0]["handle"] if r and r[0]["handle"] else str(account_id)
        return self._handles.get(key, str(account_id))

