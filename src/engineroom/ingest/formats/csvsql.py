"""DuckDB SQL the CSV adapters share: cells trimmed and typed, times in the formats spreadsheets
write, list columns, the rest of a row kept in ``extra``, entities found in the text.

Rows are read with pyarrow (streaming blocks, every column as text) and normalised with DuckDB
SQL on the staged block (``b_rows``). Columns the corpus has no place for are kept per post in
``extra`` (JSON), so nothing read is thrown away.
"""

from __future__ import annotations

from ..common import SQL_HASHTAG_RE, sql_json_object, SQL_MENTION_RE, SQL_URL_RE, TZ_ABBR


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


def to_ts(expr: str, day_first: bool = False, epoch_first: bool = False) -> str:
    """SQL for a UTC TIMESTAMP from ISO 8601 (with or without offset), US / European dates (with
    two- or four-digit years; ``day_first`` for d/m/y files), Twitter v1 dates, epoch seconds or
    milliseconds, and ``... EST``-style zone abbreviations.

    ``epoch_first``: whole epoch seconds (9-10 digits, as CNT's CSV writes them) are tried first,
    as integer microseconds (the same timestamp as the general path, without its string slicing
    and time-zone conversion); for files whose times are mostly epoch seconds."""
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
    general = (f"coalesce(CASE WHEN {x}[5:5] = '-' AND NOT (contains(right({x}, 5), ' ') AND regexp_matches({x}, ' [A-Z]{{2,4}}$')) "
               f"THEN try_cast({x} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END, {slow})")
    if not epoch_first:
        return general
    return (f"CASE WHEN regexp_full_match({x}, '[0-9]{{9,10}}') THEN make_timestamp(CAST({x} AS BIGINT) * 1000000) "
            f"ELSE {general} END")


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


def _pad_accounts(con) -> None:
    """Give ``b_accounts`` every staging column (NULL where the source has none), in order."""
    from ..common import ACCOUNTS_COLS

    have = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE b_accounts)").fetchall()}
    types = {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "timestamp[us]": "TIMESTAMP"}
    sel = ", ".join(c if c in have else f"NULL::{types[str(t)]} AS {c}" for c, t in ACCOUNTS_COLS.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE b_accounts AS SELECT {sel} FROM b_accounts")
