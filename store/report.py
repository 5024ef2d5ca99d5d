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


def empty(report: dict) -> bool:
    return report["kind"] == "team" and not report["trainees"]


# -- Markdown -----------------------------------------------------------------------------------------------------
# Every word of the Markdown reports, in English and Chinese (the app shows them in its interface language).
MD = {
    "en": {
        "lang": "en", "no_sessions": NO_SESSIONS, "progress": "Progress: {name}", "since": " since {date}",
        "sessions": "Sessions{since}: **{n}** ({parts}) · streak: {streak} day(s) · {row} resolved in a row · "
                    "hints used: {hints}",
        "unfinished": "Unfinished: {sc} from {when} ({n} replies kept)",
        "levels": "Level per criterion", "recent": "Recent sessions count more (half weight after 5 sessions).",
        "criterion": "criterion", "level": "level", "weakest_mark": " ← weakest", "overall": "overall",
        "habits": "Habits that cost most points", "points": "points", "try": "Try",
        "scenarios": "Scenarios", "scenario": "scenario", "attempts": "attempts", "best": "best", "latest": "latest",
        "passed": "passed", "unfinished_word": "unfinished",
        "over_time": "Over time (latest 15 sessions)", "date": "date", "outcome": "outcome",
        "readiness": "Readiness", "ready": "**ready**", "not_ready": "not yet",
        "ready_line": "{state}: {passed}/{needed} scenarios passed (gate: {gate}).",
        "still": "Still required: {ids}.", "next": "Practise next",
        "team": "Team report{since}", "team_line": "{t} trainees, {n} sessions. Readiness gate: {gate}.",
        "trainee": "trainee", "sessions_col": "sessions", "weakest": "weakest", "ready_col": "ready", "last": "last",
        "leaderboard": "Leaderboard{since}", "passed_n": "scenarios passed", "difficulty": "Scenario difficulty",
        "hardest": "Hardest first. *Trips on*: the beat most failed sessions ended on.", "trainees": "trainees",
        "pass_rate": "pass rate", "resolved": "resolved", "mean": "mean overall", "trips": "trips on",
        "resolved_o": "resolved", "escalated_o": "escalated", "abandoned_o": "abandoned",
    },
    "zh": {
        "lang": "zh", "no_sessions": "还没有练习记录:学员练习后(`peilian` 或 `peilian run 情境 --trainee 姓名`),进度会显示在这里。",
        "progress": "进度:{name}", "since": "(自 {date} 起)",
        "sessions": "练习{since}:**{n}** 次({parts})· 连续 {streak} 天 · 连续解决 {row} 次 · 用过提示 {hints} 次",
        "unfinished": "未完成:{sc},开始于 {when}(已保存 {n} 条回复)",
        "levels": "各项水平", "recent": "最近的练习权重更高(5 次之前的练习权重减半)。",
        "criterion": "指标", "level": "水平", "weakest_mark": " ← 最弱", "overall": "综合",
        "habits": "扣分最多的习惯", "points": "分", "try": "试试",
        "scenarios": "情境", "scenario": "情境", "attempts": "次数", "best": "最好", "latest": "最近",
        "passed": "通过", "unfinished_word": "未完成",
        "over_time": "历次练习(最近 15 次)", "date": "日期", "outcome": "结果",
        "readiness": "上岗准备", "ready": "**可以上岗**", "not_ready": "还不行",
        "ready_line": "{state}:通过 {passed}/{needed} 个情境(标准:{gate})。",
        "still": "还必须通过:{ids}。", "next": "接下来练",
        "team": "团队报告{since}", "team_line": "{t} 名学员,{n} 次练习。上岗标准:{gate}。",
        "trainee": "学员", "sessions_col": "练习次数", "weakest": "最弱", "ready_col": "可上岗", "last": "最近练习",
        "leaderboard": "排行榜{since}", "passed_n": "通过情境数", "difficulty": "情境难度",
        "hardest": "最难的在前。*卡在*:失败的练习最常结束在的环节。", "trainees": "学员数",
        "pass_rate": "通过率", "resolved": "解决率", "mean": "平均综合分", "trips": "卡在",
        "resolved_o": "已解决", "escalated_o": "升级投诉", "abandoned_o": "顾客离开",
        "certainty": "确定性", "simplicity": "简单", "warmth": "温度",
    },
}


def gate_text(report: dict, lang: str = "en") -> str:
    """The readiness gate in `lang`'s words, from the report's `gate_rule` (a report saved before it existed
    only has the English `gate` sentence, which is then what shows)."""
    rule = report.get("gate_rule")
    if not rule:
        return report.get("gate") or ""
    from .progress import ReadinessGate  # lazily: rendering a saved report needs no database

    return ReadinessGate(rule["scenarios"], rule["min_overall"], tuple(rule["required_tags"])).describe(lang)


def _crit(w: dict, c: str) -> str:
    return w.get(c, c)


def _outcome(w: dict, o) -> str:
    return w.get(f"{o}_o", o) if o and o != "unfinished" else w["unfinished_word"]


def markdown(report: dict, lang: str = "en") -> str:
    """The report as Markdown, in English or Chinese (`lang` "zh"; the data's own text, such as scenario titles
    and finding messages, stays as stored)."""
    w = MD["zh" if lang.startswith("zh") else "en"]
    if empty(report):
        return w["no_sessions"] + "\n"
    return _md_trainee(report, w) if report["kind"] == "trainee" else _md_team(report, w)


def _md_trainee(r: dict, w: dict) -> str:
    out = [f"# {w['progress'].format(name=_md_cell(r['trainee']))}", ""]
    since = w["since"].format(date=r["since"]) if r["since"] else ""
    oc = r["outcomes"]
    parts = ", ".join(f"{_outcome(w, k)} {v}" for k, v in sorted(oc.items()))
    out.append(w["sessions"].format(since=since, n=r["sessions"], parts=parts, streak=r["streak_days"],
                                    row=r["resolved_in_a_row"], hints=r["hints_used"]))
    for u in r["unfinished"]:
        out.append(f"- {w['unfinished'].format(sc=_md_cell(u['scenario']), when=u['started_at'][:16].replace('T', ' '), n=u['turns'])}: "
                   f"{_md_code(resume_command(u['scenario'], r['trainee']))}")
    out += ["", f"## {w['levels']}", "", w["recent"], "",
            f"| {w['criterion']} | {w['level']} | |", "|---|---:|---|"]
    for c in CRITERIA:
        mark = w["weakest_mark"] if c == r["weakest"] else ""
        out.append(f"| {_crit(w, c)} | {_n(r['levels'][c], 1)} | `{_bar(r['levels'][c])}`{mark} |")
    out.append(f"| {w['overall']} | {_n(r['overall_level'], 1)} | `{_bar(r['overall_level'])}` |")
    if r["habits"]:
        out += ["", f"## {w['habits']}", ""]
        for h in r["habits"]:
            words = ", ".join(f"{_md_cell(x['text'])} ×{x['count']}" for x in h["words"])
            head, tail = (words, f": {_md_cell(h['message'])}") if words else (_md_cell(h["message"]), "")
            out.append(f"- **{_crit(w, h['criterion'])}: {head}** ({h['rule']}, {h['count']}×, "
                       f"{round(h['points'])} {w['points']}){tail}")
            # A blank line before each quote and before the Try line: otherwise Markdown joins them into one
            # paragraph (the Try line would read as the end of the last quote).
            for q in h["quotes"]:
                out += ["", f"  > {_md_cell(q)}"]
            if h["suggestion"]:
                out += ["", f"  {w['try']}: {_md_cell(h['suggestion'])}"]
    if r["scenarios"]:
        out += ["", f"## {w['scenarios']}", "",
                f"| {w['scenario']} | {w['attempts']} | {w['best']} | {w['latest']} | {w['passed']} |",
                "|---|---:|---|---|:-:|"]
        for s in r["scenarios"]:
            best = f"{_n(s['best'])} {_outcome(w, s['best_outcome']) if s['best_outcome'] else ''}"
            out.append(f"| {_md_cell(s['scenario'])} | {s['attempts']} | {best} | "
                       f"{_n(s['latest'])} {_outcome(w, s['latest_outcome'])} ({s['latest_date']}) | "
                       f"{'✔' if s['passed'] else ''} |")
    if r["trend"]:
        out += ["", f"## {w['over_time']}", "",
                f"| {w['date']} | {w['scenario']} | {' | '.join(_crit(w, c) for c in CRITERIA)} | {w['overall']} | "
                f"{w['outcome']} |", "|---|---|---:|---:|---:|---:|---|"]
        for t in r["trend"][-15:]:
            out.append(f"| {t['date']} | {_md_cell(t['scenario'])} | {_n(t['certainty'])} | {_n(t['simplicity'])} | "
                       f"{_n(t['warmth'])} | {_n(t['overall'])} | {_outcome(w, t['outcome'])} |")
    rd = r["readiness"]
    if rd:
        state = w["ready"] if rd["ready"] else w["not_ready"]
        out += ["", f"## {w['readiness']}", "",
                w["ready_line"].format(state=state, passed=rd["passed"], needed=rd["needed"],
                                       gate=gate_text(rd, w["lang"]))]
        if rd["missing_required"]:
            out += ["", w["still"].format(ids=", ".join(map(_md_cell, rd["missing_required"])))]  # its own paragraph, own line
    if r["next"]:
        out += ["", f"## {w['next']}", ""]
        for i, n in enumerate(r["next"], 1):
            out.append(f"{i}. {_md_code(n['scenario'])} {_md_cell(n['title'])}")
    return "\n".join(out) + "\n"


def _md_team(r: dict, w: dict) -> str:
    since = w["since"].format(date=r["since"]) if r["since"] else ""
    out = [f"# {w['team'].format(since=since)}", "",
           w["team_line"].format(t=len(r["trainees"]), n=r["sessions"], gate=gate_text(r, w["lang"])), "",
           f"| {w['trainee']} | {w['sessions_col']} | {' | '.join(_crit(w, c) for c in CRITERIA)} | {w['overall']} | "
           f"{w['weakest']} | {w['passed']} | {w['ready_col']} | {w['last']} |",
           "|---|---:|---:|---:|---:|---:|---|---:|:-:|---|"]
    for t in r["trainees"]:
        lv = t["levels"]
        out.append(f"| {_md_cell(t['trainee'])} | {t['sessions']} | {_n(lv['certainty'])} | {_n(lv['simplicity'])} | "
                   f"{_n(lv['warmth'])} | {_n(t['overall_level'])} | {_crit(w, t['weakest']) if t['weakest'] else ''} | "
                   f"{t['passed']} | {'✔' if t['ready'] else ''} | {t['last']} |")
    out += ["", f"## {w['leaderboard'].format(since=since)}", "",
            f"| # | {w['trainee']} | {w['passed_n']} | {w['overall']} | {w['sessions_col']} |", "|---:|---|---:|---:|---:|"]
    for row in r["leaderboard"][:20]:
        out.append(f"| {row['rank']} | {_md_cell(row['trainee'])} | {row['passed']} | {_n(row['overall_level'])} | "
                   f"{row['sessions']} |")
    out += ["", f"## {w['difficulty']}", "", w["hardest"], "",
            f"| {w['scenario']} | {w['attempts']} | {w['trainees']} | {w['pass_rate']} | {w['resolved']} | {w['mean']} | "
            f"{w['trips']} |", "|---|---:|---:|---:|---:|---:|---|"]
    for s in r["scenarios"]:
        trip = f"{s['trips_on']['beat']} ({s['trips_on']['failed_sessions']})" if s["trips_on"] else "–"
        out.append(f"| {_md_cell(s['scenario'])} | {s['attempts']} | {s['trainees']} | {_pct(s['pass_rate'])} | "
                   f"{_pct(s['resolved_rate'])} | {_n(s['mean_overall'])} | {_md_cell(trip)} |")
    return "\n".join(out) + "\n"


# -- CSV / JSON -------------------------------------------------------------------------------------------------
def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A cell a spreadsheet shows as typed: text that starts like a formula (`=HYPERLINK(...)`, `@SUM`, `-2+3`) gets
    a leading `'` (OWASP's CSV-injection advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, buf):
        self.writer = csv.writer(buf)

    def writerow(self, row) -> None:
        self.writer.writerow([_csv_cell(v) for v in row])


def to_csv(report: dict) -> str:
    """The report as CSV (UTF-8; `peilian report --out x.csv` adds the byte-order mark Excel needs for Chinese)."""
    buf = io.StringIO()
    w = _SafeWriter(buf)
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
                   f"({u['turns']} replies kept); resume with <code>{e(resume_command(u['scenario'], r['trainee']))}"
                   "</code></p>")
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
                       f"{h['count']}×, {round(h['points'])} points)</span> {e(h['message']) if h['words'] else ''}{quotes}{sug}</li>")
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
