"""Rendering progress reports: Markdown (terminal, chat), HTML (one self-contained file with SVG charts), CSV, JSON.

Every piece of trainee text that reaches HTML goes through `html.escape`: a reply containing `<script>` shows as
text. The HTML file has no external resources (no scripts, fonts or images to fetch), so it reads offline.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape

from scoring import CRITERIA

NO_SESSIONS = "No sessions yet: once trainees practise (`peilian` or `peilian run SCENARIO --trainee NAME`), their progress shows here."
COLOURS = {"certainty": "#2563eb", "simplicity": "#16a34a", "warmth": "#ea580c", "overall": "#6b7280"}
LABEL = {"certainty": "certain", "simplicity": "simple", "warmth": "warm"}


def _n(v, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}"


def _bar(v: float | None, width: int = 10) -> str:
    if v is None:
        return ""
    full = int(round(v / 100 * width))
    return "█" * full + "░" * (width - full)


def _pct(v) -> str:
    return "–" if v is None else f"{v * 100:.0f}%"


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def empty(report: dict) -> bool:
    return report["kind"] == "team" and not report["trainees"]


# -- Markdown -----------------------------------------------------------------------------------------------------
def markdown(report: dict) -> str:
    if empty(report):
        return NO_SESSIONS + "\n"
    return _md_trainee(report) if report["kind"] == "trainee" else _md_team(report)


def _md_trainee(r: dict) -> str:
    out = [f"# Progress: {r['trainee']}", ""]
    since = f" since {r['since']}" if r["since"] else ""
    oc = r["outcomes"]
    parts = ", ".join(f"{k} {v}" for k, v in sorted(oc.items()))
    out.append(f"Sessions{since}: **{r['sessions']}** ({parts}) · streak: {r['streak_days']} day(s) · "
               f"{r['resolved_in_a_row']} resolved in a row · hints used: {r['hints_used']}")
    for u in r["unfinished"]:
        out.append(f"- Unfinished: {u['scenario']} from {u['started_at'][:16]} ({u['turns']} replies kept): "
                   f"`peilian run {u['scenario']} --trainee \"{r['trainee']}\" --resume`")
    out += ["", "## Level per criterion", "", "Recent sessions count more (half weight after 5 sessions).", "",
            "| criterion | level | |", "|---|---:|---|"]
    for c in CRITERIA:
        mark = " ← weakest" if c == r["weakest"] else ""
        out.append(f"| {c} | {_n(r['levels'][c], 1)} | `{_bar(r['levels'][c])}`{mark} |")
    out.append(f"| overall | {_n(r['overall_level'], 1)} | `{_bar(r['overall_level'])}` |")
    if r["habits"]:
        out += ["", "## Habits that cost most points", ""]
        for h in r["habits"]:
            words = ", ".join(f"{w['text']} ×{w['count']}" for w in h["words"])
            head, tail = (words, f": {_md_cell(h['message'])}") if words else (_md_cell(h["message"]), "")
            out.append(f"- **{h['criterion']}: {head}** ({h['rule']}, {h['count']}×, {h['points']:g} points){tail}")
            for q in h["quotes"]:
                out.append(f"  > {_md_cell(q)}")
            if h["suggestion"]:
                out.append(f"  Try: {_md_cell(h['suggestion'])}")
    if r["scenarios"]:
        out += ["", "## Scenarios", "", "| scenario | attempts | best | latest | passed |", "|---|---:|---|---|:-:|"]
        for s in r["scenarios"]:
            out.append(f"| {_md_cell(s['scenario'])} | {s['attempts']} | {_n(s['best'])} {s['best_outcome'] or ''} | "
                       f"{_n(s['latest'])} {s['latest_outcome'] or 'unfinished'} ({s['latest_date']}) | "
                       f"{'✔' if s['passed'] else ''} |")
    if r["trend"]:
        out += ["", "## Over time (latest 15 sessions)", "",
                "| date | scenario | certainty | simplicity | warmth | overall | outcome |", "|---|---|---:|---:|---:|---:|---|"]
        for t in r["trend"][-15:]:
            out.append(f"| {t['date']} | {_md_cell(t['scenario'])} | {_n(t['certainty'])} | {_n(t['simplicity'])} | "
                       f"{_n(t['warmth'])} | {_n(t['overall'])} | {t['outcome'] or 'unfinished'} |")
    rd = r["readiness"]
    if rd:
        state = "**ready**" if rd["ready"] else "not yet"
        out += ["", "## Readiness", "", f"{state}: {rd['passed']}/{rd['needed']} scenarios passed (gate: {rd['gate']})."]
        if rd["missing_required"]:
            out.append(f"Still required: {', '.join(rd['missing_required'])}.")
    if r["next"]:
        out += ["", "## Practise next", ""]
        for i, n in enumerate(r["next"], 1):
            out.append(f"{i}. `{n['scenario']}` {_md_cell(n['title'])}")
    return "\n".join(out) + "\n"


def _md_team(r: dict) -> str:
    since = f" since {r['since']}" if r["since"] else ""
    out = [f"# Team report{since}", "", f"{len(r['trainees'])} trainees, {r['sessions']} sessions. "
           f"Readiness gate: {r['gate']}.", "",
           "| trainee | sessions | certainty | simplicity | warmth | overall | weakest | passed | ready | last |",
           "|---|---:|---:|---:|---:|---:|---|---:|:-:|---|"]
    for t in r["trainees"]:
        lv = t["levels"]
        out.append(f"| {_md_cell(t['trainee'])} | {t['sessions']} | {_n(lv['certainty'])} | {_n(lv['simplicity'])} | "
                   f"{_n(lv['warmth'])} | {_n(t['overall_level'])} | {t['weakest']} | {t['passed']} | "
                   f"{'✔' if t['ready'] else ''} | {t['last']} |")
    out += ["", f"## Leaderboard{since}", "", "| # | trainee | scenarios passed | overall | sessions |", "|---:|---|---:|---:|---:|"]
    for row in r["leaderboard"][:20]:
        out.append(f"| {row['rank']} | {_md_cell(row['trainee'])} | {row['passed']} | {_n(row['overall_level'])} | {row['sessions']} |")
    out += ["", "## Scenario difficulty", "", "Hardest first. *Trips on*: the beat most failed sessions ended on.", "",
            "| scenario | attempts | trainees | pass rate | resolved | mean overall | trips on |", "|---|---:|---:|---:|---:|---:|---|"]
    for s in r["scenarios"]:
        trip = f"{s['trips_on']['beat']} ({s['trips_on']['failed_sessions']})" if s["trips_on"] else "–"
        out.append(f"| {_md_cell(s['scenario'])} | {s['attempts']} | {s['trainees']} | {_pct(s['pass_rate'])} | "
                   f"{_pct(s['resolved_rate'])} | {_n(s['mean_overall'])} | {_md_cell(trip)} |")
    return "\n".join(out) + "\n"


# -- CSV / JSON -------------------------------------------------------------------------------------------------
def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    if report["kind"] == "trainee":
        w.writerow(["trainee", "session", "date", "scenario", *CRITERIA, "overall", "outcome"])
        for t in report["trend"]:
            w.writerow([report["trainee"], t["session"], t["date"], t["scenario"], *(t[c] for c in CRITERIA),
                        t["overall"], t["outcome"] or "unfinished"])
    else:
        w.writerow(["trainee", "sessions", "resolved", *CRITERIA, "overall", "weakest", "passed", "ready", "last"])
        for t in report["trainees"]:
            w.writerow([t["trainee"], t["sessions"], t["resolved"], *(t["levels"][c] for c in CRITERIA),
                        t["overall_level"], t["weakest"], t["passed"], "yes" if t["ready"] else "no", t["last"]])
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
svg text{font-size:11px;fill:#374151}
"""


def _svg_lines(trend: list[dict], width: int = 900, height: int = 220) -> str:
    if not trend:
        return ""
    pad = 30
    n = len(trend)
    step = (width - 2 * pad) / max(1, n - 1)

    def y(v):
        return height - pad - (v / 100) * (height - 2 * pad)

    parts = [f'<svg role="img" aria-label="scores per session" viewBox="0 0 {width} {height}" width="100%">']
    for v in (0, 50, 100):
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
                     f'<text x="2" y="{y(v) + 4:.1f}">{v}</text>')
    for c in CRITERIA:
        pts = " ".join(f"{pad + i * step:.1f},{y(t[c]):.1f}" for i, t in enumerate(trend))
        parts.append(f'<polyline fill="none" stroke="{COLOURS[c]}" stroke-width="2" points="{pts}"><title>{c}</title></polyline>')
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{COLOURS[c]}">■ {c}</span>' for c in CRITERIA)
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _svg_bars(items: list[tuple[str, float]], width: int = 900, bar_h: int = 18, colour: str = "#2563eb") -> str:
    if not items:
        return ""
    label_w = 180
    height = bar_h * len(items) + 10
    scale = max(1.0, max(v for _l, v in items))
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="100%">']
    for i, (label, v) in enumerate(items):
        w = (width - label_w - 50) * (v / scale)
        yy = 5 + i * bar_h
        parts.append(f'<text x="0" y="{yy + bar_h * 0.7:.1f}">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h - 4}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_h * 0.7:.1f}">{v:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html(report: dict) -> str:
    if empty(report):
        title, body = "Peilian team report", f"<p>{escape(NO_SESSIONS)}</p>"
    elif report["kind"] == "trainee":
        title, body = f"Peilian progress: {report['trainee']}", _html_trainee(report)
    else:
        title, body = "Peilian team report", _html_team(report)
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{escape(title)}</title><style>{CSS}</style></head>'
            f"<body>{body}</body></html>\n")


def _html_trainee(r: dict) -> str:
    e = escape
    oc = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
    out = [f"<h1>Progress: {e(r['trainee'])}</h1>",
           f"<p>Sessions: <b>{r['sessions']}</b> ({e(oc)}) · streak {r['streak_days']} day(s) · "
           f"{r['resolved_in_a_row']} resolved in a row · hints used {r['hints_used']}</p>"]
    for u in r["unfinished"]:
        out.append(f"<p class=muted>Unfinished: {e(u['scenario'])} from {e(u['started_at'][:16])} "
                   f"({u['turns']} replies kept); resume with <code>peilian run {e(u['scenario'])} --trainee "
                   f"&quot;{e(r['trainee'])}&quot; --resume</code></p>")
    out.append("<h2>Level per criterion</h2><p class=muted>Recent sessions count more.</p>")
    out.append(_svg_bars([(c + (" (weakest)" if c == r["weakest"] else ""), r["levels"][c] or 0) for c in CRITERIA]
                         + [("overall", r["overall_level"] or 0)]))
    out.append("<h2>Over time</h2>" + _svg_lines(r["trend"]))
    if r["habits"]:
        out.append("<h2>Habits that cost most points</h2><ul>")
        for h in r["habits"]:
            words = ", ".join(f"{w['text']} ×{w['count']}" for w in h["words"]) or h["message"]
            quotes = "".join(f"<blockquote>{e(q)}</blockquote>" for q in h["quotes"])
            sug = f"<div>Try: {e(h['suggestion'])}</div>" if h["suggestion"] else ""
            out.append(f"<li><b>{e(h['criterion'])}: {e(words)}</b> <span class=muted>({e(h['rule'])}, "
                       f"{h['count']}×, {h['points']:g} points)</span> {e(h['message']) if h['words'] else ''}{quotes}{sug}</li>")
        out.append("</ul>")
    if r["scenarios"]:
        out.append("<h2>Scenarios</h2>")
        out.append(_table(["scenario", "attempts", "best", "latest", "passed"], [
            [s["scenario"], s["attempts"], f"{_n(s['best'])} {s['best_outcome'] or ''}",
             f"{_n(s['latest'])} {s['latest_outcome'] or 'unfinished'} ({s['latest_date']})", "✔" if s["passed"] else ""]
            for s in r["scenarios"]], {1}))
    rd = r["readiness"]
    if rd:
        cls, state = ("ok", "Ready") if rd["ready"] else ("no", "Not yet ready")
        missing = f" Still required: {e(', '.join(rd['missing_required']))}." if rd["missing_required"] else ""
        out.append(f"<h2>Readiness</h2><p><span class={cls}>{state}</span>: {rd['passed']}/{rd['needed']} scenarios "
                   f"passed (gate: {e(rd['gate'])}).{missing}</p>")
    if r["next"]:
        out.append("<h2>Practise next</h2><ol>" + "".join(
            f"<li><code>{e(n['scenario'])}</code> {e(n['title'])}</li>" for n in r["next"]) + "</ol>")
    return "".join(out)


def _html_team(r: dict) -> str:
    e = escape
    since = f" since {e(r['since'])}" if r["since"] else ""
    out = [f"<h1>Team report{since}</h1>",
           f"<p>{len(r['trainees'])} trainees, {r['sessions']} sessions. Readiness gate: {e(r['gate'])}.</p>",
           _table(["trainee", "sessions", "certainty", "simplicity", "warmth", "overall", "weakest", "passed", "ready", "last"],
                  [[t["trainee"], t["sessions"], *(_n(t["levels"][c]) for c in CRITERIA), _n(t["overall_level"]),
                    t["weakest"], t["passed"], "✔" if t["ready"] else "", t["last"]] for t in r["trainees"]],
                  {1, 2, 3, 4, 5, 7})]
    out.append("<h2>Team distribution (overall level)</h2>")
    out.append(_svg_bars([(f"{d['from']}–{d['to']}", d["trainees"]) for d in r["distribution"]], colour="#6b7280"))
    out.append("<h2>Level per criterion, team mean</h2>")
    means = []
    for c in CRITERIA:
        vals = [t["levels"][c] for t in r["trainees"] if t["levels"][c] is not None]
        means.append((c, round(sum(vals) / len(vals), 1) if vals else 0))
    out.append(_svg_bars(means))
    out.append(f"<h2>Leaderboard{since}</h2>")
    out.append(_table(["#", "trainee", "scenarios passed", "overall", "sessions"],
                      [[x["rank"], x["trainee"], x["passed"], _n(x["overall_level"]), x["sessions"]]
                       for x in r["leaderboard"][:20]], {0, 2, 3, 4}))
    out.append("<h2>Scenario difficulty</h2><p class=muted>Hardest first. Trips on: the beat most failed sessions ended on.</p>")
    out.append(_table(["scenario", "attempts", "trainees", "pass rate", "resolved", "mean overall", "trips on"],
                      [[s["scenario"], s["attempts"], s["trainees"], _pct(s["pass_rate"]), _pct(s["resolved_rate"]),
                        _n(s["mean_overall"]),
                        f"{s['trips_on']['beat']} ({s['trips_on']['failed_sessions']})" if s["trips_on"] else "–"]
                       for s in r["scenarios"]], {1, 2, 3, 4, 5}))
    return "".join(out)


RENDERERS = {"md": markdown, "html": html, "csv": to_csv, "json": to_json}
