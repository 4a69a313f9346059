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

from typing import Iterator

from .base import JsonLinesAdapter, lines_table
from .merge import ensure_empty

_ENT = '{"hashtags":[{"tag":"VARCHAR"}],"urls":[{"url":"VARCHAR","expanded_url":"VARCHAR","unwound_url":"VARCHAR","media_key":"VARCHAR"}],"mentions":[{"username":"VARCHAR","id":"VARCHAR","start":"BIGINT"}]}'
USER_T = ('{"id":"VARCHAR","username":"VARCHAR","name":"VARCHAR","description":"VARCHAR","location":"VARCHAR",'
          '"url":"VARCHAR","created_at":"VARCHAR","public_metrics":{"followers_count":"BIGINT","following_count":"BIGINT",'
          '"tweet_count":"BIGINT","listed_count":"BIGINT","like_count":"BIGINT"},"verified":"BOOLEAN",'
          '"protected":"BOOLEAN","profile_image_url":"VARCHAR"}')
USER_DROP = ('{"id":null,"username":null,"name":null,"description":null,"location":null,"url":null,"created_at":null,'
             '"public_metrics":null,"verified":null,"protected":null,"profile_image_url":null}')
REF_T = '{"id":"VARCHAR","author_id":"VARCHAR","text":"VARCHAR","note_tweet":{"text":"VARCHAR"},"author":"JSON"}'
TWEET_T = ('{"id":"VARCHAR","author_id":"VARCHAR","created_at":"VARCHAR","text":"VARCHAR","lang":"VARCHAR",'
           '"conversation_id":"VARCHAR","in_reply_to_user_id":"VARCHAR","source":"VARCHAR",'
           '"referenced_tweets":[{"type":"VARCHAR","id":"VARCHAR","author_id":"VARCHAR"}],'
           '"public_metrics":{"retweet_count":"BIGINT","reply_count":"BIGINT","like_count":"BIGINT","quote_count":"BIGINT","impression_count":"BIGINT"},'
           f'"entities":{_ENT},"note_tweet":{{"text":"VARCHAR","entities":{_ENT}}},'
           '"attachments":{"media_keys":["VARCHAR"]},"withheld":"JSON",'
           '"in_reply_to_user":{"id":"VARCHAR","username":"VARCHAR"}}')
TWEET_DROP = ('{"id":null,"author_id":null,"created_at":null,"text":null,"lang":null,"conversation_id":null,'
              '"in_reply_to_user_id":null,"source":null,"referenced_tweets":null,"public_metrics":null,'
              '"entities":{"hashtags":null,"urls":null,"mentions":null},"note_tweet":null,'
              '"attachments":{"media_keys":null,"media":null},"author":null,"in_reply_to_user":null}')
# what the flattened form carries inline
FLAT_T = '{"author":"JSON","referenced_tweets":["JSON"],"attachments":{"media":["JSON"]}}'
PAGE_T = '{"data":["JSON"],"includes":{"users":["JSON"],"tweets":["JSON"],"media":["JSON"]},"id":"VARCHAR","errors":"JSON","meta":"JSON"}'
MEDIA_T = '{"media_key":"VARCHAR","type":"VARCHAR","url":"VARCHAR","preview_image_url":"VARCHAR"}'
MEDIA_DROP = '{"media_key":null,"type":null,"url":null,"preview_image_url":null}'


def _ts(expr: str) -> str:
    return f"(try_cast({expr} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"


class Twarc2(JsonLinesAdapter):
    """twarc2 JSONL: API v2 response pages or flattened tweets (see module docs)."""

    name = "twarc2"
    platform = "twitter"

    def batches(self, con, hasher) -> Iterator[None]:
        for lines in self.iter_line_batches(hasher):
            con.register("_lines_in", lines_table(lines))
            try:
                con.execute("CREATE OR REPLACE TEMP TABLE b_lines AS SELECT * FROM _lines_in")
            finally:
                con.unregister("_lines_in")
            self.stage(con)
            yield

    def stage(self, con) -> None:
        ex = con.execute
        ex(f"""CREATE OR REPLACE TEMP TABLE t_l AS
            SELECT rec, raw, try(json_transform(raw, '{PAGE_T}')) AS p,
                   coalesce(try(json_type(raw)) = 'OBJECT', false) AS ok
            FROM b_lines""")
        ex("""CREATE OR REPLACE TEMP TABLE b_quar AS
            SELECT rec, CASE WHEN try(json_valid(raw)) THEN 'JSON value is not an object' ELSE 'invalid JSON' END AS reason, raw
            FROM t_l WHERE NOT ok""")
        ex("""INSERT INTO b_quar SELECT rec, 'neither a tweet nor an API v2 response page', raw FROM t_l
            WHERE ok AND p.data IS NULL AND p.id IS NULL AND p.errors IS NULL AND p.meta IS NULL
              AND NOT coalesce(try(json_exists(raw, '$.data.id')), false)""")
        # tweets: elements of page.data, a single-tweet page's data object, or the flattened line itself
        ex("""CREATE OR REPLACE TEMP TABLE t_tw AS
            SELECT rec, unnest(p.data) AS tj, false AS flat FROM t_l WHERE ok AND p.data IS NOT NULL
            UNION ALL SELECT rec, raw->'$.data' AS tj, false FROM t_l
                WHERE ok AND p.data IS NULL AND p.id IS NULL AND coalesce(try(json_exists(raw, '$.data.id')), false)
            UNION ALL SELECT rec, raw AS tj, true FROM t_l WHERE ok AND p.data IS NULL AND p.id IS NOT NULL""")
        ex(f"""CREATE OR REPLACE TEMP TABLE t_t AS
            SELECT rec, tj, flat, try(json_transform(tj, '{TWEET_T}')) AS t,
                   CASE WHEN flat THEN try(json_transform(tj, '{FLAT_T}')) END AS f
            FROM t_tw""")
        ex("""INSERT INTO b_quar SELECT rec, 'tweet without an id', tj FROM t_t
            WHERE t IS NULL OR t.id IS NULL OR t.id = ''""")
        ex("DELETE FROM t_t WHERE t IS NULL OR t.id IS NULL OR t.id = ''")
        # users: page includes, flattened authors and referenced tweets' authors
        ex(f"""CREATE OR REPLACE TEMP TABLE t_uj AS
            SELECT rec, unnest(p.includes.users) AS uj FROM t_l WHERE ok AND p.includes.users IS NOT NULL
            UNION ALL SELECT rec, f.author FROM t_t WHERE flat AND f.author IS NOT NULL
            UNION ALL SELECT rec, json_extract(r, '$.author') FROM
                (SELECT rec, unnest(f.referenced_tweets) AS r FROM t_t WHERE flat AND f.referenced_tweets IS NOT NULL)
                WHERE json_exists(r, '$.author')""")
        ex(f"""CREATE OR REPLACE TEMP TABLE t_users AS
            SELECT rec, u, uj FROM (SELECT rec, uj, try(json_transform(uj, '{USER_T}')) AS u FROM t_uj)
            WHERE u.id IS NOT NULL AND u.id <> ''
            QUALIFY row_number() OVER (PARTITION BY u.id ORDER BY rec DESC) = 1""")
        # referenced tweets: page includes.tweets and the flattened referenced_tweets entries
        ex(f"""CREATE OR REPLACE TEMP TABLE t_inc AS
            SELECT id, any_value(author_id) AS author_id, any_value(text) AS text FROM (
                SELECT r.id, r.author_id, coalesce(r.note_tweet.text, r.text) AS text FROM (
                    SELECT try(json_transform(x, '{REF_T}')) AS r FROM (
                        SELECT unnest(p.includes.tweets) AS x FROM t_l WHERE ok AND p.includes.tweets IS NOT NULL
                        UNION ALL SELECT unnest(f.referenced_tweets) FROM t_t WHERE flat AND f.referenced_tweets IS NOT NULL))
                WHERE r.id IS NOT NULL)
            GROUP BY id""")
        ex(f"""CREATE OR REPLACE TEMP TABLE t_media AS
            SELECT m.media_key AS media_key, any_value(m) AS m, any_value(mj) AS mj FROM (
                SELECT mj, try(json_transform(mj, '{MEDIA_T}')) AS m FROM (
                    SELECT unnest(p.includes.media) AS mj FROM t_l WHERE ok AND p.includes.media IS NOT NULL
                    UNION ALL SELECT unnest(f.attachments.media) FROM t_t WHERE flat AND f.attachments.media IS NOT NULL))
            WHERE m.media_key IS NOT NULL GROUP BY m.media_key""")
        ex(r"""CREATE OR REPLACE TEMP TABLE t_x AS
            SELECT rec, tj, t,
                list_filter(t.referenced_tweets, lambda r: r.type = 'retweeted')[1].id AS rt_id,
                list_filter(t.referenced_tweets, lambda r: r.type = 'quoted')[1].id AS qt_id,
                list_filter(t.referenced_tweets, lambda r: r.type = 'replied_to')[1].id AS rp_id,
                coalesce(t.note_tweet.entities, t.entities) AS ent
            FROM t_t""")
        ex(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT x.rec, 'twitter' AS platform, t.id AS post_id, t.author_id AS account_id, u.u.username AS handle,
                {_ts('t.created_at')} AS created_at,
                CASE WHEN rt_id IS NOT NULL AND irt.text IS NOT NULL THEN irt.text
                     ELSE coalesce(t.note_tweet.text, t.text) END AS text,
                t.lang AS lang,
                CASE WHEN rt_id IS NOT NULL THEN 'retweet' WHEN qt_id IS NOT NULL THEN 'quote'
                     WHEN rp_id IS NOT NULL OR t.in_reply_to_user_id IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
                rp_id AS reply_to_post_id, t.in_reply_to_user_id AS reply_to_account_id,
                rt_id AS retweet_of_post_id,
                CASE WHEN rt_id IS NOT NULL THEN coalesce(irt.author_id, list_filter(t.referenced_tweets, lambda r: r.type = 'retweeted')[1].author_id) END AS retweet_of_account_id,
                qt_id AS quote_of_post_id,
                CASE WHEN qt_id IS NOT NULL THEN coalesce(iqt.author_id, list_filter(t.referenced_tweets, lambda r: r.type = 'quoted')[1].author_id) END AS quote_of_account_id,
                t.conversation_id AS conversation_id,
                t.public_metrics.like_count AS like_count, t.public_metrics.retweet_count AS retweet_count,
                t.public_metrics.reply_count AS reply_count, t.public_metrics.quote_count AS quote_count,
                t.public_metrics.impression_count AS view_count, t.source AS client,
                CASE WHEN u.u.username IS NOT NULL THEN 'https://twitter.com/' || u.u.username || '/status/' || t.id
                     ELSE 'https://twitter.com/i/web/status/' || t.id END AS url,
                t.withheld IS NOT NULL AND t.withheld::VARCHAR <> 'null' AS withheld, false AS deleted,
                json_merge_patch(tj, '{TWEET_DROP}')::VARCHAR AS extra
            FROM t_x x
            LEFT JOIN t_users u ON u.u.id = t.author_id
            LEFT JOIN t_inc irt ON irt.id = rt_id
            LEFT JOIN t_inc iqt ON iqt.id = qt_id""")
        ex(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, 'twitter' AS platform, u.id AS account_id, u.username AS handle, u.name AS display_name,
                nullif(u.description, '') AS bio, nullif(u.location, '') AS location, nullif(u.url, '') AS url,
                {_ts('u.created_at')} AS created_at,
                u.public_metrics.followers_count AS followers, u.public_metrics.following_count AS following,
                u.public_metrics.tweet_count AS posts_count, u.public_metrics.like_count AS likes_count,
                u.public_metrics.listed_count AS listed_count, u.verified AS verified, u.protected AS protected,
                NULL::BOOLEAN AS default_profile,
                CASE WHEN u.profile_image_url IS NULL THEN NULL ELSE u.profile_image_url LIKE '%default_profile%' END AS default_profile_image,
                NULL::VARCHAR AS lang, u.profile_image_url AS profile_image_url,
                json_merge_patch(uj, '{USER_DROP}')::VARCHAR AS extra
            FROM t_users""")
        ex(r"""CREATE OR REPLACE TEMP TABLE b_edges AS
            SELECT x.rec, 'twitter' AS platform, t.id AS post_id, 'retweet' AS kind, p.retweet_of_account_id AS target_account_id,
                   nullif(regexp_extract(t.text, '^RT @([A-Za-z0-9_]+):', 1), '') AS target_handle, rt_id AS target_post_id
            FROM t_x x JOIN b_posts p ON p.post_id = t.id AND p.rec = x.rec WHERE rt_id IS NOT NULL
            UNION ALL
            SELECT x.rec, 'twitter', t.id, 'quote', p.quote_of_account_id, NULL, qt_id
            FROM t_x x JOIN b_posts p ON p.post_id = t.id AND p.rec = x.rec WHERE qt_id IS NOT NULL
            UNION ALL
            SELECT x.rec, 'twitter', t.id, 'reply', t.in_reply_to_user_id, t.in_reply_to_user.username, rp_id
            FROM t_x x WHERE rp_id IS NOT NULL OR t.in_reply_to_user_id IS NOT NULL
            UNION ALL
            SELECT rec, 'twitter', id, 'mention', m.id, m.username, NULL FROM (
                SELECT x.rec, t.id, rt_id, unnest(ent.mentions) AS m FROM t_x x WHERE ent.mentions IS NOT NULL)
            WHERE NOT (rt_id IS NOT NULL AND m.start = 3)""")
        ex("""CREATE OR REPLACE TEMP TABLE b_tags AS
            SELECT rec, 'twitter' AS platform, t.id AS post_id, unnest(ent.hashtags).tag AS tag_raw,
                   generate_subscripts(ent.hashtags, 1) - 1 AS position
            FROM t_x WHERE ent.hashtags IS NOT NULL""")
        ex("""CREATE OR REPLACE TEMP TABLE b_urls AS
            SELECT rec, 'twitter' AS platform, id AS post_id, (row_number() OVER (PARTITION BY rec, id ORDER BY i) - 1)::BIGINT AS position,
                   u.url AS url, coalesce(u.unwound_url, u.expanded_url, u.url) AS expanded_url
            FROM (SELECT rec, t.id AS id, unnest(ent.urls) AS u, generate_subscripts(ent.urls, 1) AS i
                  FROM t_x WHERE ent.urls IS NOT NULL)
            WHERE u.media_key IS NULL AND coalesce(u.expanded_url, '') NOT SIMILAR TO 'https?://(twitter|x)\\.com/.+/(photo|video)/[0-9]+'""")
        ex(f"""CREATE OR REPLACE TEMP TABLE b_media AS
            SELECT k.rec, 'twitter' AS platform, k.id AS post_id, k.mk AS media_key, m.m.type AS type,
                   coalesce(m.m.url, m.m.preview_image_url) AS url, NULL::VARCHAR AS local_path,
                   CASE WHEN m.mj IS NOT NULL THEN json_merge_patch(m.mj, '{MEDIA_DROP}')::VARCHAR END AS extra
            FROM (SELECT rec, t.id AS id, unnest(t.attachments.media_keys) AS mk FROM t_x WHERE t.attachments.media_keys IS NOT NULL) k
            LEFT JOIN t_media m ON m.media_key = k.mk""")
        ensure_empty(con, [])
