"""The progress store as users meet it: crashes, a training room of concurrent writers, old databases, bad files.

Tests taking `backend` run twice: on the default SQLite file and on a real PostgreSQL database (PEILIAN_DB set to
its URL, as `--db` / config.yaml's `db:` would), with the same assertions."""

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from scenarios import BUNDLED
from simulator import Session, load_scenario
from simulator.runner import play
from store import ScenarioInfo, Store, StoreError, StoreRecorder, open_store, team_report, trainee_report
from store.db import migrations

from .conftest import ROOT, run_peilian

# Three replies for return-postage-refund (seed 3): the first two keep the session going, the third ends it.
# vague replies in the customer's language (Ms Carter writes English): three turns, then she boils over
REPLIES = [
    "Sorry about this, Ms Carter. Let me check on your refund.",
    "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
    "Please be patient, we will look into it.",
]


def db_path(home: Path) -> Path:
    return home / "peilian.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, peilian_home, monkeypatch):
    """The store every command and `open_store()` in this test uses: the SQLite file, or a new PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv("PEILIAN_DB", request.getfixturevalue("pg_url"))
    return request.param


def rows(home: Path, sql: str, params=()):
    """Rows as tuples, read straight from the database the test's commands wrote (not through the store)."""
    url = os.environ.get("PEILIAN_DB")
    if url:
        import psycopg

        from store.pg import pg_sql

        with psycopg.connect(url) as conn:
            return [tuple(r) for r in conn.execute(pg_sql(sql), params).fetchall()]
    conn = sqlite3.connect(db_path(home))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def has_table(home: Path, name: str) -> bool:
    if os.environ.get("PEILIAN_DB"):
        return bool(rows(home, "select 1 from information_schema.tables where table_name = ?", (name,)))
    return db_path(home).exists() and bool(rows(home, "select 1 from sqlite_master where name = ?", (name,)))


def test_run_keeps_every_turn_with_pinned_versions(peilian_home, backend):
    r = run_peilian(
        "run",
        "return-postage-refund",
        "--trainee",
        "王小明",
        "--seed",
        "3",
        "-q",
        input="\n".join(REPLIES) + "\n",
    )
    assert r.returncode == 0, r.stderr
    (s,) = rows(
        peilian_home,
        "select scenario_id, scenario_version, scenario_hash, scorer_version, outcome, turns, seed from sessions",
    )
    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    assert s[:3] == ("return-postage-refund", sc.version, sc.content_hash())
    from scoring import default_scorer

    assert s[3] == default_scorer().version and s[4] == "escalated" and s[5] == 3 and s[6] == 3
    turns = rows(
        peilian_home,
        "select number, reply, certainty, customer_line, customer_reply, answer_seconds from turns order by number",
    )
    assert [t[1] for t in turns] == REPLIES
    assert all(t[3] and t[4] for t in turns) and all(t[5] is not None for t in turns)
    # the vague reply's finding is on the words that left it open, not on the whole reply
    assert (
        rows(
            peilian_home,
            "select count(*) from findings where rule = 'certainty.no-commitment' and text = 'look into it'",
        )[0][0]
        >= 1
    )
    # every session, turn and finding has its own global id
    uids = [
        r[0] for t in ("sessions", "turns", "findings") for r in rows(peilian_home, f"select uid from {t}")
    ]
    assert len(set(uids)) == len(uids) == 1 + 3 + rows(peilian_home, "select count(*) from findings")[0][0]
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u) for u in uids
    )
    if backend == "sqlite":
        assert rows(peilian_home, "select journal_mode from pragma_journal_mode")[0][0] == "wal"
    else:
        assert not db_path(peilian_home).exists()  # nothing went to the local file


def test_no_save_keeps_nothing(peilian_home, backend):
    r = run_peilian(
        "run", "return-postage-refund", "--trainee", "a", "--no-save", "-q", input=REPLIES[0] + "\n"
    )
    assert r.returncode == 0, r.stderr
    assert not has_table(peilian_home, "turns") or rows(peilian_home, "select count(*) from turns")[0][0] == 0


def _wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sigkill_mid_session_keeps_scored_turns_and_resumes_exactly(peilian_home, backend):
    env = dict(os.environ)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peilian",
            "run",
            "return-postage-refund",
            "--trainee",
            "小林",
            "--seed",
            "3",
            "--replies",
            "-",
            "-q",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )

    def turns_stored():
        try:
            return (
                rows(peilian_home, "select count(*) from turns")[0][0]
                if has_table(peilian_home, "turns")
                else 0
            )
        except sqlite3.Error:
            return 0

    for i, reply in enumerate(REPLIES[:2], 1):
        proc.stdin.write(reply + "\n")
        proc.stdin.flush()
        assert _wait_for(lambda i=i: turns_stored() >= i), (
            "the scored turn was not committed while the session ran"
        )
    proc.send_signal(signal.SIGKILL)  # the pipe stays open: the process is mid-session, waiting for reply 3
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    (sid, outcome, n) = rows(peilian_home, "select id, outcome, turns from sessions")[0]
    assert outcome is None and n == 2
    assert [r[0] for r in rows(peilian_home, "select reply from turns order by number")] == REPLIES[:2]

    report = run_peilian("report", "--trainee", "小林")
    assert report.returncode == 0 and "--resume" in report.stdout

    resumed = run_peilian(
        "run", "return-postage-refund", "--trainee", "小林", "--resume", "--json", input=REPLIES[2] + "\n"
    )
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(resumed.stdout)
    assert doc["session_id"] == sid and doc["seed"] == 3
    # The same as a session that was never interrupted.
    straight = run_peilian(
        "run", "return-postage-refund", "--seed", "3", "--no-save", "--json", input="\n".join(REPLIES) + "\n"
    )
    ref = json.loads(straight.stdout)
    assert [t["mood"] for t in doc["turns"]] == [t["mood"] for t in ref["turns"]]
    assert doc["outcome"] == ref["outcome"] == "escalated"
    assert rows(peilian_home, "select outcome, turns from sessions where id = ?", (sid,)) == [
        ("escalated", 3)
    ]
    assert rows(peilian_home, "select count(*) from sessions")[0][0] == 1


def test_a_new_run_closes_the_killed_session_as_abandoned(peilian_home, backend):
    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    rec = StoreRecorder()
    play(Session(sc, seed=3), REPLIES[:1], recorder=rec, trainee="a")  # unfinished: as if killed
    r = run_peilian("run", "return-postage-refund", "--trainee", "a", "-q", input=REPLIES[0] + "\n")
    assert r.returncode == 0 and "closed as abandoned" in r.stdout
    assert rows(peilian_home, "select outcome, closed_reason from sessions order by id") == [
        ("abandoned", "not resumed"),
        (None, None),
    ]
    again = run_peilian("run", "late-birthday-gift", "--trainee", "a", "--resume", input="x\n")
    assert (
        again.returncode == 2 and "no unfinished session" in again.stderr and "Traceback" not in again.stderr
    )


def test_twenty_concurrent_writers_lose_nothing(peilian_home, backend):
    open_store().close()  # the file exists before the rush (as on a training-room server)
    writers, sessions = 20, 3
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "helpers" / "writer.py"),
                f"trainee-{i:02d}",
                str(sessions),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for i in range(writers)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and out.strip() == "ok", err
    # Every session of every writer, every turn of every session (each plays the same 4 replies).
    assert rows(peilian_home, "select count(distinct name) from trainees")[0][0] == writers
    assert rows(peilian_home, "select count(*) from sessions")[0][0] == writers * sessions
    per_session = rows(
        peilian_home, "select turns, (select count(*) from turns t where t.session_id = s.id) from sessions s"
    )
    assert all(a == b and a >= 3 for a, b in per_session)
    assert rows(peilian_home, "select count(*) from sessions where outcome is null")[0][0] == 0
    assert (
        rows(peilian_home, "select count(*) from turns")[0][0]
        == rows(peilian_home, "select count(distinct uid) from turns")[0][0]
    )  # no turn written twice
    if backend == "sqlite":
        assert rows(peilian_home, "pragma integrity_check")[0][0] == "ok"


def test_migration_upgrades_a_database_made_by_the_first_schema(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m002_report_indexes")  # what the first release created
    db["trainees"].insert({"id": 1, "name": "老员工", "created_at": "2026-01-05T09:00:00+00:00"})
    db["sessions"].insert(
        {
            "id": 1,
            "trainee_id": 1,
            "scenario_id": "late-birthday-gift",
            "scenario_version": 1,
            "scenario_hash": "abc",
            "scorer_version": "placeholder-0",
            "seed": 1,
            "started_at": "2026-01-05T09:00:00+00:00",
            "finished_at": "2026-01-05T09:05:00+00:00",
            "outcome": "resolved",
            "turns": 1,
            "mood": 80,
            "certainty": 90.0,
            "simplicity": 80.0,
            "warmth": 85.0,
            "overall": 85.0,
            "hints_used": 0,
            "ended_on_beat": "opening",
        }
    )
    db["turns"].insert(
        {
            "session_id": 1,
            "number": 1,
            "beat": "opening",
            "customer_line": "?",
            "reply": "好的",
            "certainty": 90,
            "simplicity": 80,
            "warmth": 85,
            "overall": 85,
        }
    )
    db.conn.close()

    store = open_store(path)
    assert store.schema_version() == [
        "m001_initial",
        "m002_report_indexes",
        "m003_report_covering_indexes",
        "m004_customer_source",
        "m005_pending",
        "m006_accounts",
        "m007_global_ids",
        "m008_findings_by_session",
        "m009_web_sessions",
    ]
    assert "turn_scores" in store.db.view_names()
    old = store.query("select customer_line, customer_said, customer_source from turns")[0]
    assert old == {
        "customer_line": "?",
        "customer_said": None,
        "customer_source": None,
    }  # old rows: unknown path
    assert store.query("select draft, hints_pending from sessions")[0] == {"draft": None, "hints_pending": 0}
    rep = trainee_report(store, "老员工")
    assert rep.sessions == 1 and rep.levels["certainty"] == 90.0
    # Old attempts keep the scorer they were scored with: nothing is recomputed.
    assert store.query("select scorer_version from sessions")[0]["scorer_version"] == "placeholder-0"
    # old rows got global ids, so they can be exported and imported like new ones
    (uid,) = [r["uid"] for r in store.query("select uid from sessions")]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uid)
    assert store.query("select count(*) as n from turns where uid is null")[0]["n"] == 0
    store.close()
    again = open_store(path)
    assert again.schema_version()[-1] == "m009_web_sessions"  # idempotent
    assert again.query("select uid from sessions")[0]["uid"] == uid  # and the ids stay what they were


def test_html_report_escapes_trainee_text(peilian_home, tmp_path):
    evil_reply = "<script>alert('x')</script> 我们会尽快处理"
    evil_name = "<img src=x onerror=alert(1)>"
    r = run_peilian("run", "late-birthday-gift", "--trainee", evil_name, "-q", input=evil_reply + "\n")
    assert r.returncode == 0, r.stderr
    for args in (["--trainee", evil_name], ["--team"]):
        out = tmp_path / "r.html"
        rep = run_peilian("report", *args, "--out", str(out))
        assert rep.returncode == 0, rep.stderr
        page = out.read_text(encoding="utf-8")
        assert "<script" not in page and "<img" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "http://" not in page and "https://" not in page  # self-contained, readable offline
    page = run_peilian("report", "--trainee", evil_name, "--format", "html").stdout
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "<svg" in page


def test_reports_on_an_empty_database_are_friendly(peilian_home):
    none_yet = run_peilian("report", "--team")
    assert none_yet.returncode == 0 and "No sessions yet" in none_yet.stdout
    assert not db_path(peilian_home).exists()  # a report never creates the database
    open_store().close()
    empty = run_peilian("report", "--team", "--format", "html")
    assert empty.returncode == 0 and "No sessions yet" in empty.stdout
    who = run_peilian("report", "--trainee", "nobody")
    assert who.returncode == 2 and "No sessions for trainee 'nobody'" in who.stderr
    assert who.stderr.count("\n") == 1 and "Traceback" not in who.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corrupt_database_is_reported_and_never_overwritten(peilian_home):
    peilian_home.mkdir(parents=True, exist_ok=True)
    path = db_path(peilian_home)
    path.write_bytes(b"this is not sqlite, it was a spreadsheet once\n" * 200)
    before = _digest(path)
    for args in (["report", "--team"], ["run", "late-birthday-gift", "--trainee", "a", "-q"]):
        r = run_peilian(*args, input="我们会尽快处理\n")
        assert r.returncode == 2, r.stdout + r.stderr
        assert "is damaged" in r.stderr and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert _digest(path) == before
    assert not Path(str(path) + "-wal").exists()


def test_read_only_database_reads_but_is_never_written(peilian_home):
    r = run_peilian("run", "late-birthday-gift", "--trainee", "a", "-q", input="我们会尽快处理\n")
    assert r.returncode == 0
    path = db_path(peilian_home)
    conn = sqlite3.connect(path)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    path.chmod(0o444)
    try:
        before = _digest(path)
        rep = run_peilian("report", "--trainee", "a")
        assert rep.returncode == 0 and "# Progress: a" in rep.stdout, rep.stderr
        run = run_peilian("run", "late-birthday-gift", "--trainee", "a", "-q", input="我们会尽快处理\n")
        assert run.returncode == 2 and "read-only" in run.stderr and "--no-save" in run.stderr
        ok = run_peilian(
            "run", "late-birthday-gift", "--trainee", "a", "-q", "--no-save", input="我们会尽快处理\n"
        )
        assert ok.returncode == 0
        assert _digest(path) == before
    finally:
        path.chmod(0o644)


def test_full_disk_is_one_sentence_and_earlier_turns_survive(peilian_home):
    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    store = open_store()
    rec = StoreRecorder(store)
    session = Session(sc, seed=3)
    play(session, REPLIES[:1], recorder=rec, trainee="a")
    pages = store.conn.execute("pragma page_count").fetchone()[0]
    store.conn.execute(f"pragma max_page_count = {pages}")  # the disk is full from now on
    with pytest.raises(StoreError, match="is full") as e:
        play(session, ["一段很长的回复，" * 800], recorder=rec, skip_opening=True)
    assert "\n" not in str(e.value)
    store.close()
    assert rows(peilian_home, "select count(*) from turns")[0][0] == 1


@pytest.mark.parametrize("name", ["a\tb", "bad\x1b[31mname", "x" * 41, "   "])
def test_bad_trainee_names_are_refused(name):
    r = run_peilian("run", "late-birthday-gift", "--trainee", name, input="好的\n")
    assert r.returncode == 2 and "trainee name" in r.stderr and "Traceback" not in r.stderr


def test_trainee_role_sees_only_their_own_history(peilian_home):
    for who in ("a", "b"):
        run_peilian("run", "late-birthday-gift", "--trainee", who, "-q", input="我们会尽快处理\n")
    peilian_home.joinpath("config.yaml").write_text("role: trainee\ntrainee: a\n", encoding="utf-8")
    assert run_peilian("report").stdout.startswith("# Progress: a")
    team = run_peilian("report", "--team")
    assert team.returncode == 2 and "team leads" in team.stderr
    other = run_peilian("report", "--trainee", "b")
    assert other.returncode == 2 and "only your own" in other.stderr


def test_report_formats(peilian_home, tmp_path, backend):
    for who, reply in (
        ("a", "我们会尽快处理"),
        ("b", "非常抱歉让您着急了，我现在就给仓库打电话，今天下午5点前告诉您结果。"),
    ):
        run_peilian("run", "late-birthday-gift", "--trainee", who, "-q", input=reply + "\n")
    csv_out = run_peilian("report", "--team", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("trainee,sessions,resolved,certainty,simplicity,warmth")
    assert len(csv_out) == 3
    doc = json.loads(run_peilian("report", "--team", "--format", "json").stdout)
    assert {t["trainee"] for t in doc["trainees"]} == {"a", "b"}
    assert doc["scenarios"][0]["scenario"] == "late-birthday-gift"
    out = tmp_path / "a.json"
    assert run_peilian("report", "--trainee", "a", "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["trainee"] == "a"
    md = run_peilian("report", "--trainee", "a").stdout
    assert "尽快" in md and "## Habits that cost most points" in md and "> 我们会尽快处理" in md
    assert "\n\n  > 我们会尽快处理\n\n  Try: " in md  # each quote and the Try line a paragraph of their own
    zh = run_peilian("report", "--trainee", "a", "--lang", "zh").stdout
    assert "unfinished" not in zh
    assert "# 进度:a" in zh and "## 扣分最多的习惯" in zh and "> 我们会尽快处理" in zh and "Habits" not in zh
    assert "\n\n  试试: " in zh and not re.search(r"-\d+\.\d+ (分|points)", md + zh)  # whole points lost
    assert "标准:通过 8 个情境,其中包括所有 safety 情境,综合分 ≥ 75)" in zh and "passed 8" not in zh
    team_zh = run_peilian("report", "--team", "--lang", "zh").stdout
    assert "## 排行榜" in team_zh and "| 学员 |" in team_zh and "上岗标准:通过 8 个情境" in team_zh
    assert (
        doc["gate"] == "passed 8 scenarios, incl. every safety scenario at ≥ 75 overall"
    )  # JSON keeps its keys
    assert doc["gate_rule"] == {"scenarios": 8, "min_overall": 75, "required_tags": ["safety"]}
    since = run_peilian("report", "--team", "--since", "2999-01-01").stdout
    assert "No sessions yet" in since
    bad = run_peilian("report", "--team", "--since", "last week")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_progress_model(peilian_home, backend):
    """Levels weigh recent sessions more; best/latest per scenario; readiness gate; weakest habit with quotes."""
    from store.progress import ReadinessGate, ScenarioInfo, level

    assert level([0, 100]) > 50 and level([100, 0]) < 50 and level([]) is None
    sc = load_scenario(BUNDLED / "late-birthday-gift.yaml")
    rec = StoreRecorder()
    good = sc.tests[0].replies
    play(Session(sc, seed=1), ["我们会尽快处理"], recorder=rec, trainee="c")
    play(Session(sc, seed=1), good, recorder=rec, trainee="c")
    info = [ScenarioInfo.of(sc)]
    gate = ReadinessGate(scenarios=1, min_overall=50, required_tags=())
    rep = trainee_report(rec.store, "c", scenarios=info, gate=gate)
    assert rep.scenarios[0].attempts == 2 and rep.scenarios[0].best_outcome == "resolved"
    assert rep.readiness and rep.readiness.ready and rep.resolved_in_a_row == 1 and rep.streak_days == 1
    hedges = [h for h in rep.habits if h.rule == "certainty.no-commitment"]  # on the hedge that left it open
    assert hedges and hedges[0].words[0].text == "尽快" and "尽快" in hedges[0].quotes[0]
    team = team_report(rec.store, scenarios=info, gate=gate)
    assert team.trainees[0].ready and team.scenarios[0].attempts == 2


def test_readiness_gate_in_both_languages():
    from store.progress import ReadinessGate

    assert ReadinessGate().describe() == "passed 8 scenarios, incl. every safety scenario at ≥ 75 overall"
    assert ReadinessGate().describe("zh") == "通过 8 个情境,其中包括所有 safety 情境,综合分 ≥ 75"
    assert ReadinessGate(3, 80.5, ()).describe("zh") == "通过 3 个情境,综合分 ≥ 80.5"
    assert ReadinessGate(3, 80, ("safety", "vip")).describe() == (
        "passed 3 scenarios, incl. every safety/vip scenario at ≥ 80 overall"
    )


def test_bests_count_finished_sessions_only(peilian_home, backend):
    """A session left after one good reply is no best score yet: it would fall once the session is finished."""
    from store import scenario_bests

    sc = load_scenario(BUNDLED / "late-birthday-gift.yaml")
    good = sc.tests[0].replies
    rec = StoreRecorder()
    left = Session(sc, seed=1)
    rec.session_started(left, "d", "scripted")
    rec.turn_scored(left, left.submit(good[0]))
    assert left.outcome is None and left.overall > 0
    assert scenario_bests(rec.store, "d") == {}
    rep = trainee_report(rec.store, "d", scenarios=[ScenarioInfo.of(sc)])
    assert rep.scenarios[0].best is None and rep.scenarios[0].attempts == 1

    play(
        Session(sc, seed=1), ["我们会尽快处理", "亲,再等等。"], recorder=StoreRecorder(), trainee="d"
    )  # finished, escalated
    finished = rec.store.query("select overall from sessions where outcome is not null")[0]["overall"]
    assert finished < left.overall  # the half-played session scored higher...
    bests = scenario_bests(rec.store, "d")
    assert bests[sc.id] == {"best": finished, "passed": False, "attempts": 1}  # ...and still isn't the best
    rep = trainee_report(rec.store, "d", scenarios=[ScenarioInfo.of(sc)])
    assert rep.scenarios[0].best == round(finished, 1) and rep.scenarios[0].attempts == 2


def test_datasette_browses_the_database(peilian_home):
    run_peilian("run", "late-birthday-gift", "--trainee", "a", "-q", input="我们会尽快处理\n")
    path = db_path(peilian_home)
    datasette = Path(sys.executable).with_name("datasette")
    r = subprocess.run(
        [str(datasette), "serve", str(path), "--get", "/peilian/turn_scores.json?_shape=array"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data[0]["trainee"] == "a" and data[0]["reply"] == "我们会尽快处理"


def test_hints_cost_the_stored_session_points_and_still_do_after_a_resume(peilian_home, backend):
    from simulator.engine import HINT_COST

    sc = load_scenario(BUNDLED / "late-birthday-gift.yaml")
    replies = sc.tests[0].replies
    rec = StoreRecorder()
    session = Session(sc, seed=1)
    rec.session_started(session, "hinted", "scripted")
    session.hint()
    turn = session.submit(replies[0])
    rec.turn_scored(session, turn)
    stored_overall = rec.store.query("select overall, hints_used from sessions")[0]
    mean = turn.result.overall
    assert stored_overall == {"overall": max(0.0, mean - HINT_COST), "hints_used": 1}
    again = Session(sc, seed=1)  # the process died; the trainee resumes
    rec2 = StoreRecorder()
    rec2.replay(again, rec2.unfinished("hinted", sc.id))
    assert again.hints_used == 1 and again.overall == session.overall


def test_the_sqlite_store_sends_no_sql_older_sqlites_lack(tmp_path):
    """RETURNING needs SQLite 3.35 and some Pythons still link 3.34 (RHEL 9): practice, accounts, reports and
    import/export send none of it to the file (PostgreSQL gets `returning id` instead)."""
    from store.accounts import add_account, redeem_invite
    from store.transfer import export_sessions, import_sessions

    store = open_store(tmp_path / "a.db")
    sent: list[str] = []
    store.conn.set_trace_callback(sent.append)
    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    play(Session(sc, seed=3), REPLIES, recorder=StoreRecorder(store), trainee="a")
    redeem_invite(store, add_account(store, "lead", "lead"), "a-long-password")
    team_report(store)
    export_sessions(store, tmp_path / "a.jsonl")
    other = open_store(tmp_path / "b.db")
    other.conn.set_trace_callback(sent.append)
    assert import_sessions(other, tmp_path / "a.jsonl").new == 1
    assert len(sent) > 20 and not [q for q in sent if "returning" in q.lower()]


class _Voice:
    """A customer model that words every other line its own way (as an LLM would) and falls back on the others
    with a status, so the stored rows show what was said and by which path, besides the scripted line."""

    name = "fake-llm"

    def __init__(self) -> None:
        from simulator.customer import Capabilities

        self.capabilities = Capabilities(streams=True)
        self.last = None
        self.n = 0

    @property
    def voice(self) -> str:
        return self.name

    def warm(self) -> None:
        pass

    def prepare(self, decision, ctx) -> None:
        pass

    def stream(self, decision, ctx):
        from simulator.customer import Utterance

        self.n += 1
        if self.n % 2:
            self.last = Utterance(f"«{decision.line}»", "llm")
        else:
            self.last = Utterance(
                decision.line,
                "fallback:guard",
                "The model's line failed a check.",
                meta={"rejected": ["echo"]},
            )
        yield self.last.text


# What the recorder stored for the sessions below (pinned before the engine kept one record per customer line; the
# moods and beats follow the scorer, so a refit regenerates them: the shape of the rows may not change).
PINNED = (
    [
        (
            1,
            "opening",
            "«第五天了还没发货!说好的48小时呢?我儿子后天过生日,礼物到不了你们负责吗?»",
            "孩子后天过生日礼物还没发,换谁都着急,真的对不起。我现在就联系商家今天18点前改发顺丰,后天中午12点前送到;单号一出来我就短信发给您。",
            25,
            56,
            '["contact-seller", "give-deadline"]',
            "[]",
            "what-if-late",
            1,
            "«第五天了还没发货!说好的48小时呢?我儿子后天过生日,礼物到不了你们负责吗?»",
            "llm",
            "那要是商家今天又不发呢?你们怎么保证?",
            "fallback:guard",
            "The model's line failed a check.",
        ),
        (
            2,
            "what-if-late",
            "那要是商家今天又不发呢?你们怎么保证?",
            "我会一直盯着这单。18点前没发出,我马上给您申请20元延迟发货赔付,并打电话告诉您下一步。",
            56,
            79,
            '["offer-fallback"]',
            "[]",
            "end:resolved",
            0,
            "那要是商家今天又不发呢?你们怎么保证?",
            "fallback:guard",
            "«行,18点前我等单号。谢谢啊。»",
            "llm",
            None,
        ),
        (
            1,
            "opening",
            "«你们到底什么时候发货?!我儿子后天生日,说好48小时发货,现在都第五天了,连个快递单号都没有!»",
            "我们会尽快处理",
            25,
            10,
            "[]",
            "[]",
            "demand-time",
            1,
            "«你们到底什么时候发货?!我儿子后天生日,说好48小时发货,现在都第五天了,连个快递单号都没有!»",
            "llm",
            '又是"尽快"?尽快是多快?你就告诉我今天能不能发!',
            "fallback:guard",
            "The model's line failed a check.",
        ),
        (
            2,
            "demand-time",
            '又是"尽快"?尽快是多快?你就告诉我今天能不能发!',
            "亲,再等等。",
            10,
            0,
            "[]",
            "[]",
            "end:escalated",
            0,
            '又是"尽快"?尽快是多快?你就告诉我今天能不能发!',
            "fallback:guard",
            "«算了,跟你说不通。我要投诉,给差评!»",
            "llm",
            None,
        ),
        (
            1,
            "opening",
            "«你们到底什么时候发货?!我儿子后天生日,说好48小时发货,现在都第五天了,连个快递单号都没有!»",
            "真的对不起,麻烦告诉我您的订单号?我马上查。",
            25,
            25,
            "[]",
            "[]",
            "opening",
            1,
            "«你们到底什么时候发货?!我儿子后天生日,说好48小时发货,现在都第五天了,连个快递单号都没有!»",
            "llm",
            "2026111788321,就是那副儿童蓝牙耳机。你赶紧查。",
            "fallback:guard",
            "The model's line failed a check.",
        ),
        (
            2,
            "opening",
            "2026111788321,就是那副儿童蓝牙耳机。你赶紧查。",
            "孩子后天过生日礼物还没发,换谁都着急,真的对不起。我现在就联系商家今天18点前改发顺丰,后天中午12点前送到;单号一出来我就短信发给您。",
            25,
            56,
            '["contact-seller", "give-deadline"]',
            "[]",
            "what-if-late",
            0,
            "2026111788321,就是那副儿童蓝牙耳机。你赶紧查。",
            "fallback:guard",
            "«那要是商家今天又不发呢?你们怎么保证?»",
            "llm",
            None,
        ),
        (
            3,
            "what-if-late",
            "«那要是商家今天又不发呢?你们怎么保证?»",
            "我会一直盯着这单。18点前没发出,我马上给您申请20元延迟发货赔付,并打电话告诉您下一步。",
            56,
            79,
            '["offer-fallback"]',
            "[]",
            "end:resolved",
            0,
            "«那要是商家今天又不发呢?你们怎么保证?»",
            "llm",
            "好的,那就麻烦你了,孩子生日别耽误了。",
            "fallback:guard",
            "The model's line failed a check.",
        ),
        (
            1,
            "opening",
            "«This is the third time I'm writing. Where is my 12 yuan return postage? The seller promised it two weeks "
            "ago.»",
            "Sorry about this, Ms Carter. Let me check on your refund.",
            30,
            18,
            "[]",
            "[]",
            "sarcastic-when",
            1,
            "«This is the third time I'm writing. Where is my 12 yuan return postage? The seller promised it two weeks "
            "ago.»",
            "llm",
            "You're not telling me anything new. What date will I have my 12 yuan?",
            "fallback:guard",
            "The model's line failed a check.",
        ),
        (
            2,
            "sarcastic-when",
            "You're not telling me anything new. What date will I have my 12 yuan?",
            "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
            18,
            16,
            '["state-amount"]',
            "[]",
            "sarcastic-when",
            0,
            "You're not telling me anything new. What date will I have my 12 yuan?",
            "fallback:guard",
            "«Great, another vague answer. Give me a time or don't bother.»",
            "llm",
            None,
        ),
        (
            3,
            "sarcastic-when",
            "«Great, another vague answer. Give me a time or don't bother.»",
            "Please be patient, we will look into it.",
            16,
            0,
            "[]",
            "[]",
            "end:escalated",
            0,
            "«Great, another vague answer. Give me a time or don't bother.»",
            "llm",
            "Unbelievable. I want a supervisor, now.",
            "fallback:guard",
            "The model's line failed a check.",
        ),
    ],
    [
        ("late-birthday-gift", 1, "fake-llm", 7, "resolved", 2, 79, 1, "what-if-late"),
        ("late-birthday-gift", 1, "fake-llm", 2, "escalated", 2, 0, 1, "demand-time"),
        ("late-birthday-gift", 1, "fake-llm", 4, "resolved", 3, 79, 1, "what-if-late"),
        ("return-postage-refund", 1, "fake-llm", 3, "escalated", 3, 0, 1, "sarcastic-when"),
    ],
)


def _stored_rows(store: Store) -> tuple[list, list]:
    turns = store.query(
        """select number, beat, customer_line, reply, mood_before, mood, must_new, forbidden, next_beat, hints_used,
           customer_said, customer_source, customer_reply, customer_reply_source, customer_reply_status
           from turns order by session_id, number"""
    )
    sessions = store.query(
        """select scenario_id, scenario_version, customer, seed, outcome, turns, mood, hints_used, ended_on_beat
           from sessions order by id"""
    )
    return [tuple(t.values()) for t in turns], [tuple(s.values()) for s in sessions]


def test_the_recorder_stores_these_rows_for_a_seeded_session(tmp_path):
    """The rows a recorded session leaves, pinned (scripted engine, fixed seed, a fake voice for what was said):
    the engine's per-turn record may change shape, the stored rows may not. Scores are checked against the
    turns the engine returned rather than pinned, so that a scorer change alone doesn't break this test."""
    store = open_store(tmp_path / "pin.db")
    rec = StoreRecorder(store)
    gift = load_scenario(BUNDLED / "late-birthday-gift.yaml")
    played = []
    refund = load_scenario(BUNDLED / "return-postage-refund.yaml")
    asks = ["真的对不起,麻烦告诉我您的订单号?我马上查。", *gift.tests[0].replies]
    for sc, seed, replies in (
        (gift, 7, gift.tests[0].replies),
        (gift, 2, ["我们会尽快处理", "亲,再等等。", "这个要等商家处理。"]),
        (gift, 4, asks),
        (refund, 3, REPLIES),
    ):
        session = Session(sc, seed=seed)
        session.hint()
        played.append(play(session, replies, customer=_Voice(), recorder=rec, trainee="pin"))
    turns, sessions = _stored_rows(store)
    scores = store.query(
        "select certainty, simplicity, warmth, overall from turns order by session_id, number"
    )
    assert [tuple(s.values()) for s in scores] == [
        (*(t.scores[c] for c in ("certainty", "simplicity", "warmth")), t.result.overall)
        for s in played
        for t in s.turns
    ]
    assert (turns, sessions) == PINNED
    store.close()
