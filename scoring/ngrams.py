"""The learned wording feature: character n-grams whose weights were fitted on labeled replies.

What the detectors miss (a commitment phrased in words no lexicon has, a register that reads cold) often shows in
the characters themselves. For each criterion, a ridge regression over the reply's character 1-3-grams (simplified,
lower-case, digits as 0) is fitted to what the detector features left unexplained (`python -m scoring.fit`), and
its weights are stored in `scoring/ngrams.json`. At run time its contribution is one finding per criterion that
names the words that drove it, so it is explained like every other point.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from .text import normalize

HERE = Path(__file__).parent
NGRAMS = HERE / "ngrams.json"
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_SKIP = re.compile(r"^[\W_a-z]$|^\s|\s$")  # single Latin letters and punctuation, grams starting/ending in space


def grams(text: str) -> dict[str, int]:
    """The reply's character 1-3-grams, each with its first position in `text` (normalisation keeps positions)."""
    norm = _DIGIT.sub("0", normalize(text))
    out: dict[str, int] = {}
    n = len(norm)
    for size in (1, 2, 3):
        for i in range(n - size + 1):
            g = norm[i:i + size]
            if g in out or _SKIP.search(g) or "  " in g:
                continue
            out[g] = i
    return out


@lru_cache(maxsize=1)
def load(path: str = str(NGRAMS)) -> dict[str, dict[str, float]]:
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {c: {g: float(w) for g, w in ws.items()} for c, ws in (data.get("criteria") or {}).items()}


def contribution(found: dict[str, int], weights: dict[str, float]) -> tuple[float, list[tuple[str, float, int]]]:
    """(value in label units, the grams that moved it most: (gram, weight, position))."""
    if not found or not weights:
        return 0.0, []
    norm = len(found) ** 0.5
    hits = [(g, w, found[g]) for g, w in ((g, weights.get(g)) for g in found) if w]
    total = sum(w for _, w, _ in hits) / norm
    hits.sort(key=lambda h: -h[1] if total > 0 else h[1])
    return total, hits
