"""Scoring: certainty, simplicity and warmth of a trainee's reply, explained by findings. Headless: no Textual."""

from .api import CRITERIA, Finding, ItemHit, RubricItem, ScoreContext, ScoreResult, Scorer, weighted_overall


def default_scorer() -> "Scorer":
    """The scorer every entry point uses unless told otherwise: the rule scorer (rules and lexicons as YAML)."""
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
