"""The progress model: levels per criterion, best/latest per scenario, streaks, weakest habits, readiness.

Everything here reads stored rows only; scores are never recomputed, so an old report stays what it was (each
session pins its scenario version/hash and scorer version). Reports are plain dicts (JSON-ready) that
`store.report` renders as Markdown, HTML, CSV or JSON.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from scoring import CRITERIA

from .db import Store, StoreError, clean_name

HALF_LIFE = 5  # sessions: a session 5 sessions ago weighs half as much as the latest one
LEVEL_WINDOW = 80  # sessions the level looks at (the 81st-latest would weigh 0.5**16 of the latest: nothing)


@dataclass(frozen=True)
class ScenarioInfo:
    """What reports need to know about a scenario (from the scenario files, when they are at hand)."""

    id: str
    title: str = ""
    difficulty: int = 1
    tags: tuple[str, ...] = ()
    weights: dict = field(default_factory=dict)

    @classmethod
    def of(cls, sc) -> "ScenarioInfo":
        return cls(sc.id, sc.title, sc.difficulty, tuple(sc.tags), dict(sc.rubric.weights))


@dataclass(frozen=True)
class ReadinessGate:
    """When a trainee is ready for real customers (set by the team lead in config.yaml, `readiness:`)."""

    scenarios: int = 8  # distinct scenarios passed
    min_overall: float = 75  # a pass: resolved, with the session's mean overall score at least this
    required_tags: tuple[str, ...] = ("safety",)  # every scenario with one of these tags must be passed
    min_level: float | None = (
        None  # and, if set, the trainee's overall level (recent sessions weigh more) this high
    )

    def describe(self, lang: str = "en") -> str:
        """The gate in words, in English or Chinese (`lang` "zh"): a Chinese report must not quote it in English."""
        tags = "/".join(self.required_tags)
        if lang.startswith("zh"):
            incl = f",其中包括所有 {tags} 情境" if self.required_tags else ""
            level = f",综合水平 ≥ {self.min_level:g}" if self.min_level is not None else ""
            return f"通过 {self.scenarios} 个情境{incl},综合分 ≥ {self.min_overall:g}{level}"
        incl = f", incl. every {tags} scenario" if self.required_tags else ""
        level = f", overall level ≥ {self.min_level:g}" if self.min_level is not None else ""
        return f"passed {self.scenarios} scenarios{incl} at ≥ {self.min_overall:g} overall{level}"

    def rule(self) -> dict:
        """The gate as data (JSON-ready), so a renderer can word it in its own language (`ReadinessGate(**rule)`)."""
        rule = {
            "scenarios": self.scenarios,
            "min_overall": self.min_overall,
            "required_tags": list(self.required_tags),
        }
        if self.min_level is not None:
            rule["min_level"] = self.min_level
        return rule

    @classmethod
    def of(cls, rule: dict) -> "ReadinessGate":
        return cls(
            rule["scenarios"], rule["min_overall"], tuple(rule["required_tags"]), rule.get("min_level")
        )


def level(values: list[float]) -> float | None:
    """Current level from per-session means, oldest first: an exponentially weighted mean (recent counts more)."""
    if not values:
        return None
    values = values[-LEVEL_WINDOW:]
    n = len(values)
    weights = [0.5 ** ((n - 1 - i) / HALF_LIFE) for i in range(n)]
    return round(sum(w * v for w, v in zip(weights, values)) / sum(weights), 1)


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


def passed(session: dict, gate: ReadinessGate) -> bool:
    return session["outcome"] == "resolved" and (session["overall"] or 0) >= gate.min_overall


def readiness(
    passed_ids: set[str], gate: ReadinessGate, scenarios: list[ScenarioInfo], level_now: float | None = None
) -> dict:
    """Readiness from the ids of the scenarios a trainee has passed (see `passed`) and their overall level."""
    done = sorted(passed_ids)
    required = sorted(sc.id for sc in scenarios if set(sc.tags) & set(gate.required_tags))
    missing_required = [r for r in required if r not in done]
    ready = len(done) >= gate.scenarios and not missing_required
    if gate.min_level is not None:
        ready = ready and (level_now or 0) >= gate.min_level
    return {
        "ready": ready,
        "passed": len(done),
        "needed": gate.scenarios,
        "passed_scenarios": done,
        "required": required,
        "missing_required": missing_required,
        "gate": gate.describe(),
        "gate_rule": gate.rule(),
    }


def trainee_report(
    store: Store,
    name: str,
    *,
    scenarios: list[ScenarioInfo] = (),
    gate: ReadinessGate = ReadinessGate(),
    since: str | None = None,
    today: date | None = None,
    name_others: bool = True,
    gates: dict[str, ReadinessGate] | None = None,
) -> dict:
    """One trainee's progress. With no sessions for `name`, the error names up to 20 trainees who have some (for a
    lead who mistyped), unless `name_others` is false (a trainee must not learn who else practises)."""
    name = clean_name(name)
    tid = store.trainee_id(name, create=False)
    if tid is None:
        known = store.query("select name from trainees order by name limit 20") if name_others else None
        if known is None:
            hint = " Practise a scenario first."
        else:
            hint = (
                f" Known trainees: {', '.join(r['name'] for r in known)}."
                if known
                else " No one has practised yet."
            )
        raise StoreError(f"No sessions for trainee '{name}'.{hint}")
    where, params = _since_clause(since)
    sessions = store.query(
        f"""select id, scenario_id, scenario_version, scenario_title, started_at, finished_at, outcome, closed_reason,
            turns, mood, certainty, simplicity, warmth, overall, hints_used, ended_on_beat, scorer_version
            from sessions where trainee_id = ?{where} order by started_at, id""",
        (tid, *params),
    )
    scored = [s for s in sessions if s["turns"]]
    levels = {c: level([s[c] for s in scored]) for c in CRITERIA}
    overall_level = level([s["overall"] for s in scored])
    trend = [
        {
            "session": s["id"],
            "date": s["started_at"][:10],
            "scenario": s["scenario_id"],
            **{c: round(s[c], 1) for c in CRITERIA},
            "overall": round(s["overall"], 1),
            "outcome": s["outcome"],
        }
        for s in scored
    ]
    info = {sc.id: sc for sc in scenarios}
    per_scenario: dict[str, dict] = {}
    for s in scored:
        row = per_scenario.setdefault(
            s["scenario_id"],
            {
                "scenario": s["scenario_id"],
                "title": s["scenario_title"],
                "attempts": 0,
                "best": None,
                "best_outcome": None,
                "latest": None,
                "latest_outcome": None,
                "latest_date": None,
                "passed": False,
            },
        )
        row["attempts"] += 1
        ov = round(s["overall"], 1)
        rank = (s["outcome"] == "resolved", ov)
        finished = s["outcome"] is not None  # like the picker's best: a half-played session isn't a score yet
        if finished and (row["best"] is None or rank > (row["best_outcome"] == "resolved", row["best"])):
            row["best"], row["best_outcome"] = ov, s["outcome"]
        row["latest"], row["latest_outcome"], row["latest_date"] = ov, s["outcome"], s["started_at"][:10]
        row["passed"] = row["passed"] or passed(s, gate)

    # streaks
    today = today or date.today()
    days = {s["started_at"][:10] for s in scored}
    resolved_run = 0
    for s in reversed([s for s in sessions if s["outcome"]]):
        if s["outcome"] != "resolved":
            break
        resolved_run += 1

    # habits: the rules that cost most points, with the trainee's own words
    habits = _habits(store, tid, since)
    weakest = min((c for c in CRITERIA if levels[c] is not None), key=lambda c: levels[c], default=None)
    weakest_habits = [h for h in habits if h["criterion"] == weakest][:3] if weakest else []

    # next scenarios: not yet passed; those that weigh the weakest criterion most, easiest first
    nexts = []
    for sc in scenarios:
        if per_scenario.get(sc.id, {}).get("passed"):
            continue
        w = sc.weights.get(weakest, 1.0) if weakest else 1.0
        nexts.append((-w, sc.difficulty, sc.id in per_scenario, sc.id, sc.title))
    nexts.sort()
    unfinished = [s for s in scored if s["outcome"] is None]  # a session left before any reply isn't one
    return {
        "kind": "trainee",
        "trainee": name,
        "since": since_value(since),
        "sessions": len(scored),  # with at least one scored reply, as in the team report
        "finished": sum(1 for s in scored if s["outcome"]),
        "unfinished": [
            {
                "session": s["id"],
                "scenario": s["scenario_id"],
                "started_at": s["started_at"],
                "turns": s["turns"],
            }
            for s in unfinished
        ],
        "outcomes": dict(Counter(s["outcome"] or "unfinished" for s in scored)),
        "levels": levels,
        "overall_level": overall_level,
        "weakest": weakest,
        "weakest_habits": weakest_habits,
        "habits": habits[:6],
        "trend": trend,
        "scenarios": sorted(per_scenario.values(), key=lambda r: r["scenario"]),
        "streak_days": _streak_days(days, today),
        "resolved_in_a_row": resolved_run,
        "hints_used": sum(s["hints_used"] or 0 for s in sessions),
        "readiness": readiness(
            {s["scenario_id"] for s in scored if passed(s, gate)}, gate, scenarios, overall_level
        )
        if scenarios
        else None,
        "gates": [
            {
                "name": n,
                **readiness({s["scenario_id"] for s in scored if passed(s, g)}, g, scenarios, overall_level),
            }
            for n, g in (gates or {}).items()
        ]
        if scenarios
        else [],
        "next": [{"scenario": n[3], "title": n[4]} for n in nexts[:3]],
        "first": sessions[0]["started_at"] if sessions else None,
        "last": sessions[-1]["started_at"] if sessions else None,
        "info": {k: v.title for k, v in info.items()},
    }


def _habits(store: Store, trainee_id: int, since: str | None) -> list[dict]:
    where, params = _since_clause(since, "sessions.started_at")
    rows = store.query(
        f"""select findings.rule, findings.criterion, findings.text, findings.message, findings.suggestion,
                   findings.effect, findings.span_start, findings.span_end, turns.reply
            from findings join turns on turns.id = findings.turn_id
            join sessions on sessions.id = findings.session_id
            where findings.trainee_id = ? and findings.effect < 0{where}""",
        (trainee_id, *params),
    )
    by_rule: dict[tuple[str, str], dict] = {}
    for r in rows:
        h = by_rule.setdefault(
            (r["rule"], r["criterion"]),
            {
                "rule": r["rule"],
                "criterion": r["criterion"],
                "points": 0.0,
                "count": 0,
                "words": Counter(),
                "message": r["message"],
                "suggestion": r["suggestion"],
                "quotes": [],
            },
        )
        h["points"] += r["effect"]
        h["count"] += 1
        word = (r["text"] or "").strip()
        whole = r["reply"] is not None and len(word) >= len(r["reply"].strip())
        if word and len(word) <= 16 and not whole:  # a phrase, not a whole reply flagged as cold/vague
            h["words"][word] += 1
        if len(h["quotes"]) < 2 and r["reply"]:
            q = _quote(r["reply"], r["span_start"], r["span_end"])
            if q not in h["quotes"]:
                h["quotes"].append(q)
    out = sorted(by_rule.values(), key=lambda h: h["points"])
    for h in out:
        h["points"] = round(h["points"], 1)
        h["words"] = [{"text": w, "count": n} for w, n in h["words"].most_common(4)]
    return out


TREND_WINDOW = 5  # the team view's trend: the mean of a trainee's last 5 sessions against the 5 before
STRONG_MIN = 3  # a scenario is flagged when at least this many strong trainees played it and most failed


def team_report(
    store: Store,
    *,
    scenarios: list[ScenarioInfo] = (),
    gate: ReadinessGate = ReadinessGate(),
    since: str | None = None,
    gates: dict[str, ReadinessGate] | None = None,
) -> dict:
    """The team view. Aggregates run in SQL (a million turns in well under a second); only each trainee's last
    LEVEL_WINDOW sessions are fetched for the level, which is all the weighting can see anyway.

    Besides one row per trainee, the leaderboard and the scenarios' difficulty, it has what a lead acts on: the
    trainee x scenario grid (best finished score, passed, attempts), every named readiness gate (config.yaml's
    `gates:`) per trainee side by side with the default one, each trainee's top habit (the finding that cost most
    points) and trend (last 5 sessions against the 5 before), and the scenarios that even strong trainees fail."""
    gates = dict(gates or {})
    where, params = _since_clause(since)
    base = f"from sessions where turns > 0{where}"
    trainees = {r["id"]: r["name"] for r in store.query("select id, name from trainees")}
    counts = store.query(
        f"""select trainee_id, count(*) as sessions, sum(case when outcome = 'resolved' then 1 else 0 end) as resolved,
            max(started_at) as last {base} group by trainee_id""",
        params,
    )
    recent = {  # one indexed lookup per trainee: the level only looks at the latest LEVEL_WINDOW sessions
        r["trainee_id"]: list(
            reversed(
                store.query(
                    f"""select id, certainty, simplicity, warmth, overall {base} and trainee_id = ?
                order by started_at desc, id desc limit {LEVEL_WINDOW}""",
                    (*params, r["trainee_id"]),
                )
            )
        )
        for r in counts
    }
    # the grid, and every gate's passes: per trainee and scenario, attempts, the best finished score and the best
    # resolved one (a pass of a gate is a resolved session at or above its min_overall: `passed`)
    cells = store.query(
        f"""select trainee_id, scenario_id, count(*) as attempts,
                   max(case when outcome is not null then overall end) as best,
                   max(case when outcome = 'resolved' then overall end) as best_resolved
            {base} group by trainee_id, scenario_id""",
        params,
    )
    by_trainee: dict[int, dict[str, dict]] = defaultdict(dict)
    for c in cells:
        by_trainee[c["trainee_id"]][c["scenario_id"]] = c

    def passes(tid: int, g: ReadinessGate) -> set[str]:
        return {
            sid
            for sid, c in by_trainee[tid].items()
            if c["best_resolved"] is not None and c["best_resolved"] >= g.min_overall
        }

    habits = _top_habits(store, [s["id"] for ss in recent.values() for s in ss])
    team = []
    for row in counts:
        tid = row["trainee_id"]
        ss = recent[tid]
        lv = {c: level([s[c] for s in ss]) for c in CRITERIA}
        overall_level = level([s["overall"] for s in ss])
        ready = readiness(passes(tid, gate), gate, scenarios, overall_level)
        last, before = ss[-TREND_WINDOW:], ss[-2 * TREND_WINDOW : -TREND_WINDOW]
        trend = None
        if last and before:
            a, b = (sum(s["overall"] for s in x) / len(x) for x in (last, before))
            trend = {
                "last": round(a, 1),
                "before": round(b, 1),
                "change": round(a - b, 1),
                "sessions": len(before),
            }
        team.append(
            {
                "trainee": trainees.get(tid, f"#{tid}"),
                "sessions": row["sessions"],
                "resolved": row["resolved"],
                "levels": lv,
                "overall_level": overall_level,
                "weakest": min(CRITERIA, key=lambda c: lv[c]),
                "passed": ready["passed"],
                "ready": ready["ready"],
                "missing_required": ready["missing_required"],
                "last": row["last"][:10],
                "top_habit": habits.get(tid),
                "trend": trend,
                "gates": {
                    name: _gate_cell(readiness(passes(tid, g), g, scenarios, overall_level))
                    for name, g in gates.items()
                },
                "_tid": tid,
            }
        )
    team.sort(key=lambda t: t["trainee"])
    leaderboard = sorted(team, key=lambda t: (-t["passed"], -(t["overall_level"] or 0), t["trainee"]))
    leaderboard = [
        {
            "rank": i + 1,
            "trainee": t["trainee"],
            "passed": t["passed"],
            "overall_level": t["overall_level"],
            "sessions": t["sessions"],
        }
        for i, t in enumerate(leaderboard)
    ]

    info = {sc.id: sc for sc in scenarios}
    played = {c["scenario_id"] for c in cells}
    columns = [sc.id for sc in scenarios] + sorted(played - set(info))
    grid = {
        "scenarios": columns,
        "rows": [
            {
                "trainee": t["trainee"],
                "cells": {
                    sid: {
                        "best": None if c["best"] is None else round(c["best"], 1),
                        "passed": c["best_resolved"] is not None and c["best_resolved"] >= gate.min_overall,
                        "attempts": c["attempts"],
                    }
                    for sid, c in sorted(by_trainee[t["_tid"]].items())
                },
            }
            for t in team
        ],
    }
    strong = {t["_tid"] for t in team if (t["overall_level"] or 0) >= gate.min_overall}

    # scenario difficulty: pass rates and the beat where failed sessions ended
    per_scenario = store.query(
        f"""select scenario_id, count(*) as attempts, count(distinct trainee_id) as trainees, avg(overall) as mean_overall
            {base} group by scenario_id""",
        params,
    )
    by_outcome = store.query(
        f"""select scenario_id, outcome, ended_on_beat, count(*) as n, sum(case when overall >= ? then 1 else 0 end)
            as good {base} group by scenario_id, outcome, ended_on_beat""",
        (gate.min_overall, *params),
    )
    finished: Counter = Counter()
    resolved: Counter = Counter()
    passed_n: Counter = Counter()
    failed_on: dict[str, Counter] = defaultdict(Counter)
    for r in by_outcome:
        sid = r["scenario_id"]
        if r["outcome"] is None:
            continue
        finished[sid] += r["n"]
        if r["outcome"] == "resolved":
            resolved[sid] += r["n"]
            passed_n[sid] += r["good"]
        elif r["ended_on_beat"]:
            failed_on[sid][r["ended_on_beat"]] += r["n"]
    trips = {sid: max(c.items(), key=lambda kv: (kv[1], kv[0])) for sid, c in failed_on.items() if c}
    difficulty = []
    for r in per_scenario:
        sid = r["scenario_id"]
        fin = finished[sid]
        trip = trips.get(sid)
        tried = [
            by_trainee[tid][sid]
            for tid in strong
            if sid in by_trainee[tid] and by_trainee[tid][sid]["best"] is not None
        ]
        strong_passed = sum(
            1 for c in tried if c["best_resolved"] is not None and c["best_resolved"] >= gate.min_overall
        )
        difficulty.append(
            {
                "scenario": sid,
                "title": info[sid].title if sid in info else "",
                "difficulty": info[sid].difficulty if sid in info else None,
                "attempts": r["attempts"],
                "trainees": r["trainees"],
                "pass_rate": round(passed_n[sid] / fin, 3) if fin else None,
                "resolved_rate": round(resolved[sid] / fin, 3) if fin else None,
                "mean_overall": round(r["mean_overall"], 1),
                "trips_on": {"beat": trip[0], "failed_sessions": trip[1]} if trip else None,
                # strong trainees (overall level >= the gate's min_overall) who finished it, and how many passed it:
                # when most of them fail, the scenario may be broken rather than hard
                "strong": {"trainees": len(tried), "passed": strong_passed},
                "flagged": len(tried) >= STRONG_MIN and strong_passed * 2 < len(tried),
            }
        )
    difficulty.sort(key=lambda d: (d["pass_rate"] if d["pass_rate"] is not None else 2, d["scenario"]))
    buckets = Counter(min(9, int((t["overall_level"] or 0) // 10)) for t in team)
    for t in team:
        del t["_tid"]
    return {
        "kind": "team",
        "since": since_value(since),
        "gate": gate.describe(),
        "gate_rule": gate.rule(),
        "gates": [{"name": name, "gate": g.describe(), "gate_rule": g.rule()} for name, g in gates.items()],
        "trainees": team,
        "leaderboard": leaderboard,
        "grid": grid,
        "scenarios": difficulty,
        "distribution": [
            {"from": b * 10, "to": b * 10 + 10, "trainees": buckets.get(b, 0)} for b in range(10)
        ],
        "sessions": sum(r["sessions"] for r in counts),
        "generated": datetime.now().isoformat(timespec="seconds"),
    }


def _gate_cell(ready: dict) -> dict:
    return {
        "ready": ready["ready"],
        "passed": ready["passed"],
        "needed": ready["needed"],
        "missing_required": ready["missing_required"],
    }


def _top_habits(store: Store, session_ids: list[int], chunk: int = 2000) -> dict[int, dict]:
    """Per trainee, the rule whose findings cost the most points in these sessions (each trainee's latest
    LEVEL_WINDOW, as for the level: for most trainees all of them, and then it is the first habit of their own
    report). Read by session id (idx_findings_session covers it), so a report's cost doesn't grow with history."""
    sums: dict[tuple, list] = {}
    for i in range(0, len(session_ids), chunk):
        ids = session_ids[i : i + chunk]
        for r in store.query(
            f"""select trainee_id, rule, criterion, count(*) as n, sum(effect) as points from findings
                where session_id in ({", ".join("?" * len(ids))}) and effect < 0
                group by trainee_id, rule, criterion""",
            ids,
        ):
            acc = sums.setdefault((r["trainee_id"], r["rule"], r["criterion"]), [0, 0.0])
            acc[0] += r["n"]
            acc[1] += r["points"]
    top: dict[int, dict] = {}
    for (tid, rule, criterion), (n, points) in sums.items():
        best = top.get(tid)
        if best is None or (points, rule) < (best["points"], best["rule"]):
            top[tid] = {"rule": rule, "criterion": criterion, "count": n, "points": points}
    for h in top.values():
        h["points"] = round(h["points"], 1)
    return top


def scenario_bests(store: Store, name: str, gate: ReadinessGate = ReadinessGate()) -> dict[str, dict]:
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
    rows = store.query(
        """select scenario_id, max(overall) as best, max(case when outcome = 'resolved' and overall >= ? then 1 else 0 end) as passed,
                  count(*) as attempts
           from sessions where trainee_id = ? and turns > 0 and outcome is not null group by scenario_id""",
        (gate.min_overall, tid),
    )
    return {
        r["scenario_id"]: {"best": r["best"], "passed": bool(r["passed"]), "attempts": r["attempts"]}
        for r in rows
    }
