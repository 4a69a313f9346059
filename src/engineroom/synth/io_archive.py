"""Writer of a synthetic corpus as a Twitter Information Operations archive.

The 31-column unhashed tweets CSV (``IO_TWEET_COLUMNS``, every cell quoted, as Twitter published
its state-backed operation datasets) and, beside it, the users CSV (``IO_USER_COLUMNS``) of every
account that posted; :func:`io_users_path` names that file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .files import open_text
from .posts import Post
from .scenario import QUOTE, REPLY, RETWEET
from .world import World

IO_TWEET_COLUMNS = [
    "tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language", "tweet_language", "tweet_text", "tweet_time",
    "tweet_client_name", "in_reply_to_tweetid", "in_reply_to_userid", "quoted_tweet_tweetid",
    "is_retweet", "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count",
    "reply_count", "like_count", "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices",
]
IO_USER_COLUMNS = [
    "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language",
]


def io_users_path(path: Path) -> Path:
    """The users file written beside an IO-archive tweets file (``x_tweets.csv`` -> ``x_users.csv``)."""
    name = path.name
    if "tweets" in name:
        return path.with_name(name.replace("tweets", "users", 1))
    stem, dot, ext = name.partition(".")
    return path.with_name(f"{stem}_users.{ext}" if dot else f"{stem}_users")


class IOArchiveWriter:
    """Twitter's Information Operations archive: the 31-column tweets CSV (unhashed) and users CSV."""

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.path = path
        self.f = open_text(path)
        self.out = csv.writer(self.f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        self.out.writerow(IO_TWEET_COLUMNS)
        A = world.acc
        self.created_day = [s[:10] for s in np.datetime_as_string(A.created_ms.astype("datetime64[ms]"), unit="D").tolist()]
        self.seen = np.zeros(A.n, dtype=bool)

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        rows = []
        for p in posts:
            i = p.aidx
            ref = p.ref
            rows.append((
                p.pid, A.id_str[i], A.names[i], A.handles[i], A.locations[i], A.bios[i], "",
                int(A.followers[i]), int(A.following[i]), self.created_day[i], "en", "en", p.text,
                p.iso[:10] + " " + p.iso[11:16], A.client_name[i],
                ref.pid if p.kind == REPLY else "", A.id_str[ref.aidx] if p.kind == REPLY else "",
                ref.pid if p.kind == QUOTE else "",
                "True" if p.kind == RETWEET else "False",
                A.id_str[ref.aidx] if p.kind == RETWEET else "", ref.pid if p.kind == RETWEET else "",
                "absent", "absent",
                0 if p.kind == RETWEET else p.metrics[3], 0 if p.kind == RETWEET else p.metrics[1],
                0 if p.kind == RETWEET else p.metrics[2], 0 if p.kind == RETWEET else p.metrics[0],
                "[" + ", ".join(t for _s, _e, t in p.tags) + "]",
                "[" + ", ".join(x for _s, _e, _u, x, _d in p.urls) + "]",
                "[" + ", ".join(A.id_str[m] for _s, _e, m in p.ments) + "]",
                "",
            ))
        self.out.writerows(rows)
        self.seen[np.fromiter((p.aidx for p in posts), dtype=np.int64, count=len(posts))] = True

    def close(self) -> list[Path]:
        self.f.close()
        A = self.w.acc
        upath = io_users_path(self.path)
        with open_text(upath) as f:
            out = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            out.writerow(IO_USER_COLUMNS)
            for i in np.nonzero(self.seen)[0].tolist():
                out.writerow((A.id_str[i], A.names[i], A.handles[i], A.locations[i], A.bios[i], "",
                              int(A.followers[i]), int(A.following[i]), self.created_day[i], "en"))
        return [upath]
