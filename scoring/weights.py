"""The fitted weights (`weights.yaml`, written by `python -m scoring.fit`): per criterion an intercept and a
weight per feature, and the same fitted without case facts. Its own module so the trainers' file checks
(scoring.team) can read which rule ids are fitted without importing the scorer."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .api import CRITERIA

HERE = Path(__file__).parent
# libyaml's loader when PyYAML has it: the same data, read faster
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
WEIGHTS = HERE / "weights.yaml"


@dataclass
class Weights:
    version: str
    scale: float
    intercept: dict[str, float]
    weights: dict[str, dict[str, float]]  # criterion -> feature key -> weight
    # the same, fitted on the same replies with their case facts left out: a reply scored without facts (`peilian
    # score` with no --facts) can't use what the facts offer, so it is weighed like the labeled replies read alone
    intercept_no_facts: dict[str, float] = field(default_factory=dict)
    weights_no_facts: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Weights:
        crit = data.get("criteria") or {}
        bare = data.get("without_facts") or crit
        return cls(
            str(data.get("version", "fit")),
            float(data.get("scale", 25.0)),
            _intercepts(crit),
            _weights(crit),
            _intercepts(bare),
            _weights(bare),
        )

    def block(self, with_facts: bool) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """(intercepts, weights) for a reply scored with or without case facts."""
        if with_facts or not self.weights_no_facts:
            return self.intercept, self.weights
        return self.intercept_no_facts, self.weights_no_facts


def _intercepts(crit: dict) -> dict[str, float]:
    return {c: float((crit.get(c) or {}).get("intercept", 2.0)) for c in CRITERIA}


def _weights(crit: dict) -> dict[str, dict[str, float]]:
    return {c: {k: float(v) for k, v in ((crit.get(c) or {}).get("weights") or {}).items()} for c in CRITERIA}


@lru_cache(maxsize=1)
def load_weights(path: str = str(WEIGHTS)) -> Weights:
    text = Path(path).read_text(encoding="utf-8")
    return Weights.from_dict(yaml.load(text, Loader=_YAML_LOADER) or {})  # noqa: S506 - a safe loader
