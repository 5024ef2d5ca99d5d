"""The compiled scorer (python -m scoring.compile): the tests run it, it scores exactly as the Python source does, and a
build older than the sources is never used."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scoring
from scoring import _native

ROOT = Path(__file__).resolve().parents[1]
STC3 = ROOT.parent / "shared" / "corpora" / "stc3-helpdesk-zh.jsonl"
LABELED = ROOT / "data" / "labeled"
DEV = ROOT / "tests" / "data" / "eval-dev.jsonl"


def _need_build() -> None:
    """`make test` builds the compiled scorer first and says so (PEILIAN_EXPECT_NATIVE=1): then it must be in use. A
    bare `pytest` after editing scoring/ runs the Python source, and these tests have nothing to compare."""
    if scoring.NATIVE:
        return
    if os.environ.get("PEILIAN_EXPECT_NATIVE") == "1":
        pytest.fail("the compiled scorer isn't in use: `python -m scoring.compile --strict` says why")
    pytest.skip("no current compiled build (make test builds it)")


def test_the_tests_run_the_compiled_scorer():
    _need_build()
    import scoring.features
    import scoring.fitted
    import scoring.scorer

    for module in (scoring.scorer, scoring.features, scoring.fitted):
        assert module.__file__ and module.__file__.endswith(".so"), module.__file__
        assert Path(module.__file__).is_relative_to(_native.build_dir())
    # the build's recorded patterns are loaded too (the start needn't compile them)
    from scoring import recache

    assert (_native.build_dir() / recache.FILE).exists() and len(recache._codes) > 100


_SCORE_ALL = r"""
import json, sys
import scoring
from scoring import default_scorer
from scoring.evaluate import context_for
assert scoring.NATIVE == (sys.argv[1] == "native"), scoring.NATIVE
sc = default_scorer()
out = []
for line in sys.stdin:
    r = json.loads(line)
    res = sc.score(r["reply"], context_for(r))
    out.append([res.scores, res.overall, [f.to_dict() for f in res.findings], [vars(i) for i in res.items]])
json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)
"""


def test_compiled_scorer_scores_exactly_as_the_python_source():
    """Labeled replies of every kind and language with their case facts, and real helpdesk replies: scores, findings
    (rule, span, words, message, suggestion, effect) and items the same, to the last character."""
    _need_build()
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    for path in sorted(LABELED.glob("*.jsonl"))[
        ::10
    ]:  # every tenth set: shopping, services, kinds, languages
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:100]]
    if STC3.exists():  # real helpdesk replies, beside the project when it is checked out with ../shared
        rows += [json.loads(line) for line in STC3.read_text(encoding="utf-8").splitlines()[:400]]
    rows += [{"reply": "", "customer": ""}, {"reply": "\x1b[31m好的\u202e ok", "customer": "?"}]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    outputs = {}
    for mode in ("native", "python"):
        env = {**os.environ, "PEILIAN_NATIVE": "1" if mode == "native" else "0"}
        proc = subprocess.run(
            [sys.executable, "-c", _SCORE_ALL, mode],
            input=lines,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs[mode] = json.loads(proc.stdout)
    assert len(outputs["native"]) == len(rows) > 1000
    assert sum(len(o[2]) for o in outputs["native"]) > 10 * len(rows)  # findings to compare, not empty lists
    for row, a, b in zip(rows, outputs["native"], outputs["python"], strict=True):
        assert a == b, row["reply"]


def _package_copy(tmp_path: Path) -> Path:
    pkg = tmp_path / "scoring"
    pkg.mkdir()
    for p in (ROOT / "scoring").glob("*.py"):
        shutil.copy(p, pkg / p.name)
    return pkg


def test_a_build_older_than_the_sources_is_not_used(tmp_path, monkeypatch):
    monkeypatch.delenv("PEILIAN_NATIVE", raising=False)
    pkg = _package_copy(tmp_path)
    build = tmp_path / "build"
    (build / "scoring").mkdir(parents=True)
    (build / _native.STAMP).write_text(_native.stamp(pkg) + "\n", encoding="utf-8")
    path = [str(pkg)]
    assert _native.attach(path, build)
    assert path == [str(build / "scoring"), str(pkg)]
    # one edited module (compiled or not) and the build is stale: the package keeps its sources only
    (pkg / "api.py").write_text(
        (pkg / "api.py").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    path = [str(pkg)]
    assert not _native.attach(path, build)
    assert path == [str(pkg)]
    # no build at all, or one turned off
    assert not _native.attach([str(pkg)], tmp_path / "nowhere")
    (build / _native.STAMP).write_text(_native.stamp(pkg) + "\n", encoding="utf-8")
    monkeypatch.setenv("PEILIAN_NATIVE", "0")
    assert not _native.attach([str(pkg)], build)


def test_compile_check_says_whether_the_build_is_current(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "scoring.compile", "--check", "--out", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert "missing or older than the sources" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_finding_made_the_fast_way_is_the_same_object_as_one_made_by_its_class():
    """scoring.scorer.finding skips Finding.__init__ (a call into Python from the compiled scorer): compiled or not,
    what it makes must be a Finding like any other, equal, hashed, frozen and written out the same."""
    import dataclasses

    from scoring.api import Finding
    from scoring.scorer import finding

    args = ("certainty.time", "certainty", 3, 9, "明天18点前", "具体时间:'明天18点前'", "", 11.0)
    fast, slow = finding(*args), Finding(*args)
    assert type(fast) is Finding
    assert fast == slow and hash(fast) == hash(slow)
    assert fast.to_dict() == slow.to_dict() and list(fast.to_dict()) == [
        f.name for f in dataclasses.fields(Finding)
    ]
    assert finding(*args[:6]) == Finding(*args[:6])  # the defaults too
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.effect = 0.0  # type: ignore[misc]
    assert dataclasses.replace(fast, effect=1.0).effect == 1.0
