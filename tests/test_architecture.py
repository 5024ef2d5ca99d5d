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
