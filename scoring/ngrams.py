"""The learned wording feature: character n-grams whose weights were fitted on labeled replies.

What the detectors miss (a commitment phrased in words no lexicon has, a register that reads cold) often shows in
the characters themselves. For each criterion, a ridge regression over the reply's character 1-3-grams (simplified,
lower-case, digits as 0) is fitted to what the detector features left unexplained (`python -m scoring.fit`), and
its weights are stored in `scoring/ngrams.json`. At run time its contribution is one finding per criterion that
names the words that drove it, so it is explained like every other point.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from . import recache
from ._here import HERE
from .text import normalize

NGRAMS = HERE / "ngrams.json"
_DIGIT = recache.compile(r"\d")


_LATIN = recache.compile(r"[a-z][a-z'’]*[a-z]|[a-z]")
_NONLATIN = recache.compile(r"[^a-z\s]+")


def grams(text: str) -> dict[str, int]:
    """The reply's wording units, each with its first position in `text` (normalisation keeps positions): English
    words and word pairs ("refunding", "in full"), and for everything else character 1-3-grams (digits as 0)."""
    norm = _DIGIT.sub("0", normalize(text))
    out: dict[str, int] = {}
    words = [(m.group(0), m.start()) for m in _LATIN.finditer(norm)]
    for i in range(len(words) - 1, -1, -1):
        w, p = words[i]
        out[w] = p
        if i + 1 < len(words):
            out[w + " " + words[i + 1][0]] = p
    for m in _NONLATIN.finditer(norm):
        run, base = m.group(0), m.start()
        n = len(run)
        # (out.setdefault called as a method: compiled, a direct call; through a bound method, a generic one)
        for i in range(n - 3, -1, -1):
            out.setdefault(run[i : i + 3], base + i)
        for i in range(n - 2, -1, -1):
            out.setdefault(run[i : i + 2], base + i)
        for i in range(n - 1, -1, -1):
            out.setdefault(run[i], base + i)
    return out


_NOT_WORDY = recache.compile(r"[^\w' ]|_")


_MARKS = recache.compile(r"^[!！?？~～…。.,，、:：;；\-—😊🙏💕👍❤️]{1,3}$")


def usable(gram: str) -> bool:
    """Words, or punctuation on its own ('!!', '~'); not grams that straddle a word and a mark ('。我', 'd,'),
    which would explain nothing."""
    if not gram or gram != gram.strip():
        return False
    return bool(_MARKS.match(gram)) or not _NOT_WORDY.search(gram)


def wordy(gram: str) -> bool:
    """A gram worth naming in a finding."""
    return not _NOT_WORDY.search(gram) and "0" not in gram


def join_grams(hits) -> list[list]:
    """(gram, weight, position) in order of strength, overlapping ones joined into the words they are part of
    ('对不'+'不起' = '对不起'): [start, end, summed weight] per word, in the order each word was first met."""
    spans: list[list] = []
    for g, w, pos in hits:
        end = pos + len(g)
        for sp in spans:
            if pos < sp[1] and end > sp[0]:
                sp[0], sp[1], sp[2] = min(sp[0], pos), max(sp[1], end), sp[2] + w
                break
        else:
            spans.append([pos, end, w])
    return spans


@lru_cache(maxsize=1)
def load(path: str = str(NGRAMS)) -> dict[str, dict[str, float]]:
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {c: {g: float(w) for g, w in ws.items()} for c, ws in (data.get("criteria") or {}).items()}


@lru_cache(maxsize=1)
def bundled_table(criteria: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    """The bundled weights as a table, built once per process (every new session's scorer shares it)."""
    return table(load(), criteria)


def nameable(tab: dict[str, tuple[float, ...]]) -> frozenset[str]:
    """The table's grams a finding may name (`wordy`)."""
    return frozenset(g for g in tab if wordy(g))


@lru_cache(maxsize=1)
def bundled_nameable(criteria: tuple[str, ...]) -> frozenset[str]:
    """`nameable` of the bundled table, worked out once per process."""
    return nameable(bundled_table(criteria))


def table(weights: dict[str, dict[str, float]], criteria: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    """gram -> its weight for each criterion, so one pass over a reply's grams serves all three."""
    out: dict[str, tuple[float, ...]] = {}
    for g in {g for ws in weights.values() for g in ws}:
        out[g] = tuple(weights.get(c, {}).get(g, 0.0) for c in criteria)
    return out


def norm(n_grams: int) -> float:
    """The wording vector's length scale: like L2 normalisation, but a reply of one or two marks doesn't get a
    whole reply's pull."""
    return max(n_grams, 12) ** 0.5


def pulls(
    found: dict[str, int], tab: dict[str, tuple[float, ...]], n: int
) -> tuple[list[float], list[tuple[str, tuple[float, ...], int]], list[tuple[float, ...]]]:
    """`contributions` in one pass for all criteria: each criterion's value in label units; the grams present with
    their weights (gram, weights per criterion, position), in the reply's order; and per criterion the weights of
    those grams, in the same order."""
    if not found or not tab:
        return [0.0] * n, [], []
    scale = norm(len(found))
    hits: list[tuple[str, tuple[float, ...], int]] = []
    weighed: list[tuple[float, ...]] = []
    for g, p in found.items():
        w = tab.get(g)  # None for a gram the model doesn't weigh
        if w is not None:
            hits.append((g, w, p))
            weighed.append(w)
    if not hits:
        return [0 / scale] * n, hits, []
    columns = list(zip(*weighed, strict=True))
    return [sum(columns[i]) / scale for i in range(n)], hits, columns


def contributions(found: dict[str, int], tab: dict[str, tuple[float, ...]], n: int):
    """Per criterion: (value in label units, [(gram, weight, position)] of the grams present)."""
    if not found or not tab:
        return [(0.0, [])] * n
    scale = norm(len(found))
    hits = [
        (g, tab[g], p) for g, p in found.items() if g in tab
    ]  # in the reply's order: same result every run
    out = []
    for i in range(n):
        total = sum(w[i] for _, w, _ in hits) / scale
        out.append((total, [(g, w[i], p) for g, w, p in hits if w[i]]))
    return out
