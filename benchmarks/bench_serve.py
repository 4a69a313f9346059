"""Load check of the review app: concurrent reviewers on a large corpus, on 127.0.0.1 only.

    python benchmarks/bench_serve.py --posts 1000000 --reviewers 50 --seconds 60 [--think 0] [--db FILE] [--json]

1. Builds (or reuses, with ``--db``) a corpus of ``--posts`` synthetic posts with findings tables
   of realistic size (hate labels for every post, narrative matches, engine room, account scores,
   communities, coordination clusters), inserted directly with SQL: the point is the app, not
   the analyses.
2. Builds the review queue and the app's copy of it in the review store when they are missing
   or out of date (``queue_build_s``, ``queue_copy_s``), adds one user per reviewer (admins, so
   that they may download exports) and starts the real app with ``engineroom serve`` (uvicorn)
   in its own process on a free port of 127.0.0.1.
3. Runs ``--reviewers`` concurrent reviewers (each its own user, login session and keep-alive
   connection, through :class:`Client`, a light HTTP client: cookies, CSRF tokens, status codes) for
   ``--seconds``, without think time by default (``--think`` seconds between requests, uniform
   0.5x-1.5x): 60% queue pages (random filter of analysis / community / narrative / status and a
   random page of the first 20), 10% post pages, 10% account pages, 15% decisions (POST /review
   with the CSRF token; each note carries a unique token) and 5% exports (platform report CSV /
   JSON, post labels). All reviewers log in before the clock starts.
4. Checks that every decision the app accepted (303) is in the review store exactly once, and
   that none it refused is there.
5. Prints latency percentiles per request kind and over all requests, throughput, errors, the
   exactly-once check, and the CPU time the server (all its processes) and this client used per
   request while the clock ran (``server_cpu_ms_per_request``, ``client_cpu_ms_per_request``;
   the logins before it apart, ``login_server_cpu_s``): figures that depend little on how busy
   the machine is (``--json``: one JSON object on the last line). Bounded: it stops after
   ``--seconds`` and stops the server. The client runs on uvloop where it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "load-test password 1"


def build_corpus(path: Path, posts: int, seed: int = 1) -> None:
    """A corpus of ``posts`` posts by posts/20 accounts with findings tables, by SQL."""
    import engineroom

    n_acc = max(posts // 20, 100)
    t0 = time.time()
    with engineroom.open(path) as c:
        con = c.con
        con.execute(f"SELECT setseed({seed / 100})")
        con.execute(f"""INSERT INTO accounts (platform, account_id, handle, display_name, bio, created_at, followers, following)
            SELECT 'twitter', CAST(1400000000000000000 + i AS VARCHAR), 'user' || i, 'Name ' || i,
                   'bio of account ' || i || ' <b>not bold</b>', TIMESTAMP '2015-01-01' + to_days(CAST(i % 3000 AS INTEGER)),
                   CAST(random() * 10000 AS BIGINT), CAST(random() * 1000 AS BIGINT)
            FROM range({n_acc}) t(i)""")
        con.execute(f"""INSERT INTO posts (platform, post_id, account_id, handle, created_at, text, kind, url, like_count, retweet_count)
            SELECT 'twitter', CAST(1700000000000000000 + i AS VARCHAR), CAST(1400000000000000000 + a AS VARCHAR), 'user' || a,
                   TIMESTAMP '2024-01-01' + to_seconds(CAST(i * 31 % 7776000 AS BIGINT)),
                   'post ' || i || ' about #topic' || (i % 50) || ' @user' || ((a * 7 + 3) % {n_acc}) || ' https://news.example/' || i,
                   CASE WHEN i % 3 = 0 THEN 'retweet' ELSE 'post' END,
                   'https://twitter.com/user' || a || '/status/' || CAST(1700000000000000000 + i AS VARCHAR),
                   CAST(random() * 100 AS BIGINT), CAST(random() * 20 AS BIGINT)
            FROM (SELECT i, CAST(floor(pow(random(), 2) * {n_acc}) AS BIGINT) AS a FROM range({posts}) t(i))""")
        con.execute("""INSERT INTO interactions (platform, post_id, kind, source_account_id, target_account_id, target_handle,
                                                 created_at, target_key)
            SELECT p.platform, p.post_id, 'mention', p.account_id, a.account_id, a.handle, p.created_at, a.account_id
            FROM posts p JOIN accounts a ON a.handle = regexp_extract(p.text, '@(user\\d+)', 1)""")
        con.execute("""CREATE OR REPLACE TABLE hate AS
            SELECT platform, post_id, account_id,
                   CASE WHEN r < 0.08 THEN 'antisemitic' WHEN r < 0.12 THEN 'other_hate' ELSE 'none' END AS label,
                   CASE WHEN r < 0.08 THEN 0.5 + r * 6 ELSE r END AS score, least(1.0, r * 3) AS hate_score,
                   CASE WHEN r < 0.08 THEN ['conspiracy', 'dehumanisation', 'holocaust_denial'][1 + CAST(r * 1000 AS INT) % 3] END AS category,
                   '{"spans": ["example"]}' AS evidence, r > 0.99 AS counter_speech
            FROM (SELECT *, random() AS r FROM posts)""")
        con.execute("""CREATE OR REPLACE TABLE narratives AS
            SELECT platform, post_id, account_id, ['antisemitism_smear', 'lobby_control', 'media_bias'][1 + CAST(r * 300 AS INT) % 3] AS narrative,
                   'narrative' AS kind, r * 6 AS score, '{"matched": ["smear"]}' AS evidence
            FROM (SELECT *, random() AS r FROM posts) WHERE r < 0.15""")
        con.execute("""CREATE OR REPLACE TABLE graph_nodes AS
            SELECT platform, account_id, handle, CAST(CAST(account_id AS HUGEINT) % 40 AS VARCHAR) AS community, random() AS pagerank
            FROM accounts""")
        con.execute("""CREATE OR REPLACE TABLE engine_room AS
            SELECT 'twitter' AS platform, account_id, handle, n AS narrative, rank, 1.0 / rank AS score, rank <= 36 AS in_core,
                   100 - rank AS narrative_posts, 1000 - rank AS amplifications, 300 - rank AS amplifiers, 0.01 AS pagerank,
                   10 AS active_days, rank % 3 = 0 AS posted_hate, 1000 AS followers, '{"top_posts": []}' AS evidence
            FROM (SELECT account_id, handle, row_number() OVER () AS rank FROM accounts LIMIT 100),
                 (SELECT unnest(['antisemitism_smear', 'lobby_control', 'media_bias']) AS n)""")
        con.execute("""CREATE OR REPLACE TABLE account_scores AS
            SELECT platform, account_id, handle, r AS random_handle, r AS operation_score, r > 0.98 AS operation_label,
                   '{"random_handle": 0.9}' AS top_signals FROM (SELECT *, random() AS r FROM accounts)""")
        con.execute("""CREATE OR REPLACE TABLE coordination_clusters AS
            SELECT 'twitter' AS platform, 'leiden-' || (i // 10) AS cluster_id, CAST(1400000000000000000 + i * 13 AS VARCHAR) AS account_id,
                   'leiden' AS method, 10 AS size, '["co_retweet"]' AS networks, '{"edges": 45}' AS evidence
            FROM range(1000) t(i)""")
        con.execute("""CREATE OR REPLACE TABLE coordination AS
            SELECT 'co_retweet' AS network, 'twitter' AS platform, a.account_id AS account_1, b.account_id AS account_2, 3.0 AS weight,
                   '["1700000000000000001", "1700000000000000002"]' AS post_ids, TIMESTAMP '2024-01-02' AS first_at,
                   TIMESTAMP '2024-01-03' AS last_at
            FROM coordination_clusters a JOIN coordination_clusters b ON a.cluster_id = b.cluster_id AND a.account_id < b.account_id""")
        con.execute("CHECKPOINT")
    print(f"built {posts:,} posts, {n_acc:,} accounts in {time.time() - t0:.0f}s", file=sys.stderr)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_s(pid: int) -> float:
    """CPU seconds of the server and its worker processes (children)."""
    total = process_cpu_s(pid)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                total += process_cpu_s(int(entry))
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_name(i: int) -> str:
    return f"loadtest{i:03d}"


class Client:
    """A light HTTP/1.1 client for one reviewer: one keep-alive connection, a cookie jar,
    form posts, no redirects followed. (httpx costs about a millisecond of CPU per request,
    which on a small machine the load generator takes from the server it measures.)"""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def _send(self, method: str, target: str, body: bytes, ctype: str | None):
        if self.writer is None or time.monotonic() - self.last > 3:  # the server closes idle connections
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: text/html"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if ctype:
            head.append(f"Content-Type: {ctype}")
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), []).append(v.strip())
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"][0]))
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])):
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = b""
        for c in headers.get("set-cookie", []):
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in rest.lower().replace(" ", "") or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if "close" in ",".join(headers.get("connection", [])).lower():
            await self.close()
        self.last = time.monotonic()
        return status, headers, data

    async def request(self, method: str, path: str, params: dict | None = None, form: dict | None = None):
        """(status, headers, body text). A GET on a connection the server had closed is sent
        again once; a POST never is (it might have been applied)."""
        from urllib.parse import urlencode

        target = path + ("?" + urlencode(params) if params else "")
        body = urlencode(form).encode() if form is not None else b""
        ctype = "application/x-www-form-urlencoded" if form is not None else None
        try:
            status, headers, data = await self._send(method, target, body, ctype)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            if method != "GET":
                raise
            status, headers, data = await self._send(method, target, body, ctype)
        return status, headers, data.decode("utf-8", "replace")


async def log_in(client: Client, user: str) -> bool:
    _, _, page = await client.request("GET", "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, headers, _ = await client.request("POST", "/login", form={"username": user, "password": PASSWORD,
                                                                      "csrf_token": token, "next": "/queue"})
    return status == 303 and "/login" not in headers.get("location", [""])[0] and "er_session" in client.cookies


async def reviewer(client: Client, facets: dict, until: float, think: float, rng: random.Random,
                   lat: dict[str, list[float]], errors: list[str], decisions: dict[str, list[str]]) -> None:
    import uuid

    csrf = None
    await asyncio.sleep(rng.uniform(0, think))  # reviewers do not all start in the same millisecond
    while time.time() < until:
        roll = rng.random()
        params = {"status": rng.choice(["pending", "pending", "pending", "all", "confirm"]),
                  "page": rng.randint(1, 20)}
        for name, share in (("analysis", 0.5), ("community", 0.3), ("narrative", 0.2)):
            if rng.random() < share and facets.get(name):  # a corpus may have no narratives, say
                params[name] = rng.choice(facets[name])
        try:
            t = time.perf_counter()
            if roll < 0.15 and csrf and last_items:
                kind = "review"
                item = rng.choice(last_items)
                token = "load " + uuid.uuid4().hex
                status, _, text = await client.request("POST", "/review", form={
                    "csrf_token": csrf, "item_type": item[0], "platform": item[1], "item_id": item[2],
                    "analysis": item[3], "decision": rng.choice(["confirm", "reject", "escalate"]),
                    "note": token, "next": "/queue"})
                ok = status == 303
                decisions["accepted" if ok else "refused"].append(token)
            elif roll < 0.20:
                kind = "export"
                status, _, text = await client.request("GET", "/export/" + rng.choice(
                    ["platform-report.csv", "platform-report.json", "labels-posts.csv"]))
                ok = status == 200
            elif roll < 0.30 and last_accounts:
                kind = "account"
                status, _, text = await client.request("GET", "/account/twitter/" + rng.choice(last_accounts))
                ok = status == 200
            elif roll < 0.40 and last_posts:
                kind = "post"
                status, _, text = await client.request("GET", "/post/twitter/" + rng.choice(last_posts))
                ok = status == 200
            else:
                kind = "queue"
                status, _, text = await client.request("GET", "/queue", params=params)
                ok = status == 200
                if ok:
                    m = re.search(r'name="csrf_token" value="([^"]+)"', text)
                    csrf = m.group(1) if m else csrf
                    forms = re.findall(r'name="item_type" value="([^"]*)">\s*<input type="hidden" name="platform" value="([^"]*)">'
                                       r'\s*<input type="hidden" name="item_id" value="([^"]*)">\s*'
                                       r'<input type="hidden" name="analysis" value="([^"]*)">', text)
                    if forms:
                        last_items[:] = forms[:10]
                    accs = re.findall(r'href="/account/twitter/([^"/?]+)"', text)
                    if accs:
                        last_accounts[:] = accs[:10]
                    posts = re.findall(r'href="/post/twitter/([^"/?]+)"', text)
                    if posts:
                        last_posts[:] = posts[:10]
            dt = time.perf_counter() - t
            lat.setdefault(kind, []).append(dt)
            if not ok:
                errors.append(f"{kind} {status}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:  # counted, not raised
            errors.append(f"{type(exc).__name__}: {exc}")
            await client.close()
        if think > 0:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


last_items: list = []
last_accounts: list = []
last_posts: list = []


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


async def load(port: int, reviewers: int, seconds: float, think: float, facets: dict, seed: int,
               decisions: dict[str, list[str]], on_start=None) -> dict:
    lat: dict[str, list[float]] = {}
    errors: list[str] = []
    clients = [Client("127.0.0.1", port) for _ in range(reviewers)]
    # every reviewer logs in first (scrypt makes logins deliberately slow); then the clock starts
    sem = asyncio.Semaphore(4)

    async def login_one(i, c) -> bool:
        async with sem:
            return await log_in(c, user_name(i))

    ok = await asyncio.gather(*(login_one(i, c) for i, c in enumerate(clients)))
    errors += ["login failed"] * ok.count(False)
    clients = [c for c, o in zip(clients, ok) if o]
    if on_start is not None:
        on_start()
    until = time.time() + seconds
    t0 = time.time()
    try:
        await asyncio.gather(*(reviewer(c, facets, until, think, random.Random(seed + i), lat, errors, decisions)
                               for i, c in enumerate(clients)))
    finally:
        for c in clients:
            await c.close()
    wall = time.time() - t0
    out = {"wall_s": round(wall, 1), "errors": len(errors), "error_samples": errors[:5]}
    for kind, xs in sorted(lat.items()):
        out[kind] = {"n": len(xs), "p50_ms": round(1000 * pct(xs, 50), 1), "p95_ms": round(1000 * pct(xs, 95), 1),
                     "p99_ms": round(1000 * pct(xs, 99), 1), "max_ms": round(1000 * max(xs), 1),
                     "mean_ms": round(1000 * statistics.mean(xs), 1)}
    every = [x for xs in lat.values() for x in xs]
    out["all"] = {"n": len(every), "p50_ms": round(1000 * pct(every, 50), 1), "p99_ms": round(1000 * pct(every, 99), 1),
                  "max_ms": round(1000 * max(every), 1) if every else None}
    out["requests_per_s"] = round(len(every) / wall, 1)
    return out


def asyncio_run(coro):
    """Run the reviewers on uvloop where it is installed (less of the shared CPU for the client)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=None, help="reuse / keep this corpus file")
    ap.add_argument("--reviewers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=0.0, help="mean think time between a reviewer's requests (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="engineroom serve --workers")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    tmp = None
    db = args.db
    if db is None:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "bench.duckdb"
    if not db.exists():
        build_corpus(db, args.posts, args.seed)
    import engineroom
    from engineroom.serve.auth import add_user
    from engineroom.serve import snapshot
    from engineroom.serve.queue import ensure_queue, queue_facets
    from engineroom.serve.store import open_store

    with engineroom.open(db) as c:
        t = time.time()
        ensure_queue(c)
        queue_build_s = time.time() - t
        facets = queue_facets(c.con)
        n_posts = c.con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
        n_queue = c.con.execute("SELECT count(*) FROM review_queue").fetchall()[0][0]
        store = open_store(db, con=c.con)
        t = time.time()  # the app's copy of the queue in the review store (else the server makes it at start)
        snapshot.ensure_snapshot(c.con, store)
        copy_s = time.time() - t
    for i in range(args.reviewers):
        if store.user(user_name(i)) is None:
            add_user(store, user_name(i), PASSWORD, is_admin=True)
    with store.write() as w:  # an earlier run's decisions
        w.execute("DELETE FROM review_state WHERE note LIKE 'load %'")
        w.execute("DELETE FROM reviews WHERE note LIKE 'load %'")
    decisions: dict[str, list[str]] = {"accepted": [], "refused": []}
    port = free_port()
    env = dict(os.environ, ENGINEROOM_QUIET="1")
    log = tempfile.TemporaryFile()  # the server's messages (a pipe nobody reads could fill and block it)
    server = subprocess.Popen([sys.executable, "-m", "engineroom.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
                               "--port", str(port), "--workers", str(args.workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                log.seek(0)
                raise SystemExit("server did not start: " + log.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
        marks = {"login": (server_cpu_s(server.pid), time.process_time())}

        def clock_starts() -> None:  # every reviewer has logged in
            marks["start"] = (server_cpu_s(server.pid), time.process_time())

        result = asyncio_run(load(port, args.reviewers, args.seconds, args.think, facets, args.seed, decisions,
                                  clock_starts))
        cpu1, own1 = server_cpu_s(server.pid), time.process_time()
        (login_cpu, _), (cpu0, own0) = marks["login"], marks.get("start", marks["login"])
        n_req = result["all"]["n"]  # every request once (the per-kind entries split the same requests)
        # CPU the server used per request while the clock ran (the logins before it, 50 scrypt
        # checks, are counted apart): a figure that does not depend on how busy the machine is
        result["login_server_cpu_s"] = round(cpu0 - login_cpu, 1)
        result["server_cpu_s"] = round(cpu1 - cpu0, 1)
        result["server_cpu_ms_per_request"] = round(1000 * (cpu1 - cpu0) / max(n_req, 1), 1)
        result["client_cpu_ms_per_request"] = round(1000 * (own1 - own0) / max(n_req, 1), 2)
        result["load_average_1m"] = os.getloadavg()[0]
        log.seek(0)
        result["server_log_tail"] = log.read().decode(errors="replace")[-1500:]
    finally:
        server.terminate()  # uvicorn stops its workers too
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if tmp is not None:
            tmp.cleanup()
    # one accepted request = one batch (a group's lead decides its copies too: one row per item)
    stored = {note: (batches, rows, items) for note, batches, rows, items in store.con().execute(
        "SELECT note, count(DISTINCT batch_id), count(*), count(DISTINCT item_type || '|' || coalesce(platform, '') "
        "|| '|' || item_id || '|' || coalesce(analysis, '')) FROM reviews WHERE note LIKE 'load %' GROUP BY 1").fetchall()}
    result["decisions"] = {
        "accepted": len(decisions["accepted"]), "refused": len(decisions["refused"]),
        "accepted_stored_once": sum(t in stored and stored[t][0] == 1 and stored[t][1] == stored[t][2]
                                    for t in decisions["accepted"]),
        "accepted_missing": sum(t not in stored for t in decisions["accepted"]),
        "stored_twice_or_more": sum(1 for b, r, i in stored.values() if b > 1 or r > i),
        "refused_but_stored": sum(t in stored for t in decisions["refused"]),
        "rows_written": sum(r for _, r, _ in stored.values()),
    }
    result.update(workers=args.workers, posts=n_posts, queue_rows=n_queue, queue_build_s=round(queue_build_s, 2), queue_copy_s=round(copy_s, 1),
                  reviewers=args.reviewers,
                  think_s=args.think, cpus=os.cpu_count())
    a, d = result.get("all", {}), result["decisions"]
    kinds = "; ".join(f"{k} n={v['n']} p50={v['p50_ms']}ms p99={v['p99_ms']}ms" for k, v in result.items()
                      if isinstance(v, dict) and "p95_ms" in v)
    print(f"{n_posts:,} posts, {n_queue:,} queue rows; {args.reviewers} reviewers for {result['wall_s']}s "
          f"(think {args.think}s): all requests n={a.get('n')} p50={a.get('p50_ms')}ms p99={a.get('p99_ms')}ms "
          f"max={a.get('max_ms')}ms ({kinds}); {result['requests_per_s']} req/s; errors {result['errors']}; "
          f"decisions accepted {d['accepted']}, stored exactly once {d['accepted_stored_once']}, missing "
          f"{d['accepted_missing']}, duplicated {d['stored_twice_or_more']}; server CPU "
          f"{result.get('server_cpu_ms_per_request')} ms/request; load average {result.get('load_average_1m')}",
          file=sys.stderr)
    if args.json:
        print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
