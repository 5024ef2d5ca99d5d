"""The scenario format: validation errors as path:line:col, the JSON Schema, bundled files."""

import json

import pytest

from simulator import ScenarioError, json_schema, load_many, load_scenario
from simulator.loader import load_scenario_text

from .conftest import ROOT

BROKEN = ROOT / "tests" / "fixtures" / "broken"


def test_broken_fixtures_golden(peilian):
    """Every broken fixture gives exactly the expected `path:line:col: message` lines, all at once, exit 1."""
    assert len(list(BROKEN.glob("*.yaml"))) >= 15
    result = peilian("scenarios", "validate", "tests/fixtures/broken")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    expected = (ROOT / "tests" / "fixtures" / "broken.expected").read_text()
    assert result.stdout == expected
    # every broken file is reported (25-duplicate-id-a is the valid twin of 26)
    reported = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    for f in BROKEN.glob("*.yaml"):
        if f.name != "25-duplicate-id-a.yaml":
            assert f"tests/fixtures/broken/{f.name}" in reported, f.name


def test_every_line_is_path_line_col():
    _loaded, problems = load_many([BROKEN])
    for p in problems:
        text = str(p)
        path, line, col, msg = text.split(":", 3)
        assert path.endswith(".yaml") and int(line) >= 1 and int(col) >= 1 and msg.strip()


def test_safe_loading_never_runs_tags(tmp_path):
    marker = tmp_path / "pwned"
    text = (
        (ROOT / "tests/fixtures/valid/minimal.yaml")
        .read_text()
        .replace("title: Minimal scenario", f"title: !!python/object/apply:os.system ['touch {marker}']")
    )
    sc, problems = load_scenario_text(text, "x.yaml")
    assert sc is None and problems
    assert not marker.exists()


def test_position_points_at_the_value():
    text = (ROOT / "tests/fixtures/valid/minimal.yaml").read_text().replace("  mood: 40", "  mood: lots")
    _sc, problems = load_scenario_text(text, "m.yaml")
    assert [(p.line, p.col) for p in problems] == [(7, 9)]
    assert "persona.mood" in problems[0].message


def test_valid_minimal_loads():
    sc = load_scenario(ROOT / "tests/fixtures/valid/minimal.yaml")
    assert sc.id == "minimal" and sc.beats[-1].id == "fallback"


def test_committed_schema_is_current():
    committed = json.loads((ROOT / "scenarios" / "scenario.schema.json").read_text())
    assert committed == json_schema(), "run: peilian scenarios schema > scenarios/scenario.schema.json"


def test_schema_command_prints_schema(peilian):
    result = peilian("scenarios", "schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"].startswith("Peilian scenario")


def test_bundled_scenarios_valid_and_point_at_schema(peilian):
    result = peilian("scenarios", "validate", "scenarios")
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert len(files) >= 3
    for f in files:
        assert f.read_text().startswith("# yaml-language-server: $schema=./scenario.schema.json"), f.name


def test_bundled_scenario_tests_pass(peilian):
    """Every bundled scenario's own tests pass, and varied replies reach every beat and every ending."""
    result = peilian("scenarios", "test", "--coverage", "scenarios", timeout=600)
    assert result.returncode == 0, result.stdout
    assert "FAIL" not in result.stdout and "gaps" not in result.stdout


def test_scenario_test_failure_is_reported(tmp_path, peilian):
    text = (
        (ROOT / "tests/fixtures/valid/minimal.yaml")
        .read_text()
        .replace("expect: escalated", "expect: resolved")
    )
    (tmp_path / "m.yaml").write_text(text)
    result = peilian("scenarios", "test", str(tmp_path))
    assert result.returncode == 1
    assert "FAIL minimal: password" in result.stdout
    assert "expected resolved, got escalated" in result.stdout


def test_missing_path_is_a_problem_not_a_traceback(peilian):
    result = peilian("scenarios", "validate", "no/such/dir.yaml")
    assert result.returncode == 1
    assert "no/such/dir.yaml:1:1: no such file or folder" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bundled_has_language(lang):
    loaded, problems = load_many([ROOT / "scenarios"])
    assert not problems
    assert any(sc.lang == lang for _p, sc in loaded)


def test_scenario_error_lists_every_problem():
    with pytest.raises(ScenarioError) as e:
        load_scenario(BROKEN / "04-unknown-key-typo.yaml")
    assert len(e.value.problems) == 2
    assert "did you mean 'title'" in str(e.value)


# -- issue 15.3: errors in the trainer's words -------------------------------------------------------------------
def _problem(text: str) -> str:
    sc, problems = load_scenario_text(text, "s.yaml")
    assert sc is None and len(problems) == 1, problems
    p = problems[0]
    return f"{p.line}:{p.col}: {p.message}"


MINIMAL_TEXT = (ROOT / "tests/fixtures/valid/minimal.yaml").read_text()


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("difficulty: 1", "difficulty：1", "4:11: full-width '：' after 'difficulty'; use ':'"),
        ("  name: Sam", "\tname: Sam", "6:1: a tab character: YAML indents with spaces only"),
        (
            "brief: A parcel is late.",
            "brief: 注意: 先道歉",
            "8:10: the text of 'brief' holds ': ', which YAML reads as another "
            'key: put the whole text in quotes, e.g. brief: "注意: 先道歉"',
        ),
        ("  mood: 40", "    mood: 40", "7:5: 'mood' is indented more than 'name: Sam' on the line above"),
        (
            "persona:\n  name: Sam",
            "persona:\n    name: Sam",
            "7:3: 'mood: 40' is indented 2 spaces, which lines up with nothing above",
        ),
        (
            'lines: ["Where is my parcel?"]',
            'lines: ["Where is my parcel?]',
            '10:11: the " opened here is not closed on this line',
        ),
    ],
)
def test_yaml_slips_are_named_with_their_fix(old, new, expected):
    assert old in MINIMAL_TEXT
    got = _problem(MINIMAL_TEXT.replace(old, new, 1))
    assert got.startswith(expected), got
    assert "<block" not in got and "expected" not in got.split(": ", 1)[1][:20]


def test_schema_errors_name_beats_items_and_tests_by_id():
    text = MINIMAL_TEXT.replace('lines: ["When, exactly?"]', "lines: []")
    assert _problem(text).endswith("beat 'push': lines needs at least one line")
    text = MINIMAL_TEXT.replace(
        "brief: A parcel is late.\n", "brief: A parcel is late.\nobjectives:\n  - 注意: 先道歉\n"
    )
    assert _problem(text) == (
        "10:5: objectives #1: this text holds ': ', which YAML reads as a key: put the whole "
        'text in quotes, e.g. "注意: 先道歉"'
    )
    text = MINIMAL_TEXT.replace("expect: escalated", "expect: escalate")
    assert _problem(text).endswith(
        "test 'password': expect must be one of resolved, escalated, abandoned (not "
        "'escalate'): did you mean 'escalated'?"
    )
    text = MINIMAL_TEXT.replace(
        "      phrases: [within 24 hours]", "      phrases: [within 24 hours]\n      threshhold: 80"
    )
    assert (
        _problem(text) == "15:7: must item 'give-time': unknown key 'threshhold': did you mean 'threshold'?"
    )


def test_a_bad_pattern_points_at_its_own_line_as_written():
    text = MINIMAL_TEXT.replace(
        "      phrases: [within 24 hours]",
        "      phrases: [within 24 hours]\n      patterns: ['\\d+ hours', 'within (\\d+ hours']",
    )
    got = _problem(text)
    assert got == (
        "15:31: must item 'give-time': pattern 'within (\\d+ hours' is not a valid regular expression: "
        "missing )"
    )
    assert "\\\\" not in got


def test_a_gbk_scenario_is_one_sentence_naming_the_file(tmp_path):
    f = tmp_path / "gbk.yaml"
    f.write_bytes(MINIMAL_TEXT.replace("A parcel is late.", "包裹晚了两天。").encode("gbk"))
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    (p,) = e.value.problems
    assert p.path.endswith("gbk.yaml") and (p.line, p.col) == (8, 8)
    assert "not UTF-8 text; it looks like GBK" in p.message and "save it as UTF-8" in p.message
