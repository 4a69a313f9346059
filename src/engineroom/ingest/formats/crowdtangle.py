"""CrowdTangle: CSV exports of the dashboard (Facebook pages / groups, Instagram accounts) and
API post objects as JSON (CrowdTangle closed in August 2024; researchers still hold its exports).
"""

from __future__ import annotations

import re
from typing import Any

from ..base import CsvAdapter, JsonLinesAdapter
from ..common import Batch, hashtags_in, parse_time, SQL_URL_RE
from .csvsql import extra_json, nz, _pad_accounts, q, sqlstr, text_entities, to_int, to_ts
from .records import _drop, _not_object, _s, _unflatten


class CrowdTangle(CsvAdapter):
    """CrowdTangle CSV exports of Facebook pages / groups and Instagram accounts.

    Post ids are built from the post URL (``<Facebook Id>_<last path segment>``; Instagram: the
    shortcode). ``Post Created`` carries the dashboard's zone abbreviation (``EST``) and is
    converted to UTC. Reaction breakdowns, sponsor fields and scores stay in ``extra``.
    """

    name = "crowdtangle"
    time_columns = ("post created",)
    required = ("post created",)

    def stage_rows(self, con, cols: list[str]) -> set[str]:
        def col(*names: str) -> str:
            for n in names:
                if n in cols:
                    return q(n)
            return "NULL::VARCHAR"

        url = nz(col("url"))
        is_ig = "account" in cols and "facebook id" not in cols
        platform = (f"CASE WHEN {url} ILIKE '%instagram.com%' THEN 'instagram' ELSE 'facebook' END" if not is_ig
                    else f"CASE WHEN {url} ILIKE '%facebook.com%' THEN 'facebook' ELSE 'instagram' END")
        acc = f"coalesce({nz(col('facebook id'))}, {nz(col('user name'))}, {nz(col('page name', 'group name', 'account'))})"
        seg = f"nullif(regexp_extract({url}, '([^/?#]+)/?(?:[?#].*)?$', 1), '')"
        pid = f"CASE WHEN ({platform}) = 'instagram' THEN {seg} ELSE {acc} || '_' || {seg} END"
        ts = to_ts(col("post created"), self.day_first)
        used = {"page name", "group name", "account", "user name", "facebook id", "post created", "type", "likes",
                "comments", "shares", "post views", "total views", "url", "message", "link", "final link",
                "followers at posting", "page description", "page created", "page admin top country", "description", "photo"}
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT rec, {platform} AS platform, CASE WHEN {seg} IS NULL THEN NULL ELSE {pid} END AS post_id,
                {acc} AS account_id, {nz(col('user name'))} AS handle, {ts} AS created_at,
                coalesce({nz(col('message'))}, {nz(col('description'))}) AS text, NULL::VARCHAR AS lang, 'post' AS kind,
                NULL::VARCHAR AS reply_to_post_id, NULL::VARCHAR AS reply_to_account_id, NULL::VARCHAR AS retweet_of_post_id,
                NULL::VARCHAR AS retweet_of_account_id, NULL::VARCHAR AS quote_of_post_id, NULL::VARCHAR AS quote_of_account_id,
                NULL::VARCHAR AS conversation_id, {to_int(col('likes'))} AS like_count, {to_int(col('shares'))} AS retweet_count,
                {to_int(col('comments'))} AS reply_count, NULL::BIGINT AS quote_count,
                coalesce({to_int(col('post views'))}, {to_int(col('total views'))}) AS view_count, NULL::VARCHAR AS client,
                {url} AS url, NULL::BOOLEAN AS withheld, NULL::BOOLEAN AS deleted,
                {extra_json(cols, used - {"type"})} AS extra,
                {nz(col('link'))} AS _link, {nz(col('final link'))} AS _final, {nz(col('photo'))} AS _photo, {nz(col('type'))} AS _type
            FROM b_rows""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, {platform} AS platform, {acc} AS account_id, {nz(col('user name'))} AS handle,
                {nz(col('page name', 'group name', 'account'))} AS display_name, {nz(col('page description'))} AS bio,
                {nz(col('page admin top country'))} AS location, {to_ts(col('page created'), self.day_first)} AS created_at,
                {to_int(col('followers at posting', 'members'))} AS followers,
                json_object('page_category', {nz(col('page category'))}, 'likes_at_posting', {nz(col('likes at posting'))},
                            'kind', CASE WHEN {col('group name')} IS NOT NULL THEN 'group' WHEN {col('page name')} IS NOT NULL THEN 'page' ELSE 'account' END)::VARCHAR AS extra
            FROM b_rows WHERE {acc} IS NOT NULL""")
        _pad_accounts(con)
        con.execute("CREATE OR REPLACE TEMP TABLE b_edges AS SELECT rec, platform, post_id, 'mention' AS kind, NULL::VARCHAR AS target_account_id, NULL::VARCHAR AS target_handle, NULL::VARCHAR AS target_post_id FROM b_posts WHERE false")
        text_entities(con, urls=False, mentions=is_ig)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_urls AS
            SELECT rec, platform, post_id, 0::BIGINT AS position, _link AS url, coalesce(_final, _link) AS expanded_url
            FROM b_posts WHERE _link IS NOT NULL
            UNION ALL
            SELECT rec, platform, post_id, (generate_subscripts(us, 1) - CASE WHEN _link IS NULL THEN 1 ELSE 0 END)::BIGINT,
                   rtrim(unnest(us), '.,;:!?)]}}'), NULL
            FROM (SELECT rec, platform, post_id, _link, list_filter(regexp_extract_all(text, {sqlstr(SQL_URL_RE)}), lambda u: u <> _link OR _link IS NULL) AS us
                  FROM b_posts WHERE text ILIKE '%http%')""")
        con.execute("""CREATE OR REPLACE TEMP TABLE b_media AS
            SELECT rec, platform, post_id, _photo AS media_key, lower(coalesce(_type, 'photo')) AS type, _photo AS url,
                   NULL::VARCHAR AS local_path, NULL::VARCHAR AS extra
            FROM b_posts WHERE _photo IS NOT NULL""")
        con.execute("ALTER TABLE b_posts DROP COLUMN _link; ALTER TABLE b_posts DROP COLUMN _final; "
                    "ALTER TABLE b_posts DROP COLUMN _photo; ALTER TABLE b_posts DROP COLUMN _type")
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls", "b_media"}


class CrowdTangleApi(JsonLinesAdapter):
    """CrowdTangle API post objects (``/posts``, ``/links``, ``/posts/search``: ``platformId``,
    ``platform``, ``date``, ``message``, ``account``, ``expandedLinks``, ``media``, ``statistics``),
    also flattened by pandas into dotted keys (``account.id``, as CooRnet saves them). CrowdTangle
    writes ``date`` without a zone; it is read as UTC and the ingest records that assumption.
    Post ids are ``platformId``; ``platform`` is the post's (facebook, instagram, reddit).
    """

    name = "crowdtangle-api"
    platform = "facebook"
    assumption = "CrowdTangle 'date' has no time zone: read as UTC"

    def record(self, b: Batch, rec: int, o: Any, raw: str) -> None:
        if _not_object(b, rec, o, raw):
            return
        o = _unflatten(o)
        pid = _s(o.get("platformId"))
        if not pid:
            b.quarantine(rec, "CrowdTangle post without a platformId", raw)
            return
        platform = str(o.get("platform") or "facebook").lower()
        acc = o.get("account") if isinstance(o.get("account"), dict) else {}
        aid = _s(acc.get("id")) or _s(acc.get("platformId"))
        date = o.get("date")
        if isinstance(date, str) and parse_time(date) is not None and not re.search(r"(Z|[+-]\d\d:?\d\d| [A-Z]{2,4})$", date.strip()):
            self.assumptions.add(self.assumption)
        text = o.get("message") or o.get("description") or o.get("title")
        stats = ((o.get("statistics") or {}).get("actual") or {}) if isinstance(o.get("statistics"), dict) else {}
        b.post(rec=rec, platform=platform, post_id=pid, account_id=aid, handle=acc.get("handle") or acc.get("name"),
               created_at=date, text=text, kind="post", like_count=stats.get("likeCount") or stats.get("favoriteCount"),
               retweet_count=stats.get("shareCount"), reply_count=stats.get("commentCount"),
               url=o.get("postUrl"),
               extra=_drop(o, {"platformId", "platform", "date", "message", "account", "statistics", "expandedLinks",
                               "media", "postUrl", "history"}))
        if aid:
            b.account(rec=rec, platform=platform, account_id=aid, handle=acc.get("handle"), display_name=acc.get("name"),
                      url=acc.get("url"), followers=acc.get("subscriberCount"), verified=acc.get("verified"),
                      profile_image_url=acc.get("profileImage"),
                      extra=_drop(acc, {"id", "handle", "name", "url", "subscriberCount", "verified", "profileImage"}))
        pos = 0
        seen = set()
        for link in o.get("expandedLinks") or []:
            if isinstance(link, dict) and (link.get("original") or link.get("expanded")):
                key = link.get("expanded") or link.get("original")
                if key in seen:
                    continue
                seen.add(key)
                b.url(rec=rec, platform=platform, post_id=pid, position=pos, url=link.get("original"), expanded_url=link.get("expanded"))
                pos += 1
        if not pos and isinstance(o.get("link"), str):
            b.url(rec=rec, platform=platform, post_id=pid, position=0, url=o["link"], expanded_url=o.get("expanded") or o["link"])
        for i, t in enumerate(hashtags_in(text)):
            b.tag(rec=rec, platform=platform, post_id=pid, tag_raw=t, position=i)
        for j, md in enumerate(x for x in o.get("media") or [] if isinstance(x, dict)):
            b.media(rec=rec, platform=platform, post_id=pid, media_key=md.get("url") or f"{pid}#{j}", type=md.get("type"),
                    url=md.get("url") or md.get("full"))
