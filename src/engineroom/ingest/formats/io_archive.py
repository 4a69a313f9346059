"""Twitter's Information Operations archive: the tweets CSV and the users CSV.
"""

from __future__ import annotations

from ..base import CsvAdapter
from ..errors import IngestError
from ..merge import PROFILE_COMPLETENESS
from .csvsql import extra_json, _lossy, nz, _pad_accounts, permalink, q, _rt_handle, text_entities, to_bool, to_int, to_list, to_ts


IO_TWEET_COLUMNS = [
    "tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language", "tweet_language", "tweet_text", "tweet_time",
    "tweet_client_name", "in_reply_to_userid", "in_reply_to_tweetid", "quoted_tweet_tweetid", "is_retweet",
    "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count", "reply_count", "like_count",
    "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices",
]

IO_USER_COLUMNS = [
    "userid", "user_display_name", "user_screen_name", "user_reported_location", "user_profile_description",
    "user_profile_url", "follower_count", "following_count", "account_creation_date", "account_language",
]

#: The ira_vs_organic development corpus (../shared/data/ira_vs_organic_dev/posts.csv.gz): IO-style
#: posts reduced to a few columns with opaque ids.
IO_DEV_COLUMNS = ["post_id", "account_id", "screen_name", "created_at", "lang", "text", "followers_count",
                  "following_count", "is_quote"]


class IOArchive(CsvAdapter):
    """Twitter's Information Operations archive tweets CSV (31 columns, hashed ids for small
    accounts, ``[a, b]`` list columns). Also reads the reduced variant of the ira_vs_organic
    development corpus (``post_id, account_id, screen_name, created_at, lang, text, ...``)."""

    name = "io-archive"
    time_columns = ("tweet_time", "created_at")
    platform = "twitter"

    def check_columns(self, cols: list[str]) -> None:
        c = set(cols)
        if {"tweetid", "userid", "tweet_text"} <= c:
            self.variant = "io"
        elif {"post_id", "account_id", "text"} <= c:
            self.variant = "dev"
        else:
            missing = [x for x in ("tweetid", "userid", "tweet_text") if x not in c]
            raise IngestError(f"{self.source.name}: not an io-archive tweets file: missing column(s) "
                              f"{', '.join(missing)} (found: {', '.join(cols[:40])})")

    @property
    def unique_accounts(self) -> bool:
        """The tweets file's profiles are reduced to one per account while staging (see :meth:`_io`)."""
        return getattr(self, "variant", None) == "io"

    def stage_rows(self, con, cols: list[str]) -> set[str]:
        return self._io(con, cols) if self.variant == "io" else self._dev(con, cols)

    def _io(self, con, cols: list[str]) -> set[str]:
        c = {x: (q(x) if x in cols else "NULL::VARCHAR") for x in IO_TWEET_COLUMNS}
        used = set(IO_TWEET_COLUMNS) - {"latitude", "longitude", "poll_choices", "account_language"}
        tid, uid = nz(c["tweetid"]), nz(c["userid"])
        is_rt = f"coalesce({to_bool(c['is_retweet'])}, false)"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT rec, 'twitter' AS platform, {tid} AS post_id, {uid} AS account_id, {nz(c['user_screen_name'])} AS handle,
                {to_ts(c['tweet_time'], self.day_first)} AS created_at, {c['tweet_text']} AS text, {nz(c['tweet_language'])} AS lang,
                CASE WHEN {is_rt} OR {nz(c['retweet_tweetid'])} IS NOT NULL THEN 'retweet'
                     WHEN {nz(c['quoted_tweet_tweetid'])} IS NOT NULL THEN 'quote'
                     WHEN {nz(c['in_reply_to_tweetid'])} IS NOT NULL OR {nz(c['in_reply_to_userid'])} IS NOT NULL THEN 'reply'
                     ELSE 'post' END AS kind,
                {nz(c['in_reply_to_tweetid'])} AS reply_to_post_id, {nz(c['in_reply_to_userid'])} AS reply_to_account_id,
                {nz(c['retweet_tweetid'])} AS retweet_of_post_id, {nz(c['retweet_userid'])} AS retweet_of_account_id,
                {nz(c['quoted_tweet_tweetid'])} AS quote_of_post_id, NULL::VARCHAR AS quote_of_account_id,
                NULL::VARCHAR AS conversation_id,
                {to_int(c['like_count'])} AS like_count, {to_int(c['retweet_count'])} AS retweet_count,
                {to_int(c['reply_count'])} AS reply_count, {to_int(c['quote_count'])} AS quote_count, NULL::BIGINT AS view_count,
                {nz(c['tweet_client_name'])} AS client, {permalink(nz(c['user_screen_name']), tid)} AS url,
                NULL::BOOLEAN AS withheld, NULL::BOOLEAN AS deleted,
                {extra_json([x for x in cols], used)} AS extra,
                {c['hashtags']} AS _tags, {c['urls']} AS _urls, {c['user_mentions']} AS _mentions
            FROM b_rows""")
        # a tweetid a spreadsheet saved in scientific notation (9.14312E+17) lost its last digits: the
        # release has no other column that holds it, so the row is quarantined, never merged with
        # other tweets as a "duplicate" (a contains() per row: nothing measurable on the fast path)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_quar AS
            SELECT p.rec, 'tweetid in scientific notation (digits lost, e.g. saved by a spreadsheet)' AS reason,
                   to_json(r)::VARCHAR AS raw
            FROM b_posts p JOIN b_rows r ON r.rec = p.rec
            WHERE contains(p.post_id, 'E+') AND {_lossy('p.post_id')}""")
        if con.execute("SELECT count(*) FROM b_quar").fetchone()[0]:
            con.execute("DELETE FROM b_posts WHERE rec IN (SELECT rec FROM b_quar)")
        # every row repeats its author's profile: keep one per account (most complete, then latest),
        # as the merge would, with a grouped arg_max instead of a row per tweet. Rows with identical
        # profile cells normalise identically, so only the latest of each is normalised at all
        profile = [c[x] for x in IO_USER_COLUMNS if x in cols]
        cells = ", ".join(profile)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT account_id, arg_max(COLUMNS(* EXCLUDE (account_id, _k)), _k) FROM (
            SELECT *, ({PROFILE_COMPLETENESS}) * 1099511627776 + rec AS _k FROM (
            SELECT rec, 'twitter' AS platform, {uid} AS account_id, {nz(c['user_screen_name'])} AS handle,
                {nz(c['user_display_name'])} AS display_name, {nz(c['user_profile_description'])} AS bio,
                {nz(c['user_reported_location'])} AS location, {nz(c['user_profile_url'])} AS url,
                {to_ts(c['account_creation_date'], self.day_first)} AS created_at, {to_int(c['follower_count'])} AS followers,
                {to_int(c['following_count'])} AS following, NULL::BIGINT AS posts_count, NULL::BIGINT AS likes_count,
                NULL::BIGINT AS listed_count, NULL::BOOLEAN AS verified, NULL::BOOLEAN AS protected,
                NULL::BOOLEAN AS default_profile, NULL::BOOLEAN AS default_profile_image,
                {nz(c['account_language'])} AS lang, NULL::VARCHAR AS profile_image_url, NULL::VARCHAR AS extra
            FROM (SELECT max(rec) AS rec, {cells} FROM b_rows GROUP BY ALL) WHERE {uid} IS NOT NULL)) GROUP BY account_id""")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW b_edges AS
            SELECT rec, platform, post_id, 'retweet' AS kind, retweet_of_account_id AS target_account_id,
                   {_rt_handle('text')} AS target_handle, retweet_of_post_id AS target_post_id
            FROM b_posts WHERE kind = 'retweet'
            UNION ALL SELECT rec, platform, post_id, 'quote', NULL, NULL, quote_of_post_id FROM b_posts WHERE quote_of_post_id IS NOT NULL
            UNION ALL SELECT rec, platform, post_id, 'reply', reply_to_account_id, NULL, reply_to_post_id FROM b_posts
                WHERE reply_to_post_id IS NOT NULL OR reply_to_account_id IS NOT NULL
            UNION ALL SELECT rec, platform, post_id, 'mention', m, NULL, NULL FROM (
                SELECT rec, platform, post_id, retweet_of_account_id, unnest({to_list('_mentions')}) AS m FROM b_posts
                WHERE _mentions IS NOT NULL AND length(_mentions) > 2)
                WHERE m IS DISTINCT FROM retweet_of_account_id""")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW b_tags AS
            SELECT rec, platform, post_id, unnest(l) AS tag_raw, (generate_subscripts(l, 1) - 1)::BIGINT AS position
            FROM (SELECT rec, platform, post_id, list_transform({to_list('_tags')}, lambda t: ltrim(t, '#')) AS l FROM b_posts
                  WHERE _tags IS NOT NULL AND length(_tags) > 2)""")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW b_urls AS
            SELECT rec, platform, post_id, (generate_subscripts(l, 1) - 1)::BIGINT AS position, unnest(l) AS url, NULL::VARCHAR AS expanded_url
            FROM (SELECT rec, platform, post_id, {to_list('_urls')} AS l FROM b_posts WHERE _urls IS NOT NULL AND length(_urls) > 2)""")
        # (views: computed once, when the batch is exported; b_posts keeps its _tags, _urls and
        # _mentions columns, which the export leaves out)
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls", "b_quar"}

    def _dev(self, con, cols: list[str]) -> set[str]:
        c = {x: (q(x) if x in cols else "NULL::VARCHAR") for x in IO_DEV_COLUMNS}
        used = set(IO_DEV_COLUMNS) - {"is_quote"}
        rt = _rt_handle(c["text"])
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT rec, 'twitter' AS platform, {nz(c['post_id'])} AS post_id, {nz(c['account_id'])} AS account_id,
                {nz(c['screen_name'])} AS handle, {to_ts(c['created_at'], self.day_first)} AS created_at, {c['text']} AS text,
                {nz(c['lang'])} AS lang,
                CASE WHEN {rt} IS NOT NULL THEN 'retweet' WHEN coalesce({to_bool(c['is_quote'])}, false) THEN 'quote' ELSE 'post' END AS kind,
                NULL::VARCHAR AS reply_to_post_id, NULL::VARCHAR AS reply_to_account_id, NULL::VARCHAR AS retweet_of_post_id,
                NULL::VARCHAR AS retweet_of_account_id, NULL::VARCHAR AS quote_of_post_id, NULL::VARCHAR AS quote_of_account_id,
                NULL::VARCHAR AS conversation_id, NULL::BIGINT AS like_count, NULL::BIGINT AS retweet_count,
                NULL::BIGINT AS reply_count, NULL::BIGINT AS quote_count, NULL::BIGINT AS view_count, NULL::VARCHAR AS client,
                NULL::VARCHAR AS url, NULL::BOOLEAN AS withheld, NULL::BOOLEAN AS deleted,
                {extra_json(cols, used)} AS extra
            FROM b_rows""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, 'twitter' AS platform, {nz(c['account_id'])} AS account_id, {nz(c['screen_name'])} AS handle,
                {to_int(c['followers_count'])} AS followers, {to_int(c['following_count'])} AS following
            FROM b_rows WHERE {nz(c['account_id'])} IS NOT NULL""")
        _pad_accounts(con)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_edges AS
            SELECT rec, platform, post_id, 'retweet' AS kind, NULL::VARCHAR AS target_account_id,
                   {_rt_handle('text')} AS target_handle, NULL::VARCHAR AS target_post_id
            FROM b_posts WHERE kind = 'retweet'""")
        text_entities(con)
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls"}


class IOUsers(CsvAdapter):
    """The users file of an IO archive: one profile per row; records are accounts."""

    name = "io-users"
    time_columns = ("account_creation_date",)
    platform = "twitter"
    mode = "users"
    required = ("userid",)

    def stage_rows(self, con, cols: list[str]) -> set[str]:
        c = {x: (q(x) if x in cols else "NULL::VARCHAR") for x in IO_USER_COLUMNS}
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, 'twitter' AS platform, {nz(c['userid'])} AS account_id, {nz(c['user_screen_name'])} AS handle,
                {nz(c['user_display_name'])} AS display_name, {nz(c['user_profile_description'])} AS bio,
                {nz(c['user_reported_location'])} AS location, {nz(c['user_profile_url'])} AS url,
                {to_ts(c['account_creation_date'], self.day_first)} AS created_at, {to_int(c['follower_count'])} AS followers,
                {to_int(c['following_count'])} AS following, {nz(c['account_language'])} AS lang,
                {extra_json(cols, set(IO_USER_COLUMNS))} AS extra
            FROM b_rows""")
        _pad_accounts(con)
        return {"b_accounts"}
