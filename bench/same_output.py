"""Does `peilian score --jsonl` still print byte-for-byte what it printed before a speed change?

    python bench/same_output.py --write [DIR]   (record the golden outputs with the code as it is now)
    python bench/same_output.py [DIR]           (score again and compare; exit 1 on any difference)

DIR defaults to /tmp/speed-golden (kept out of git). The inputs are the helpdesk corpus
(../shared/corpora/stc3-helpdesk-zh.jsonl), every data/labeled/*.jsonl (they carry context, kind and language, so the
facts path runs) and tests/data/eval-dev.jsonl. Each is scored by a fresh `python -m peilian score --jsonl FILE` run
from this checkout, exactly as a user would run it.
"""

from __future__ import annotations

import difflib
import hashlib
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
        blob = stdout + b"\n--stderr--\n" + stderr + f"\n--rc {rc}--\n".encode()
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
    if not write:
        print("all identical" if failures == 0 else f"{failures} file(s) differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
