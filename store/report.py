"""Rendering progress reports: Markdown (terminal, chat), HTML (one self-contained file with SVG charts), CSV, JSON.

Every piece of trainee text that reaches HTML goes through `html.escape`: a reply containing `<script>` shows as
text. The HTML file has no external resources (no scripts, fonts or images to fetch), so it reads offline.
In Markdown the same text is backslash-escaped (`_md_cell`: no raw HTML, links or images from a name or a reply);
the resume command a report prints is shell-quoted, so a name like `$(rm -rf ~)` pasted into a shell is only a name;
CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) start with `'`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from collections.abc import Callable, Collection
from html import escape
from typing import Any

from i18n import report_words
from i18n.format import bar
from scoring import CRITERIA

from .report_data import (
    GateResult,
    GridRow,
    ScenarioRow,
    ScenarioStats,
    TeamReport,
    TraineeReport,
    TrendPoint,
    as_report,
)

# A report as built, or read back from its JSON
AnyReport = TraineeReport | TeamReport | dict[str, Any]

COLOURS = {"certainty": "#2563eb", "simplicity": "#16a34a", "warmth": "#ea580c", "overall": "#6b7280"}


def _n(v, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}"


def _pct(v) -> str:
    return "–" if v is None else f"{v * 100:.0f}%"


_MD_SPECIAL = re.compile(r"([\\`<>\[\]|])")


def _md_cell(text) -> str:
    """Data as Markdown text: `<script>`, `[x](url)`, `![](img)` and backticks show as typed, `|` can't split a
    table cell, a newline can't start a heading."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


def _md_code(text: str) -> str:
    """`text` as one Markdown code span, whatever backticks it holds (CommonMark: a longer fence)."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def resume_command(scenario: str, trainee: str) -> str:
    """The shell command that resumes a session: every piece from the database is quoted for a POSIX shell."""
    return f"peilian run {shlex.quote(scenario)} --trainee {shlex.quote(trainee)} --resume"


def empty(report: AnyReport) -> bool:
    return as_report(report).empty


def _words(lang: str) -> dict[str, str]:
    return report_words(lang)


# -- Markdown -----------------------------------------------------------------------------------------------------
def since_text(since: str | None, words: dict[str, str]) -> str:
    """--since as the report used it: a date, or a time to the minute (the second, if it has one) in UTC."""
    if not since or len(since) <= 10:
        return since or ""
    shown = since[:19] if since[17:19] not in ("", "00") else since[:16]
    return f"{shown.replace('T', ' ')} {words['utc']}"


def _crit(words: dict[str, str], c: str) -> str:
    return words.get(c, c)


def _outcome(words: dict[str, str], o: str | None) -> str:
    return words.get(f"{o}_o", o or "") if o and o != "unfinished" else words["unfinished_word"]


def _outcomes(words: dict[str, str], r: TraineeReport) -> str:
    return ", ".join(f"{_outcome(words, k)} {v}" for k, v in sorted(r.outcomes.items()))


def _sessions_line(words: dict[str, str], r: TraineeReport) -> str:
    since = words["since"].format(date=since_text(r.since, words)) if r.since else ""
    return words["sessions"].format(
        since=since,
        n=r.sessions,
        parts=_outcomes(words, r),
        streak=r.streak_days,
        row=r.resolved_in_a_row,
        hints=r.hints_used,
    )


def _best(words: dict[str, str], s: ScenarioRow) -> str:
    return f"{_n(s.best)} {_outcome(words, s.best_outcome) if s.best_outcome else ''}"


def _latest(words: dict[str, str], s: ScenarioRow) -> str:
    return f"{_n(s.latest)} {_outcome(words, s.latest_outcome)} ({s.latest_date})"


def _ready_line(words: dict[str, str], g: GateResult, state: str) -> str:
    return words["ready_line"].format(
        state=state, passed=g.passed, needed=g.needed, gate=g.gate_text(words["lang"])
    )


def markdown(report: AnyReport, lang: str = "en") -> str:
    """The report as Markdown, in English or Chinese (`lang` "zh"; the data's own text, such as scenario titles
    and finding messages, stays as stored)."""
    words = _words(lang)
    r = as_report(report)
    if r.empty:
        return words["no_sessions"] + "\n"
    return _md_trainee(r, words) if isinstance(r, TraineeReport) else _md_team(r, words)


def _md_trainee(r: TraineeReport, words: dict[str, str]) -> str:
    out = [f"# {words['progress'].format(name=_md_cell(r.trainee))}", "", _sessions_line(words, r)]
    for u in r.unfinished:
        when = u.started_at[:16].replace("T", " ")
        out.append(
            f"- {words['unfinished'].format(sc=_md_cell(u.scenario), when=when, n=u.turns)}: "
            f"{_md_code(resume_command(u.scenario, r.trainee))}"
        )
    out += [
        "",
        f"## {words['levels']}",
        "",
        words["recent"],
        "",
        f"| {words['criterion']} | {words['level']} | |",
        "|---|---:|---|",
    ]
    for c in CRITERIA:
        mark = words["weakest_mark"] if c == r.weakest else ""
        out.append(f"| {_crit(words, c)} | {_n(r.levels.get(c), 1)} | `{bar(r.levels.get(c))}`{mark} |")
    out.append(f"| {words['overall']} | {_n(r.overall_level, 1)} | `{bar(r.overall_level)}` |")
    if r.habits:
        out += ["", f"## {words['habits']}", ""]
        for h in r.habits:
            costly = ", ".join(f"{_md_cell(x.text)} ×{x.count}" for x in h.words)
            head, tail = (costly, f": {_md_cell(h.message)}") if costly else (_md_cell(h.message), "")
            out.append(
                f"- **{_crit(words, h.criterion)}: {head}** ({h.rule}, {h.count}×, "
                f"{round(h.points)} {words['points']}){tail}"
            )
            # A blank line before each quote and before the Try line: otherwise Markdown joins them into one
            # paragraph (the Try line would read as the end of the last quote).
            for q in h.quotes:
                out += ["", f"  > {_md_cell(q)}"]
            if h.suggestion:
                out += ["", f"  {words['try']}: {_md_cell(h.suggestion)}"]
    if r.scenarios:
        out += [
            "",
            f"## {words['scenarios']}",
            "",
            f"| {words['scenario']} | {words['attempts']} | {words['best']} | {words['latest']} | {words['passed']} |",
            "|---|---:|---|---|:-:|",
        ]
        for s in r.scenarios:
            out.append(
                f"| {_md_cell(s.scenario)} | {s.attempts} | {_best(words, s)} | {_latest(words, s)} | "
                f"{'✔' if s.passed else ''} |"
            )
    if r.trend:
        out += [
            "",
            f"## {words['over_time']}",
            "",
            f"| {words['date']} | {words['scenario']} | {' | '.join(_crit(words, c) for c in CRITERIA)} "
            f"| {words['overall']} | {words['outcome']} |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for t in r.trend[-15:]:
            scores = " | ".join(_n(t.score(c)) for c in CRITERIA)
            out.append(
                f"| {t.date} | {_md_cell(t.scenario)} | {scores} | {_n(t.overall)} | {_outcome(words, t.outcome)} |"
            )
    rd = r.readiness
    if rd:
        out += [
            "",
            f"## {words['readiness']}",
            "",
            _ready_line(words, rd, words["ready"] if rd.ready else words["not_ready"]),
        ]
        if rd.missing_required:
            # its own paragraph, own line
            out += ["", words["still"].format(ids=", ".join(map(_md_cell, rd.missing_required)))]
        for g in r.gates:
            state = words["ready"] if g.ready else words["not_ready"]
            out += ["", f"**{_md_cell(g.name)}**: " + _ready_line(words, g, state)]
    if r.next:
        out += ["", f"## {words['next']}", ""]
        for i, n in enumerate(r.next, 1):
            out.append(f"{i}. {_md_code(n.scenario)} {_md_cell(n.title)}")
    return "\n".join(out) + "\n"


def _md_team(r: TeamReport, words: dict[str, str]) -> str:
    since = words["since"].format(date=since_text(r.since, words)) if r.since else ""
    out = [
        f"# {words['team'].format(since=since)}",
        "",
        words["team_line"].format(t=len(r.trainees), n=r.sessions, gate=r.gate_text(words["lang"])),
        "",
        f"| {words['trainee']} | {words['sessions_col']} | {' | '.join(_crit(words, c) for c in CRITERIA)} "
        f"| {words['overall']} | {words['weakest']} | {words['passed']} | {words['ready_col']} | {words['last']} |",
        "|---|---:|---:|---:|---:|---:|---|---:|:-:|---|",
    ]
    for t in r.trainees:
        levels = " | ".join(_n(t.levels.get(c)) for c in CRITERIA)
        out.append(
            f"| {_md_cell(t.trainee)} | {t.sessions} | {levels} | {_n(t.overall_level)} | "
            f"{_crit(words, t.weakest) if t.weakest else ''} | {t.passed} | {'✔' if t.ready else ''} | {t.last} |"
        )
    if r.gates:
        out += ["", f"## {words['gates']}", "", words["gates_note"], ""]
        out += [f"- **{words['ready_gate']}**: {r.gate_text(words['lang'])}"]
        out += [f"- **{_md_cell(g.name)}**: {_md_cell(g.gate_text(words['lang']))}" for g in r.gates]
        out += [
            "",
            f"| {words['trainee']} | {words['ready_gate']} | {' | '.join(_md_cell(g.name) for g in r.gates)} |",
            "|---|:-:|" + ":-:|" * len(r.gates),
        ]
        for t in r.trainees:
            cells = " | ".join(t.gates[g.name].text() for g in r.gates)
            out.append(f"| {_md_cell(t.trainee)} | {r.default_gate(t).text()} | {cells} |")
    if r.trainees:
        out += [
            "",
            f"## {words['works_on']}",
            "",
            words["works_note"],
            "",
            f"| {words['trainee']} | {words['top_habit']} | {words['cost']} | {words['trend']} |",
            "|---|---|---:|---|",
        ]
        for t in r.trainees:
            h = t.top_habit
            out.append(
                f"| {_md_cell(t.trainee)} | {_md_cell(h.text() if h else '–')} | {_n(h.points) if h else '–'} | "
                f"{t.trend.text() if t.trend else '–'} |"
            )
    if r.grid.rows:
        out += [
            "",
            f"## {words['grid']}",
            "",
            words["grid_note"],
            "",
            f"| {words['trainee']} | {' | '.join(map(_md_cell, r.grid.scenarios))} |",
            "|---|" + "---|" * len(r.grid.scenarios),
        ]
        for row in r.grid.rows:
            out.append(
                f"| {_md_cell(row.trainee)} | {' | '.join(_grid_cell(row, sid) for sid in r.grid.scenarios)} |"
            )
    out += [
        "",
        f"## {words['leaderboard'].format(since=since)}",
        "",
        f"| # | {words['trainee']} | {words['passed_n']} | {words['overall']} | {words['sessions_col']} |",
        "|---:|---|---:|---:|---:|",
    ]
    for x in r.leaderboard[:20]:
        out.append(
            f"| {x.rank} | {_md_cell(x.trainee)} | {x.passed} | {_n(x.overall_level)} | {x.sessions} |"
        )
    out += [
        "",
        f"## {words['difficulty']}",
        "",
        words["hardest"],
        "",
        f"| {words['scenario']} | {words['attempts']} | {words['trainees']} | {words['pass_rate']} "
        f"| {words['resolved']} | {words['mean']} | {words['trips']} | {words['strong']} |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for s in r.scenarios:
        trip = s.trips_on.text() if s.trips_on else "–"
        out.append(
            f"| {_md_cell(s.scenario)} | {s.attempts} | {s.trainees} | {_pct(s.pass_rate)} | "
            f"{_pct(s.resolved_rate)} | {_n(s.mean_overall)} | {_md_cell(trip)} | {s.strong_text()} |"
        )
    if any(s.flagged_for("strong-fail") for s in r.scenarios):
        out += ["", _flag_note(words, r)]
    flagged = [s for s in r.scenarios if s.flagged]
    if flagged:
        out += ["", words["check_first"], ""]
        out += [
            f"- ⚠ {_md_cell(s.scenario)}: {_md_cell('; '.join(_flag_reasons(words, s)))}" for s in flagged
        ]
    return "\n".join(out) + "\n"


def _grid_cell(row: GridRow, sid: str) -> str:
    cell = row.cells.get(sid)
    return cell.text() if cell else ""


def _flag_note(words: dict[str, str], r: TeamReport) -> str:
    from .progress import STRONG_MIN  # lazily: rendering a saved report needs no database

    level = r.gate_rule.min_overall if r.gate_rule else 0
    return words["flag_note"].format(n=STRONG_MIN, level=f"{level:g}")


def _flag_reasons(words: dict[str, str], s: ScenarioStats) -> list[str]:
    """Why the scenario is flagged, in the report's words (the model answers' problems are the engine's, in English)."""
    out = []
    for flag in s.flags:
        if flag.reason == "strong-fail" and s.strong:
            out.append(words["flag_strong"].format(passed=s.strong.passed, trainees=s.strong.trainees))
        elif flag.reason == "model-answers":
            shown = "; ".join(flag.problems[:2])
            more = words["more"].format(n=len(flag.problems) - 2) if len(flag.problems) > 2 else ""
            out.append(words["flag_model"].format(problems=shown + more))
    return out


# -- CSV / JSON -------------------------------------------------------------------------------------------------
def to_json(report: AnyReport) -> str:
    return json.dumps(as_report(report).to_dict(), ensure_ascii=False, indent=2) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as typed: text that starts like a formula (`=HYPERLINK(...)`, `@SUM`, `-2+3`) gets
    a leading `'` (OWASP's CSV-injection advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, buf: io.StringIO) -> None:
        self.writer = csv.writer(buf)

    def writerow(self, row: list[object]) -> None:
        self.writer.writerow([_csv_cell(v) for v in row])


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def to_csv(report: AnyReport) -> str:
    """The report as CSV (UTF-8; `peilian report --out x.csv` adds the byte-order mark Excel needs for Chinese)."""
    r = as_report(report)
    buf = io.StringIO()
    writer = _SafeWriter(buf)
    if isinstance(r, TraineeReport):
        writer.writerow(["trainee", "session", "date", "scenario", *CRITERIA, "overall", "outcome"])
        for p in r.trend:
            writer.writerow(
                [
                    r.trainee,
                    p.session,
                    p.date,
                    p.scenario,
                    *(p.score(c) for c in CRITERIA),
                    p.overall,
                    p.outcome or "unfinished",
                ]
            )
        return buf.getvalue()
    # one row per trainee: the team table, then the named gates, the top habit and trend, and the grid (three
    # columns per scenario), so that a spreadsheet filters and sorts one rectangle
    gates = [g.name for g in r.gates]
    scenarios = r.grid.scenarios
    cells = {row.trainee: row.cells for row in r.grid.rows}
    # per scenario, why to check it before the trainees (the same in every row, so that a filter keeps it)
    checks = {s.scenario: "; ".join(_flag_reasons(report_words("en"), s)) for s in r.scenarios if s.flagged}
    writer.writerow(
        [
            "trainee",
            "sessions",
            "resolved",
            *CRITERIA,
            "overall",
            "weakest",
            "passed",
            "ready",
            "last",
            *(f"ready: {g}" for g in gates),
            "top habit",
            "top habit count",
            "top habit points",
            "last 5 mean",
            "5 before mean",
            *(f"{sid}: {k}" for sid in scenarios for k in ("best", "passed", "attempts", "check")),
        ]
    )
    for t in r.trainees:
        h, tr = t.top_habit, t.trend
        mine = cells.get(t.trainee, {})
        grid: list[object] = []
        for sid in scenarios:
            c = mine.get(sid)
            grid += [c.best, _yes(c.passed), c.attempts] if c else ["", "", 0]
            grid.append(checks.get(sid, ""))
        writer.writerow(
            [
                t.trainee,
                t.sessions,
                t.resolved,
                *(t.levels.get(c) for c in CRITERIA),
                t.overall_level,
                t.weakest,
                t.passed,
                _yes(t.ready),
                t.last,
                *(_yes(t.gates[g].ready) for g in gates),
                h.rule if h else "",
                h.count if h else "",
                h.points if h else "",
                tr.last if tr else "",
                tr.before if tr else "",
                *grid,
            ]
        )
    return buf.getvalue()


# -- HTML -------------------------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;max-width:1000px;
margin:2em auto;padding:0 1em;color:#1f2937}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{padding:.3em .5em;border-bottom:1px solid #f0f0f0;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
blockquote{margin:.3em 0 .3em 1em;color:#4b5563;border-left:3px solid #d1d5db;padding-left:.6em}
.ok{color:#15803d;font-weight:600}.no{color:#b91c1c}.muted{color:#6b7280}.legend span{margin-right:1em}
.wide{overflow-x:auto}.wide table{width:auto;white-space:nowrap}
svg text{font-size:11px;fill:#374151}
"""


def _svg_lines(
    trend: list[TrendPoint], words: dict[str, str] | None = None, width: int = 900, height: int = 220
) -> str:
    if not trend:
        return ""
    pad = 30
    n = len(trend)
    step = (width - 2 * pad) / max(1, n - 1)

    def y(v):
        return height - pad - (v / 100) * (height - 2 * pad)

    parts = [f'<svg role="img" aria-label="scores per session" viewBox="0 0 {width} {height}" width="100%">']
    for v in (0, 50, 100):
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
            f'<text x="2" y="{y(v) + 4:.1f}">{v}</text>'
        )
    for c in CRITERIA:
        pts = " ".join(f"{pad + i * step:.1f},{y(t.score(c)):.1f}" for i, t in enumerate(trend))
        parts.append(
            f'<polyline fill="none" stroke="{COLOURS[c]}" stroke-width="2" points="{pts}">'
            f"<title>{escape(_crit(words or {}, c))}</title></polyline>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<span style="color:{COLOURS[c]}">■ {escape(_crit(words or {}, c))}</span>' for c in CRITERIA
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _svg_bars(
    items: list[tuple[str, float]], width: int = 900, bar_h: int = 18, colour: str = "#2563eb"
) -> str:
    if not items:
        return ""
    label_w = 180
    height = bar_h * len(items) + 10
    scale = max(1.0, max(v for _l, v in items))
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="100%">']
    for i, (label, v) in enumerate(items):
        bar_len = (width - label_w - 50) * (v / scale)
        yy = 5 + i * bar_h
        parts.append(
            f'<text x="0" y="{yy + bar_h * 0.7:.1f}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{yy}" width="{bar_len:.1f}" height="{bar_h - 4}" fill="{colour}"/>'
            f'<text x="{label_w + bar_len + 4:.1f}" y="{yy + bar_h * 0.7:.1f}">{v:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(
    head: list[str],
    rows: list[list[Any]],
    numeric: Collection[int] = frozenset(),
    classes: Callable[[int, str], str] | None = None,
) -> str:
    """An HTML table of escaped cells; `classes(i, text)` may give a cell a CSS class (ok, no, muted)."""
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            names = ["n"] if i in numeric else []
            extra = classes(i, str(v)) if classes and i else ""
            if extra:
                names.append(extra)
            attr = f' class="{" ".join(names)}"' if names else ""
            cells.append(f"<td{attr}>{escape(str(v))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plain(text: str) -> str:
    """A Markdown sentence of the report words as plain text for HTML (its ** and * marks dropped; escaped after)."""
    return text.replace("**", "").replace("*", "")


def html(report: AnyReport, lang: str = "en") -> str:
    """The report as one self-contained HTML page, in English or Chinese (`lang` "zh"); the data's own text
    (names, scenario titles, replies, finding messages) stays as stored, escaped."""
    words = _words(lang)
    r = as_report(report)
    if r.empty:
        title, body = words["title_team"], f"<p>{escape(_plain(words['no_sessions']))}</p>"
    elif isinstance(r, TraineeReport):
        title, body = words["title_trainee"].format(name=r.trainee), _html_trainee(r, words)
    else:
        title, body = words["title_team"], _html_team(r, words)
    return (
        f'<!doctype html><html lang="{words["lang"]}"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width,initial-scale=1"><title>{escape(title)}</title><style>{CSS}</style></head>'
        f"<body>{body}</body></html>\n"
    )


def _html_trainee(r: TraineeReport, words: dict[str, str]) -> str:
    e = escape
    out = [
        f"<h1>{e(words['progress'].format(name=r.trainee))}</h1>",
        f"<p>{e(_plain(_sessions_line(words, r)))}</p>",
    ]
    for u in r.unfinished:
        line = words["unfinished"].format(sc=u.scenario, when=u.started_at[:16].replace("T", " "), n=u.turns)
        out.append(
            f"<p class=muted>{e(line)}; {e(words['resume_with'])} "
            f"<code>{e(resume_command(u.scenario, r.trainee))}</code></p>"
        )
    out.append(f"<h2>{e(words['levels'])}</h2><p class=muted>{e(words['recent'])}</p>")
    out.append(
        _svg_bars(
            [
                (_crit(words, c) + (words["weakest_paren"] if c == r.weakest else ""), r.levels.get(c) or 0)
                for c in CRITERIA
            ]
            + [(words["overall"], r.overall_level or 0)]
        )
    )
    out.append(f"<h2>{e(words['over_time_html'])}</h2>" + _svg_lines(r.trend, words))
    if r.habits:
        out.append(f"<h2>{e(words['habits'])}</h2><ul>")
        for h in r.habits:
            costly = ", ".join(f"{x.text} ×{x.count}" for x in h.words) or h.message
            quotes = "".join(f"<blockquote>{e(q)}</blockquote>" for q in h.quotes)
            sug = f"<div>{e(words['try'])}: {e(h.suggestion)}</div>" if h.suggestion else ""
            out.append(
                f"<li><b>{e(_crit(words, h.criterion))}: {e(costly)}</b> <span class=muted>({e(h.rule)}, "
                f"{h.count}×, {round(h.points)} {e(words['points'])})</span> "
                f"{e(h.message) if h.words else ''}{quotes}{sug}</li>"
            )
        out.append("</ul>")
    if r.scenarios:
        out.append(f"<h2>{e(words['scenarios'])}</h2>")
        out.append(
            _table(
                [words["scenario"], words["attempts"], words["best"], words["latest"], words["passed"]],
                [
                    [s.scenario, s.attempts, _best(words, s), _latest(words, s), "✔" if s.passed else ""]
                    for s in r.scenarios
                ],
                {1},
            )
        )
    rd = r.readiness
    if rd:
        out.append(f"<h2>{e(words['readiness'])}</h2>")
        named: list[tuple[str | None, GateResult]] = [(None, rd), *((g.name, g) for g in r.gates)]
        for name, g in named:
            cls, state = ("ok", words["ready_html"]) if g.ready else ("no", words["not_ready_html"])
            head, tail = _ready_line(words, g, "\0").split("\0", 1)
            missing = (
                f" {e(words['still'].format(ids=', '.join(g.missing_required)))}"
                if g.missing_required
                else ""
            )
            label = f"<b>{e(name)}</b>: " if name else ""
            out.append(f"<p>{label}{e(head)}<span class={cls}>{e(state)}</span>{e(tail)}{missing}</p>")
    if r.next:
        out.append(
            f"<h2>{e(words['next'])}</h2><ol>"
            + "".join(f"<li><code>{e(n.scenario)}</code> {e(n.title)}</li>" for n in r.next)
            + "</ol>"
        )
    return "".join(out)


def _html_team(r: TeamReport, words: dict[str, str]) -> str:
    e = escape
    since = words["since"].format(date=since_text(r.since, words)) if r.since else ""
    out = [
        f"<h1>{e(words['team'].format(since=since))}</h1>",
        f"<p>{e(words['team_line'].format(t=len(r.trainees), n=r.sessions, gate=r.gate_text(words['lang'])))}</p>",
        _table(
            [
                words["trainee"],
                words["sessions_col"],
                *(_crit(words, c) for c in CRITERIA),
                words["overall"],
                words["weakest"],
                words["passed"],
                words["ready_col"],
                words["last"],
            ],
            [
                [
                    t.trainee,
                    t.sessions,
                    *(_n(t.levels.get(c)) for c in CRITERIA),
                    _n(t.overall_level),
                    _crit(words, t.weakest or ""),
                    t.passed,
                    "✔" if t.ready else "",
                    t.last,
                ]
                for t in r.trainees
            ],
            {1, 2, 3, 4, 5, 7},
        ),
    ]
    if r.gates:
        out.append(f"<h2>{e(words['gates'])}</h2><p class=muted>{e(words['gates_note'])}</p><ul>")
        out.append(f"<li><b>{e(words['ready_gate'])}</b>: {e(r.gate_text(words['lang']))}</li>")
        out += [f"<li><b>{e(g.name)}</b>: {e(g.gate_text(words['lang']))}</li>" for g in r.gates]
        out.append("</ul>")
        out.append(
            _table(
                [words["trainee"], words["ready_gate"], *(g.name for g in r.gates)],
                [
                    [t.trainee, r.default_gate(t).text(), *(t.gates[g.name].text() for g in r.gates)]
                    for t in r.trainees
                ],
                classes=lambda i, v: "ok" if v == "✔" else "",
            )
        )
    if r.trainees:
        out.append(f"<h2>{e(words['works_on'])}</h2><p class=muted>{e(words['works_note'])}</p>")
        out.append(
            _table(
                [words["trainee"], words["top_habit"], words["cost"], words["trend"]],
                [
                    [
                        t.trainee,
                        t.top_habit.text() if t.top_habit else "–",
                        _n(t.top_habit.points) if t.top_habit else "–",
                        t.trend.text() if t.trend else "–",
                    ]
                    for t in r.trainees
                ],
                {2},
            )
        )
    if r.grid.rows:
        out.append(f"<h2>{e(words['grid'])}</h2><p class=muted>{e(words['grid_note'])}</p><div class=wide>")
        out.append(
            _table(
                [words["trainee"], *r.grid.scenarios],
                [[row.trainee, *(_grid_cell(row, sid) for sid in r.grid.scenarios)] for row in r.grid.rows],
                classes=lambda i, v: "ok" if "✔" in v else ("muted" if v == "" else ""),
            )
        )
        out.append("</div>")
    out.append(f"<h2>{e(words['distribution'])}</h2>")
    out.append(_svg_bars([(f"{d.low}–{d.high}", d.trainees) for d in r.distribution], colour="#6b7280"))
    out.append(f"<h2>{e(words['team_mean'])}</h2>")
    means: list[tuple[str, float]] = []
    for c in CRITERIA:
        vals = [v for t in r.trainees if (v := t.levels.get(c)) is not None]
        means.append((_crit(words, c), round(sum(vals) / len(vals), 1) if vals else 0))
    out.append(_svg_bars(means))
    out.append(f"<h2>{e(words['leaderboard'].format(since=since))}</h2>")
    out.append(
        _table(
            ["#", words["trainee"], words["passed_n"], words["overall"], words["sessions_col"]],
            [[x.rank, x.trainee, x.passed, _n(x.overall_level), x.sessions] for x in r.leaderboard[:20]],
            {0, 2, 3, 4},
        )
    )
    out.append(f"<h2>{e(words['difficulty'])}</h2><p class=muted>{e(_plain(words['hardest']))}</p>")
    out.append(
        _table(
            [
                words["scenario"],
                words["attempts"],
                words["trainees"],
                words["pass_rate"],
                words["resolved"],
                words["mean"],
                words["trips"],
                words["strong"],
            ],
            [
                [
                    s.scenario,
                    s.attempts,
                    s.trainees,
                    _pct(s.pass_rate),
                    _pct(s.resolved_rate),
                    _n(s.mean_overall),
                    s.trips_on.text() if s.trips_on else "–",
                    s.strong_text(),
                ]
                for s in r.scenarios
            ],
            {1, 2, 3, 4, 5, 7},
            classes=lambda i, v: "no" if i == 7 and "⚠" in v else "",
        )
    )
    if any(s.flagged_for("strong-fail") for s in r.scenarios):
        out.append(f"<p class=no>{e(_flag_note(words, r).replace('`', ''))}</p>")
    flagged = [s for s in r.scenarios if s.flagged]
    if flagged:
        out.append(f"<p class=no>{e(words['check_first'])}</p><ul>")
        out += [
            f"<li><b>⚠ {e(s.scenario)}</b>: {e('; '.join(_flag_reasons(words, s)))}</li>" for s in flagged
        ]
        out.append("</ul>")
    return "".join(out)


RENDERERS: dict[str, Callable[..., str]] = {"md": markdown, "html": html, "csv": to_csv, "json": to_json}
