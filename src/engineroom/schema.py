"""The corpus schema: the one place that says which tables a corpus holds and what each column means.

Every platform is normalised into the same tables. Platform ids are kept as strings and
``platform`` is part of every key, so a Twitter user ``123`` and a Bluesky DID never collide.
Source fields that have no column of their own are kept, as JSON, in ``extra``: nothing read is
thrown away.

Times are ``TIMESTAMP`` in UTC (naive). Counts are ``BIGINT`` and ``NULL`` where the source did not
say (``NULL`` is "unknown", ``0`` is "zero").

Findings tables are written by analyses (see :mod:`engineroom.analyses`); each analysis module
documents its own findings tables. The app tables (``users``, ``reviews``, ``sessions``) are
defined here too because they live in the corpus file next to the data they describe.

See ``docs/schema.md`` for the same schema written for analysts.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1

#: Interaction kinds, in the ``interactions.kind`` column.
INTERACTION_KINDS = ("retweet", "quote", "reply", "mention")

#: Post kinds, in the ``posts.kind`` column.
POST_KINDS = ("post", "retweet", "quote", "reply")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    #: False: the key is unique because ingest stores each key once (posts are deduplicated against
    #: the corpus; hashtags / urls / media / interactions are stored only with a newly stored post,
    #: deduplicated within it), not because an index enforces it. A PRIMARY KEY index makes bulk
    #: inserts and the commit markedly slower (ART maintenance), so the big tables go without one.
    enforced: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = [
            f"    {c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        ]
        if self.key and self.enforced:
            cols.append(f"    PRIMARY KEY ({', '.join(self.key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n" + ",\n".join(cols) + "\n)"


def _c(name: str, type_: str, doc: str, nullable: bool = True) -> Column:
    return Column(name, type_, doc, nullable)


ACCOUNTS = Table(
    "accounts",
    "One row per account (user, page, group, channel) seen as an author or profile.",
    (
        _c("platform", "VARCHAR", "twitter, facebook, instagram, bluesky, telegram, csv, ...", False),
        _c("account_id", "VARCHAR", "the platform's id for the account, as a string (hashed in IO archives)", False),
        _c("handle", "VARCHAR", "screen name / handle without @ (may change over time; last seen)"),
        _c("display_name", "VARCHAR", "the name shown on the profile"),
        _c("bio", "VARCHAR", "profile description"),
        _c("location", "VARCHAR", "self-reported location"),
        _c("url", "VARCHAR", "link on the profile"),
        _c("created_at", "TIMESTAMP", "when the account was created (UTC)"),
        _c("followers", "BIGINT", "followers count when last seen"),
        _c("following", "BIGINT", "following (friends) count when last seen"),
        _c("posts_count", "BIGINT", "statuses count reported by the platform"),
        _c("likes_count", "BIGINT", "favourites count reported by the platform"),
        _c("listed_count", "BIGINT", "lists the account is on"),
        _c("verified", "BOOLEAN", "platform verification badge"),
        _c("protected", "BOOLEAN", "protected / private account"),
        _c("default_profile", "BOOLEAN", "profile left at the platform defaults"),
        _c("default_profile_image", "BOOLEAN", "avatar left at the platform default"),
        _c("lang", "VARCHAR", "account language (as reported)"),
        _c("profile_image_url", "VARCHAR", "avatar URL"),
        _c("extra", "JSON", "source fields without a column of their own"),
        _c("ingest_id", "VARCHAR", "the ingest that first stored this row"),
    ),
    ("platform", "account_id"),
)

POSTS = Table(
    "posts",
    "One row per post (tweet, retweet, Facebook post, skeet, Telegram message).",
    (
        _c("platform", "VARCHAR", "platform of the post", False),
        _c("post_id", "VARCHAR", "the platform's id for the post, as a string", False),
        _c("account_id", "VARCHAR", "author's account id"),
        _c("handle", "VARCHAR", "author's handle at the time of the post"),
        _c("created_at", "TIMESTAMP", "when it was posted (UTC)"),
        _c("text", "VARCHAR", "full text (for retweets: the retweeted text when the source gives it)"),
        _c("lang", "VARCHAR", "language code as given by the source"),
        _c("kind", "VARCHAR", "post, retweet, quote or reply"),
        _c("reply_to_post_id", "VARCHAR", "post this replies to"),
        _c("reply_to_account_id", "VARCHAR", "author of the post this replies to"),
        _c("retweet_of_post_id", "VARCHAR", "post this retweets / reposts / forwards"),
        _c("retweet_of_account_id", "VARCHAR", "author of the retweeted post"),
        _c("quote_of_post_id", "VARCHAR", "post this quotes"),
        _c("quote_of_account_id", "VARCHAR", "author of the quoted post"),
        _c("conversation_id", "VARCHAR", "thread / conversation id"),
        _c("like_count", "BIGINT", "likes / reactions"),
        _c("retweet_count", "BIGINT", "retweets / shares / forwards"),
        _c("reply_count", "BIGINT", "replies / comments"),
        _c("quote_count", "BIGINT", "quotes"),
        _c("view_count", "BIGINT", "views / impressions where given"),
        _c("client", "VARCHAR", "posting client (source app), e.g. 'Twitter Web App'"),
        _c("url", "VARCHAR", "permalink to the post where it can be built"),
        _c("withheld", "BOOLEAN", "content withheld in some country"),
        _c("deleted", "BOOLEAN", "the source marks the post as deleted / unavailable"),
        _c("extra", "JSON", "source fields without a column of their own"),
        _c("ingest_id", "VARCHAR", "the ingest that stored this row"),
    ),
    ("platform", "post_id"),
    enforced=False,
)

INTERACTIONS = Table(
    "interactions",
    "Directed account-to-account edges with time: who retweeted, quoted, replied to, mentioned whom.",
    (
        _c("platform", "VARCHAR", "platform", False),
        _c("post_id", "VARCHAR", "the post that makes the edge", False),
        _c("kind", "VARCHAR", "retweet, quote, reply or mention", False),
        _c("source_account_id", "VARCHAR", "the acting account (author of post_id)"),
        _c("target_account_id", "VARCHAR", "the account acted upon (NULL when only a handle is known)"),
        _c("target_handle", "VARCHAR", "handle of the target, lower case, without @ (NULL when unknown)"),
        _c("target_post_id", "VARCHAR", "the retweeted / quoted / replied-to post"),
        _c("created_at", "TIMESTAMP", "time of post_id"),
        _c("target_key", "VARCHAR", "target_account_id, else '@' || target_handle, else 'post:' || target_post_id (a link to a post whose author the export does not give): part of the key", False),
    ),
    ("platform", "post_id", "kind", "target_key"),
    enforced=False,
)

HASHTAGS = Table(
    "hashtags",
    "Hashtags used in posts (lower-cased, without #).",
    (
        _c("platform", "VARCHAR", "platform", False),
        _c("post_id", "VARCHAR", "post", False),
        _c("tag", "VARCHAR", "hashtag, lower case, without #", False),
        _c("tag_raw", "VARCHAR", "hashtag as written (first occurrence)"),
        _c("position", "INTEGER", "order of the hashtag in the post, from 0"),
    ),
    ("platform", "post_id", "tag"),
    enforced=False,
)

URLS = Table(
    "urls",
    "Links in posts, with the expanded URL where the source gives it and its registered domain.",
    (
        _c("platform", "VARCHAR", "platform", False),
        _c("post_id", "VARCHAR", "post", False),
        _c("position", "INTEGER", "order of the link in the post, from 0", False),
        _c("url", "VARCHAR", "the link as written (often a t.co short link)"),
        _c("expanded_url", "VARCHAR", "expanded link where the source gives it, else url"),
        _c("domain", "VARCHAR", "registered domain of expanded_url (public-suffix list, e.g. bbc.co.uk)"),
        _c("host", "VARCHAR", "full host name of expanded_url"),
    ),
    ("platform", "post_id", "position"),
    enforced=False,
)

MEDIA = Table(
    "media",
    "Images and videos attached to posts. Hashes are filled by the images analysis.",
    (
        _c("platform", "VARCHAR", "platform", False),
        _c("post_id", "VARCHAR", "post", False),
        _c("media_key", "VARCHAR", "the platform's media id, or the URL / path when there is none", False),
        _c("type", "VARCHAR", "photo, video, animated_gif, document, ..."),
        _c("url", "VARCHAR", "source URL of the media"),
        _c("local_path", "VARCHAR", "path of a local copy (from a media folder or the export)"),
        _c("pdq", "VARCHAR", "PDQ hash, 64 hex characters"),
        _c("pdq_quality", "INTEGER", "PDQ quality 0-100"),
        _c("phash", "VARCHAR", "pHash, 16 hex characters"),
        _c("extra", "JSON", "source fields without a column of their own"),
    ),
    ("platform", "post_id", "media_key"),
    enforced=False,
)

QUARANTINE = Table(
    "quarantine",
    "Input records that could not be stored, with where they came from and why.",
    (
        _c("ingest_id", "VARCHAR", "the ingest that read the record", False),
        _c("file", "VARCHAR", "input file (and member, for archives)", False),
        _c("line", "BIGINT", "line number (JSONL) or record number (CSV, JSON arrays), from 1", False),
        _c("reason", "VARCHAR", "why it was not stored", False),
        _c("raw", "VARCHAR", "the raw record text (truncated to 64 KiB)"),
    ),
)

INGESTS = Table(
    "ingests",
    "One row per input file ingested, with its counts. read = stored + duplicate + quarantined.",
    (
        _c("ingest_id", "VARCHAR", "id of this ingest", False),
        _c("file", "VARCHAR", "absolute path of the input file", False),
        _c("format", "VARCHAR", "adapter used (twarc2, io-archive, ...)"),
        _c("sha256", "VARCHAR", "SHA-256 of the file's bytes: a file already ingested is skipped"),
        _c("size_bytes", "BIGINT", "file size"),
        _c("records_read", "BIGINT", "records read from the file (posts, or users for a users file)"),
        _c("records_stored", "BIGINT", "records stored as new rows"),
        _c("records_duplicate", "BIGINT", "records whose key was already in the corpus"),
        _c("records_quarantined", "BIGINT", "records sent to quarantine"),
        _c("started_at", "TIMESTAMP", "when the ingest started (UTC)"),
        _c("finished_at", "TIMESTAMP", "when it committed (UTC)"),
        _c("options", "JSON", "adapter options (column map, media folder, ...)"),
    ),
    ("ingest_id",),
)

RUNS = Table(
    "runs",
    "One row per analysis run: what ran, with which parameters and model versions, on which data.",
    (
        _c("run_id", "VARCHAR", "id of the run", False),
        _c("analysis", "VARCHAR", "analysis name", False),
        _c("engine", "VARCHAR", "duckdb or spark"),
        _c("params", "JSON", "parameters the analysis ran with (defaults included)"),
        _c("version", "VARCHAR", "analysis / model version"),
        _c("summary", "JSON", "headline figures the analysis reported"),
        _c("started_at", "TIMESTAMP", "start (UTC)"),
        _c("finished_at", "TIMESTAMP", "end (UTC)"),
    ),
    ("run_id",),
)

USERS = Table(
    "users",
    "Before the review store: reviewers of `engineroom serve`. Users now live in `<corpus>.review.sqlite` "
    "(engineroom.serve.store); rows here are copied there once and no longer read.",
    (
        _c("username", "VARCHAR", "login name", False),
        _c("password_hash", "VARCHAR", "scrypt$N$r$p$salt$hash", False),
        _c("created_at", "TIMESTAMP", "when the user was added"),
        _c("is_admin", "BOOLEAN", "may manage users"),
    ),
    ("username",),
)

REVIEWS = Table(
    "reviews",
    "Before the review store: the audit log of reviewer decisions. Decisions now live in "
    "`<corpus>.review.sqlite` (engineroom.serve.store); rows here are copied there once and no longer read.",
    (
        _c("review_id", "VARCHAR", "id of the decision", False),
        _c("item_type", "VARCHAR", "post, account or cluster", False),
        _c("platform", "VARCHAR", "platform of the item"),
        _c("item_id", "VARCHAR", "post_id, account_id or cluster id", False),
        _c("analysis", "VARCHAR", "the analysis whose flag was reviewed"),
        _c("decision", "VARCHAR", "confirm, reject or escalate", False),
        _c("note", "VARCHAR", "reviewer's note"),
        _c("reviewer", "VARCHAR", "username", False),
        _c("decided_at", "TIMESTAMP", "when (UTC)", False),
    ),
    ("review_id",),
)

CORPUS_TABLES: tuple[Table, ...] = (ACCOUNTS, POSTS, INTERACTIONS, HASHTAGS, URLS, MEDIA)
BOOKKEEPING_TABLES: tuple[Table, ...] = (QUARANTINE, INGESTS, RUNS)
APP_TABLES: tuple[Table, ...] = (USERS, REVIEWS)
ALL_TABLES: tuple[Table, ...] = CORPUS_TABLES + BOOKKEEPING_TABLES + APP_TABLES
TABLES: dict[str, Table] = {t.name: t for t in ALL_TABLES}


def create_all(con) -> None:
    """Create every schema table that does not exist yet on a DuckDB connection."""
    for table in ALL_TABLES:
        con.execute(table.ddl())
    con.execute("CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        "INSERT OR IGNORE INTO schema_info VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    )


def markdown() -> str:
    """The schema as Markdown (``docs/schema.md`` is generated from this)."""
    out = [
        "# The engineroom corpus schema",
        "",
        "Generated from `src/engineroom/schema.py` (`python -m engineroom.schema > docs/schema.md`).",
        "Ids are strings; `platform` is part of every key; times are UTC; `extra` keeps source fields",
        "that have no column of their own, as JSON.",
        "",
    ]
    for group, tables in (
        ("Corpus tables", CORPUS_TABLES),
        ("Bookkeeping", BOOKKEEPING_TABLES),
        ("Review app", APP_TABLES),
    ):
        out += [f"## {group}", ""]
        for t in tables:
            key = f" Key: `({', '.join(t.key)})`." if t.key else ""
            if t.key and not t.enforced:
                key += " (Unique because ingest stores each key once; no index enforces it.)"
            out += [f"### `{t.name}`", "", t.doc + key, "", "| column | type | meaning |", "|---|---|---|"]
            out += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in t.columns]
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
