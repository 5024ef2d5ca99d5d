"""Fitting a scenario's mood arithmetic to its own tests, when the scorer changes.

The mood moves by `sensitivity * (score - neutral)` per criterion, plus the must bonus and the forbidden penalty,
and the customer settles at `calm` and boils over at `escalate` (see `engine.Session.submit`). Those numbers were
set against a scorer; when the scorer is refitted, the scores it gives shift, and the same replies can land on
other endings. `suggest_mood` searches the mood numbers nearest to the scenario's current ones under which every
one of its own tests (`tests:` in the file, the trainer's statement of how it should play) ends as expected.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from scoring import Scorer

from .scenario import MoodRules, Scenario
from .selftest import run_tests

FIELDS = ("neutral", "calm", "escalate", "forbidden_penalty", "max_step")


def _candidates(m: MoodRules):
    neutral = sorted({max(20, min(80, m.neutral + d)) for d in (0, -5, 5, -10, 10, -15, -20)})
    calm = sorted({max(40, min(90, m.calm + d)) for d in (0, -5, 5, -10, -15)})
    escalate = sorted({max(0, min(30, m.escalate + d)) for d in (0, -2, 3, -5, 6)})
    penalty = sorted({max(0, round(m.forbidden_penalty * f)) for f in (1.0, 0.6, 1.5)})
    step = sorted({m.max_step, max(10, m.max_step - 5), min(60, m.max_step + 10)})
    for values in itertools.product(neutral, calm, escalate, penalty, step):
        cand = dict(zip(FIELDS, values, strict=True))
        if cand["escalate"] >= cand["calm"]:
            continue
        yield cand


def _distance(cand: dict, m: MoodRules) -> float:
    return (
        abs(cand["neutral"] - m.neutral) / 5
        + abs(cand["calm"] - m.calm) / 5
        + abs(cand["escalate"] - m.escalate) / 3
        + abs(cand["forbidden_penalty"] - m.forbidden_penalty) / 10
        + abs(cand["max_step"] - m.max_step) / 10
    )


def passes(scenario: Scenario, scorer: Scorer | None = None) -> bool:
    return all(o.passed for o in run_tests(scenario, scorer))


def suggest_mood(scenario: Scenario, scorer: Scorer | None = None) -> dict | None:
    """The mood numbers nearest to the current ones under which all the scenario's tests pass (None: none do)."""
    m = scenario.mood
    for cand in sorted(_candidates(m), key=lambda c: _distance(c, m)):
        trial = scenario.model_copy(update={"mood": m.model_copy(update=cand)})
        if passes(trial, scorer):
            return {k: v for k, v in cand.items() if v != getattr(m, k)}
    return None


def write_mood(path: Path, changes: dict) -> None:
    """Change the mood block's numbers in place (comments and layout kept); adds a key that isn't written yet."""
    text = path.read_text(encoding="utf-8")
    block = re.search(r"(?m)^mood:\n((?:[ \t]+.*\n)+)", text)
    if block is None:
        raise ValueError(f"{path}: no mood block")
    body = block.group(1)
    first = re.match(r"[ \t]+", body)
    if first is None:
        raise ValueError(f"{path}: the mood block is not indented")
    indent = first.group(0)
    for key, value in changes.items():
        line = re.compile(rf"(?m)^({indent}{key}:\s*)[^\n#]*")
        if line.search(body):
            body = line.sub(lambda mm, value=value: f"{mm.group(1)}{value}", body, count=1)
        else:
            body += f"{indent}{key}: {value}\n"
    path.write_text(text[: block.start(1)] + body + text[block.end(1) :], encoding="utf-8")
