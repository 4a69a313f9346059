"""The network map's layout and the words that name its communities.

* :func:`community_layout` — a *group-in-a-box* style layout (Rodrigues et al., "Group-in-a-Box
  Layout for Multi-faceted Analysis of Communities", IEEE SocialCom 2011; here with disks instead of
  boxes): each community is laid out on its own with igraph's Fruchterman-Reingold force layout
  (weighted ties, 500 iterations, fixed seed) inside a disk whose area grows with its size; the
  disks' centres come from a force layout of the graph of communities (communities with many ties
  between them sit near each other) and are then pushed apart until no two disks overlap. So
  communities never sit on top of each other, and a star or a chain inside one stays readable.
* :func:`distinctive_terms` — the hashtags that set a community apart from the whole corpus: the
  weighted log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi & Quinn,
  "Fightin' Words", *Political Analysis* 16(4), 2008 (z-scores; the prior is the corpus counts).
  A tag every community uses (``#pmqs`` in a UK corpus) scores near 0 and does not name them all.
* :func:`star_hub` — the account whose ties make a community a star (the share of the community's
  internal ties that touch it).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from typing import Hashable, Iterable, Sequence

#: a community whose top account touches at least this share of its internal ties is a star
STAR_SHARE = 0.5
#: ... when it has at least this many internal ties (two accounts and a tie are no star)
STAR_MIN_TIES = 3


def community_layout(n: int, edges: Sequence[tuple[int, int, float]], membership: Sequence[Hashable],
                     seed: int = 0) -> list[tuple[float, float]]:
    """(x, y) for nodes ``0..n-1``: each community in its own disk, disks apart (module docstring).

    ``edges``: (i, j, weight); ``membership[i]``: node i's community (any hashable)."""
    import igraph as ig

    if n == 0:
        return []
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i in range(n):
        groups[membership[i]].append(i)
    order = sorted(groups, key=lambda c: (-len(groups[c]), str(c)))
    ci = {c: k for k, c in enumerate(order)}
    inner: dict[Hashable, list[tuple[int, int, float]]] = defaultdict(list)
    between: Counter = Counter()
    for a, b, w in edges:
        ca, cb = membership[a], membership[b]
        if ca == cb:
            inner[ca].append((a, b, w))
        else:
            between[tuple(sorted((ci[ca], ci[cb])))] += w
    rng_state = random.Random(seed)
    ig.set_random_number_generator(rng_state)
    try:
        # 1. each community on its own, normalised to a disk of radius sqrt(size)
        local: dict[int, tuple[float, float]] = {}
        radius: dict[Hashable, float] = {}
        for c in order:
            nodes = groups[c]
            r = math.sqrt(len(nodes))
            radius[c] = r
            if len(nodes) == 1:
                local[nodes[0]] = (0.0, 0.0)
                continue
            idx = {v: k for k, v in enumerate(nodes)}
            es = inner.get(c, [])
            g = ig.Graph(n=len(nodes), edges=[(idx[a], idx[b]) for a, b, _ in es], directed=False)
            if es:
                g.es["weight"] = [float(w) for _, _, w in es]
                lay = g.layout_fruchterman_reingold(weights="weight", niter=500)
            else:
                lay = g.layout_circle()
            xs, ys = [p[0] for p in lay.coords], [p[1] for p in lay.coords]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            ext = max(math.hypot(x - mx, y - my) for x, y in zip(xs, ys)) or 1.0
            for v, x, y in zip(nodes, xs, ys):
                local[v] = ((x - mx) / ext * r, (y - my) / ext * r)
        # 2. community centres: a force layout of the community graph, scaled to the disks' sizes
        k = len(order)
        if k > 1:
            cg = ig.Graph(n=k, edges=list(between), directed=False)
            if between:
                cg.es["weight"] = [math.log1p(w) for w in between.values()]
                cl = cg.layout_fruchterman_reingold(weights="weight", niter=500)
            else:
                cl = cg.layout_circle()
            cx = [p[0] for p in cl.coords]
            cy = [p[1] for p in cl.coords]
        else:
            cx, cy = [0.0], [0.0]
    finally:
        ig.set_random_number_generator(random)
    rs = [radius[c] for c in order]
    scale = 2.0 * max(rs)
    span = max(max(cx) - min(cx), max(cy) - min(cy)) or 1.0
    px = [x / span * scale * math.sqrt(k) for x in cx]
    py = [y / span * scale * math.sqrt(k) for y in cy]
    # 3. push overlapping disks apart (a gap of half the smaller radius, at least 2)
    rnd = random.Random(seed)
    for _ in range(400):
        moved = False
        for a in range(k):
            for b in range(a + 1, k):
                dx, dy = px[b] - px[a], py[b] - py[a]
                d = math.hypot(dx, dy)
                need = rs[a] + rs[b] + max(2.0, 0.5 * min(rs[a], rs[b]))
                if d < need:
                    if d < 1e-9:
                        ang = rnd.random() * 2 * math.pi
                        dx, dy, d = math.cos(ang), math.sin(ang), 1.0
                    push = (need - d) / 2 + 1e-6
                    wa = rs[b] ** 2 / (rs[a] ** 2 + rs[b] ** 2)  # the smaller disk moves more
                    px[a] -= dx / d * push * 2 * wa
                    py[a] -= dy / d * push * 2 * wa
                    px[b] += dx / d * push * 2 * (1 - wa)
                    py[b] += dy / d * push * 2 * (1 - wa)
                    moved = True
        if not moved:
            break
    out: list[tuple[float, float]] = [(0.0, 0.0)] * n
    for c in order:
        j = ci[c]
        for v in groups[c]:
            x, y = local[v]
            out[v] = (px[j] + x, py[j] + y)
    return out


def separation(coords: Sequence[tuple[float, float]], membership: Sequence[Hashable],
               sample: int = 400, seed: int = 0) -> tuple[float, float]:
    """(mean distance between two nodes of the same community, mean distance between nodes of
    different communities), over at most ``sample`` nodes drawn at random."""
    idx = list(range(len(coords)))
    if len(idx) > sample:
        idx = random.Random(seed).sample(idx, sample)
    same, diff = [], []
    for a_i, a in enumerate(idx):
        for b in idx[a_i + 1:]:
            d = math.dist(coords[a], coords[b])
            (same if membership[a] == membership[b] else diff).append(d)
    return (sum(same) / len(same) if same else 0.0, sum(diff) / len(diff) if diff else 0.0)


def distinctive_terms(counts: dict[Hashable, Counter], k: int = 3, min_count: int = 3,
                      min_z: float = 1.96) -> dict[Hashable, list[tuple[str, float]]]:
    """Each group's ``k`` most distinctive terms against all groups together: the log-odds ratio with
    an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), as z-scores; a term is kept when
    the group used it at least ``min_count`` times and its z is at least ``min_z`` (p < .05)."""
    total: Counter = Counter()
    for c in counts.values():
        total.update(c)
    n_all = sum(total.values())
    if not n_all:
        return {g: [] for g in counts}
    # prior: the corpus counts, scaled to a total of about 10% of the corpus (a mild prior)
    a0 = max(1.0, 0.1 * n_all)
    alpha = {w: a0 * n / n_all for w, n in total.items()}
    out: dict[Hashable, list[tuple[str, float]]] = {}
    for g, cg in counts.items():
        n_g = sum(cg.values())
        n_r = n_all - n_g
        if n_r <= 0 or n_g <= 0:  # one group only: nothing to set it apart from
            out[g] = []
            continue
        scored = []
        for w, y_g in cg.items():
            if y_g < min_count:
                continue
            a_w = alpha[w]
            y_r = total[w] - y_g
            delta = (math.log((y_g + a_w) / (n_g + a0 - y_g - a_w))
                     - math.log((y_r + a_w) / (n_r + a0 - y_r - a_w)))
            var = 1.0 / (y_g + a_w) + 1.0 / (y_r + a_w)
            z = delta / math.sqrt(var)
            if z >= min_z:
                scored.append((w, z))
        scored.sort(key=lambda t: (-t[1], t[0]))
        out[g] = scored[:k]
    return out


def star_hub(degrees: Iterable[tuple[str, int]], internal_ties: int) -> tuple[str, float] | None:
    """The account touching the largest share of a community's ``internal_ties`` and that share."""
    best = max(degrees, key=lambda t: (t[1], t[0]), default=None)
    if best is None or internal_ties <= 0:
        return None
    return best[0], best[1] / internal_ties
