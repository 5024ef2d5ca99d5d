"""Does `peilian score --jsonl` still print what it printed before a speed change (the same JSON values, keys in the
same order; how a writer spaces them aside, as orjson's compact rows against json's)?

    python bench/same_output.py --write [DIR]   (record the golden outputs with the code as it is now)
    python bench/same_output.py [DIR]           (score again and compare; exit 1 on any difference)

DIR defaults to /tmp/speed-golden (kept out of git). The inputs are the helpdesk corpus
(../shared/corpora/stc3-helpdesk-zh.jsonl), every data/labeled/*.jsonl (they carry context, kind and language, so the
facts path runs) and tests/data/eval-dev.jsonl. Each is scored by a fresh `python -m peilian score --jsonl FILE` run
from this checkout, exactly as a user would run it.

One more golden file, `engine.out`, holds what the CLI doesn't print, scored in-process the way the engine asks: every
ScoreResult in full (signals and must / forbidden items too) of the fitted and the legacy rule scorer for every row
above, and every scenario's model answers and test replies with the scenario's facts, kind, items, weights and
language, the earlier replies as history and the opening as the customer's words (findings in both feedback
languages).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def inputs() -> list[Path]:
    files = [ROOT.parent / "shared" / "corpora" / "stc3-helpdesk-zh.jsonl"]
    files += sorted((ROOT / "data" / "labeled").glob("*.jsonl"))
    files.append(ROOT / "tests" / "data" / "eval-dev.jsonl")
    return [f for f in files if f.exists()]


def golden_name(path: Path) -> str:
    return path.parent.name + "__" + path.stem + ".out"


def score(path: Path) -> tuple[bytes, bytes, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "peilian", "score", "--jsonl", str(path)],
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    return proc.stdout, proc.stderr, proc.returncode


def canonical(stdout: bytes) -> bytes:
    """Each JSON line as json.dumps writes it (the values and their order kept): rows compare by what they say."""
    lines = stdout.decode("utf-8", "replace").splitlines()
    return "".join(json.dumps(json.loads(line), ensure_ascii=False) + "\n" for line in lines).encode()


def engine_blob() -> bytes:
    """Every ScoreResult in full, scored in-process (see the module's doc)."""
    sys.path.insert(0, str(ROOT))
    from scoring import ScoreContext
    from scoring.evaluate import context_for
    from scoring.fitted import FittedScorer
    from scoring.ruleset import ruleset
    from scoring.scorer import RuleScorer
    from simulator.loader import load_scenario

    scorers = {"fitted": FittedScorer(), "legacy": RuleScorer(ruleset())}
    out: list[str] = []

    def emit(tag: str, reply: str, ctx: ScoreContext) -> None:
        for name, scorer in scorers.items():
            doc = scorer.score(reply, ctx).to_dict()
            out.append(json.dumps([tag, name, doc], ensure_ascii=False, sort_keys=True))

    for path in inputs():
        with open(path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        for i, row in enumerate(rows):
            if isinstance(row.get("reply"), str):
                emit(f"{path.name}:{i}", row["reply"], context_for(row))
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = load_scenario(path)
        opening = sc.opening.texts[0] if sc.opening.texts else ""
        runs = [[sc.opening.model_answer, *(b.model_answer for b in sc.beats)]]
        runs += [list(t.replies) for t in sc.tests]
        for r, replies in enumerate(runs):
            history: list[str] = []
            for j, reply in enumerate(r for r in replies if r and r.strip()):
                ctx = ScoreContext(
                    customer=opening,
                    facts=tuple(sc.facts),
                    lang=sc.lang,
                    feedback_lang="en" if j % 2 else None,
                    history=tuple(history),
                    customer_history=(opening,) if j else (),
                    items=sc.rubric_items(),
                    weights=dict(sc.rubric.weights),
                    kind=sc.situation,
                )
                emit(f"{sc.id}:{r}:{j}", reply, ctx)
                history.append(reply)
    return ("\n".join(out) + "\n").encode()


def main() -> int:
    args = sys.argv[1:]
    write = "--write" in args
    args = [a for a in args if a != "--write"]
    out_dir = Path(args[0]) if args else Path("/tmp/speed-golden")
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in inputs():
        t0 = time.perf_counter()
        stdout, stderr, rc = score(path)
        took = time.perf_counter() - t0
        # the exit code and anything on stderr are part of the output too
        blob = canonical(stdout) + b"\n--stderr--\n" + stderr + f"\n--rc {rc}--\n".encode()
        golden = out_dir / golden_name(path)
        digest = hashlib.sha256(blob).hexdigest()[:12]
        lines = stdout.count(b"\n")
        if write:
            golden.write_bytes(blob)
            print(f"wrote {golden.name}: {lines} lines, sha256 {digest}, {took:.2f} s")
            continue
        if not golden.exists():
            print(f"MISSING golden {golden}")
            failures += 1
            continue
        expected = golden.read_bytes()
        if expected == blob:
            print(f"same      {golden.name}: {lines} lines, sha256 {digest}, {took:.2f} s")
        else:
            failures += 1
            print(f"DIFFERENT {golden.name}: {lines} lines, sha256 {digest}, {took:.2f} s")
            diff = difflib.unified_diff(
                expected.decode("utf-8", "replace").splitlines(),
                blob.decode("utf-8", "replace").splitlines(),
                "golden",
                "now",
                n=0,
                lineterm="",
            )
            for i, line in enumerate(diff):
                if i >= 12:
                    print("  ...")
                    break
                print("  " + line[:300])
    t0 = time.perf_counter()
    blob = engine_blob()
    took = time.perf_counter() - t0
    golden = out_dir / "engine.out"
    lines = blob.count(b"\n")
    digest = hashlib.sha256(blob).hexdigest()[:12]
    if write:
        golden.write_bytes(blob)
        print(f"wrote engine.out: {lines} results, sha256 {digest}, {took:.2f} s")
    elif golden.exists() and golden.read_bytes() == blob:
        print(f"same      engine.out: {lines} results, sha256 {digest}, {took:.2f} s")
    else:
        failures += 1
        print(f"DIFFERENT engine.out: {lines} results, sha256 {digest}, {took:.2f} s")
        old = golden.read_bytes().decode().splitlines() if golden.exists() else []
        for i, (a, b) in enumerate(zip(old, blob.decode().splitlines(), strict=False)):
            if a != b:
                print(f"  first difference at result {i + 1}:\n  - {a[:300]}\n  + {b[:300]}")
                break
    if not write:
        print("all identical" if failures == 0 else f"{failures} file(s) differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
