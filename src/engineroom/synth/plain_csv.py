"""Writer of a synthetic corpus as a plain CSV: one post per row, spreadsheet-style column names.

The columns are ``CSV_COLUMNS`` (post, author, time, text, kind, what it replies to / retweets /
quotes, hashtags, links and mentions as space-separated lists, engagement counts, author profile).
"""

from __future__ import annotations

import csv
from pathlib import Path

from .files import open_text
from .posts import Post
from .scenario import KIND_NAMES, QUOTE, REPLY, RETWEET
from .text import iso_ms
from .world import World

CSV_COLUMNS = [
    "post_id", "account_id", "screen_name", "display_name", "created_at", "text", "lang", "kind",
    "reply_to_post_id", "reply_to_account_id", "retweet_of_post_id", "retweet_of_account_id",
    "quote_of_post_id", "quote_of_account_id", "hashtags", "urls", "mentions", "like_count",
    "retweet_count", "reply_count", "quote_count", "followers", "following", "account_created_at",
    "bio", "client",
]


class CSVWriter:
    """A plain CSV, one post per row, with the column names a spreadsheet export would have."""

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.f = open_text(path)
        self.out = csv.writer(self.f, lineterminator="\n")
        self.out.writerow(CSV_COLUMNS)
        A = world.acc
        self.created = iso_ms(A.created_ms)

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        rows = []
        for p in posts:
            i = p.aidx
            ref = p.ref
            ra = A.id_str[ref.aidx] if ref is not None else ""
            rows.append((
                p.pid, A.id_str[i], A.handles[i], A.names[i], p.iso, p.text, "en", KIND_NAMES[p.kind],
                ref.pid if p.kind == REPLY else "", ra if p.kind == REPLY else "",
                ref.pid if p.kind == RETWEET else "", ra if p.kind == RETWEET else "",
                ref.pid if p.kind == QUOTE else "", ra if p.kind == QUOTE else "",
                " ".join(t for _s, _e, t in p.tags),
                " ".join(x for _s, _e, _u, x, _d in p.urls),
                " ".join(A.handles[m] for _s, _e, m in p.ments),
                p.metrics[2], p.metrics[0], p.metrics[1], p.metrics[3],
                int(A.followers[i]), int(A.following[i]), self.created[i], A.bios[i],
                A.client_name[i],
            ))
        self.out.writerows(rows)

    def close(self) -> list[Path]:
        self.f.close()
        return []
