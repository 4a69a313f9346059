"""CSV adapters: Twitter IO archive (tweets and users), Clemson/538 IRA, CrowdTangle, any CSV.

Rows are read with pyarrow (streaming blocks, every column as text) and normalised with DuckDB
SQL on the staged block (``b_rows``). Columns the corpus has no place for are kept per post in
``extra`` (JSON), so nothing read is thrown away.
"""

from __future__ import annotations


from .base import CsvAdapter
from .dates import date_order  # noqa: F401  (documented here; base decides with it)
from .common import SQL_HASHTAG_RE, SQL_MENTION_RE, SQL_URL_RE, TZ_ABBR, sql_json_object
from .errors import IngestError
from .merge import PROFILE_COMPLETENESS


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlstr(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def nz(expr: str) -> str:
    """SQL: ``expr`` trimmed, NULL when empty.

    DuckDB's ``trim`` strips Unicode space separators (category Zs); every one but U+0020 is
    non-ASCII, so an ASCII-only cell (``strlen = length``) with no space at either end is left as it
    is without copying it: the same result, for a third of the cost on IO-archive rows."""
    if not (expr.startswith('"') and expr.endswith('"')):
        return f"nullif(trim({expr}), '')"
    return (f"CASE WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') OR strlen({expr}) <> length({expr}) "
            f"THEN nullif(trim({expr}), '') ELSE nullif({expr}, '') END")


def to_int(expr: str) -> str:
    return f"try_cast(try_cast(replace(trim({expr}), ',', '') AS DOUBLE) AS BIGINT)"


def to_bool(expr: str) -> str:
    return (f"CASE WHEN lower(trim({expr})) IN ('true','1','yes','t','y','1.0') THEN true "
            f"WHEN lower(trim({expr})) IN ('false','0','no','f','n','0.0') THEN false END")


_TIME_FORMATS = ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                 "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
# two-digit years as spreadsheets write them ("10/1/17 19:58"): tried first, so that "17" is never
# read as the year 17 (%y takes exactly two digits: a four-digit year falls through to %Y)
_TWO_DIGIT_MONTH_FIRST = ["%m/%d/%y %H:%M", "%m/%d/%y %H:%M:%S", "%m/%d/%y"]
_DAY_FIRST = ["%d/%m/%y %H:%M", "%d/%m/%y %H:%M:%S", "%d/%m/%y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y",
              "%d.%m.%y %H:%M", "%d.%m.%y"]


def time_formats(day_first: bool = False) -> list[str]:
    """strptime formats tried (in order) for times that are not ISO 8601; ``day_first``: slashed
    dates are day/month/year (decided per file from the data, see :func:`date_order`)."""
    if day_first:
        return _DAY_FIRST + [f for f in _TIME_FORMATS if not f.startswith("%m/")]
    return _TWO_DIGIT_MONTH_FIRST + _TIME_FORMATS + ["%d.%m.%y %H:%M", "%d.%m.%y"]


def to_ts(expr: str, day_first: bool = False) -> str:
    """SQL for a UTC TIMESTAMP from ISO 8601 (with or without offset), US / European dates (with
    two- or four-digit years; ``day_first`` for d/m/y files), Twitter v1 dates, epoch seconds or
    milliseconds, and ``... EST``-style zone abbreviations."""
    x = f"trim({expr})"
    fmts = "[" + ", ".join(sqlstr(f) for f in time_formats(day_first)) + "]"
    abbr = "CASE regexp_extract(" + x + ", ' ([A-Z]{2,4})$', 1) " + " ".join(
        f"WHEN '{k}' THEN {v}" for k, v in TZ_ABBR.items() if len(k) >= 2) + " END"
    slow = f"""(CASE
        WHEN {x} IS NULL OR {x} = '' THEN NULL
        WHEN regexp_full_match({x}, '[0-9]{{9,10}}(\\.[0-9]+)?') THEN to_timestamp(try_cast({x} AS DOUBLE)) AT TIME ZONE 'UTC'
        WHEN regexp_full_match({x}, '[0-9]{{12,13}}') THEN to_timestamp(try_cast({x} AS DOUBLE) / 1000) AT TIME ZONE 'UTC'
        WHEN regexp_matches({x}, ' [A-Z]{{2,4}}$') AND ({abbr}) IS NOT NULL THEN
            coalesce(try_cast(regexp_replace({x}, ' [A-Z]{{2,4}}$', '') AS TIMESTAMP), try_strptime(regexp_replace({x}, ' [A-Z]{{2,4}}$', ''), {fmts}))
            - to_minutes(CAST(60 * ({abbr}) AS BIGINT))
        ELSE coalesce(try_strptime({x}, {fmts}), try_strptime({x}, '%a %b %d %H:%M:%S %z %Y') AT TIME ZONE 'UTC')
    END)"""
    # ISO 8601 (with or without offset; naive = UTC: ingest sets the session zone to UTC) is the fast path
    # (the zone-abbreviation regexp runs only where a space is among the last 5 characters: it needs one)
    # (only text with a four-digit year first: DuckDB's cast also reads "10/1/17 19:58" as the year 10)
    return (f"coalesce(CASE WHEN {x}[5:5] = '-' AND NOT (contains(right({x}, 5), ' ') AND regexp_matches({x}, ' [A-Z]{{2,4}}$')) "
            f"THEN try_cast({x} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END, {slow})")


def to_list(expr: str) -> str:
    """Items of an IO-archive list cell ``[a, b]`` / ``['a', 'b']`` as a VARCHAR[]."""
    return (f"list_filter(list_transform(string_split(regexp_replace(trim(coalesce({expr}, '')), '^\\[|\\]$', '', 'g'), ','), "
            f"lambda s: trim(s, ' \"''')), lambda s: s <> '' AND s <> 'absent' AND s <> 'None')")


def extra_json(cols: list[str], used: set[str]) -> str:
    """SQL for a JSON object of the columns not in ``used`` (empty cells left out; NULL when all are)."""
    rest = [c for c in cols if c not in used and c != "rec"]
    if not rest:
        return "NULL::VARCHAR"
    return sql_json_object([(c, f"to_json({nz(q(c))})::VARCHAR") for c in rest])


def text_entities(con, tags: bool = True, urls: bool = True, mentions: bool = True) -> None:
    """Hashtags, links and @mentions parsed from ``b_posts.text`` (for sources without entities)."""
    if tags:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_tags AS
            SELECT rec, platform, post_id, unnest(tags) AS tag_raw, (generate_subscripts(tags, 1) - 1)::BIGINT AS position
            FROM (SELECT rec, platform, post_id, regexp_extract_all(text, {sqlstr(SQL_HASHTAG_RE)}, 1) AS tags
                  FROM b_posts WHERE text LIKE '%#%' OR text LIKE '%＃%')""")
    if urls:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_urls AS
            SELECT rec, platform, post_id, (generate_subscripts(us, 1) - 1)::BIGINT AS position,
                   rtrim(unnest(us), '.,;:!?)]}}') AS url, NULL::VARCHAR AS expanded_url
            FROM (SELECT rec, platform, post_id, regexp_extract_all(text, {sqlstr(SQL_URL_RE)}) AS us
                  FROM b_posts WHERE text ILIKE '%http%')""")
    if mentions:
        con.execute(f"""INSERT INTO b_edges
            SELECT rec, platform, post_id, 'mention', NULL, unnest(ms), NULL
            FROM (SELECT rec, platform, post_id,
                    regexp_extract_all(CASE WHEN kind = 'retweet' THEN regexp_replace(text, '^RT @[A-Za-z0-9_]+:', '') ELSE text END,
                                       {sqlstr(SQL_MENTION_RE)}, 1) AS ms
                  FROM b_posts WHERE text LIKE '%@%' OR text LIKE '%＠%')""")


def _rt_handle(text_expr: str) -> str:
    return f"nullif(regexp_extract({text_expr}, '^RT @([A-Za-z0-9_]+):', 1), '')"


def permalink(handle: str, pid: str) -> str:
    return (f"CASE WHEN regexp_full_match({pid}, '[0-9]+') THEN CASE WHEN {handle} IS NOT NULL AND length({handle}) <= 15 "
            f"THEN 'https://twitter.com/' || {handle} || '/status/' || {pid} ELSE 'https://twitter.com/i/web/status/' || {pid} END END")


def _lossy(expr: str) -> str:
    """SQL: whether an id cell is a number in scientific notation (``9.14312E+17``): its digits
    beyond the mantissa are gone, so it cannot stand for an id."""
    return f"coalesce(regexp_full_match(trim({expr}), '[0-9](\\.[0-9]+)?[eE]\\+?[0-9]+'), false)"


# -- Twitter Information Operations archive ----------------------------------------------------
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


def _pad_accounts(con) -> None:
    """Give ``b_accounts`` every staging column (NULL where the source has none), in order."""
    from .common import ACCOUNTS_COLS

    have = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE b_accounts)").fetchall()}
    types = {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "timestamp[us]": "TIMESTAMP"}
    sel = ", ".join(c if c in have else f"NULL::{types[str(t)]} AS {c}" for c, t in ACCOUNTS_COLS.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE b_accounts AS SELECT {sel} FROM b_accounts")


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


# -- Clemson / FiveThirtyEight IRA tweets ----------------------------------------------------
IRA_COLUMNS = ["external_author_id", "author", "content", "region", "language", "publish_date", "harvested_date",
               "following", "followers", "updates", "post_type", "account_type", "retweet", "account_category",
               "new_june_2018", "alt_external_id", "tweet_id", "article_url", "tco1_step1", "tco2_step1", "tco3_step1"]


class IraCsv(CsvAdapter):
    """The Clemson University / FiveThirtyEight IRA tweets CSV (Linvill & Warren 2018)."""

    name = "ira-csv"
    time_columns = ("publish_date",)
    platform = "twitter"
    required = ("external_author_id", "author", "content")

    def stage_rows(self, con, cols: list[str]) -> set[str]:
        c = {x: (q(x) if x in cols else "NULL::VARCHAR") for x in IRA_COLUMNS}
        # external_author_id went through a float in some releases (906000000000000000, 9.06E+17);
        # alt_external_id holds the exact Twitter user id
        # ids a spreadsheet saved in scientific notation (9.14312E+17) lost their last digits: the
        # exact tweet / user id is recovered from article_url (.../<user id>/statuses/<tweet id>),
        # else the row is quarantined as lossy (never merged with other tweets as a "duplicate")
        lossy_t, lossy_a = _lossy(c["tweet_id"]), _lossy(c["alt_external_id"])
        url_tid = f"nullif(regexp_extract({nz(c['article_url'])}, '/status(?:es)?/([0-9]+)', 1), '')"
        url_uid = f"nullif(regexp_extract({nz(c['article_url'])}, 'twitter\\.com/([0-9]+)/status', 1), '')"
        tid = f"CASE WHEN {lossy_t} THEN {url_tid} ELSE {nz(c['tweet_id'])} END"
        alt = f"CASE WHEN {lossy_a} THEN {url_uid} ELSE {nz(c['alt_external_id'])} END"
        ext = f"CASE WHEN {_lossy(c['external_author_id'])} THEN NULL ELSE {nz(c['external_author_id'])} END"
        acc = f"coalesce({alt}, {ext}, {url_uid})"
        pid = (f"CASE WHEN {lossy_t} THEN {url_tid} ELSE coalesce({tid}, {alt} || '/' || "
               f"md5(coalesce({c['publish_date']},'') || coalesce({c['content']},''))) END")
        pt = f"upper(trim(coalesce({c['post_type']}, '')))"
        used = {"external_author_id", "author", "content", "language", "publish_date", "tweet_id", "following",
                "followers", "updates", "post_type", "retweet", "tco1_step1", "tco2_step1", "tco3_step1",
                "account_type", "account_category", "region", "new_june_2018", "alt_external_id"}
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_posts AS
            SELECT rec, 'twitter' AS platform, CASE WHEN {nz(c['tweet_id'])} IS NULL AND {nz(c['external_author_id'])} IS NULL THEN NULL ELSE {pid} END AS post_id,
                {lossy_t} AND {url_tid} IS NULL AS _lossy,
                {acc} AS account_id, {nz(c['author'])} AS handle, {to_ts(c['publish_date'], self.day_first)} AS created_at,
                {c['content']} AS text, {nz(c['language'])} AS lang,
                CASE WHEN {pt} = 'RETWEET' OR {to_bool(c['retweet'])} THEN 'retweet' WHEN {pt} = 'QUOTE_TWEET' THEN 'quote' ELSE 'post' END AS kind,
                NULL::VARCHAR AS reply_to_post_id, NULL::VARCHAR AS reply_to_account_id, NULL::VARCHAR AS retweet_of_post_id,
                NULL::VARCHAR AS retweet_of_account_id, NULL::VARCHAR AS quote_of_post_id, NULL::VARCHAR AS quote_of_account_id,
                NULL::VARCHAR AS conversation_id, NULL::BIGINT AS like_count, NULL::BIGINT AS retweet_count,
                NULL::BIGINT AS reply_count, NULL::BIGINT AS quote_count, NULL::BIGINT AS view_count, NULL::VARCHAR AS client,
                {permalink(nz(c['author']), nz(c['tweet_id']))} AS url, NULL::BOOLEAN AS withheld, NULL::BOOLEAN AS deleted,
                {extra_json(cols, used)} AS extra,
                list_filter([{nz(c['tco1_step1'])}, {nz(c['tco2_step1'])}, {nz(c['tco3_step1'])}], lambda u: u IS NOT NULL) AS _tco
            FROM b_rows""")
        con.execute("""CREATE OR REPLACE TEMP TABLE b_quar AS
            SELECT p.rec, 'tweet_id in scientific notation (digits lost, e.g. saved by a spreadsheet) and no '
                          || 'article_url to recover it from' AS reason, to_json(r)::VARCHAR AS raw
            FROM b_posts p JOIN b_rows r ON r.rec = p.rec WHERE p._lossy""")
        con.execute("DELETE FROM b_posts WHERE _lossy")
        con.execute("ALTER TABLE b_posts DROP COLUMN _lossy")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, 'twitter' AS platform, {acc} AS account_id, {nz(c['author'])} AS handle,
                {to_int(c['followers'])} AS followers, {to_int(c['following'])} AS following, {to_int(c['updates'])} AS posts_count,
                {nz(c['region'])} AS location,
                json_object('account_type', {nz(c['account_type'])}, 'account_category', {nz(c['account_category'])},
                            'new_june_2018', {nz(c['new_june_2018'])}, 'region', {nz(c['region'])})::VARCHAR AS extra
            FROM b_rows WHERE {acc} IS NOT NULL""")
        _pad_accounts(con)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_edges AS
            SELECT rec, platform, post_id, 'retweet' AS kind, NULL::VARCHAR AS target_account_id,
                   {_rt_handle('text')} AS target_handle, NULL::VARCHAR AS target_post_id
            FROM b_posts WHERE kind = 'retweet' AND {_rt_handle('text')} IS NOT NULL""")
        text_entities(con, urls=False)
        # links: the expanded t.co links the source gives, else those in the text
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_urls AS
            SELECT rec, platform, post_id, (generate_subscripts(_tco, 1) - 1)::BIGINT AS position, unnest(_tco) AS url, NULL::VARCHAR AS expanded_url
            FROM b_posts WHERE len(_tco) > 0
            UNION ALL
            SELECT rec, platform, post_id, (generate_subscripts(us, 1) - 1)::BIGINT, rtrim(unnest(us), '.,;:!?)]}}'), NULL
            FROM (SELECT rec, platform, post_id, regexp_extract_all(text, {sqlstr(SQL_URL_RE)}) AS us FROM b_posts
                  WHERE len(_tco) = 0 AND text ILIKE '%http%')""")
        con.execute("ALTER TABLE b_posts DROP COLUMN _tco")
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls", "b_quar"}


# -- CrowdTangle -----------------------------------------------------------------------------
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


# -- any CSV ---------------------------------------------------------------------------------
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
                ltrim({nz(f('handle'))}, '@') AS handle, {to_ts(f('created_at'), self.day_first)} AS created_at, {f('text')} AS text,
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
        con.execute(f"""CREATE OR REPLACE TEMP TABLE b_accounts AS
            SELECT rec, {platform} AS platform, {nz(f('account_id'))} AS account_id, ltrim({nz(f('handle'))}, '@') AS handle,
                {nz(f('display_name'))} AS display_name, {to_int(f('followers'))} AS followers, {to_int(f('following'))} AS following
            FROM b_rows WHERE {nz(f('account_id'))} IS NOT NULL""")
        _pad_accounts(con)
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
                             CASE WHEN len({to_list("replace(_urls, ' ', ',')")}) > 0 THEN {to_list("replace(_urls, ' ', ',')")}
                                  ELSE list_transform(regexp_extract_all(text, {sqlstr(SQL_URL_RE)}), lambda u: rtrim(u, '.,;:!?)]}}')) END AS l
                      FROM b_posts)""")
        con.execute("ALTER TABLE b_posts DROP COLUMN _tags; ALTER TABLE b_posts DROP COLUMN _urls")
        return {"b_posts", "b_accounts", "b_edges", "b_tags", "b_urls"}
