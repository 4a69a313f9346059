"""Writer of a synthetic corpus as twarc2 JSONL: Twitter API v2 response pages, one per line.

What ``twarc2 search`` saves: each line is one page of up to 100 tweets (``data``) with the
``includes`` expansions (users, referenced tweets) and the ``__twarc`` metadata, so that
:mod:`engineroom.ingest` reads it as it reads a real twarc2 export.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from .files import json_text, open_text
from .posts import Post
from .scenario import REPLY, RETWEET, _REF_TYPE
from .text import base62
from .world import World


class Twarc2Writer:
    """Twitter API v2 response pages as ``twarc2 search`` writes them: one JSON page per line."""

    page_size = 100

    def __init__(self, path: Path, world: World) -> None:
        self.w = world
        self.f = open_text(path)
        self.pages = 0
        self.retrieved = (world.start + timedelta(days=world.days + 2)).isoformat()
        self.url = (
            "https://api.twitter.com/2/tweets/search/all?expansions=author_id%2Creferenced_tweets.id%2C"
            "referenced_tweets.id.author_id%2Centities.mentions.username%2Cin_reply_to_user_id"
            "&tweet.fields=author_id%2Cconversation_id%2Ccreated_at%2Centities%2Cin_reply_to_user_id"
            "%2Clang%2Cpublic_metrics%2Creferenced_tweets%2Csource&user.fields=created_at%2Cdescription"
            "%2Clocation%2Cname%2Cprofile_image_url%2Cpublic_metrics%2Cverified%2Cusername"
            "&max_results=100&query=%28antisemitism+OR+labour+OR+uk%29"
        )
        self._users: dict[int, dict] = {}
        self._refs: dict[str, dict] = {}

    def user(self, i: int) -> dict:
        u = self._users.get(i)
        if u is None:
            A = self.w.acc
            img = ("https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                   if A.default_image[i] else
                   f"https://pbs.twimg.com/profile_images/{1500000000000000000 + i * 7919}/{base62(i * 2654435761, 8)}_normal.jpg")
            u = {
                "id": A.id_str[i],
                "username": A.handles[i],
                "name": A.names[i],
                "description": A.bios[i],
                "location": A.locations[i] or None,
                "created_at": A.created_iso[i],
                "public_metrics": {
                    "followers_count": int(A.followers[i]),
                    "following_count": int(A.following[i]),
                    "tweet_count": int(A.tweet_count[i]),
                    "listed_count": int(A.listed[i]),
                },
                "verified": bool(A.verified[i]),
                "protected": False,
                "profile_image_url": img,
                "url": "",
            }
            if u["location"] is None:
                del u["location"]
            self._users[i] = u
        return u

    def tweet(self, p: Post) -> dict:
        A = self.w.acc
        d: dict[str, Any] = {
            "id": p.pid,
            "text": p.text,
            "author_id": A.id_str[p.aidx],
            "created_at": p.iso,
            "conversation_id": p.conv,
            "lang": "en",
            "source": A.client_name[p.aidx],
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "edit_history_tweet_ids": [p.pid],
            "public_metrics": {"retweet_count": p.metrics[0], "reply_count": p.metrics[1],
                               "like_count": p.metrics[2], "quote_count": p.metrics[3],
                               "impression_count": 0 if p.kind == RETWEET else p.metrics[2] * 37},
        }
        ents: dict[str, list] = {}
        if p.tags:
            ents["hashtags"] = [{"start": s, "end": e, "tag": t} for s, e, t in p.tags]
        if p.ments:
            ents["mentions"] = [{"start": s, "end": e, "username": A.handles[m], "id": A.id_str[m]} for s, e, m in p.ments]
        if p.urls:
            ents["urls"] = [{"start": s, "end": e, "url": u, "expanded_url": x, "display_url": dd} for s, e, u, x, dd in p.urls]
        if ents:
            d["entities"] = ents
        ref = (p.ref.pid, p.ref.aidx) if p.ref is not None else p.refmeta
        if ref is not None:
            d["referenced_tweets"] = [{"type": _REF_TYPE[p.kind], "id": ref[0]}]
            if p.kind == REPLY:
                d["in_reply_to_user_id"] = A.id_str[ref[1]]
        return d

    def write(self, posts: list[Post]) -> None:
        A = self.w.acc
        for k in range(0, len(posts), self.page_size):
            page = posts[k:k + self.page_size]
            data = []
            users: dict[int, None] = {}
            refs: dict[str, Post] = {}
            for p in page:
                data.append(self.tweet(p))
                users[p.aidx] = None
                for _s, _e, m in p.ments:
                    users[m] = None
                if p.ref is not None:
                    refs[p.ref.pid] = p.ref
                    users[p.ref.aidx] = None
            inc_tweets = []
            cache = self._refs
            for pid, rp in refs.items():
                d = cache.get(pid)
                if d is None:
                    d = cache[pid] = self.tweet(rp)
                inc_tweets.append(d)
            obj = {
                "data": data,
                "includes": {"users": [self.user(u) for u in users], "tweets": inc_tweets}
                if inc_tweets else {"users": [self.user(u) for u in users]},
                "meta": {
                    "newest_id": max(page, key=lambda q: q.seq).pid,
                    "oldest_id": min(page, key=lambda q: q.seq).pid,
                    "result_count": len(page),
                    "next_token": base62(self.pages * 104729 + 17, 24),
                },
                "__twarc": {"url": self.url, "version": "2.14.0", "retrieved_at": self.retrieved},
            }
            self.f.write(json_text(obj))
            self.f.write("\n")
            self.pages += 1
        if len(self._users) > 200_000:
            self._users.clear()
        if len(self._refs) > 20_000:  # referenced posts: popular ones are referenced again and again
            self._refs.clear()

    def close(self) -> list[Path]:
        self.f.close()
        return []
