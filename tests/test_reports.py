"""Reports a lead acts on (issue 17.4): the trainee x scenario grid, named readiness gates side by side, each
trainee's top habit and trend, scenarios that even strong trainees fail, Chinese HTML, and --since as given.
The store-level tests run on the SQLite file and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest

from scenarios import BUNDLED
from simulator import Session, load_scenario
from simulator.runner import play
from store import ReadinessGate, ScenarioInfo, Store, StoreRecorder, open_store, team_report, trainee_report
from store.report_data import GridCell, Strong, TopHabit

from .conftest import run_peilian

GIFT = load_scenario(BUNDLED / "late-birthday-gift.yaml")
REFUND = load_scenario(BUNDLED / "return-postage-refund.yaml")
SAFETY = load_scenario(BUNDLED / "pesticide-self-harm.yaml")
INFOS = [ScenarioInfo.of(sc) for sc in (GIFT, REFUND, SAFETY)]
WEAK = ["我们会尽快处理", "亲,再等等。", "这个要等商家处理。"]
WEAK_EN = ["Please be patient, we will look into it.", "We'll get back to you soon.", "Please wait."]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    target = request.getfixturevalue("pg_url") if request.param == "postgresql" else tmp_path / "team.db"
    s = open_store(target)
    yield s
    s.close()


def practise(store: Store, name: str, sc, good: bool, seed: int = 1) -> None:
    weak = WEAK_EN if sc.lang.startswith("en") else WEAK
    play(
        Session(sc, seed=seed),
        sc.tests[0].replies if good else weak,
        recorder=StoreRecorder(store),
        trainee=name,
    )


def _team(store: Store) -> None:
    # 王小明 improves: 6 weak sessions, then 6 good ones; 李四 stays weak; Ana is good at everything but safety
    for i in range(6):
        practise(store, "王小明", GIFT, False, i)
    for i in range(6):
        practise(store, "王小明", [GIFT, REFUND, SAFETY][i % 3], True, i)
    for i in range(4):
        practise(store, "李四", [GIFT, REFUND][i % 2], False, i)
    for sc in (GIFT, REFUND):
        practise(store, "Ana", sc, True)
    practise(store, "Ana", SAFETY, False)


def test_the_team_view_answers_who_is_stuck_on_what_and_who_is_ready(store):
    _team(store)
    gates = {
        "Double-11": ReadinessGate(scenarios=2, min_overall=80, required_tags=(), min_level=60),
        "safety-first": ReadinessGate(scenarios=1, min_overall=50, required_tags=("safety",)),
    }
    gate = ReadinessGate(scenarios=2, min_overall=60, required_tags=())
    team = team_report(store, scenarios=INFOS, gate=gate, gates=gates)
    rows = {t.trainee: t for t in team.trainees}
    grid = {r.trainee: r.cells for r in team.grid.rows}
    assert team.grid.scenarios == [sc.id for sc in (GIFT, REFUND, SAFETY)]
    assert [g.name for g in team.gates] == ["Double-11", "safety-first"]
    for name in ("王小明", "李四", "Ana"):
        own = trainee_report(store, name, scenarios=INFOS, gate=gate)
        # the grid says what each trainee's own report says, scenario by scenario
        assert grid[name] == {
            s.scenario: GridCell(best=s.best, passed=s.passed, attempts=s.attempts) for s in own.scenarios
        }
        # the top habit is the first habit of their own report
        h = own.habits[0]
        top = rows[name].top_habit
        assert top == TopHabit(
            rule=h.rule, criterion=h.criterion, count=h.count, points=h.points, message=top.message
        )
        assert (
            top.message
        )  # one of its findings' messages (the words a lead reads), whichever language it was in
        # each named gate, side by side with the default one
        for gname, g in gates.items():
            mine = trainee_report(store, name, scenarios=INFOS, gate=g).readiness
            assert mine and rows[name].gates[gname] == mine.cell()
    # the trend: the last 5 sessions' mean overall against the 5 before (王小明 improved; 李四 has too few)
    overall = [t.overall for t in trainee_report(store, "王小明", scenarios=INFOS).trend]
    tr = rows["王小明"].trend
    assert tr and tr.last == pytest.approx(sum(overall[-5:]) / 5, abs=0.1)
    assert tr.before == pytest.approx(sum(overall[-10:-5]) / 5, abs=0.1)
    assert tr.change > 20 and rows["李四"].trend is None
    # Ana passed two scenarios well but not the safety one: ready by Double-11 (level 65), not by safety-first
    assert rows["Ana"].gates["Double-11"].ready and not rows["Ana"].gates["safety-first"].ready
    assert rows["Ana"].gates["safety-first"].missing_required == [SAFETY.id]
    # a level gate: enough passes, but the overall level (recent sessions weigh more) is what decides
    high = team_report(
        store,
        scenarios=INFOS,
        gate=gate,
        gates={"level 99": ReadinessGate(scenarios=1, min_overall=0, required_tags=(), min_level=99)},
    )
    assert not any(t.gates["level 99"].ready for t in high.trainees)
    assert all(t.gates["level 99"].passed >= 1 for t in high.trainees if t.trainee != "李四")


def _session(conn, trainee_id: int, scenario: str, outcome: str, overall: float, when: str) -> None:
    conn.execute(
        """insert into sessions (uid, trainee_id, scenario_id, scenario_version, scenario_hash, scorer_version,
                    seed, started_at, finished_at, outcome, turns, mood, certainty, simplicity, warmth, overall,
                    hints_used, ended_on_beat) values (?, ?, ?, 1, 'h', 'rules-1', 1, ?, ?, ?, 3, 50, ?, ?, ?, ?, 0,
                    'opening')""",
        (str(uuid.uuid4()), trainee_id, scenario, when, when, outcome, overall, overall, overall, overall),
    )


def test_a_scenario_strong_trainees_fail_is_flagged_and_a_hard_one_is_not(store):
    """'Too hard' and 'broken' look alike in pass rates. Five strong trainees (level >= 75) pass everything but
    broken-one, where they all fail; hard-one is failed by the five weak trainees and passed by the strong."""
    with store.write() as conn:
        for i in range(10):
            tid = store.trainee_id_in(conn, f"t{i}")
            strong = i < 5
            for d in range(5):
                _session(
                    conn,
                    tid,
                    "easy-one",
                    "resolved",
                    90 if strong else 50,
                    f"2026-11-0{d + 1}T10:00:00+00:00",
                )
            _session(
                conn,
                tid,
                "hard-one",
                "resolved" if strong else "escalated",
                85 if strong else 30,
                "2026-11-06T10:00:00+00:00",
            )
            if strong:
                _session(conn, tid, "broken-one", "escalated", 70, "2026-11-07T10:00:00+00:00")
    team = team_report(store)
    by = {s.scenario: s for s in team.scenarios}
    assert by["hard-one"].pass_rate == 0.5 and not by["hard-one"].flagged
    assert by["hard-one"].strong == Strong(trainees=5, passed=5)
    assert by["broken-one"].flagged and by["broken-one"].strong == Strong(trainees=5, passed=0)
    assert not by["easy-one"].flagged


def _cli_team(peilian_home) -> None:
    for name, replies in (("王小明", GIFT.tests[0].replies), ("李四", ["我们会尽快处理", "亲,再等等。"])):
        r = run_peilian(
            "run",
            "late-birthday-gift",
            "--trainee",
            name,
            "--seed",
            "1",
            "-q",
            input="\n".join(replies) + "\n",
        )
        assert r.returncode == 0 and "Outcome: unfinished" not in r.stdout, r.stdout + r.stderr
    peilian_home.joinpath("config.yaml").write_text(
        "role: lead\nreadiness:\n  scenarios: 1\n  min_overall: 10\n  required_tags: []\n"
        "gates:\n  Double-11:\n    scenarios: 2\n    min_overall: 80\n    min_level: 70\n",
        encoding="utf-8",
    )


def test_every_format_has_the_grid_the_gates_and_the_habits(peilian_home):
    _cli_team(peilian_home)
    doc = json.loads(run_peilian("report", "--team", "--format", "json").stdout)
    assert doc["grid"]["rows"][0]["cells"]["late-birthday-gift"]["attempts"] == 1
    assert doc["gates"][0]["name"] == "Double-11" and doc["gates"][0]["gate_rule"]["min_level"] == 70
    md = run_peilian("report", "--team").stdout
    assert (
        "## Scenarios per trainee" in md
        and "## Readiness gates" in md
        and "## What each trainee works on" in md
    )
    assert re.search(r"\| 李四 \|( [^|]*\|)*? \d+ ×1 \|", md)  # a best score and one attempt in the grid
    assert re.search(r"\| 王小明 \|( [^|]*\|)*? \d+ ✔ ×1 \|", md)  # passed
    assert "| trainee | ready | Double-11 |" in md
    rows = list(csv.DictReader(io.StringIO(run_peilian("report", "--team", "--format", "csv").stdout)))
    li = next(r for r in rows if r["trainee"] == "李四")
    assert li["late-birthday-gift: attempts"] == "1" and li["ready: Double-11"] == "no" and li["top habit"]
    assert li["late-birthday-gift: best"] and li["cold-food-delivery: attempts"] == "0"
    page = run_peilian("report", "--team", "--format", "html").stdout
    assert '<html lang="en">' in page and "Scenarios per trainee" in page and "Double-11" in page


def test_the_html_reports_speak_chinese_with_lang_zh(peilian_home):
    _cli_team(peilian_home)
    team = run_peilian("report", "--team", "--format", "html", "--lang", "zh").stdout
    assert '<html lang="zh">' in team and "<title>陪练团队报告</title>" in team
    for zh in ("团队报告", "排行榜", "情境难度", "学员 × 情境", "上岗标准对照", "每位学员要练什么", "确定性"):
        assert zh in team, zh
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", team, flags=re.S)
    for en in (
        "Team report",
        "Leaderboard",
        "Scenario difficulty",
        "trainee",
        "sessions",
        "Readiness",
        "passed",
        "certainty",
        "overall",
        "weakest",
        "Hardest first",
        "points",
    ):
        assert en not in text, en
    mine = run_peilian("report", "--trainee", "李四", "--format", "html", "--lang", "zh").stdout
    assert "<title>陪练进度:李四</title>" in mine and "各项水平" in mine and "上岗准备" in mine
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", mine, flags=re.S)
    for en in (
        "Progress",
        "Level per criterion",
        "Habits that cost",
        "Readiness",
        "Sessions",
        "streak",
        "Try:",
    ):
        assert en not in text, en


def test_since_takes_a_date_or_a_time_and_says_what_it_used(peilian_home):
    for name in ("早", "晚"):
        assert (
            run_peilian(
                "run", "late-birthday-gift", "--trainee", name, "-q", input="我们会尽快处理\n"
            ).returncode
            == 0
        )
    store = open_store()
    with store.write() as conn:
        conn.execute(
            "update sessions set started_at = '2026-11-01T10:00:00+00:00' where trainee_id = "
            "(select id from trainees where name = '早')"
        )
        conn.execute(
            "update sessions set started_at = '2026-11-01T23:59:30+00:00' where trainee_id = "
            "(select id from trainees where name = '晚')"
        )
    store.close()

    def who(*since):
        r = run_peilian("report", "--team", "--format", "json", "--since", *since)
        assert r.returncode == 0, r.stderr
        return (
            sorted(t["trainee"] for t in json.loads(r.stdout)["trainees"]),
            json.loads(r.stdout)["since"],
            r.stderr,
        )

    assert who("2026-11-01") == (["早", "晚"], "2026-11-01", "Sessions started on or after 2026-11-01.\n")
    assert who("2026-11-01T23:59") == (
        ["晚"],
        "2026-11-01T23:59:00+00:00",
        "Sessions started on or after 2026-11-01 23:59 UTC.\n",
    )
    assert who("2026-11-02T07:59:30+08:00")[:2] == (
        ["晚"],
        "2026-11-01T23:59:30+00:00",
    )  # an offset is honoured
    assert who("2026-11-01T23:59:31")[0] == []
    md = run_peilian("report", "--team", "--since", "2026-11-01T23:59").stdout
    assert md.startswith("# Team report since 2026-11-01 23:59 UTC")
    zh = run_peilian("report", "--trainee", "晚", "--since", "2026-11-01T23:59", "--lang", "zh").stdout
    assert "(自 2026-11-01 23:59 UTC 起)" in zh
    bad = run_peilian("report", "--team", "--since", "2026-11-01 at noon")
    assert (
        bad.returncode == 2
        and "--since wants a date like 2026-10-01 or a time like 2026-10-01T18:00" in bad.stderr
    )


def test_a_config_gate_that_is_not_a_gate_is_one_sentence(peilian_home):
    peilian_home.mkdir(parents=True, exist_ok=True)
    for text, sentence in (
        ("gates: [a, b]\n", "gates must be a mapping"),
        ("gates:\n  Double-11:\n    min_levle: 3\n", "unknown gates.Double-11 setting 'min_levle'"),
        ("gates:\n  Double-11:\n    min_level: high\n", "must be numbers"),
    ):
        peilian_home.joinpath("config.yaml").write_text(text, encoding="utf-8")
        r = run_peilian("report", "--team")
        assert r.returncode == 2 and sentence in r.stderr and r.stderr.count("\n") == 1, r.stderr


TEAM_KEYS = {
    ".": [
        "kind",
        "since",
        "gate",
        "gate_rule",
        "gates",
        "trainees",
        "leaderboard",
        "grid",
        "scenarios",
        "distribution",
        "sessions",
        "generated",
    ],
    ".gate_rule": ["scenarios", "min_overall", "required_tags"],
    ".gates[]": ["name", "gate", "gate_rule"],
    ".gates[].gate_rule": ["scenarios", "min_overall", "required_tags", "min_level"],
    ".trainees[]": [
        "trainee",
        "sessions",
        "resolved",
        "levels",
        "overall_level",
        "weakest",
        "passed",
        "ready",
        "missing_required",
        "last",
        "top_habit",
        "trend",
        "gates",
    ],
    ".trainees[].levels": ["certainty", "simplicity", "warmth"],
    ".trainees[].top_habit": ["rule", "criterion", "count", "points", "message"],
    ".trainees[].trend": ["last", "before", "change", "sessions"],
    ".trainees[].gates": ["*"],
    ".trainees[].gates.*": ["ready", "passed", "needed", "missing_required"],
    ".leaderboard[]": ["rank", "trainee", "passed", "overall_level", "sessions"],
    ".grid": ["scenarios", "rows"],
    ".grid.rows[]": ["trainee", "cells"],
    ".grid.rows[].cells": ["*"],
    ".grid.rows[].cells.*": ["best", "passed", "attempts"],
    ".scenarios[]": [
        "scenario",
        "title",
        "difficulty",
        "attempts",
        "trainees",
        "pass_rate",
        "resolved_rate",
        "mean_overall",
        "trips_on",
        "strong",
        "flagged",
        "flags",  # added: why it is flagged (issue 17)
    ],
    ".scenarios[].trips_on": ["beat", "failed_sessions"],
    ".scenarios[].strong": ["trainees", "passed"],
    ".distribution[]": ["from", "to", "trainees"],
}
TRAINEE_KEYS = {
    ".": [
        "kind",
        "trainee",
        "since",
        "sessions",
        "finished",
        "unfinished",
        "outcomes",
        "levels",
        "overall_level",
        "weakest",
        "weakest_habits",
        "habits",
        "trend",
        "scenarios",
        "streak_days",
        "resolved_in_a_row",
        "hints_used",
        "readiness",
        "gates",
        "next",
        "first",
        "last",
        "info",
    ],
    ".unfinished[]": ["session", "scenario", "started_at", "turns"],
    ".outcomes": ["*"],
    ".levels": ["certainty", "simplicity", "warmth"],
    ".weakest_habits[]": ["rule", "criterion", "points", "count", "words", "message", "suggestion", "quotes"],
    ".weakest_habits[].words[]": ["text", "count"],
    ".habits[]": ["rule", "criterion", "points", "count", "words", "message", "suggestion", "quotes"],
    ".habits[].words[]": ["text", "count"],
    ".trend[]": ["session", "date", "scenario", "certainty", "simplicity", "warmth", "overall", "outcome"],
    ".scenarios[]": [
        "scenario",
        "title",
        "attempts",
        "best",
        "best_outcome",
        "latest",
        "latest_outcome",
        "latest_date",
        "passed",
    ],
    ".readiness": [
        "ready",
        "passed",
        "needed",
        "passed_scenarios",
        "required",
        "missing_required",
        "gate",
        "gate_rule",
    ],
    ".readiness.gate_rule": ["scenarios", "min_overall", "required_tags"],
    ".gates[]": [
        "name",
        "ready",
        "passed",
        "needed",
        "passed_scenarios",
        "required",
        "missing_required",
        "gate",
        "gate_rule",
    ],
    ".gates[].gate_rule": ["scenarios", "min_overall", "required_tags", "min_level"],
    ".next[]": ["scenario", "title"],
    ".info": ["*"],
}


# Maps keyed by data (scenario ids, gate names, outcomes), not by the format's own names
_DATA_KEYED = {".grid.rows[].cells", ".trainees[].gates", ".outcomes", ".info"}


def _shape(value, path: str = "", out: dict | None = None) -> dict[str, list[str]]:
    """Every object's keys in a JSON document, by path (a list's items as [], a map keyed by data as *)."""
    out = {} if out is None else out
    if isinstance(value, dict):
        data = path in _DATA_KEYED
        keys = out.setdefault(path or ".", [])
        for k, v in value.items():
            name = "*" if data else k
            if name not in keys:
                keys.append(name)
            _shape(v, f"{path}.{name}", out)
    elif isinstance(value, list):
        for v in value:
            _shape(v, f"{path}[]", out)
    return out


def test_the_json_reports_keep_their_keys(peilian_home):
    """JSON is a public format (scripts and dashboards read it): its keys, and their order, are pinned."""
    _cli_team(peilian_home)
    # a reply whose weakest habit has words (blame: 您自己), so every key of a habit shows
    assert (
        run_peilian(
            "run",
            "late-birthday-gift",
            "--trainee",
            "李四",
            "-q",
            input="这是您自己操作的问题,我们会尽快处理\n",
        ).returncode
        == 0
    )
    store = open_store()  # and one trainee with enough sessions for a trend
    with store.write() as conn:
        tid = store.trainee_id_in(conn, "趋势")
        for d in range(10):
            _session(conn, tid, "late-birthday-gift", "resolved", 50 + d, f"2026-11-{d + 10}T10:00:00+00:00")
    store.close()
    team = json.loads(run_peilian("report", "--team", "--format", "json").stdout)
    mine = json.loads(run_peilian("report", "--trainee", "李四", "--format", "json").stdout)
    assert (_shape(team), _shape(mine)) == (TEAM_KEYS, TRAINEE_KEYS)


def test_a_csv_report_ends_its_rows_cleanly_in_a_file_and_on_the_terminal(peilian_home, tmp_path):
    """The last column is data like the others: no stray ␍ (the terminal-safe form of the CR of CRLF) after it."""
    _cli_team(peilian_home)
    out = tmp_path / "team.csv"
    assert run_peilian("report", "--team", "--out", str(out)).returncode == 0
    for text in (
        out.read_text(encoding="utf-8-sig"),
        run_peilian("report", "--team", "--format", "csv").stdout,
    ):
        assert "␍" not in text and "\r" not in text
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][-1].endswith(": check") and rows[0][-2].endswith(": attempts")
        assert all(row[-2].isdigit() and row[-1] == "" for row in rows[1:])  # numbers stay numbers


def _broken_copy(peilian_home, title: str = "生日礼物(参考答案坏了)") -> None:
    """late-birthday-gift as a team scenario whose own model answers are vague: even they can't pass it."""
    text = (BUNDLED / "late-birthday-gift.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id: late-birthday-gift$", "id: broken-gift", text)
    text = re.sub(r"(?m)^title: .*$", f"title: {title}", text)
    text = re.sub(r"(?m)^(\s*model_answer:) .*$", r"\1 我们会尽快处理。", text)
    (peilian_home / "scenarios").mkdir(parents=True, exist_ok=True)
    (peilian_home / "scenarios" / "broken-gift.yaml").write_text(text, encoding="utf-8")


def test_a_scenario_whose_own_model_answers_fail_is_flagged_in_every_format(peilian_home):
    _cli_team(peilian_home)  # late-birthday-gift, whose model answers pass
    _broken_copy(peilian_home)
    r = run_peilian("run", "broken-gift", "--trainee", "李四", "-q", input="我们会尽快处理\n亲,再等等。\n")
    assert r.returncode == 0, r.stderr
    doc = json.loads(run_peilian("report", "--team", "--format", "json").stdout)
    by = {s["scenario"]: s for s in doc["scenarios"]}
    broken, fine = by["broken-gift"], by["late-birthday-gift"]
    assert broken["flagged"] and [f["reason"] for f in broken["flags"]] == ["model-answers"]
    assert broken["flags"][0]["problems"][0].startswith("seed 0: ")
    assert not fine["flagged"] and fine["flags"] == []
    md = run_peilian("report", "--team").stdout
    assert re.search(r"(?m)^- ⚠ broken-gift: its model answers don't pass: seed 0: ", md)
    assert "late-birthday-gift: " not in md.split("Check these scenarios before the trainees:")[1]
    zh = run_peilian("report", "--team", "--format", "html", "--lang", "zh").stdout
    assert "先检查这些情境,再看学员" in zh and "它自己的参考答案也通不过:seed 0: " in zh
    rows = list(csv.DictReader(io.StringIO(run_peilian("report", "--team", "--format", "csv").stdout)))
    assert all(r["broken-gift: check"].startswith("its model answers don't pass: seed 0: ") for r in rows)
    assert all(r["late-birthday-gift: check"] == "" for r in rows)

    # played once per scenario version: the next report reads what was found (here, planted in the cache) ...
    cache = peilian_home / "cache" / "model-answers.json"
    found = json.loads(cache.read_text(encoding="utf-8"))
    assert len(found) == 2 and sorted(map(bool, found.values())) == [False, True]
    planted = {k: (["seed 9: planted"] if not v else v) for k, v in found.items()}
    cache.write_text(json.dumps(planted), encoding="utf-8")
    md = run_peilian("report", "--team").stdout
    assert "- ⚠ late-birthday-gift: its model answers don't pass: seed 9: planted" in md
    # ... until the scenario changes: a new version is played again
    _broken_copy(peilian_home, title="生日礼物(新版)")
    run_peilian("report", "--team")
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 3
