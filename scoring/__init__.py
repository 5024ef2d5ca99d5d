"""Scoring: certainty, simplicity and warmth of a trainee's reply, explained by findings. Headless: no Textual."""

from ._native import attach

# the compiled build of the busiest modules (python -m scoring.compile), when it matches the sources: scoring/_native.py
NATIVE = attach(__path__)

from .api import (  # noqa: E402 - after the build is attached, so every module comes from the same place
    CRITERIA,
    SITUATIONS,
    Finding,
    ItemHit,
    RubricItem,
    ScoreContext,
    Scorer,
    ScoreResult,
    weighted_overall,
)


def default_scorer() -> "Scorer":
    """The scorer every entry point uses unless told otherwise: the fitted scorer (the rules' and lexicons'
    detectors as features, their weights fitted on labeled replies: scoring/weights.yaml, scoring/ngrams.json).
    `PEILIAN_SCORER=rules` picks the earlier rule scorer with its hand-set effects, for comparison."""
    import os

    if os.environ.get("PEILIAN_SCORER", "").strip().lower() in ("rules", "legacy"):
        from .ruleset import ruleset
        from .scorer import RuleScorer

        return RuleScorer(ruleset())
    from .fitted import FittedScorer

    return FittedScorer()


__all__ = [
    "CRITERIA",
    "NATIVE",
    "SITUATIONS",
    "Finding",
    "ItemHit",
    "RubricItem",
    "ScoreContext",
    "ScoreResult",
    "Scorer",
    "default_scorer",
    "weighted_overall",
]
