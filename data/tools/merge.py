"""Merge the writers' labels (labeler A) with the blind labels (labeler B) into data/labeled/*.jsonl.

    python data/tools/merge.py            # agreement report + disputes.jsonl (differences of 2 or more)
    python data/tools/merge.py --write    # also write data/labeled/<domain-prefix>.jsonl with settled labels

Settled label per criterion: the mean of A and B when they differ by at most 1; the adjudicator's label
(data/blind/adjudicated.jsonl, judged by the rubric with both labels shown) when they differ by 2 or more.
"""

import glob
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRIT = ("certainty", "simplicity", "warmth")


def load(pattern):
    out = {}
    for f in sorted(glob.glob(str(ROOT / pattern))):
        for line in open(f, encoding="utf-8"):
            if line.strip():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                out[r["id"]] = r
    return out


def pairwise(rows, a, b):
    groups = defaultdict(list)
    for r in rows:
        groups[r["group"]].append(r)
    right = total = 0.0
    for g in groups.values():
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                la, lb = a(g[i]), a(g[j])
                if la == lb:
                    continue
                total += 1
                pa, pb = b(g[i]), b(g[j])
                right += 0.5 if pa == pb else float((pa > pb) == (la > lb))
    return right / total if total else 0.0


def main():
    raw = load("data/raw/*.jsonl")
    blind = load("data/blind/*.labels.jsonl")
    adj = load("data/blind/adjudicated*.jsonl")
    rows = [r for r in raw.values() if r["id"] in blind]
    print(f"{len(rows)} replies with both labels ({len(raw)} written, {len(blind)} blind-labeled)")
    disputes = []
    for c in CRIT:
        A = lambda r, c=c: r["labels"][c]  # noqa: E731
        B = lambda r, c=c: blind[r["id"]]["labels"][c]  # noqa: E731
        exact = sum(A(r) == B(r) for r in rows) / len(rows)
        within1 = sum(abs(A(r) - B(r)) <= 1 for r in rows) / len(rows)
        print(
            f"  {c:10} pairwise A->B {pairwise(rows, A, B):.3f}  B->A {pairwise(rows, B, A):.3f}  "
            f"exact {exact:.3f}  within-1 {within1:.3f}  differ>=2 {sum(abs(A(r) - B(r)) >= 2 for r in rows)}"
        )
    for r in rows:
        diff = {
            c: (r["labels"][c], blind[r["id"]]["labels"][c])
            for c in CRIT
            if abs(r["labels"][c] - blind[r["id"]]["labels"][c]) >= 2
        }
        if diff:
            disputes.append(
                {
                    "id": r["id"],
                    "lang": r.get("lang"),
                    "kind": r.get("kind"),
                    "context": r["context"],
                    "customer": r["customer"],
                    "reply": r["reply"],
                    "labels_a": r["labels"],
                    "labels_b": blind[r["id"]]["labels"],
                    "disputed": sorted(diff),
                    "why_a": r.get("why", ""),
                }
            )
    with open(ROOT / "data/blind/disputes.jsonl", "w", encoding="utf-8") as fh:
        for d in disputes:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(
        f"{len(disputes)} replies with a difference of 2 or more -> data/blind/disputes.jsonl; "
        f"{sum(d['id'] in adj for d in disputes)} adjudicated"
    )
    if "--write" not in sys.argv:
        return
    out = defaultdict(list)
    for r in rows:
        b = blind[r["id"]]["labels"]
        settled = {}
        for c in CRIT:
            a_, b_ = r["labels"][c], b[c]
            if abs(a_ - b_) >= 2 and r["id"] in adj and c in adj[r["id"]]["labels"]:
                settled[c] = float(adj[r["id"]]["labels"][c])
            else:
                settled[c] = (a_ + b_) / 2
        row = {
            k: r[k]
            for k in ("id", "group", "domain", "kind", "lang", "context", "customer", "reply", "register")
            if k in r
        }
        row["labels"] = settled
        row["labelers"] = {"a": r["labels"], "b": b}
        out[r["id"].split("-")[0]].append(row)
    (ROOT / "data/labeled").mkdir(exist_ok=True)
    for prefix, part in out.items():
        with open(ROOT / f"data/labeled/{prefix}.jsonl", "w", encoding="utf-8") as fh:
            for row in part:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print("wrote", ", ".join(f"data/labeled/{p}.jsonl ({len(v)})" for p, v in sorted(out.items())))


if __name__ == "__main__":
    main()
