"""Headless core, TUI at the edge: the core never imports Textual."""

import subprocess
import sys

from .conftest import ROOT


def test_import_contracts_hold():
    lint = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
    result = subprocess.run(lint, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_import_does_not_load_textual():
    code = (
        "import sys, simulator, scoring, simulator.runner, simulator.selftest, peilian.cli; "
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.') or m == 'tui']; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_opening_the_app_from_the_command_line_imports_nothing_it_does_not_need_yet():
    """`peilian` reaches the app's first frame without the simulator, the scorer, sqlite-utils or YAML: those load
    right after it (bench/bench_tui.py measures the cold start through this same path)."""
    code = (
        "import sys; from textual.app import App; App.run = lambda self, *a, **k: None; "
        "from peilian.cli import main\n"
        "try:\n    main(['app', '--trainee', 'arch', '--lang', 'en'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('simulator', 'scoring', 'sqlite_utils', 'yaml', 'pydantic', 'rapidfuzz', 'opencc', 'llama_cpp')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    import os
    import tempfile

    env = {**os.environ, "PEILIAN_HOME": tempfile.mkdtemp(prefix="peilian-arch-")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_no_import_cycles_between_modules():
    """Every module's run-time imports form a graph without cycles (type-only imports aside): each part can be
    understood and changed from the ones below it. `.ci/code_shape.py` prints the other figures of issue 16."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("code_shape", ROOT / ".ci" / "code_shape.py")
    shape = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shape)
    assert shape.import_cycles() == []


def test_the_code_checks_run_in_the_test_command():
    """`make test` (the README's test command, and CI's) runs `make check` first: format, lint, types, contracts."""
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_rule = next(line for line in make.splitlines() if line.startswith("test:"))
    assert "check" in test_rule.split(":", 1)[1].split()
    for tool in ("ruff format --check", "ruff check", "mypy", "lint-imports"):
        assert tool in make
