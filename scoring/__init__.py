"""Scoring: certainty, simplicity and warmth of a trainee's reply, explained by findings. Headless: no Textual."""

from .api import CRITERIA, Finding, ItemHit, RubricItem, ScoreContext, ScoreResult, Scorer, weighted_overall


def default_scorer() -> "Scorer":
    """The scorer every entry point uses unless told otherwise. `PEILIAN_SCORER=fitted` picks the fitted scorer
    (detectors from the rules and lexicons as YAML, weights fitted on labeled replies in scoring/weights.yaml);
    the default stays the rule scorer until the bundled scenarios' moods and self-tests are re-tuned to it."""
    import os

    if os.environ.get("PEILIAN_SCORER", "").strip().lower() == "fitted":
        from .fitted import FittedScorer

        return FittedScorer()
    from .scorer import RuleScorer

    return RuleScorer()


__all__ = [
    "CRITERIA",
    "Finding",
    "ItemHit",
    "RubricItem",
    "ScoreContext",
    "ScoreResult",
    "Scorer",
    "default_scorer",
    "weighted_overall",
]
