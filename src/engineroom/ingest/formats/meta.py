"""Meta Content Library exports: Facebook and Instagram posts as researchers get them from the
Content Library web UI (CSV downloads, columns named by the API fields in dot notation:
``post_owner.name``, ``statistics.like_count``) and the Content Library API (JSON search results,
nested objects, also flattened to dotted keys by pandas).

Field names follow Meta's data dictionary,
https://developers.facebook.com/docs/content-library-and-api/appendix/data-dictionary
("Facebook post", "Instagram post", "... post multimedia content"); the fixture README
(tests/data/ingest/meta/README.md) lists the source of every field read here.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterator

import pyarrow as pa

from ..base import JsonLinesAdapter
from ..common import Batch, hashtags_in, parse_time, urls_in
from ..errors import IngestError
from .records import _drop, _not_object, _s, _unflatten

#: fields read into columns (the rest of a record is kept in ``extra``)
READ = {"id", "creation_time", "text", "lang", "statistics", "post_owner", "shared_post_id",
        "link_attachment_fields", "hashtags", "multimedia", "url"}
#: Facebook-only fields of the data dictionary (``surface``: the Page / group / event posted to)
FACEBOOK_ONLY = {"surface", "shared_post_id", "link_attachment_fields", "activities", "branded_content_page_id"}
FACEBOOK_STATS = {"reaction_count", "share_count", "love_count", "wow_count", "haha_count", "sad_count",
                  "angry_count", "care_count"}
#: ``post_owner.type`` values: Facebook has Pages and profiles, Instagram business, creator, personal
INSTAGRAM_OWNER_TYPES = {"business", "creator", "personal"}
FACEBOOK_OWNER_TYPES = {"page", "profile", "pages", "profiles"}

ROWS_PER_BATCH = 50_000


def _owner(o: dict) -> dict:
    """``post_owner`` of an Instagram post, or ``post_owner.data`` of a Facebook post (the data
    dictionary names both; older Facebook API versions had no ``data`` level)."""
    po = o.get("post_owner")
    if not isinstance(po, dict):
        return {}
    if isinstance(po.get("data"), dict):
        return {**{k: v for k, v in po.items() if k != "data"}, **po["data"]}
    return po


def platform_of(o: dict) -> str | None:
    """facebook or instagram, from the fields only one of them has; None when nothing tells."""
    url = str(o.get("url") or "")
    if "instagram.com" in url:
        return "instagram"
    if "facebook.com" in url or "fb.com" in url:
        return "facebook"
    if FACEBOOK_ONLY & {k for k, v in o.items() if v not in (None, "", [], {})}:
        return "facebook"
    stats = o.get("statistics") if isinstance(o.get("statistics"), dict) else {}
    if FACEBOOK_STATS & {k for k, v in stats.items() if v not in (None, "")}:
        return "facebook"
    po = o.get("post_owner")
    if isinstance(po, dict) and isinstance(po.get("data"), dict):
        return "facebook"
    kind = str(_owner(o).get("type") or "").lower()
    if kind in INSTAGRAM_OWNER_TYPES:
        return "instagram"
    if kind in FACEBOOK_OWNER_TYPES:
        return "facebook"
    if o.get("hashtags") not in (None, "", []):
        return "instagram"
    return None


def _list(v: Any) -> list:
    """A list field (``hashtags``, ``multimedia``): a JSON list, or the list as a CSV cell holds it."""
    if isinstance(v, list):
        return v
    if isinstance(v, str) and v.strip().startswith("["):
        try:
            parsed = json.loads(v)
        except ValueError:
            return []
        return parsed if isinstance(parsed, list) else []
    if isinstance(v, dict):
        data = v.get("data")
        return data if isinstance(data, list) else [v]
    return []


class MetaContentLibrary(JsonLinesAdapter):
    """Facebook and Instagram posts from Meta Content Library (CSV download or API JSON).

    Post ids are the Content Library ids (``id``), accounts the post owner's Content Library id
    (``post_owner.id``, Facebook: ``post_owner.data.id``); ``platform`` is facebook or instagram,
    told from the fields (a record where nothing tells is quarantined). A Facebook post with a
    ``shared_post_id`` is a reshare: kind ``retweet`` and a ``retweet`` interaction to the shared
    post (its author is not in the export). Likes: ``statistics.reaction_count`` where given (all
    Facebook reactions), else ``statistics.like_count``; shares, comments and views from
    ``statistics.share_count``, ``comment_count``, ``views``. Everything else is kept in ``extra``.
    """

    name = "meta"
    platform = "facebook"

    # -- reading: JSON as the other adapters, CSV downloads row by row --------------------------
    def iter_line_batches(self, hasher) -> Iterator[pa.Table]:
        if self.layout is not None:
            yield from super().iter_line_batches(hasher)
            return
        stream = self.source.open(None)  # a peek: the hasher sees the bytes once, below
        try:
            head = stream.read(1 << 12)
            first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        finally:
            stream.close()
        if first in (b"{", b"["):
            yield from super().iter_line_batches(hasher)
            return
        yield from self.csv_line_batches(hasher)

    def csv_line_batches(self, hasher) -> Iterator[pa.Table]:
        """Each CSV row as one JSON record (``rec`` = the row's first line in the file); a row with
        more or fewer cells than the header is an error row (quarantined with its line)."""
        stream = self.source.open(hasher)
        try:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
            reader = csv.reader(text)
            try:
                header = next(reader)
            except StopIteration:
                return
            header = [h.strip() for h in header]
            missing = [c for c in ("id", "creation_time") if c not in header]
            if missing:
                raise IngestError(f"{self.source.name}: not a Meta Content Library CSV: no {' or '.join(repr(c) for c in missing)} column")
            recs: list[int] = []
            raws: list[str] = []
            errs: list[str | None] = []
            start = reader.line_num + 1
            for row in reader:
                line = start
                start = reader.line_num + 1
                if not any(c.strip() for c in row):
                    continue
                recs.append(line)
                if len(row) != len(header):
                    raws.append(",".join(row))
                    errs.append(f"CSV row has {len(row)} cells, the header {len(header)}")
                else:
                    raws.append(json.dumps({h: c for h, c in zip(header, row) if c != ""}, ensure_ascii=False))
                    errs.append(None)
                if len(recs) >= ROWS_PER_BATCH:
                    yield pa.table({"rec": pa.array(recs, pa.int64()), "raw": pa.array(raws, pa.string()),
                                    "error": pa.array(errs, pa.string())})
                    recs, raws, errs = [], [], []
            if recs:
                yield pa.table({"rec": pa.array(recs, pa.int64()), "raw": pa.array(raws, pa.string()),
                                "error": pa.array(errs, pa.string())})
        except csv.Error as exc:
            raise IngestError(f"{self.source.name}: unreadable CSV: {exc}") from exc
        finally:
            stream.close()

    # -- one post ---------------------------------------------------------------------------
    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        o = _unflatten(o)
        pid = _s(o.get("id"))
        if not pid:
            b.quarantine(rec, "Meta Content Library post without an id", raw)
            return
        created = o.get("creation_time")
        if created in (None, "") or parse_time(created) is None:
            b.quarantine(rec, f"Meta Content Library post without a readable creation_time ({created!r})", raw)
            return
        platform = platform_of(o)
        if platform is None:
            b.quarantine(rec, "cannot tell a Facebook from an Instagram post (no field only one of them has)", raw)
            return
        owner = _owner(o)
        aid = _s(owner.get("id"))
        handle = owner.get("username") or None
        stats = o.get("statistics") if isinstance(o.get("statistics"), dict) else {}
        shared = _s(o.get("shared_post_id"))
        text = o.get("text") if isinstance(o.get("text"), str) else None
        likes = stats.get("reaction_count") if stats.get("reaction_count") not in (None, "") else stats.get("like_count")
        extra = _drop(o, READ) or {}
        rest_stats = _drop(stats, {"reaction_count", "like_count", "share_count", "comment_count", "views"})
        if rest_stats:
            extra["statistics"] = rest_stats
        if stats.get("reaction_count") not in (None, "") and stats.get("like_count") not in (None, ""):
            extra.setdefault("statistics", {})["like_count"] = stats["like_count"]
        b.post(rec=rec, platform=platform, post_id=pid, account_id=aid, handle=handle, created_at=created,
               text=text, lang=o.get("lang") or None, kind="retweet" if shared else "post",
               retweet_of_post_id=shared, like_count=likes, retweet_count=stats.get("share_count"),
               reply_count=stats.get("comment_count"), view_count=stats.get("views"),
               url=o.get("url") or None, extra=extra or None)
        if aid:
            b.account(rec=rec, platform=platform, account_id=aid, handle=handle, display_name=owner.get("name") or None,
                      extra=_drop(owner, {"id", "username", "name"}))
        if shared:
            b.edge(rec=rec, platform=platform, post_id=pid, kind="retweet", target_post_id=shared)
        tags = [str(t).lstrip("#") for t in _list(o.get("hashtags")) if t not in (None, "")]
        for i, t in enumerate(tags or hashtags_in(text)):
            b.tag(rec=rec, platform=platform, post_id=pid, tag_raw=t, position=i)
        pos = 0
        seen: set[str] = set()
        link = o.get("link_attachment_fields") if isinstance(o.get("link_attachment_fields"), dict) else {}
        if link.get("link"):
            b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=link["link"], expanded_url=link["link"])
            seen.add(link["link"])
            pos += 1
        for u in urls_in(text):
            if u not in seen:
                b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=u, expanded_url=u)
                seen.add(u)
                pos += 1
        for j, md in enumerate(x for x in _list(o.get("multimedia")) if isinstance(x, dict)):
            b.media(rec=rec, platform=platform, post_id=pid, media_key=_s(md.get("id")) or md.get("url") or f"{pid}#{j}",
                    type=md.get("type"), url=md.get("url"),
                    extra=_drop(md, {"id", "type", "url"}))


__all__ = ["MetaContentLibrary", "platform_of"]
