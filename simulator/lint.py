"""Warnings for a valid scenario: things that load fine but make the customer say something the trainee never did.

A customer line that quotes the trainee (又是"尽快"?, 'We'll look into it'?) must only be said when the reply said
those words: the quote has to be guaranteed by a `matches` condition (the line's own `when`, or its beat's), or be
`{said}`, which the engine fills with the trainee's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scoring.text import normalize

from .scenario import OUTCOMES, Beat, Line, Say, Scenario

# a quoted span: "…", “…”, 「…」, 『…』, or '…' standing alone (not an apostrophe: it opens after a space or at the
# start, and closes before a space or punctuation)
_QUOTE = re.compile(
    r"\"([^\"\n]{1,40})\"|“([^”\n]{1,40})”|「([^」\n]{1,40})」|『([^』\n]{1,40})』"
    r"|(?:^|(?<=[\s(:,，]))'(.{2,40}?)'(?=[\s?.!,，。?!]|$)"
)


# Punctuation at a quote's edges, not part of what was quoted.
_EDGE_PUNCT = " .?!,。?!"


def quotes(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _QUOTE.finditer(text)]


def _covered(quoted: str, matches: list[str]) -> bool:
    q = normalize(quoted).strip(_EDGE_PUNCT)
    return "{said}" in quoted or any(normalize(m) in q or q in normalize(m) for m in matches)


def warnings(sc: Scenario) -> Iterator[tuple[tuple, str]]:
    """(location in the file, message) for every line that quotes words its condition doesn't guarantee, and a
    safety scenario without a debrief (its trainee must learn what a good agent does next, whatever the ending)."""
    if (
        sc.situation == "safety"
        and not sc.debrief.strip()
        and not all(getattr(sc.endings, o).debrief.strip() for o in OUTCOMES)
    ):
        yield (
            ("id",),
            "warning: a safety scenario needs a `debrief:` (what a good agent does next, which hotline): "
            "it is shown after every ending",
        )
    # words the customer knows without the trainee (the policy in the facts, the app's own labels in the brief)
    known = normalize(" ".join([*sc.facts, sc.brief, sc.persona.background, *sc.objectives]))
    parts: list[tuple[tuple, Line]] = [(("opening",), sc.opening)]
    parts += [(("beats", i), b) for i, b in enumerate(sc.beats)]
    for loc, line in parts:
        beat_matches = list(line.when.matches) if isinstance(line, Beat) and line.when else []
        for j, variant in enumerate(line.lines):
            text = variant.say if isinstance(variant, Say) else variant
            own = list(variant.when.matches) if isinstance(variant, Say) else []
            for q in quotes(text):
                if normalize(q).strip(_EDGE_PUNCT) in known:
                    continue
                if not _covered(q, beat_matches + own):
                    where = f"beat '{line.id}'" if isinstance(line, Beat) else "the opening"
                    yield (
                        loc + ("lines", j),
                        f"warning: a line of {where} quotes '{q}', but nothing guarantees the "
                        f"trainee said it: make it a `say:` with `when: {{matches: [{q}]}}`, or quote {{said}}",
                    )
        if line.lines and all(isinstance(v, Say) for v in line.lines):
            yield (
                loc + ("lines",),
                "warning: every line here has a condition; add one plain line for when none holds",
            )


def _located(loaded, found_in) -> list:
    """`found_in(scenario, data)` gives (location, message) pairs; each becomes a `path:line:col` Problem."""
    from .loader import Problem, _display, _position_for, load_yaml_located

    out = []
    for path, sc in loaded:
        display = _display(path)
        located = load_yaml_located(path.read_text(encoding="utf-8"), display)
        out += sorted(
            Problem(display, *_position_for(loc, located.positions, False), message)
            for loc, message in found_in(sc, located.data)
        )
    return out


def warning_problems(loaded) -> list:
    """`warnings` for every (path, scenario) pair, as `path:line:col: warning: ...` problems."""
    return _located(loaded, lambda sc, _data: list(warnings(sc)))


def unfinished_problems(loaded) -> list:
    """What keeps each scenario from being ready (too few tests, TODOs left), as `path:line:col` problems."""
    from .selftest import unfinished

    return _located(loaded, unfinished)
