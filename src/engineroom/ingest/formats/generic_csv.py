"""Any CSV with a post id and a text column, common column names recognised.
"""

from __future__ import annotations

from ..base import CsvAdapter
from ..common import SQL_URL_RE
from ..errors import IngestError
from .csvsql import extra_json, nz, _pad_accounts, q, _rt_handle, sqlstr, text_entities, to_bool, to_int, to_list, to_ts


#: Column names recognised for each corpus field (lower case; the first present wins).
GENERIC_ALIASES: dict[str, list[str]] = {
    "post_id": ["post_id", "id", "tweet_id", "tweetid", "status_id", "id_str", "message_id", "postid"],
    "account_id": ["account_id", "user_id", "author_id", "userid", "user_id_str", "from_id", "owner_id"],
    "handle": ["handle", "username", "screen_name", "user_screen_name", "author", "user_name", "user", "from"],
    "display_name": ["display_name", "name", "user_display_name", "author_name"],
    "text": ["text", "full_text", "message", "content", "body", "tweet_text", "tweet", "post_text"],
    "created_at": ["created_at", "timestamp", "date", "datetime", "time", "published", "published_at",
                   "publish_date", "tweet_time", "created", "posted_at"],
    "lang": ["lang", "language", "tweet_language"],
    "is_retweet": ["is_retweet", "retweet", "retweeted", "is_repost"],
    "retweet_of_post_id": ["retweet_of_post_id", "retweet_id", "retweeted_status_id", "retweet_tweetid", "repost_of", "repost_id"],
    "retweet_of_account_id": ["retweet_of_account_id", "retweet_user_id", "retweet_userid", "retweeted_user_id"],
    "reply_to_post_id": ["reply_to_post_id", "in_reply_to_status_id", "in_reply_to_tweetid", "reply_to_id", "in_reply_to", "reply_to"],
    "reply_to_account_id": ["reply_to_account_id", "in_reply_to_user_id", "in_reply_to_userid", "reply_to_user_id"],
    "quote_of_post_id": ["quote_of_post_id", "quoted_status_id", "quoted_tweet_tweetid", "quote_id"],
    "conversation_id": ["conversation_id", "thread_id"],
    "like_count": ["like_count", "likes", "favorite_count", "favourites_count", "reactions"],
    "retweet_count": ["retweet_count", "retweets", "shares", "share_count", "reposts", "forwards"],
    "reply_count": ["reply_count", "replies", "comments", "comment_count"],
    "quote_count": ["quote_count", "quotes"],
    "view_count": ["view_count", "views", "impressions"],
    "url": ["permalink", "post_url", "tweet_url", "link_to_post"],
    "urls": ["urls", "links", "expanded_urls", "link", "url"],
    "hashtags": ["hashtags", "tags"],
    "client": ["source", "client", "tweet_client_name"],
    "followers": ["followers", "followers_count", "follower_count", "user_followers_count"],
    "following": ["following", "following_count", "friends_count", "user_friends_count"],
    "platform": ["platform", "network", "site"],
}

GENERIC_REQUIRED = ("post_id", "text")


class GenericCsv(CsvAdapter):
    """Any CSV with a post id and a text column. Common column names are recognised (see
    :data:`GENERIC_ALIASES`); ``column_map`` ({field: column}) overrides them. Platform is the
    ``platform`` column where there is one, else ``csv``."""

    name = "csv"
    time_columns = tuple(GENERIC_ALIASES["created_at"])
    unique_accounts = True  # profiles reduced to one per account while staging (:meth:`_stage_accounts`)

    def check_columns(self, cols: list[str]) -> None:
        self.mapping: dict[str, str] = {}
        for field, aliases in GENERIC_ALIASES.items():
            for a in aliases:
                if a in cols:
                    self.mapping[field] = a
                    break
        bad = []
        for field, column in (self.column_map or {}).items():
            if field not in GENERIC_ALIASES:
                raise IngestError(f"--map {field}=...: unknown field; fields are: {', '.join(GENERIC_ALIASES)}")
            if column.lower() not in cols:
                bad.append(f"{field}={column}")
            else:
                self.mapping[field] = column.lower()
        if bad:
            raise IngestError(f"{self.source.name}: column(s) named in --map not in the file: {', '.join(bad)} "
                              f"(found: {', '.join(cols[:40])})")
        if "urls" in self.mapping and self.mapping.get("url") == self.mapping["urls"]:
            del self.mapping["urls"]
        missing = [f for f in GENERIC_REQUIRED if f not in self.mapping]
        if missing:
            wanted = "; ".join(f"{f}: one of {', '.join(GENERIC_ALIASES[f][:6])}" for f in missing)
            raise IngestError(f"{self.source.name}: CSV lacks required column(s) for {', '.join(missing)} ({wanted}); "
                              f"name them with --map field=column (found: {', '.join(cols[:40])})")

    def stage_rows(self, con, cols: list[str]) -> set[str]:
        m = self.mapping

        def f(field: str) -> str:
            return q(m[field]) if field in m else "NULL::VARCHAR"

        platform = f"coalesce(lower({nz(f('platform'))}), 'csv')" if "platform" in m else "'csv'"
        rt_h = _rt_handle(f("text"))
        is_rt = f"(coalesce({to_bool(f('is_retweet'))}, false) OR {nz(f('retweet_of_post_id'))} IS NOT NULL OR {rt_h} IS NOT NULL)"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT rec, {platform} AS platform, {nz(f('post_id'))} AS post_id, {nz(f('account_id'))} AS account_id,
                ltrim({nz(f('handle'))}, '@') AS handle, {to_ts(f('created_at'), self.day_first, epoch_first=True)} AS created_at, {f('text')} AS text,
                {nz(f('lang'))} AS lang,
                CASE WHEN {is_rt} THEN 'retweet' WHEN {nz(f('quote_of_post_id'))} IS NOT NULL THEN 'quote'
                     WHEN {nz(f('reply_to_post_id'))} IS NOT NULL OR {nz(f('reply_to_account_id'))} IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
                {nz(f('reply_to_post_id'))} AS reply_to_post_id, {nz(f('reply_to_account_id'))} AS reply_to_account_id,
                {nz(f('retweet_of_post_id'))} AS retweet_of_post_id, {nz(f('retweet_of_account_id'))} AS retweet_of_account_id,
                {nz(f('quote_of_post_id'))} AS quote_of_post_id, NULL::VARCHAR AS quote_of_account_id,
                {nz(f('conversation_id'))} AS conversation_id, {to_int(f('like_count'))} AS like_count,
                {to_int(f('retweet_count'))} AS retweet_count, {to_int(f('reply_count'))} AS reply_count,
                {to_int(f('quote_count'))} AS quote_count, {to_int(f('view_count'))} AS view_count, {nz(f('client'))} AS client,
                {nz(f('url'))} AS url, NULL::BOOLEAN AS withheld, NULL::BOOLEAN AS deleted,
                {extra_json(cols, set(m.values()))} AS extra,
                {f('hashtags')} AS _tags, {f('urls')} AS _urls
            FROM b_rows""")
        self._stage_accounts(con, f, platform)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_edges AS
            SELECT rec, platform, post_id, 'retweet' AS kind, retweet_of_account_id AS target_account_id,
                   {_rt_handle('text')} AS target_handle, retweet_of_post_id AS target_post_id FROM b_posts WHERE kind = 'retweet'
            UNION ALL SELECT rec, platform, post_id, 'quote', NULL, NULL, quote_of_post_id FROM b_posts WHERE quote_of_post_id IS NOT NULL
            UNION ALL SELECT rec, platform, post_id, 'reply', reply_to_account_id, NULL, reply_to_post_id FROM b_posts
                WHERE reply_to_post_id IS NOT NULL OR reply_to_account_id IS NOT NULL""")
        text_entities(con, tags="hashtags" not in m, urls="urls" not in m)
        if "hashtags" in m:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE b_tags AS
                SELECT rec, platform, post_id, unnest(l) AS tag_raw, (generate_subscripts(l, 1) - 1)::BIGINT AS position
                FROM (SELECT rec, platform, post_id, list_transform({to_list("replace(_tags, ' ', ',')")}, lambda t: ltrim(t, '#')) AS l
                      FROM b_posts WHERE _tags IS NOT NULL)""")
        if "urls" in m:  # the links column, else links in the text
            con.execute(f"""CREATE OR REPLACE TEMP TABLE b_urls AS
                SELECT rec, platform, post_id, (generate_subscripts(l, 1) - 1)::BIGINT AS position, unnest(l) AS url, NULL::VARCHAR AS expanded_url
                FROM (SELECT rec, platform, post_id,
                             CASE WHEN len(c) > 0 THEN c WHEN text ILIKE '%http%'
                                  THEN list_transform(regexp_extract_all(text, {sqlstr(SQL_URL_RE)}), lambda u: rtrim(u, '.,;:!?)]}}')) END AS l
                      FROM (SELECT rec, platform, post_id, text,
                                   CASE WHEN _urls IS NULL OR _urls = '' THEN [] ELSE {to_list("replace(_urls, ' ', ',')")} END AS c
                            FROM b_posts))""")
        con.execute("ALTER TABLE b_posts DROP COLUMN _tags; ALTER TABLE b_posts DROP COLUMN _urls")
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls"}

    def _stage_accounts(self, con, f, platform: str) -> None:
        """``b_accounts``: one profile per account of the block, the one the merge would pick (most
        complete, then latest). Every row of a posts CSV repeats its author's profile cells, so the
        distinct cells are normalised (the latest row of each) and reduced with a grouped
        ``arg_max``, instead of a row per post sorted by a window on the staged batch."""
        m = self.mapping
        fields = ("platform", "account_id", "handle", "display_name", "followers", "following")
        cells = ", ".join(dict.fromkeys(q(m[x]) for x in fields if x in m))
        complete = " + ".join(f"({x} IS NOT NULL)::INT" for x in ("handle", "display_name", "followers", "following"))
        source = f"(SELECT max(rec) AS rec, {cells} FROM b_rows GROUP BY ALL)" if "account_id" in m else "b_rows"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT platform, account_id, arg_max(COLUMNS(* EXCLUDE (platform, account_id, _k)), _k) FROM (
            SELECT *, ({complete}) * 1099511627776 + rec AS _k FROM (
            SELECT rec, {platform} AS platform, {nz(f('account_id'))} AS account_id, ltrim({nz(f('handle'))}, '@') AS handle,
                {nz(f('display_name'))} AS display_name, {to_int(f('followers'))} AS followers, {to_int(f('following'))} AS following
            FROM {source} WHERE {nz(f('account_id'))} IS NOT NULL)) GROUP BY platform, account_id""")
        _pad_accounts(con)
