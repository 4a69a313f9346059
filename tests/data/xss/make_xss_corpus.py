"""Write xss_twarc2.jsonl: the XSS payloads of payloads.txt as a Twitter API v2 (twarc2) export.

Every payload appears in a post text; payloads are also spread over hashtags, link URLs
(``entities.urls[].expanded_url``), display names, bios (``description``), profile URLs and
locations, so that ``engineroom ingest`` stores them in every column the report and the review app
show. Run ``python tests/data/xss/make_xss_corpus.py`` after editing payloads.txt.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent


def payloads() -> list[str]:
    return [ln for ln in (HERE / "payloads.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("##")]


def main() -> Path:
    pl = payloads()
    n_users = 24
    users = []
    for i in range(n_users):
        users.append({
            "id": str(1_500_000_000_000_000_000 + i * 7_777_777),
            "username": f"xssuser{i:02d}",
            "name": pl[i % len(pl)],
            "description": pl[(i + 11) % len(pl)],
            "location": pl[(i + 23) % len(pl)],
            "url": pl[(i + 37) % len(pl)],
            "created_at": "2019-01-01T00:00:00.000Z",
            "public_metrics": {"followers_count": 100 + i, "following_count": 10, "tweet_count": 50,
                               "listed_count": 0, "like_count": 1},
            "verified": False, "protected": False,
        })
    start = datetime(2024, 3, 1, 9)
    tweets = []
    for j, p in enumerate(pl):
        author = users[j % n_users]
        target = users[(j + 5) % n_users]
        tag = p.replace(" ", "_")
        link = p if p.startswith(("http", "javascript", "JaVa", "data:")) else "https://example.org/x?q=" + p
        text = f"{p} #{tag} @{target['username']} https://t.co/x{j:03d}"
        tweets.append({
            "id": str(1_760_000_000_000_000_000 + j * 104_729),
            "author_id": author["id"],
            "created_at": (start + timedelta(minutes=37 * j)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "text": text, "lang": "en", "conversation_id": str(1_760_000_000_000_000_000 + j * 104_729),
            "source": p if j % 9 == 0 else "Twitter Web App",
            "public_metrics": {"retweet_count": j % 7, "reply_count": 0, "like_count": j % 5, "quote_count": 0},
            "entities": {
                "hashtags": [{"start": len(p) + 1, "end": len(p) + 2 + len(tag), "tag": tag}],
                "urls": [{"url": f"https://t.co/x{j:03d}", "expanded_url": link, "display_url": p[:40]}],
                "mentions": [{"username": target["username"], "id": target["id"]}],
            },
        })
    out = HERE / "xss_twarc2.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for k in range(0, len(tweets), 20):
            page = tweets[k:k + 20]
            ids = {t["author_id"] for t in page} | {t["entities"]["mentions"][0]["id"] for t in page}
            fh.write(json.dumps({"data": page, "includes": {"users": [u for u in users if u["id"] in ids]},
                                 "meta": {"result_count": len(page)}}, ensure_ascii=False) + "\n")
    return out


if __name__ == "__main__":
    print(main())
