"""Compile the scorer's busiest modules to C with mypyc, from the same typed source.

    python -m scoring.compile            # build into <venv>/peilian-native (the Makefile does this on install and
                                         # whenever scoring/ changes); says in one line when it can't
    python -m scoring.compile --check    # is the build current for the sources? (exit 0 yes, 1 no)
    python -m scoring.compile --strict   # fail (exit 1) when it can't build, as CI wants

The compiled modules behave exactly as the Python ones (tests/test_native.py scores real replies both ways) and score
about 1.3x as fast (bench/bench_scorer.py). scoring/_native.py decides at import whether the build is used: only while
its stamp matches the sources. A machine without mypy or a C compiler runs the same code uncompiled.

Beside the build it records the scorer's regular expressions, compiled (scoring/recache.py), so a start loads them
instead of compiling them again; it records them anew with every build, and whenever the file is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ._here import HERE
from ._native import MODULES, STAMP, build_dir, current, stamp


def build(out: Path) -> None:
    """Compile MODULES into `out` (replaced whole, so a failed build leaves the previous one as it was)."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    root = HERE.parent
    # the sources as they are before compiling: one edited during the build leaves the build stale, not mislabeled
    built_from = stamp(HERE)
    with tempfile.TemporaryDirectory(prefix="peilian-native-") as tmp_:
        tmp = Path(tmp_)
        cwd = os.getcwd()
        os.chdir(root)  # mypyc names a module by its path from here: scoring/text.py is scoring.text
        try:
            # mypyc and setuptools talk a lot; their words are shown only if the build fails
            log = io.StringIO()
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                try:
                    extensions = mypycify(
                        [f"scoring/{m}.py" for m in MODULES],
                        opt_level="3",
                        target_dir=str(tmp / "c"),
                        group_name="scoring_native",
                    )
                    dist = Distribution({"name": "peilian-native", "ext_modules": extensions})
                    cmd = dist.get_command_obj("build_ext")
                    cmd.build_lib = str(tmp / "lib")
                    cmd.build_temp = str(tmp / "obj")
                    dist.run_command("build_ext")
                except BaseException:
                    if sys.__stderr__ is not None:
                        sys.__stderr__.write(log.getvalue()[-4000:])
                    raise
        finally:
            os.chdir(cwd)
        lib = tmp / "lib"
        (lib / STAMP).write_text(built_from + "\n", encoding="utf-8")
        new, old = out.with_name(out.name + ".new"), out.with_name(out.name + ".old")
        for d in (new, old):
            shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(lib, new)
        if out.exists():
            out.rename(old)
        new.rename(out)
        shutil.rmtree(old, ignore_errors=True)


# run in a fresh process that starts without the old cache, so the file holds exactly what the scorer compiles now
_RECORD = """
import sys
from pathlib import Path
from scoring import default_scorer, recache
scorer = default_scorer()
for lexicon in scorer.rules.lexicons.values():
    lexicon.regex  # (compiled when first used)
for rule in scorer.rules.rules.values():
    rule.regex
scorer.score("您好,我马上帮您退款,今晚8点前到账。I'll refund it today.")
print(recache.save(Path(sys.argv[1])))
"""


def record_patterns(out: Path) -> int:
    """Write `out`/regex-cache (scoring.recache) for the sources as they are; returns how many patterns it holds."""
    from .recache import FILE

    env = {**os.environ, "PEILIAN_REGEX_CACHE": "0"}
    done = subprocess.run(
        [sys.executable, "-c", _RECORD, str(out / FILE)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or ["recording the patterns failed"])[-1])
    return int(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scoring.compile", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--check", action="store_true", help="only say whether the build is current (exit 1 if not)"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when the build can't be made")
    ap.add_argument("--out", type=Path, default=None, help="build folder (default: <venv>/peilian-native)")
    args = ap.parse_args(argv)
    out = args.out or build_dir()
    if args.check:
        ok = current(HERE, out)
        print(f"{out}: {'current' if ok else 'missing or older than the sources'}")
        return 0 if ok else 1
    if current(HERE, out):  # the usual case before `make run`: nothing to say
        from .recache import FILE

        if not (out / FILE).exists():
            record_patterns(out)
        return 0
    try:
        import mypyc.build  # noqa: F401 - the compiler is part of mypy
    except ImportError:
        print("scoring.compile: mypy isn't installed, so the scorer runs as plain Python (pip install mypy)")
        return 1 if args.strict else 0
    try:
        build(out)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - a compiler error is reported, never a traceback
        why = str(e).strip().splitlines()[-1:] or [type(e).__name__]
        print(f"scoring.compile: the build failed ({why[0]}), so the scorer runs as plain Python")
        return 1 if args.strict else 0
    try:
        n = record_patterns(out)
    except (RuntimeError, OSError, ValueError) as e:
        print(
            f"scoring.compile: built {len(MODULES)} modules into {out}; the patterns weren't recorded ({e})"
        )
        return 1 if args.strict else 0
    print(f"scoring.compile: built {len(MODULES)} modules into {out}, and recorded {n} patterns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
