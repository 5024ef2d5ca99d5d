"""Agreement with human labels: within-group pairwise ranking accuracy and Spearman correlation per criterion.

The labeled file has one JSON object per line: `reply`, `labels` ({criterion: 0..4}), `group` (replies to the same
customer, ranked against each other), and optionally `customer`, `context`, `lang`, `id`.
Pairwise accuracy counts, over every pair in a group whose labels differ, how often the scorer orders them the same
way (a tie in the scorer's scores counts half).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from .api import CRITERIA, ScoreContext, Scorer


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: list[float], ys: list[float]) -> float:
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def pairwise(groups: dict[str, list[tuple[float, float]]]) -> tuple[float, int]:
    right = 0.0
    total = 0
    for pairs in groups.values():
        for i in range(len(pairs)):
            for j in range(i + 1, len(pairs)):
                (pi, li), (pj, lj) = pairs[i], pairs[j]
                if li == lj:
                    continue
                total += 1
                if pi == pj:
                    right += 0.5
                elif (pi > pj) == (li > lj):
                    right += 1
    return (right / total if total else 0.0), total


def context_for(row: dict) -> ScoreContext:
    facts = row.get("context") or ()
    return ScoreContext(
        customer=row.get("customer") or "",
        facts=(facts,) if isinstance(facts, str) else tuple(facts),
        lang=row.get("lang") if row.get("lang") in ("zh", "zh-Hant", "en", "mixed") else None,
        kind=row.get("kind") or None,
    )


def evaluate(rows: Iterable[dict], scorer: Scorer) -> dict:
    preds: dict[str, list[float]] = defaultdict(list)
    labels: dict[str, list[float]] = defaultdict(list)
    groups: dict[str, dict[str, list[tuple[float, float]]]] = {c: defaultdict(list) for c in CRITERIA}
    n = 0
    for row in rows:
        result = scorer.score(row["reply"], context_for(row))
        n += 1
        for c in CRITERIA:
            if c not in row.get("labels", {}):
                continue
            p, lab = result.scores[c], row["labels"][c]
            preds[c].append(p)
            labels[c].append(lab)
            groups[c][row.get("group") or row.get("id") or str(n)].append((p, lab))
    criteria: dict[str, dict] = {}
    out = {"n": n, "criteria": criteria}
    for c in CRITERIA:
        acc, pairs = pairwise(groups[c])
        criteria[c] = {
            "pairwise": round(acc, 4),
            "pairs": pairs,
            "spearman": round(spearman(preds[c], labels[c]), 4) if preds[c] else 0.0,
        }
    return out


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
