"""Print the tables of data/README.md (labelers' agreement, coverage) from data/labeled/*.jsonl."""

import glob
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from merge import pairwise  # noqa: E402

from scoring.evaluate import spearman  # noqa: E402

CRIT = ("certainty", "simplicity", "warmth")
rows = [
    json.loads(line)
    for f in sorted(glob.glob(str(ROOT / "data/labeled/*.jsonl")))
    for line in open(f, encoding="utf-8")
]
print(
    "| criterion | pairwise A→B | pairwise B→A | Spearman A~B | same label | within 1 "
    "| settled by the rubric (2+ apart) |"
)
print("| --- | --- | --- | --- | --- | --- | --- |")
for c in CRIT:
    A = lambda r, c=c: r["labelers"]["a"][c]  # noqa: E731
    B = lambda r, c=c: r["labelers"]["b"][c]  # noqa: E731
    n = len(rows)
    print(
        f"| {c} | {pairwise(rows, A, B):.3f} | {pairwise(rows, B, A):.3f} | "
        f"{spearman([A(r) for r in rows], [B(r) for r in rows]):.3f} | {sum(A(r) == B(r) for r in rows) / n:.0%} | "
        f"{sum(abs(A(r) - B(r)) <= 1 for r in rows) / n:.1%} | {sum(abs(A(r) - B(r)) >= 2 for r in rows)} |"
    )
groups = {r["group"] for r in rows}
print()
print(
    f"{len(rows)} replies to {len(groups)} customers in {len({r['id'].split('-')[0] for r in rows})} sets, "
    f"{len({r.get('domain') for r in rows})} domains."
)
print()
for field in ("lang", "kind"):
    per = defaultdict(set)
    cnt = Counter()
    for r in rows:
        per[r.get(field)].add(r["group"])
        cnt[r.get(field)] += 1
    print(f"| {field} | customers | replies |")
    print("| --- | --- | --- |")
    for k, v in sorted(cnt.items(), key=lambda kv: -kv[1]):
        print(f"| {k} | {len(per[k])} | {v} |")
    print()
dist = {c: Counter(round(r["labels"][c] * 2) / 2 for r in rows) for c in CRIT}
print("| settled label | " + " | ".join(f"{x:g}" for x in [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]) + " |")
print("| --- " * 10 + "|")
for c in CRIT:
    print(
        f"| {c} | " + " | ".join(str(dist[c].get(x, 0)) for x in [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]) + " |"
    )
