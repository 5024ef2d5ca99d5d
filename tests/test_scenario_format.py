"""The scenario format: validation errors as path:line:col, the JSON Schema, bundled files."""

import json
from pathlib import Path

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
    text = (ROOT / "tests/fixtures/valid/minimal.yaml").read_text().replace(
        "title: Minimal scenario", f"title: !!python/object/apply:os.system ['touch {marker}']"
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
    text = (ROOT / "tests/fixtures/valid/minimal.yaml").read_text().replace("expect: escalated", "expect: resolved")
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
