"""Scenario, lexicon and rule files can't take the machine down (issue 14, row 4)."""

from __future__ import annotations

import time

import pytest

from scoring import safe_regex
from simulator import Session
from simulator.loader import load_many, load_scenario, load_scenario_text

from .conftest import billion_laughs, scenario_with

DEEP = "[" * 10_000 + "]" * 10_000


def _bomb_scenario() -> str:
    return billion_laughs() + scenario_with(("tests:\n", "tags: *lol9\ntests:\n"))


def test_an_alias_bomb_fails_fast_with_path_line_col(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb_scenario(), encoding="utf-8")
    assert path.stat().st_size < 10_000  # under 10 KB on disk, 9^9 (387 million) values once expanded
    started = time.perf_counter()
    with pytest.raises(Exception) as caught:
        load_scenario(path)
    assert time.perf_counter() - started < 0.5
    (problem,) = caught.value.problems
    assert problem.path.endswith("bomb.yaml") and 1 <= problem.line <= 10 and problem.col >= 1
    assert "aliases" in problem.message and "100,000" in problem.message


def test_deep_nesting_is_a_clear_problem_not_recursion_error():
    for text in (
        scenario_with(("title: Minimal scenario", "title: " + DEEP)),
        scenario_with(("title: Minimal scenario", "title: " + "[" * 900 + "]" * 900)),
    ):
        started = time.perf_counter()
        sc, problems = load_scenario_text(text, "deep.yaml")
        assert time.perf_counter() - started < 0.5
        assert sc is None and len(problems) == 1
        assert problems[0].line == 2 and "nested more than 50 levels" in problems[0].message


def test_a_huge_file_is_not_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(
        scenario_with(("brief: A parcel is late.", "brief: " + "x" * 2_000_000)), encoding="utf-8"
    )
    with pytest.raises(Exception) as caught:
        load_scenario(path)
    assert "at most 1,000 KB" in caught.value.problems[0].message


def test_a_catastrophic_pattern_scores_in_linear_time(peilian, peilian_home):
    """`(a+)+$` takes 2^40 steps in Python's re on 40 a's and a '!': RE2 answers at once. Run as a subprocess with
    a timeout, so that a regression fails instead of hanging the suite."""
    folder = peilian_home / "scenarios"
    folder.mkdir(parents=True)
    (folder / "redos.yaml").write_text(
        scenario_with(("id: minimal", "id: redos"), ("phrases: [within 24 hours]", "patterns: ['(a+)+$']")),
        encoding="utf-8",
    )
    started = time.perf_counter()
    r = peilian(
        "run", "redos", "--trainee", "ana", "--replies", "-", "--json", input="a" * 40 + "!\n", timeout=30
    )
    assert r.returncode == 0, r.stderr
    assert (
        time.perf_counter() - started < 10
    )  # the whole command, start-up included; the match itself is microseconds
    # and in-process: the item is matched, by RE2, well under a second
    sc, problems = load_scenario_text((folder / "redos.yaml").read_text(encoding="utf-8"), "redos.yaml")
    assert not problems
    assert not safe_regex.is_reviewed("(a+)+$")
    session = Session(sc, seed=1)
    started = time.perf_counter()
    session.submit("a" * 40 + "!")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "pattern, words",
    [
        (r"(?<!not )refund", "lookaround"),
        (r"(\d)\1", "backreference"),
        (r"within (\d+ hours", "not a valid regular expression"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_when_validated(pattern, words):
    text = scenario_with(("phrases: [within 24 hours]", f"patterns: ['{pattern}']"))
    sc, problems = load_scenario_text(text, "team.yaml")
    assert sc is None and len(problems) == 1
    assert f"pattern '{pattern}'" in problems[0].message and words in problems[0].message  # as written, no \\
    assert (problems[0].line, problems[0].col) == (14, 18)  # the pattern's own line


def test_the_bundled_scenarios_keep_their_reviewed_patterns():
    from scenarios import BUNDLED

    loaded, problems = load_many([BUNDLED])
    assert not problems and len(loaded) >= 16
    lookaround = [
        p for _f, sc in loaded for i in sc.rubric_items() for p in i.patterns if "(?<" in p or "(?!" in p
    ]
    assert lookaround and all(safe_regex.is_reviewed(p) for p in lookaround)


def test_a_broken_team_folder_is_reported_once_and_skipped(peilian, peilian_home):
    folder = peilian_home / "scenarios"
    folder.mkdir(parents=True)
    (folder / "bomb.yaml").write_text(_bomb_scenario(), encoding="utf-8")
    (folder / "deep.yaml").write_text(
        scenario_with(("title: Minimal scenario", "title: " + DEEP)), encoding="utf-8"
    )
    (folder / "lookaround.yaml").write_text(
        scenario_with(
            ("id: minimal", "id: lookaround"), ("phrases: [within 24 hours]", "patterns: ['(?!x)y']")
        ),
        encoding="utf-8",
    )
    (folder / "latin1.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    (folder / "fine.yaml").write_text(scenario_with(("id: minimal", "id: team-fine")), encoding="utf-8")

    started = time.perf_counter()
    r = peilian("scenarios", "list")
    assert time.perf_counter() - started < 15
    assert r.returncode == 0, r.stderr
    assert "late-birthday-gift" in r.stdout and "team-fine" in r.stdout
    for name in ("bomb.yaml", "deep.yaml", "lookaround.yaml", "latin1.yaml"):
        assert r.stderr.count(name) == 1, r.stderr  # once each
    assert "Traceback" not in r.stderr and "fine.yaml" not in r.stderr

    r = peilian(
        "run",
        "late-birthday-gift",
        "--trainee",
        "ana",
        "--replies",
        "-",
        "--seed",
        "1",
        "-q",
        input="真的对不起,我现在就联系商家今天18点前发顺丰。\n",
    )
    assert r.returncode == 0, r.stderr
    r = peilian("report", "--team")
    assert r.returncode == 0, r.stderr
    assert "ana" in r.stdout


def test_a_trainers_lexicon_runs_in_linear_time_or_is_refused(peilian, peilian_home):
    lexicons = peilian_home / "lexicons"
    lexicons.mkdir(parents=True)
    (lexicons / "mine.yaml").write_text('lexicon: hedge\nentries:\n  en: ["re:(a+)+$"]\n', encoding="utf-8")
    r = peilian("score", "a" * 40 + "!", timeout=30)
    assert r.returncode == 0, r.stderr

    from scoring.rules import load_lexicons

    lex = load_lexicons([lexicons])["hedge"]
    started = time.perf_counter()
    assert [m.group() for m in lex.regex.finditer("a" * 40)] == ["a" * 40]
    assert lex.regex.finditer("a" * 40 + "!") == []
    assert time.perf_counter() - started < 1.0

    # refused: the file is left out with one warning naming it (issue 15: a team file never stops practice), and
    # `scenarios check` fails on it
    (lexicons / "mine.yaml").write_text('lexicon: hedge\nentries:\n  en: ["re:(?<!x)y"]\n', encoding="utf-8")
    r = peilian("score", "hello")
    assert r.returncode == 0 and "mine.yaml" in r.stderr and "lookaround" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert peilian("scenarios", "check").returncode == 1

    (lexicons / "mine.yaml").write_text(
        "lexicon: hedge\n" + billion_laughs() + "entries: *lol9\n", encoding="utf-8"
    )
    r = peilian("score", "hello", timeout=30)
    assert r.returncode == 0 and "mine.yaml:" in r.stderr and "aliases" in r.stderr


def test_a_long_pasted_reply_does_not_stall_the_bundled_scenarios():
    """The bundled patterns are reviewed, not immune: `\\d+\\s*(个)?小时内` took 11 s on 20,000 digits in Python's re
    (each start re-scans the run). Those RE2 reads the same way run on RE2."""
    from scenarios import BUNDLED
    from scoring.items import match_items

    loaded, _problems = load_many([BUNDLED])
    for _path, sc in loaded:
        items = sc.rubric_items()
        for reply in ("1" * 20_000, "您" + "再" * 5_000, "你发给我" * 3_000):
            started = time.perf_counter()
            match_items(items, reply)
            assert time.perf_counter() - started < 1.0, (sc.id, reply[:4])


def test_a_reply_built_against_the_secret_request_patterns_scores_at_once():
    """The harmful-request patterns allow a run of card-and-account words between the verb and the secret; a reply
    made of those words, separators and list numbers over and over must not make Python's re backtrack for long
    (the bound catches a hang, not a slowdown)."""
    from scoring import default_scorer

    scorer = default_scorer()
    for reply in (
        "please send me" + " the, your" * 4_000 + " x",
        "could you provide" + " 1. card\n" * 3_000 + "pin works",
        "i'll need" + " ," * 8_000 + " password must",
        "请提供" + "卡号、" * 4_000 + "重置密码",
        "把" + "验证码" * 3_000 + "发一下",
    ):
        started = time.perf_counter()
        scorer.score(reply)
        assert time.perf_counter() - started < 2.0, reply[:20]
