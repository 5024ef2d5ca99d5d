"""The README opens with exactly two set-up commands, and CI runs the second one."""

import re

from .conftest import ROOT


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make run", "make test"]
    assert text.index("```sh") < text.index("\n## ")  # before anything else
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    # the suite runs after the scorer's compiled build, and is told to expect it (tests/test_native.py)
    assert re.search(
        r"^test: .*\bnative\b.*\n\tPEILIAN_EXPECT_NATIVE=1 \$\(BIN\)/python -m pytest$", makefile, re.M
    )
