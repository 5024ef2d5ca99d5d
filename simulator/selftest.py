"""Playing a scenario's own tests (`tests:` in the file) through the scripted engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring import Scorer

from .engine import Session
from .runner import play
from .scenario import Scenario, ScenarioTest


@dataclass
class TestOutcome:
    scenario: str
    name: str
    passed: bool
    expected: str
    got: str | None
    turns: int
    problems: list[str] = field(default_factory=list)
    session: Session | None = None


def run_test(scenario: Scenario, test: ScenarioTest, scorer: Scorer | None = None) -> TestOutcome:
    session = Session(scenario, scorer=scorer, seed=test.seed)
    play(session, test.replies)
    problems = []
    got = session.outcome
    if got != test.expect:
        where = f"after {len(session.turns)} of {len(test.replies)} replies"
        moods = " → ".join(str(t.mood) for t in session.turns)
        problems.append(f"expected {test.expect}, got {got or 'no ending'} {where} (mood {scenario.persona.mood} → {moods})")
    hit = set().union(*(t.forbidden for t in session.turns)) if session.turns else set()
    for f in test.forbidden:
        if f not in hit:
            problems.append(f"forbidden item '{f}' was never hit")
    return TestOutcome(scenario.id, test.name, not problems, test.expect, got, len(session.turns), problems, session)


def run_tests(scenario: Scenario, scorer: Scorer | None = None) -> list[TestOutcome]:
    return [run_test(scenario, t, scorer) for t in scenario.tests]
