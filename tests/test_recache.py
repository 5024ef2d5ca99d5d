"""The scorer's recorded regular expressions (scoring/recache.py): a pattern loaded from the record behaves exactly as
`re.compile` makes it, the scorer scores the same with the record as without it, and a record another interpreter
wrote, or a damaged one, is never used."""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scoring import recache

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "",
    "您好,我马上帮您退款,今晚8点前到账,短信通知您。",
    "親,您放心哈~我們已經幫您催了商家,3個工作日內給您答覆😊",
    "I'll refund the $40 delivery fee today, and you'll get an email by 5pm.",
    "请提供一下您的验证码和卡背面三位数,我帮您核实。",
    "1. 退款:3-5个工作日;2. 补发:明天发顺丰。Call 400-123-4567 or 911 if you're not safe.",
]


def test_a_recorded_pattern_is_the_pattern_re_compile_makes(tmp_path):
    patterns = [
        (r"(?<![\d.])\d{1,6}(\.\d+)?\s*(个)?(小时|分钟|天)(之?内)?", 0),
        (r"(?P<who>您|你)(?:自己)?(?!的)", 0),
        (r"(?<![a-z])(i'll|i will) (refund|send)(?![a-z])", re.IGNORECASE),
        (r"[\u3400-\u9fff]+|[a-z]+", 0),
    ]
    saved = dict(recache._codes), dict(recache._new_codes)
    try:
        recache._codes.clear()
        recache._new_codes.clear()
        fresh = [recache.compile(p, f) for p, f in patterns]  # compiled here, and noted for the record
        path = tmp_path / recache.FILE
        assert recache.save(path) == len(patterns)
        recache._new_codes.clear()
        assert recache.load(path)
        loaded = [recache.compile(p, f) for p, f in patterns]  # now straight from the record
        assert not recache._new_codes  # (none compiled again)
        for (p, f), a, b in zip(patterns, fresh, loaded, strict=True):
            want = re.compile(p, f)
            for got in (a, b):
                assert (got.pattern, got.flags, got.groups, got.groupindex) == (
                    want.pattern,
                    want.flags,
                    want.groups,
                    want.groupindex,
                )
                for text in TEXTS + [t.upper() for t in TEXTS]:
                    assert [m.span() for m in got.finditer(text)] == [m.span() for m in want.finditer(text)]
                    assert [m.groups() for m in got.finditer(text)] == [
                        m.groups() for m in want.finditer(text)
                    ]
    finally:
        recache._codes.clear()
        recache._codes.update(saved[0])
        recache._new_codes.clear()
        recache._new_codes.update(saved[1])


def _info(pattern: str, flags: int = 0) -> int:
    """The info block's flags of `pattern` as recache compiles it (SRE_INFO_CHARSET: a first-character set)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = recache._with_first_chars(
        list(map(int, _compiler._code(parsed, flags))), parsed, parsed.state.flags | flags
    )
    return code[2]


def test_an_alternation_gets_the_characters_its_matches_start_with_and_matches_the_same():
    from re import _constants  # type: ignore[attr-defined]

    charset = _constants.SRE_INFO_CHARSET
    # a word list's alternation: groups, lookbehinds, optional parts, digits (any script's, as \d means)
    wordlist = (
        r"(?:(?<!不)可以(给|帮)您)|(?:(马上|立即)?帮您(退|查))|"
        r"(?:\d+\s*个?工作日)|(?:(?<![a-z])i'll (refund|call))"
    )
    assert (
        _info(wordlist) == charset
    )  # Python's own compiler leaves it out (0): every position tried every branch
    assert _info(r"(?:退款)|(?:退货)") & (
        _constants.SRE_INFO_PREFIX | charset
    )  # (Python's own prefix is kept)
    # what can't be told exactly keeps Python's code: a negated set, any character, a part that may be empty, case
    for pattern, flags in [
        (r"(?:[^a]b)|(?:c)", 0),
        (r"(?:.b)|(?:c)", 0),
        (r"(?:a?)|(?:b*)", 0),
        (r"(?:(?i:a)b)|(?:c)", 0),
        (r"(?:ab)|(?:cd)", re.IGNORECASE),
    ]:
        assert not _info(pattern, flags) & charset, pattern
    texts = TEXTS + [
        "没法退,但可以给您补5元",
        "不可以给您",
        "４个工作日 ٣ 个工作日",
        "I'll refund it; yi'll call",
        "abcd cAB",
    ]
    for pattern, flags in [
        (wordlist, 0),
        (r"(?:[^a]b)|(?:c)", 0),
        (r"(?:\bab)|(?:(?=c)cd)|(?:e+f)", 0),
        (r"(?:(?>x|a)b)|(?:c{2,})", 0),
    ]:
        got, want = recache.compile(pattern, flags), re.compile(pattern, flags)
        for text in texts:
            assert [m.span() for m in got.finditer(text)] == [m.span() for m in want.finditer(text)], (
                pattern,
                text,
            )


def test_a_bundled_file_read_from_the_record_is_what_parsing_it_gives_and_a_fresh_copy_each_time(tmp_path):
    from scoring.rules import HERE
    from scoring.safe_yaml import safe_load

    text = (HERE / "lexicons" / "safety.yaml").read_text(encoding="utf-8")
    calls = []

    def parse(t):
        calls.append(t)
        return safe_load(t)

    saved = dict(recache._memo), dict(recache._new_memo)
    try:
        recache._memo.clear()
        recache._new_memo.clear()
        first = recache.parsed("yaml-test", parse, text)
        path = tmp_path / recache.FILE
        recache.save(path)
        recache._new_memo.clear()
        assert recache.load(path)
        again = recache.parsed("yaml-test", parse, text)  # from the record: not parsed again
        assert len(calls) == 1 and again == first == safe_load(text)
        again[0]["lexicon"] = "changed by a caller"
        assert recache.parsed("yaml-test", parse, text) == first  # (a fresh copy: the record is untouched)
        edited = text.replace("dosing", "dosage")
        assert recache.parsed("yaml-test", parse, edited) == safe_load(edited)  # other text: parsed
        assert len(calls) == 2
        assert recache.parsed("dates", safe_load, "when: 2026-12-06") == safe_load("when: 2026-12-06")
    finally:
        recache._memo.clear()
        recache._memo.update(saved[0])
        recache._new_memo.clear()
        recache._new_memo.update(saved[1])


def test_a_record_from_another_python_or_a_damaged_one_is_not_used(tmp_path):
    path = tmp_path / recache.FILE
    other = recache._FORMAT.replace(sys.version, "3.99.0 (elsewhere)")
    path.write_bytes(marshal.dumps((other, {("a+", 0): (32, [0], 0, {}, ())}, {})))
    assert not recache.load(path)
    path.write_bytes(b"\x00\x01 not a record")
    assert not recache.load(path)
    assert not recache.load(tmp_path / "missing")
    assert recache.compile("a+").fullmatch("aaa")  # compiling still works, the usual way


def test_a_bad_pattern_is_the_same_error_as_re_compile():
    with pytest.raises(re.error, match="missing"):
        recache.compile("(退款|退货")


_SCORE = r"""
import json, sys
from scoring import default_scorer
from scoring.evaluate import context_for
sc = default_scorer()
out = []
for line in sys.stdin:
    r = json.loads(line)
    res = sc.score(r["reply"], context_for(r))
    out.append([res.scores, [f.to_dict() for f in res.findings], [vars(i) for i in res.items]])
json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)
"""


def test_the_scorer_scores_the_same_with_the_record_as_without_it():
    """The record is only a faster start: every score, finding and item is the same when it is turned off."""
    rows = [
        json.loads(line)
        for line in (ROOT / "tests" / "data" / "eval-dev.jsonl").read_text("utf-8").splitlines()
    ]
    rows += [{"reply": t, "customer": "我的退款呢?"} for t in TEXTS]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    outputs = []
    for flag in ("1", "0"):
        proc = subprocess.run(
            [sys.executable, "-c", _SCORE],
            input=lines,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PEILIAN_REGEX_CACHE": flag},
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert sum(len(o[1]) for o in outputs[0]) > 5 * len(rows)
