"""The progress model: levels per criterion, best/latest per scenario, streaks, weakest habits, readiness.

Everything here reads stored rows only; scores are never recomputed, so an old report stays what it was (each
session pins its scenario version/hash and scorer version). The reports are built here, once, as the typed models
of `store.report_data`, which `store.report` renders as Markdown, HTML, CSV or JSON.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from scoring import CRITERIA

from .db import Store, StoreError, clean_name
from .report_data import (
    Bucket,
    GateResult,
    Grid,
    GridCell,
    GridRow,
    Habit,
    LeaderRow,
    NamedGate,
    NamedGateResult,
    NextScenario,
    ReadinessGate,
    ScenarioFlag,
    ScenarioRow,
    ScenarioStats,
    Strong,
    TeamReport,
    TeamRow,
    TopHabit,
    TraineeReport,
    Trend,
    TrendPoint,
    TripsOn,
    Unfinished,
    WordCount,
)

if TYPE_CHECKING:
    from simulator.scenario import Scenario

DEFAULT_GATE = ReadinessGate()  # config.yaml's `readiness:` when it says nothing
HALF_LIFE = 5  # sessions: a session 5 sessions ago weighs half as much as the latest one
LEVEL_WINDOW = 80  # sessions the level looks at (the 81st-latest would weigh 0.5**16 of the latest: nothing)


@dataclass(frozen=True)
class ScenarioInfo:
    """What reports need to know about a scenario (from the scenario files, when they are at hand)."""

    id: str
    title: str = ""
    difficulty: int = 1
    tags: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, sc: Scenario) -> ScenarioInfo:
        return cls(
            sc.id, sc.title, sc.difficulty, tuple(sc.tags), {c: w for c, w in sc.rubric.weights.items()}
        )


def level(values: list[float]) -> float | None:
    """Current level from per-session means, oldest first: an exponentially weighted mean (recent counts more)."""
    if not values:
        return None
    values = values[-LEVEL_WINDOW:]
    n = len(values)
    weights = [0.5 ** ((n - 1 - i) / HALF_LIFE) for i in range(n)]
    return round(sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights), 1)


def since_value(since: str | None) -> str | None:
    """What `--since` means, as the reports use and show it: a date (2026-10-01: from that day's start) or a time
    (2026-10-01T18:00, with seconds or an offset if given), in UTC like the stored times; a time without an offset
    is UTC. Returns the date, or the time as 2026-10-01T18:00:00+00:00."""
    if not since:
        return None
    text = since.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        when = datetime.fromisoformat(text)
    except ValueError:
        raise StoreError(
            f"--since wants a date like 2026-10-01 or a time like 2026-10-01T18:00 (UTC), not '{since}'."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _since_clause(since: str | None, column: str = "started_at") -> tuple[str, tuple]:
    """Stored times are UTC, ISO 8601 to the second (2026-10-01T18:00:05+00:00): they compare as text with a date
    or with `since_value`'s time."""
    value = since_value(since)
    if not value:
        return "", ()
    return f" and {column} >= ?", (value,)


def _streak_days(days: set[str], today: date) -> int:
    """Consecutive days with practice, ending today or yesterday."""
    d = today if today.isoformat() in days else today - timedelta(days=1)
    n = 0
    while d.isoformat() in days:
        n += 1
        d -= timedelta(days=1)
    return n


def _quote(reply: str, start: int, end: int, width: int = 36) -> str:
    """The trainee's own words around a finding, trimmed to one clause."""
    a = max(0, start - width)
    b = min(len(reply), end + width)
    seps = "。！？!?；;\n"
    left = max((reply.rfind(s, a, start) for s in seps), default=-1)
    a = left + 1 if left >= a else a
    rights = [i for i in (reply.find(s, end, b) for s in seps) if i != -1]
    b = min(rights) + 1 if rights else b
    text = re.sub(r"\s+", " ", reply[a:b]).strip()
    return ("…" if a > 0 else "") + text + ("…" if b < len(reply) else "")


def passed_sql(gate: ReadinessGate) -> tuple[str, tuple[Any, ...]]:
    """ "Passed", defined once for every report and query: a session resolved with its overall score (the replies'
    mean, less the hints' cost) at least the gate's min_overall. An SQL condition on a sessions row, and its
    parameters."""
    return "outcome = 'resolved' and overall >= ?", (gate.min_overall,)


def _passed_columns(gates: Sequence[ReadinessGate], aggregate: str = "") -> tuple[str, tuple[Any, ...]]:
    """One column per gate, `passed_<i>`: 1 where the session passed by gates[i] (`passed_sql`), or `aggregate`
    (max: any passed, sum: how many) of that over a group."""
    columns: list[str] = []
    params: list[Any] = []
    for i, gate in enumerate(gates):
        condition, values = passed_sql(gate)
        columns.append(f"{aggregate}(case when {condition} then 1 else 0 end) as passed_{i}")
        params += values
    return ", ".join(columns), tuple(params)


def _passes(row: dict[str, Any], gates: Sequence[ReadinessGate]) -> tuple[bool, ...]:
    return tuple(bool(row[f"passed_{i}"]) for i in range(len(gates)))


def readiness(
    passed_ids: Iterable[str],
    gate: ReadinessGate,
    scenarios: Sequence[ScenarioInfo],
    level_now: float | None = None,
) -> GateResult:
    """Readiness from the ids of the scenarios a trainee has passed (`passed_sql`) and their overall level."""
    done = sorted(set(passed_ids))
    required = sorted(sc.id for sc in scenarios if set(sc.tags) & set(gate.required_tags))
    missing_required = [r for r in required if r not in done]
    ready = len(done) >= gate.scenarios and not missing_required
    if gate.min_level is not None:
        ready = ready and (level_now or 0) >= gate.min_level
    return GateResult(
        ready=ready,
        passed=len(done),
        needed=gate.scenarios,
        passed_scenarios=done,
        required=required,
        missing_required=missing_required,
        gate=gate.describe(),
        gate_rule=gate,
    )


@dataclass
class _Session:
    """A stored session, as the trainee report reads it."""

    id: int
    scenario_id: str
    scenario_title: str | None
    started_at: str
    outcome: str | None
    turns: int
    # NULL only for a session left before its first reply, whose scores the report never reads
    certainty: float
    simplicity: float
    warmth: float
    overall: float
    hints_used: int | None
    passed: tuple[bool, ...]  # by each gate the report was asked for, in order (`passed_sql`)

    def score(self, criterion: str) -> float:
        return float(getattr(self, criterion))


_SESSION_COLUMNS = [
    "id",
    "scenario_id",
    "scenario_title",
    "started_at",
    "outcome",
    "turns",
    "certainty",
    "simplicity",
    "warmth",
    "overall",
    "hints_used",
]


def _sessions(
    store: Store, trainee_id: int, since: str | None, gates: Sequence[ReadinessGate]
) -> list[_Session]:
    where, params = _since_clause(since)
    passed, passed_params = _passed_columns(gates)
    rows = store.query(
        f"""select {", ".join(_SESSION_COLUMNS)}, {passed} from sessions where trainee_id = ?{where}
            order by started_at, id""",
        (*passed_params, trainee_id, *params),
    )
    return [_Session(**{c: r[c] for c in _SESSION_COLUMNS}, passed=_passes(r, gates)) for r in rows]


def _no_such_trainee(store: Store, name: str, name_others: bool) -> StoreError:
    known = store.query("select name from trainees order by name limit 20") if name_others else None
    if known is None:
        hint = " Practise a scenario first."
    else:
        hint = (
            f" Known trainees: {', '.join(r['name'] for r in known)}."
            if known
            else " No one has practised yet."
        )
    return StoreError(f"No sessions for trainee '{name}'.{hint}")


def _scenario_rows(scored: list[_Session]) -> dict[str, ScenarioRow]:
    """Per scenario: attempts, the best finished session (a resolved one first), the latest, passed."""
    rows: dict[str, ScenarioRow] = {}
    for s in scored:
        row = rows.setdefault(s.scenario_id, ScenarioRow(scenario=s.scenario_id, title=s.scenario_title))
        row.attempts += 1
        ov = round(s.overall, 1)
        rank = (s.outcome == "resolved", ov)
        finished = s.outcome is not None  # like the picker's best: a half-played session isn't a score yet
        if finished and (row.best is None or rank > (row.best_outcome == "resolved", row.best)):
            row.best, row.best_outcome = ov, s.outcome
        row.latest, row.latest_outcome, row.latest_date = ov, s.outcome, s.started_at[:10]
        row.passed = row.passed or s.passed[0]
    return rows


def trainee_report(
    store: Store,
    name: str,
    *,
    scenarios: Sequence[ScenarioInfo] = (),
    gate: ReadinessGate = DEFAULT_GATE,
    since: str | None = None,
    today: date | None = None,
    name_others: bool = True,
    gates: dict[str, ReadinessGate] | None = None,
) -> TraineeReport:
    """One trainee's progress. With no sessions for `name`, the error names up to 20 trainees who have some (for a
    lead who mistyped), unless `name_others` is false (a trainee must not learn who else practises)."""
    name = clean_name(name)
    tid = store.trainee_id(name, create=False)
    if tid is None:
        raise _no_such_trainee(store, name, name_others)
    named = dict(gates or {})
    sessions = _sessions(store, tid, since, [gate, *named.values()])
    scored = [s for s in sessions if s.turns]
    levels = {c: level([s.score(c) for s in scored]) for c in CRITERIA}
    overall_level = level([s.overall for s in scored])
    per_scenario = _scenario_rows(scored)

    # streaks
    today = today or date.today()
    days = {s.started_at[:10] for s in scored}
    resolved_run = 0
    for s in reversed([s for s in sessions if s.outcome]):
        if s.outcome != "resolved":
            break
        resolved_run += 1

    # habits: the rules that cost most points, with the trainee's own words
    habits = _habits(store, tid, since)
    known = [c for c in CRITERIA if levels[c] is not None]
    weakest = min(known, key=lambda c: levels[c] or 0.0) if known else None
    weakest_habits = [h for h in habits if h.criterion == weakest][:3] if weakest else []

    # next scenarios: not yet passed; those that weigh the weakest criterion most, easiest first
    nexts = []
    for sc in scenarios:
        if sc.id in per_scenario and per_scenario[sc.id].passed:
            continue
        w = sc.weights.get(weakest, 1.0) if weakest else 1.0
        nexts.append((-w, sc.difficulty, sc.id in per_scenario, sc.id, sc.title))
    nexts.sort()

    def passed_ids(i: int) -> set[str]:
        return {s.scenario_id for s in scored if s.passed[i]}

    return TraineeReport(
        trainee=name,
        since=since_value(since),
        sessions=len(scored),
        finished=sum(1 for s in scored if s.outcome),
        unfinished=[  # a session left before any reply isn't one
            Unfinished(session=s.id, scenario=s.scenario_id, started_at=s.started_at, turns=s.turns)
            for s in scored
            if s.outcome is None
        ],
        outcomes=dict(Counter(s.outcome or "unfinished" for s in scored)),
        levels=levels,
        overall_level=overall_level,
        weakest=weakest,
        weakest_habits=weakest_habits,
        habits=habits[:6],
        trend=[
            TrendPoint(
                session=s.id,
                date=s.started_at[:10],
                scenario=s.scenario_id,
                certainty=round(s.certainty, 1),
                simplicity=round(s.simplicity, 1),
                warmth=round(s.warmth, 1),
                overall=round(s.overall, 1),
                outcome=s.outcome,
            )
            for s in scored
        ],
        scenarios=sorted(per_scenario.values(), key=lambda r: r.scenario),
        streak_days=_streak_days(days, today),
        resolved_in_a_row=resolved_run,
        hints_used=sum(s.hints_used or 0 for s in sessions),
        readiness=readiness(passed_ids(0), gate, scenarios, overall_level) if scenarios else None,
        gates=[
            NamedGateResult(name=n, **dict(readiness(passed_ids(i), g, scenarios, overall_level)))
            for i, (n, g) in enumerate(named.items(), 1)
        ]
        if scenarios
        else [],
        next=[NextScenario(scenario=n[3], title=n[4]) for n in nexts[:3]],
        first=sessions[0].started_at if sessions else None,
        last=sessions[-1].started_at if sessions else None,
        info={sc.id: sc.title for sc in scenarios},
    )


def _habits(store: Store, trainee_id: int, since: str | None) -> list[Habit]:
    where, params = _since_clause(since, "sessions.started_at")
    rows = store.query(
        f"""select findings.rule, findings.criterion, findings.text, findings.message, findings.suggestion,
                   findings.effect, findings.span_start, findings.span_end, turns.reply
            from findings join turns on turns.id = findings.turn_id
            join sessions on sessions.id = findings.session_id
            where findings.trainee_id = ? and findings.effect < 0{where}
            order by sessions.started_at, sessions.scenario_id, turns.number, findings.span_start, findings.span_end,
                     findings.rule, findings.criterion""",
        (trainee_id, *params),
    )
    by_rule: dict[tuple[str, str], Habit] = {}
    words: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        key = (r["rule"], r["criterion"])
        h = by_rule.get(key)
        if h is None:
            h = by_rule[key] = Habit(
                rule=r["rule"],
                criterion=r["criterion"],
                points=0.0,
                count=0,
                message=r["message"],
                suggestion=r["suggestion"],
            )
        h.points += r["effect"]
        h.count += 1
        word = (r["text"] or "").strip()
        reply = r["reply"]
        whole = reply is not None and len(word) >= len(reply.strip())
        if word and len(word) <= 16 and not whole:  # a phrase, not a whole reply flagged as cold/vague
            words[key][word] += 1
        if len(h.quotes) < 2 and reply:
            q = _quote(reply, r["span_start"], r["span_end"])
            if q not in h.quotes:
                h.quotes.append(q)
    out = sorted(by_rule.values(), key=lambda h: h.points)
    for h in out:
        h.points = round(h.points, 1)
        h.words = [WordCount(text=w, count=n) for w, n in words[(h.rule, h.criterion)].most_common(4)]
    return out


TREND_WINDOW = 5  # the team view's trend: the mean of a trainee's last 5 sessions against the 5 before
STRONG_MIN = 3  # a scenario is flagged when at least this many strong trainees played it and most failed

# What went wrong when a scenario's own model answers were played (by its id): nothing when they pass, None when
# the scenario isn't at hand. The caller plays them (the store reads stored rows only).
ModelAnswers = Callable[[str], Sequence[str] | None]


@dataclass
class _Cell:
    """One trainee on one scenario: attempts, the best finished score, and whether they passed by each gate."""

    attempts: int
    best: float | None
    passed: tuple[bool, ...]


@dataclass
class _Recent:
    """One of a trainee's latest sessions (the level and the trend read these)."""

    certainty: float
    simplicity: float
    warmth: float
    overall: float

    def score(self, criterion: str) -> float:
        return float(getattr(self, criterion))


def team_report(
    store: Store,
    *,
    scenarios: Sequence[ScenarioInfo] = (),
    gate: ReadinessGate = DEFAULT_GATE,
    since: str | None = None,
    gates: dict[str, ReadinessGate] | None = None,
    model_answers: ModelAnswers | None = None,
) -> TeamReport:
    """The team view. Aggregates run in SQL (a million turns in well under a second); only each trainee's last
    LEVEL_WINDOW sessions are fetched for the level, which is all the weighting can see anyway.

    Besides one row per trainee, the leaderboard and the scenarios' difficulty, it has what a lead acts on: the
    trainee x scenario grid (best finished score, passed, attempts), every named readiness gate (config.yaml's
    `gates:`) per trainee side by side with the default one, each trainee's top habit (the finding that cost most
    points) and trend (last 5 sessions against the 5 before), and the scenarios to check before the trainees: those
    that even strong trainees fail, and, given `model_answers`, those whose own model answers don't pass."""
    named = dict(gates or {})
    every_gate = [gate, *named.values()]
    where, params = _since_clause(since)
    base = f"from sessions where turns > 0{where}"
    trainees = {r["id"]: r["name"] for r in store.query("select id, name from trainees")}
    counts = store.query(
        f"""select trainee_id, count(*) as sessions, sum(case when outcome = 'resolved' then 1 else 0 end) as resolved,
            max(started_at) as last {base} group by trainee_id""",
        params,
    )
    recent: dict[int, list[_Recent]] = {}
    ids: list[int] = []
    for (
        r
    ) in counts:  # one indexed lookup per trainee: the level only looks at the latest LEVEL_WINDOW sessions
        rows = store.query(
            f"""select id, certainty, simplicity, warmth, overall {base} and trainee_id = ?
                order by started_at desc, id desc limit {LEVEL_WINDOW}""",
            (*params, r["trainee_id"]),
        )
        rows.reverse()
        ids += [x["id"] for x in rows]
        recent[r["trainee_id"]] = [
            _Recent(x["certainty"], x["simplicity"], x["warmth"], x["overall"]) for x in rows
        ]
    # the grid, and every gate's passes: per trainee and scenario, attempts, the best finished score, and whether
    # any session passed by each gate
    passed_cols, passed_params = _passed_columns(every_gate, "max")
    by_trainee: dict[int, dict[str, _Cell]] = defaultdict(dict)
    for c in store.query(
        f"""select trainee_id, scenario_id, count(*) as attempts,
                   max(case when outcome is not null then overall end) as best, {passed_cols}
            {base} group by trainee_id, scenario_id""",
        (*passed_params, *params),
    ):
        by_trainee[c["trainee_id"]][c["scenario_id"]] = _Cell(
            c["attempts"], c["best"], _passes(c, every_gate)
        )

    def passes(tid: int, i: int) -> set[str]:
        return {sid for sid, c in by_trainee[tid].items() if c.passed[i]}

    habits = _top_habits(store, ids)
    team_rows: list[tuple[int, TeamRow]] = []
    for row in counts:
        tid = row["trainee_id"]
        ss = recent[tid]
        lv = {c: level([s.score(c) for s in ss]) for c in CRITERIA}
        overall_level = level([s.overall for s in ss])
        ready = readiness(passes(tid, 0), gate, scenarios, overall_level)
        team_rows.append(
            (
                tid,
                TeamRow(
                    trainee=trainees.get(tid, f"#{tid}"),
                    sessions=row["sessions"],
                    resolved=row["resolved"],
                    levels=lv,
                    overall_level=overall_level,
                    weakest=min(CRITERIA, key=lambda c: lv[c] or 0.0),
                    passed=ready.passed,
                    ready=ready.ready,
                    missing_required=ready.missing_required,
                    last=row["last"][:10],
                    top_habit=habits.get(tid),
                    trend=_trend(ss),
                    gates={
                        name: readiness(passes(tid, i), g, scenarios, overall_level).cell()
                        for i, (name, g) in enumerate(named.items(), 1)
                    },
                ),
            )
        )
    team_rows.sort(key=lambda r: r[1].trainee)
    team = [t for _tid, t in team_rows]
    ranked = sorted(team, key=lambda t: (-t.passed, -(t.overall_level or 0), t.trainee))
    played = {sid for cells in by_trainee.values() for sid in cells}
    info = {sc.id: sc for sc in scenarios}
    grid = Grid(
        scenarios=[sc.id for sc in scenarios] + sorted(played - set(info)),
        rows=[
            GridRow(
                trainee=t.trainee,
                cells={
                    sid: GridCell(
                        best=None if c.best is None else round(c.best, 1),
                        passed=c.passed[0],
                        attempts=c.attempts,
                    )
                    for sid, c in sorted(by_trainee[tid].items())
                },
            )
            for tid, t in team_rows
        ],
    )
    strong = {tid for tid, t in team_rows if (t.overall_level or 0) >= gate.min_overall}
    buckets = Counter(min(9, int((t.overall_level or 0) // 10)) for t in team)
    return TeamReport(
        since=since_value(since),
        gate=gate.describe(),
        gate_rule=gate,
        gates=[NamedGate(name=name, gate=g.describe(), gate_rule=g) for name, g in named.items()],
        trainees=team,
        leaderboard=[
            LeaderRow(
                rank=i + 1,
                trainee=t.trainee,
                passed=t.passed,
                overall_level=t.overall_level,
                sessions=t.sessions,
            )
            for i, t in enumerate(ranked)
        ],
        grid=grid,
        scenarios=_difficulty(
            store, base, params, gate, info, [by_trainee[tid] for tid in strong], model_answers
        ),
        distribution=[Bucket(low=b * 10, high=b * 10 + 10, trainees=buckets.get(b, 0)) for b in range(10)],
        sessions=sum(r["sessions"] for r in counts),
        generated=_now(),
    )


def empty_team_report(*, gate: ReadinessGate = DEFAULT_GATE, since: str | None = None) -> TeamReport:
    """The team report where there is no store yet (nothing was ever practised)."""
    return TeamReport(since=since_value(since), gate=gate.describe(), gate_rule=gate, generated=_now())


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _trend(ss: list[_Recent]) -> Trend | None:
    """The mean overall score of the last TREND_WINDOW sessions against the TREND_WINDOW before (None: too few)."""
    last, before = ss[-TREND_WINDOW:], ss[-2 * TREND_WINDOW : -TREND_WINDOW]
    if not (last and before):
        return None
    a, b = (sum(s.overall for s in x) / len(x) for x in (last, before))
    return Trend(last=round(a, 1), before=round(b, 1), change=round(a - b, 1), sessions=len(before))


def _difficulty(
    store: Store,
    base: str,
    params: tuple[Any, ...],
    gate: ReadinessGate,
    info: dict[str, ScenarioInfo],
    strong: list[dict[str, _Cell]],
    model_answers: ModelAnswers | None = None,
) -> list[ScenarioStats]:
    """Per scenario: pass rates, the beat where failed sessions ended, how the strong trainees (`strong`: their
    cells) did on it and whether its model answers pass; hardest first."""
    per_scenario = store.query(
        f"""select scenario_id, count(*) as attempts, count(distinct trainee_id) as trainees,
            avg(overall) as mean_overall {base} group by scenario_id""",
        params,
    )
    passed_cols, passed_params = _passed_columns([gate], "sum")
    by_outcome = store.query(
        f"""select scenario_id, outcome, ended_on_beat, count(*) as n, {passed_cols}
            {base} group by scenario_id, outcome, ended_on_beat""",
        (*passed_params, *params),
    )
    finished: Counter[str] = Counter()
    resolved: Counter[str] = Counter()
    passed_n: Counter[str] = Counter()
    failed_on: dict[str, Counter[str]] = defaultdict(Counter)
    for r in by_outcome:
        sid = r["scenario_id"]
        if r["outcome"] is None:
            continue
        finished[sid] += r["n"]
        passed_n[sid] += r["passed_0"]
        if r["outcome"] == "resolved":
            resolved[sid] += r["n"]
        elif r["ended_on_beat"]:
            failed_on[sid][r["ended_on_beat"]] += r["n"]
    trips = {sid: max(c.items(), key=lambda kv: (kv[1], kv[0])) for sid, c in failed_on.items() if c}
    out = []
    for r in per_scenario:
        sid = r["scenario_id"]
        fin = finished[sid]
        trip = trips.get(sid)
        # strong trainees (overall level >= the gate's min_overall) who finished it, and how many passed it: when
        # most of them fail, the scenario may be broken rather than hard
        tried = [cells[sid] for cells in strong if sid in cells and cells[sid].best is not None]
        strong_passed = sum(1 for c in tried if c.passed[0])
        flags = []
        if len(tried) >= STRONG_MIN and strong_passed * 2 < len(tried):
            flags.append(ScenarioFlag(reason="strong-fail"))
        problems = model_answers(sid) if model_answers else None
        if problems:
            flags.append(ScenarioFlag(reason="model-answers", problems=list(problems)))
        out.append(
            ScenarioStats(
                scenario=sid,
                title=info[sid].title if sid in info else "",
                difficulty=info[sid].difficulty if sid in info else None,
                attempts=r["attempts"],
                trainees=r["trainees"],
                pass_rate=round(passed_n[sid] / fin, 3) if fin else None,
                resolved_rate=round(resolved[sid] / fin, 3) if fin else None,
                mean_overall=round(r["mean_overall"], 1),
                trips_on=TripsOn(beat=trip[0], failed_sessions=trip[1]) if trip else None,
                strong=Strong(trainees=len(tried), passed=strong_passed),
                flagged=bool(flags),
                flags=flags,
            )
        )
    out.sort(key=lambda d: (d.pass_rate if d.pass_rate is not None else 2, d.scenario))
    return out


def _top_habits(store: Store, session_ids: list[int], chunk: int = 2000) -> dict[int, TopHabit]:
    """Per trainee, the rule whose findings cost the most points in these sessions (each trainee's latest
    LEVEL_WINDOW, as for the level: for most trainees all of them, and then it is the first habit of their own
    report). Read by session id (idx_findings_session covers it), so a report's cost doesn't grow with history."""
    sums: dict[tuple[int, str, str], list[float]] = {}
    messages: dict[tuple[int, str, str], str] = {}  # one of its findings' messages: what a lead reads
    for i in range(0, len(session_ids), chunk):
        ids = tuple(session_ids[i : i + chunk])
        for r in store.query(
            f"""select trainee_id, rule, criterion, count(*) as n, sum(effect) as points, min(message) as message
                from findings where session_id in ({", ".join("?" * len(ids))}) and effect < 0
                group by trainee_id, rule, criterion""",
            ids,
        ):
            key = (r["trainee_id"], r["rule"], r["criterion"])
            acc = sums.setdefault(key, [0, 0.0])
            acc[0] += r["n"]
            acc[1] += r["points"]
            messages[key] = messages.get(key) or r["message"] or ""
    top: dict[int, TopHabit] = {}
    for (tid, rule, criterion), (n, points) in sums.items():
        best = top.get(tid)
        if best is None or (points, rule) < (best.points, best.rule):
            message = messages.get((tid, rule, criterion), "")
            top[tid] = TopHabit(rule=rule, criterion=criterion, count=int(n), points=points, message=message)
    for h in top.values():
        h.points = round(h.points, 1)
    return top


def scenario_bests(store: Store, name: str, gate: ReadinessGate = DEFAULT_GATE) -> dict[str, dict[str, Any]]:
    """Per scenario, the trainee's best session score, whether they passed it and how many attempts they finished
    (for the scenario browser).

    Only finished sessions (outcome set) count, for all three: a session left after one good reply would
    otherwise show a best that the finished session then lowers. A scenario with only unfinished sessions is
    left out, as if never tried (its brief offers the resume)."""
    try:
        tid = store.trainee_id(name, create=False)
    except StoreError:
        return {}
    if tid is None:
        return {}
    passed, passed_params = _passed_columns([gate], "max")
    rows = store.query(
        f"""select scenario_id, max(overall) as best, {passed}, count(*) as attempts
           from sessions where trainee_id = ? and turns > 0 and outcome is not null group by scenario_id""",
        (*passed_params, tid),
    )
    return {
        r["scenario_id"]: {"best": r["best"], "passed": _passes(r, [gate])[0], "attempts": r["attempts"]}
        for r in rows
    }
