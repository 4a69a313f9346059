"""twarc2 (Twitter API v2) JSON lines, normalised with DuckDB SQL on staged lines.

Two shapes, also mixed in one file:

* response pages, one per line, as ``twarc2 search`` writes them: ``{"data": [tweets],
  "includes": {"users", "tweets", "media", "places"}, "errors": [...], "meta": {...}, "__twarc": {...}}``.
  Authors, referenced tweets and media are resolved from ``includes``.
* flattened tweets, one per line, as ``twarc2 flatten`` writes them: each tweet carries
  ``author``, ``in_reply_to_user``, ``attachments.media`` and ``referenced_tweets[*]`` (with the
  referenced tweet's fields and its ``author``) inline.

The record is the tweet: ``read`` counts tweets. A line that is not JSON is one quarantined
record; a page with only ``errors`` (tweets deleted or withheld before collection) holds none.
The raw line is parsed by DuckDB's JSON reader (``json_transform`` into typed structs) batch by
batch inside the ingest transaction.
"""

from __future__ import annotations

from ..base import JsonLinesAdapter
from ..common import sql_json_object
from ..merge import _arrow, unregister

import json as _json

import duckdb

_ENT = {"hashtags": [{"tag": "VARCHAR"}],
        "urls": [{"url": "VARCHAR", "expanded_url": "VARCHAR", "unwound_url": "VARCHAR", "media_key": "VARCHAR"}],
        "mentions": [{"username": "VARCHAR", "id": "VARCHAR", "start": "BIGINT"}],
        "cashtags": "JSON", "annotations": "JSON"}
#: user fields with a column of their own; USER_EXTRA are kept in accounts.extra
USER = {"id": "VARCHAR", "username": "VARCHAR", "name": "VARCHAR", "description": "VARCHAR", "location": "VARCHAR",
        "url": "VARCHAR", "created_at": "VARCHAR",
        "public_metrics": {"followers_count": "BIGINT", "following_count": "BIGINT", "tweet_count": "BIGINT",
                           "listed_count": "BIGINT", "like_count": "BIGINT"},
        "verified": "BOOLEAN", "protected": "BOOLEAN", "profile_image_url": "VARCHAR"}
USER_EXTRA = ["verified_type", "pinned_tweet_id", "entities", "withheld", "most_recent_tweet_id", "subscription_type",
              "connection_status", "receives_your_dm", "parody", "affiliation", "profile_banner_url"]
USER_T = {**USER, **{k: "JSON" for k in USER_EXTRA}}
MEDIA = {"media_key": "VARCHAR", "type": "VARCHAR", "url": "VARCHAR", "preview_image_url": "VARCHAR"}
MEDIA_EXTRA = ["width", "height", "alt_text", "duration_ms", "variants", "public_metrics"]
MEDIA_T = {**MEDIA, **{k: "JSON" for k in MEDIA_EXTRA}}
REF_T = {"type": "VARCHAR", "id": "VARCHAR", "author_id": "VARCHAR", "text": "VARCHAR", "note_tweet": {"text": "VARCHAR"},
         "author": USER_T}
#: the documented API v2 tweet fields; those without a column are kept in posts.extra
TWEET_EXTRA = ["edit_history_tweet_ids", "edit_controls", "possibly_sensitive", "reply_settings", "geo",
               "context_annotations", "withheld", "display_text_range", "card_uri", "scopes", "media_metadata",
               "non_public_metrics", "organic_metrics", "promoted_metrics", "matching_rules", "__twarc"]
TWEET_T = {"id": "VARCHAR", "author_id": "VARCHAR", "created_at": "VARCHAR", "text": "VARCHAR", "lang": "VARCHAR",
           "conversation_id": "VARCHAR", "in_reply_to_user_id": "VARCHAR", "source": "VARCHAR",
           "referenced_tweets": [REF_T],
           "public_metrics": {"retweet_count": "BIGINT", "reply_count": "BIGINT", "like_count": "BIGINT",
                              "quote_count": "BIGINT", "impression_count": "BIGINT", "bookmark_count": "BIGINT"},
           "entities": _ENT, "note_tweet": {"text": "VARCHAR", "entities": _ENT},
           "attachments": {"media_keys": ["VARCHAR"], "poll_ids": "JSON", "media": [MEDIA_T]},
           # flattened (twarc2 flatten) lines carry these inline
           "author": USER_T, "in_reply_to_user": {"id": "VARCHAR", "username": "VARCHAR"},
           **{k: "JSON" for k in TWEET_EXTRA}}
#: a tweet inside a response page: references and media are resolved through ``includes``
TWEET_P = {k: v for k, v in TWEET_T.items() if k not in ("author", "in_reply_to_user")}
TWEET_P["referenced_tweets"] = [{"type": "VARCHAR", "id": "VARCHAR", "author_id": "VARCHAR"}]
TWEET_P["attachments"] = {"media_keys": ["VARCHAR"], "poll_ids": "JSON"}
#: an API v2 response page (one per line, as ``twarc2 search`` writes)
PAGE_T = {"data": [TWEET_P],
          "includes": {"users": [USER_T], "media": [MEDIA_T],
                       "tweets": [{"id": "VARCHAR", "author_id": "VARCHAR", "text": "VARCHAR", "note_tweet": {"text": "VARCHAR"}}]},
          "errors": "JSON", "meta": "JSON", "id": "VARCHAR"}
#: a flattened tweet (one per line, as ``twarc2 flatten`` writes): expansions inline
FLAT_T = TWEET_T


def _sql_json(obj) -> str:
    return "'" + _json.dumps(obj, separators=(",", ":")).replace("'", "''") + "'"


def _extra(prefix: str, keys: list[str], more: dict[str, str] | None = None) -> str:
    """SQL for a JSON object of the given JSON-typed struct fields, without the null ones (NULL when all are)."""
    parts = [(k, f'{prefix}."{k}"') for k in keys] + list((more or {}).items())
    return sql_json_object([(k, f"nullif(({v})::VARCHAR, 'null')") for k, v in parts])


def _ts(expr: str) -> str:
    return f"(try_cast({expr} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"


class Twarc2(JsonLinesAdapter):
    """twarc2 JSONL: API v2 response pages or flattened tweets (see module docs)."""

    name = "twarc2"
    platform = "twitter"
    #: 80 MB batches. Each batch costs about 0.1 CPU-s of statement planning besides its rows; the
    #: parsed pages, dropped as soon as they are normalised, are most of what it holds. On 1M posts
    #: (bench medians of three, alternating): 80 MB 93,645 and 91,831 posts/s at 1.6 GB peak, 64 MB
    #: 88,918 and 87,109 at 1.45 GB; 96 MB 1.75 GB peak (32 MB, earlier: 36.5 CPU-s against 32.5 at 64)
    batch_mb = 80
    unique_accounts = True  # t_users: one profile per user id (the latest), ids never empty
    post_keys_checked = True  # tweets without an id are quarantined from t_x; the platform is constant

    def stage_unit(self, con, unit) -> None:
        con.register("b_lines", unit)
        try:
            # whether every line starts like a response page (a batch is a few hundred pages: this
            # reads a few bytes of each), and whether some are filtered-stream / sample captures
            pages, stream = con.execute(
                """SELECT bool_and(starts_with(raw, '{"data"')),
                          bool_or(starts_with(raw, '{"data": {') OR starts_with(raw, '{"data":{')) FROM b_lines""").fetchall()[0]
            if stream:
                # `twarc2 stream` / `sample` write one tweet per line, `data` an object with the
                # stream's `matching_rules` beside it: made into a page of one tweet (the rules kept
                # with the tweet), so that the page statements read it as they read search pages
                rewritten = _arrow(con, """SELECT rec, coalesce(try(json_object(
                        'data', json_array(json_merge_patch(raw::JSON -> 'data',
                                json_object('matching_rules', raw::JSON -> 'matching_rules'))),
                        'includes', raw::JSON -> 'includes', 'errors', raw::JSON -> 'errors')::VARCHAR), raw::VARCHAR) AS raw
                    FROM b_lines ORDER BY rec""")
                unregister(con, "b_lines")
                con.register("b_lines", rewritten)
            self.stage(con, bool(unit.num_rows) and bool(pages))
        finally:
            unregister(con, "b_lines")

    def stage(self, con, pages: bool = False) -> None:
        """Stage the lines ``b_lines``; ``pages``: every line is known to start with ``{"data"``."""
        ex = con.execute
        # one typed parse per line (page or flattened tweet). The usual batch is response pages
        # only: each line is parsed as a page, with no CASE or try() around the parse (they copy the
        # parsed structs: 10-15% of the parse). Should a line not be JSON, that statement fails and
        # the batch is parsed the careful way below, where such a line gives NULL.
        parsed = False
        if pages:
            try:
                ex(f"""CREATE OR REPLACE TEMP TABLE t_l AS
                    SELECT rec, true AS pg, json_transform(raw, {_sql_json(PAGE_T)}) AS p FROM b_lines""")
                parsed = True
            except duckdb.InterruptException:
                raise
            except duckdb.Error:
                pass  # a line that is not JSON: parsed below, where it is quarantined
        if parsed:
            # every line parsed as a JSON object: only a page with neither data, errors nor meta is quarantined
            ex("""CREATE OR REPLACE TEMP TABLE b_quar AS
                SELECT l.rec, 'neither a tweet (no id) nor an API v2 response page' AS reason, b.raw
                FROM t_l l JOIN b_lines b ON b.rec = l.rec
                WHERE l.p.data IS NULL AND l.p.errors IS NULL AND l.p.meta IS NULL""")
        else:
            # a line that does not start with "data" is parsed as a flattened tweet first; one without a
            # tweet id (a page whose first key is not "data", an errors-only page) is then parsed as a page
            # (one statement: per-statement planning of these big types costs more than the parse of a small batch)
            ex(f"""CREATE OR REPLACE TEMP TABLE t_l AS
                SELECT rec, pg, CASE WHEN pg THEN try(json_transform(raw, {_sql_json(PAGE_T)})) END AS p,
                       CASE WHEN NOT pg THEN f END AS f
                FROM (SELECT rec, raw, pg0 OR (f IS NOT NULL AND (f.id IS NULL OR f.id = '')) AS pg, f FROM (
                    SELECT rec, raw, pg0, CASE WHEN NOT pg0 THEN try(json_transform(raw, {_sql_json(FLAT_T)})) END AS f
                    FROM (SELECT rec, raw, starts_with(ltrim(raw[1:24]), '{{"data"') AS pg0 FROM b_lines)))""")
            ex("""CREATE OR REPLACE TEMP TABLE b_quar AS
                SELECT l.rec, CASE WHEN coalesce(try(json_valid(b.raw)), false) THEN 'JSON value is not an object' ELSE 'invalid JSON' END AS reason, b.raw
                FROM t_l l JOIN b_lines b ON b.rec = l.rec WHERE l.p IS NULL AND l.f IS NULL""")
            ex("""INSERT INTO b_quar SELECT l.rec, 'neither a tweet (no id) nor an API v2 response page', b.raw
                FROM t_l l JOIN b_lines b ON b.rec = l.rec
                WHERE (l.pg AND l.p IS NOT NULL AND l.p.data IS NULL AND l.p.errors IS NULL AND l.p.meta IS NULL)
                   OR (NOT l.pg AND l.f IS NOT NULL AND (l.f.id IS NULL OR l.f.id = ''))""")

        # the entities of a long tweet's note_tweet replace the tweet's own; one CASE per list used
        # (a coalesce of the whole entities struct copies it: a third of this projection's cost)
        ents = ", ".join(f"CASE WHEN t.note_tweet.entities IS NULL THEN t.entities.{k} ELSE t.note_tweet.entities.{k} END AS ent_{k}"
                         for k in ("hashtags", "urls", "mentions"))

        def first_ref(kind: str, field: str) -> str:
            # a field of the first referenced tweet of a kind: a tweet references one or two, so
            # those are looked at directly; list_filter (a lambda per tweet: a fifth of this
            # projection's cost) only for three or more
            r = "t.referenced_tweets"
            return (f"CASE WHEN {r} IS NULL THEN NULL WHEN {r}[1].type = '{kind}' THEN {r}[1].{field} "
                    f"WHEN len({r}) < 2 THEN NULL WHEN {r}[2].type = '{kind}' THEN {r}[2].{field} "
                    f"ELSE list_filter({r}, lambda r: r.type = '{kind}')[1].{field} END")

        def proj(flat: bool) -> str:
            return f"""rec, t.id AS id, t.author_id AS author_id, t.created_at AS created_at, t.text AS text,
                t.note_tweet.text AS note_text, t.lang AS lang, t.conversation_id AS conversation_id,
                t.in_reply_to_user_id AS in_reply_to_user_id,
                {"t.in_reply_to_user.username" if flat else "NULL::VARCHAR"} AS reply_handle,
                t.source AS source, t.public_metrics AS pm,
                t.withheld IS NOT NULL AND t.withheld::VARCHAR <> 'null' AS withheld,
                {"t.author.username" if flat else "NULL::VARCHAR"} AS author_handle,
                t.attachments.media_keys AS media_keys,
                {first_ref('retweeted', 'id')} AS rt_id, {first_ref('retweeted', 'author_id')} AS rt_author,
                {f"coalesce({first_ref('retweeted', 'note_tweet.text')}, {first_ref('retweeted', 'text')})" if flat else "NULL::VARCHAR"} AS rt_text,
                {first_ref('quoted', 'id')} AS qt_id, {first_ref('quoted', 'author_id')} AS qt_author,
                {first_ref('replied_to', 'id')} AS rp_id,
                {ents},
                {_extra("t", TWEET_EXTRA, {"poll_ids": "t.attachments.poll_ids", "cashtags": "t.entities.cashtags",
                                            "annotations": "t.entities.annotations"})} AS extra"""

        # which shapes the batch has: statements name only those (planning these wide expressions
        # costs more than running them on a small batch)
        if parsed:
            has_pages, has_flat = True, False
        else:
            has_pages, has_flat = con.execute(
                "SELECT coalesce(bool_or(pg), false), coalesce(bool_or(NOT pg AND f IS NOT NULL), false) FROM t_l").fetchall()[0]
        if not has_pages and not has_flat:
            has_pages = True  # an empty batch: any one part gives the tables their columns

        def union(pages: str, *flat: str, by_name: bool = False) -> str:
            parts = ([pages] if has_pages else []) + (list(flat) if has_flat else [])
            return ("\nUNION ALL BY NAME\n" if by_name else "\nUNION ALL\n").join(parts)

        # tweets: the elements of a page's data, or the flattened line itself
        tweets = union(f"SELECT {proj(False)} FROM (SELECT rec, unnest(p.data) AS t FROM t_l WHERE pg AND p.data IS NOT NULL)",
                       f"SELECT {proj(True)} FROM (SELECT rec, f AS t FROM t_l WHERE NOT pg AND f.id IS NOT NULL AND f.id <> '')",
                       by_name=True)
        ex(f"CREATE OR REPLACE TEMP TABLE t_x AS {tweets}")
        ex("""INSERT INTO b_quar SELECT rec, 'tweet without an id', NULL FROM t_x WHERE id IS NULL OR id = ''""")
        ex("DELETE FROM t_x WHERE id IS NULL OR id = ''")
        # users: page includes, flattened authors and the flattened referenced tweets' authors, each
        # with a key (its line, then its place there: a line holds far fewer than 2^20 users) that
        # orders them as in the file
        users = union("SELECT rec, rec * 1048576 + generate_subscripts(p.includes.users, 1) AS k, unnest(p.includes.users) AS u "
                      "FROM t_l WHERE pg AND p.includes.users IS NOT NULL",
                      "SELECT rec, rec * 1048576 AS k, f.author AS u FROM t_l WHERE NOT pg AND f.author.id IS NOT NULL",
                      "SELECT rec, k, r.author AS u FROM (SELECT rec, rec * 1048576 + generate_subscripts(f.referenced_tweets, 1) AS k, "
                      "unnest(f.referenced_tweets) AS r FROM t_l WHERE NOT pg AND f.referenced_tweets IS NOT NULL) WHERE r.author.id IS NOT NULL")
        # the latest profile of each user: the greatest key per id is found first, then its row is
        # taken (a grouped arg_max copies every profile struct into its state: a fifth slower; a
        # window over the structs, three times slower)
        ex(f"""CREATE OR REPLACE TEMP TABLE t_users AS
            WITH us AS ({users})
            SELECT rec, u FROM us SEMI JOIN (SELECT max(k) AS k FROM us WHERE u.id IS NOT NULL AND u.id <> '' GROUP BY u.id) m
                ON us.k = m.k""")
        # referenced tweets: page includes.tweets, flattened referenced_tweets entries
        ref = "SELECT r.id AS id, r.author_id AS author_id, coalesce(r.note_tweet.text, r.text) AS text FROM ({})"
        refs = union(ref.format("SELECT unnest(p.includes.tweets) AS r FROM t_l WHERE pg AND p.includes.tweets IS NOT NULL"),
                     ref.format("SELECT unnest(f.referenced_tweets) AS r FROM t_l WHERE NOT pg AND f.referenced_tweets IS NOT NULL"))
        ex(f"""CREATE OR REPLACE TEMP TABLE t_inc AS
            SELECT id, any_value(author_id) AS author_id, any_value(text) AS text FROM ({refs})
            WHERE id IS NOT NULL GROUP BY id""")
        media = union("SELECT unnest(p.includes.media) AS m FROM t_l WHERE pg AND p.includes.media IS NOT NULL",
                      "SELECT unnest(f.attachments.media) AS m FROM t_l WHERE NOT pg AND f.attachments.media IS NOT NULL")
        ex(f"""CREATE OR REPLACE TEMP TABLE t_media AS
            SELECT m.media_key AS media_key, any_value(m) AS m FROM ({media})
            WHERE m.media_key IS NOT NULL GROUP BY m.media_key""")
        ex("DROP TABLE t_l")  # the parsed pages are the batch's biggest table: freed before b_posts is built
        # the retweeted / quoted account (of b_posts and b_edges): the included tweet's author, else
        # the flattened reference's
        rt_account, qt_account = "coalesce(irt.author_id, x.rt_author)", "coalesce(iqt.author_id, x.qt_author)"
        # a view: the export evaluates it once, straight into Arrow (a table was written, then
        # read back: a quarter more CPU); b_edges reads t_x, not b_posts
        ex(f"""CREATE OR REPLACE TEMP VIEW b_posts AS
            SELECT x.rec, 'twitter' AS platform, x.id AS post_id, x.author_id AS account_id,
                coalesce(u.u.username, x.author_handle) AS handle,
                {_ts('x.created_at')} AS created_at,
                CASE WHEN x.rt_id IS NOT NULL AND coalesce(irt.text, x.rt_text) IS NOT NULL
                     THEN coalesce(irt.text, x.rt_text) ELSE coalesce(x.note_text, x.text) END AS text,
                x.lang AS lang,
                CASE WHEN x.rt_id IS NOT NULL THEN 'retweet' WHEN x.qt_id IS NOT NULL THEN 'quote'
                     WHEN x.rp_id IS NOT NULL OR x.in_reply_to_user_id IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
                x.rp_id AS reply_to_post_id, x.in_reply_to_user_id AS reply_to_account_id,
                x.rt_id AS retweet_of_post_id,
                CASE WHEN x.rt_id IS NOT NULL THEN {rt_account} END AS retweet_of_account_id,
                x.qt_id AS quote_of_post_id,
                CASE WHEN x.qt_id IS NOT NULL THEN {qt_account} END AS quote_of_account_id,
                x.conversation_id AS conversation_id,
                x.pm.like_count AS like_count, x.pm.retweet_count AS retweet_count,
                x.pm.reply_count AS reply_count, x.pm.quote_count AS quote_count,
                x.pm.impression_count AS view_count, x.source AS client,
                'https://twitter.com/' || coalesce(u.u.username, x.author_handle, 'i/web') || '/status/' || x.id AS url,
                x.withheld AS withheld, false AS deleted, x.extra AS extra
            FROM t_x x
            LEFT JOIN t_users u ON u.u.id = x.author_id
            LEFT JOIN t_inc irt ON irt.id = x.rt_id
            LEFT JOIN t_inc iqt ON iqt.id = x.qt_id""")
        ex(f"""CREATE OR REPLACE TEMP VIEW b_accounts AS
            SELECT rec, 'twitter' AS platform, u.id AS account_id, u.username AS handle, u.name AS display_name,
                nullif(u.description, '') AS bio, nullif(u.location, '') AS location, nullif(u.url, '') AS url,
                {_ts('u.created_at')} AS created_at,
                u.public_metrics.followers_count AS followers, u.public_metrics.following_count AS following,
                u.public_metrics.tweet_count AS posts_count, u.public_metrics.like_count AS likes_count,
                u.public_metrics.listed_count AS listed_count, u.verified AS verified, u.protected AS protected,
                NULL::BOOLEAN AS default_profile,
                CASE WHEN u.profile_image_url IS NULL THEN NULL ELSE u.profile_image_url LIKE '%default_profile%' END AS default_profile_image,
                NULL::VARCHAR AS lang, u.profile_image_url AS profile_image_url,
                {_extra("u", USER_EXTRA)} AS extra
            FROM t_users""")
        ex(rf"""CREATE OR REPLACE TEMP VIEW b_edges AS
            SELECT x.rec, 'twitter' AS platform, x.id AS post_id, 'retweet' AS kind, {rt_account} AS target_account_id,
                   nullif(regexp_extract(x.text, '^RT @([A-Za-z0-9_]+):', 1), '') AS target_handle, x.rt_id AS target_post_id
            FROM t_x x LEFT JOIN t_inc irt ON irt.id = x.rt_id WHERE x.rt_id IS NOT NULL
            UNION ALL
            SELECT x.rec, 'twitter', x.id, 'quote', {qt_account}, NULL, x.qt_id
            FROM t_x x LEFT JOIN t_inc iqt ON iqt.id = x.qt_id WHERE x.qt_id IS NOT NULL
            UNION ALL
            SELECT rec, 'twitter', id, 'reply', in_reply_to_user_id, reply_handle, rp_id
            FROM t_x WHERE rp_id IS NOT NULL OR in_reply_to_user_id IS NOT NULL
            UNION ALL
            SELECT rec, 'twitter', id, 'mention', m.id, m.username, NULL FROM (
                SELECT rec, id, rt_id, unnest(ent_mentions) AS m FROM t_x WHERE ent_mentions IS NOT NULL)
            WHERE NOT (rt_id IS NOT NULL AND m.start = 3)""")
        ex("""CREATE OR REPLACE TEMP VIEW b_tags AS
            SELECT rec, 'twitter' AS platform, id AS post_id, unnest(ent_hashtags).tag AS tag_raw,
                   (generate_subscripts(ent_hashtags, 1) - 1)::BIGINT AS position
            FROM t_x WHERE ent_hashtags IS NOT NULL""")
        # a link's position counts the tweet's links that are not its media; a tweet given twice in one
        # page numbers its links the same both times (dense_rank), so one is stored, not both
        ex(r"""CREATE OR REPLACE TEMP VIEW b_urls AS
            SELECT rec, 'twitter' AS platform, id AS post_id, (dense_rank() OVER (PARTITION BY rec, id ORDER BY i) - 1)::BIGINT AS position,
                   u.url AS url, coalesce(u.unwound_url, u.expanded_url, u.url) AS expanded_url
            FROM (SELECT rec, id, unnest(ent_urls) AS u, generate_subscripts(ent_urls, 1) AS i
                  FROM t_x WHERE ent_urls IS NOT NULL)
            WHERE u.media_key IS NULL AND NOT regexp_matches(coalesce(u.expanded_url, ''), '^https?://(twitter|x)\.com/[^/]+/status/[0-9]+/(photo|video)/')""")
        ex(f"""CREATE OR REPLACE TEMP VIEW b_media AS
            SELECT k.rec, 'twitter' AS platform, k.id AS post_id, k.mk AS media_key, m.m.type AS type,
                   coalesce(m.m.url, m.m.preview_image_url) AS url, NULL::VARCHAR AS local_path,
                   {_extra("m.m", MEDIA_EXTRA)} AS extra
            FROM (SELECT rec, id, unnest(media_keys) AS mk FROM t_x WHERE media_keys IS NOT NULL) k
            LEFT JOIN t_media m ON m.media_key = k.mk""")
