"""The Clemson University / FiveThirtyEight IRA tweets CSV (Linvill & Warren 2018).
"""

from __future__ import annotations

from ..base import CsvAdapter
from ..common import SQL_URL_RE
from .csvsql import extra_json, _lossy, nz, _pad_accounts, permalink, q, _rt_handle, sqlstr, text_entities, to_bool, to_int, to_ts


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
