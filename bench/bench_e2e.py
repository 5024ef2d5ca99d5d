"""End-to-end scoring speed against another commit, measured alternately in one run.

    python bench/bench_e2e.py --base REV [--runs 3] [CORPUS.jsonl]

Times `python -m peilian score --jsonl CORPUS > /dev/null` (start included, as a user runs it) from this checkout and
from a temporary git worktree of REV, alternating A B A B …, and prints each side's best and worst time, its
replies/s and the ratio. The shared machine's speed changes from day to day (the same commit can take 2.6 s one day
and 3.0 s another), so only the ratio of times measured together means anything: to see where the issue's target
stands, pass the commit the target was set against and its figure then (`--scale`). CORPUS defaults to
../shared/corpora/stc3-helpdesk-zh.jsonl. Nothing is written outside the temporary worktree, which is removed.
This checkout's scorer runs compiled when `python -m scoring.compile` has a current build for it (`make` makes one);
`PEILIAN_NATIVE=0 python bench/bench_e2e.py ...` times its Python source instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(checkout: Path, corpus: Path) -> float:
    """Seconds for one `peilian score --jsonl` over the corpus, run from `checkout` (its own code is imported)."""
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "peilian", "score", "--jsonl", str(corpus)],
            cwd=checkout,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: some lines had errors, which is still a full run
        raise SystemExit(f"{checkout}: peilian score failed: {proc.stderr.strip().splitlines()[-1:]}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpora" / "stc3-helpdesk-zh.jsonl")
    )
    ap.add_argument(
        "--base", required=True, help="the commit to compare with (e.g. the one a target was set on)"
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--scale",
        type=float,
        default=None,
        metavar="REPLIES_PER_S",
        help="the base's replies/s when a target was set (issue 12: c63a5b2 at 2,250): print this checkout's too",
    )
    args = ap.parse_args()
    corpus = Path(args.corpus).resolve()
    n = sum(1 for line in open(corpus, encoding="utf-8") if line.strip())
    with tempfile.TemporaryDirectory(prefix="peilian-bench-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base], check=True
        )
        try:
            times: dict[str, list[float]] = {"this checkout": [], args.base: []}
            for _ in range(args.runs):
                times["this checkout"].append(run_once(ROOT, corpus))
                times[args.base].append(run_once(base, corpus))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    compiled = subprocess.run(
        [sys.executable, "-c", "import scoring; print(scoring.NATIVE)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"corpus: {corpus.name}, {n} replies; {args.runs} runs each, alternately")
    print(
        f"  this checkout's scorer: {'compiled (python -m scoring.compile)' if compiled == 'True' else 'Python'}"
    )
    for name, ts in times.items():
        print(f"  {name:>14}: {min(ts):.2f}-{max(ts):.2f} s, {n / min(ts):,.0f}-{n / max(ts):,.0f} replies/s")
    ratio = min(times[args.base]) / min(times["this checkout"])
    print(f"  this checkout runs at {ratio:.2f}x the speed of {args.base} (best runs)")
    if args.scale:
        print(
            f"  where {args.base} runs at {args.scale:,.0f} replies/s, this checkout runs at {ratio * args.scale:,.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
