"""Plain-terminal rendering of scores and findings (the CLI; the TUI has its own widgets). Every piece of data goes
through `inert` before it is styled: a reply can't send escape sequences to the terminal."""

from __future__ import annotations

import click

from i18n.format import bar, costly_spans, points
from scoring import CRITERIA, Finding

from ..inert import inert


def highlight(reply: str, findings: list[Finding]) -> str:
    """The reply with the words that cost points underlined in red (gains are not marked)."""
    reply = inert(reply)  # same length: the findings' spans still fit
    out, pos = [], 0
    for s, e in costly_spans(reply, findings):
        if s < pos:  # overlaps the one underlined already (styles don't nest here)
            continue
        out.append(reply[pos:s])
        out.append(click.style(reply[s:e], fg="red", underline=True))
        pos = e
    out.append(reply[pos:])
    return "".join(out)


def render_findings(reply: str, findings: list[Finding]) -> list[str]:
    lines = []
    for f in sorted(findings, key=lambda f: (f.effect >= 0, f.effect)):
        sign = points(f.effect) if f.effect else "  0"
        colour = "red" if f.effect < 0 else "green"
        quote = f"“{inert(f.text, oneline=True)}” " if f.text and len(f.text) <= 40 else ""
        line = f"  {click.style(sign.rjust(4), fg=colour)} {f.criterion[:9]:9} {quote}{inert(f.message)}"
        if f.suggestion and f.effect < 0:
            line += click.style(f" → {inert(f.suggestion)}", fg="cyan")
        lines.append(line)
    return lines


def render_turn(turn, verbose: bool = True, lang: str | None = None, missing: list[str] = ()) -> str:
    """One turn: the scores, and (verbose) the findings, the items done or hit, what moved the mood, and `missing`:
    one line per required item still missing, with how close the reply came (simulator.explain)."""
    r = turn.result
    parts = [f"{c} {r.scores[c]:3d} {bar(r.scores[c])}" for c in CRITERIA]
    delta = turn.mood - turn.mood_before
    mood = f"mood {turn.mood:3d} ({delta:+d})"
    out = ["  " + "   ".join(parts) + "   " + mood]
    if verbose:
        if any(f.effect < 0 for f in r.findings):
            out.append("  " + highlight(turn.reply, r.findings))
        out.extend(render_findings(turn.reply, r.findings))
        for f in turn.forbidden:
            out.append(click.style(f"  ✗ forbidden: {inert(f)}", fg="red", bold=True))
        for m in turn.must_new:
            out.append(click.style(f"  ✓ done: {inert(m)}", fg="green"))
        if turn.moved:
            out.append(
                click.style(
                    "  mood: " + inert(", ".join(f"{cause} {points:+d}" for cause, points in turn.moved)),
                    dim=True,
                )
            )
        for line in missing:
            out.append(click.style(f"  … {inert(line)}", fg="yellow"))
    if turn.progress is not None and not turn.decision.outcome:
        out.append(click.style("  " + inert(turn.progress.status(lang or "en")), dim=True))
    return "\n".join(out)
