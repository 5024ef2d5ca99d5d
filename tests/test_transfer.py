"""Offline laptops that merge (issue 17.3): `peilian export` on each laptop, `peilian import` into the team's store
(SQLite or PostgreSQL). Global ids make a second import add nothing; pinned versions travel; a session continued on
two machines follows the rule the README states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios import BUNDLED
from simulator import load_scenario
from store import ScenarioInfo, TeamReport, TraineeReport, open_store, team_report, trainee_report

from .conftest import run_peilian
from .test_store import REPLIES

REFUND = load_scenario(BUNDLED / "return-postage-refund.yaml")
GIFT = load_scenario(BUNDLED / "late-birthday-gift.yaml")
INFOS = [ScenarioInfo.of(REFUND), ScenarioInfo.of(GIFT)]


@pytest.fixture(params=["sqlite", "postgresql"])
def team_db(request, tmp_path) -> str:
    """The team's store the laptops merge into."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "team.db")


def cli(*args, stdin=None):
    r = run_peilian(*args, input=stdin)
    assert r.returncode == 0, r.stderr
    return r


def practise(
    db: Path, trainee: str, replies: list[str], scenario: str = "return-postage-refund", *more
) -> None:
    cli(
        "run",
        scenario,
        "--trainee",
        trainee,
        "--seed",
        "3",
        "-q",
        "--db",
        str(db),
        *more,
        stdin="\n".join(replies) + "\n",
    )


def sessions(db) -> list[dict]:
    """Each session as its trainee played it: who, what, which versions, the replies in order, how it ended."""
    store = open_store(db)
    try:
        out = []
        for (
            s
        ) in store.query("""select s.id, s.uid, p.name, s.scenario_id, s.scenario_version, s.scenario_hash,
                                s.scorer_version, s.seed, s.outcome, s.turns, s.overall from sessions s
                                join trainees p on p.id = s.trainee_id order by s.started_at, s.uid"""):
            s["replies"] = [
                r["reply"]
                for r in store.query(
                    "select reply from turns where session_id = ? order by number", (s["id"],)
                )
            ]
            s["findings"] = store.query(
                "select count(*) as n from findings where session_id = ?", (s["id"],)
            )[0]["n"]
            del s["id"]
            out.append(s)
        return out
    finally:
        store.close()


def without_ids(report: TeamReport | TraineeReport) -> dict:
    """A report's JSON with the local row ids taken out (they differ between databases; nothing else may)."""
    text = json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True)
    doc = json.loads(text)
    for t in doc.get("trend", []):
        t.pop("session")
    for u in doc.get("unfinished", []):
        u.pop("session")
    doc.pop("generated", None)
    return doc


def test_a_laptops_sessions_arrive_whole_and_a_second_import_adds_nothing(tmp_path, team_db):
    laptop = tmp_path / "laptop.db"
    practise(laptop, "王小明", REPLIES)  # finished (escalated), 3 turns
    practise(laptop, "王小明", GIFT.tests[0].replies, "late-birthday-gift")  # resolved
    practise(laptop, "李四", REPLIES[:1])  # left unfinished: resumable on any machine after the import
    out = tmp_path / "laptop.jsonl"
    exported = cli("export", "--out", str(out), "--db", str(laptop))
    assert "Exported 3 session(s)" in exported.stderr
    first = cli("import", str(out), "--db", team_db)
    assert "3 session(s) of 2 trainee(s) — 3 new, 0 brought up to date, 0 already here" in first.stdout
    assert sessions(team_db) == sessions(laptop)  # ids, pinned versions, replies, findings, endings
    assert sessions(team_db)[0]["findings"] > 0
    again = cli("import", str(out), "--db", team_db)
    assert "0 new, 0 brought up to date, 3 already here; 0 turn(s) and 0 finding(s) added" in again.stdout
    assert sessions(team_db) == sessions(laptop)
    # The reports read the same where the sessions were played and where they were merged.
    for name in ("王小明", "李四"):
        assert without_ids(trainee_report(open_store(team_db), name, scenarios=INFOS)) == without_ids(
            trainee_report(open_store(laptop), name, scenarios=INFOS)
        )
    assert without_ids(team_report(open_store(team_db), scenarios=INFOS)) == without_ids(
        team_report(open_store(laptop), scenarios=INFOS)
    )
    # The unfinished session resumes on the team's store, where the laptop left it.
    resumed = run_peilian(
        "run",
        "return-postage-refund",
        "--trainee",
        "李四",
        "--resume",
        "--json",
        "--db",
        team_db,
        input="\n".join(REPLIES[1:]) + "\n",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [t["reply"] for t in json.loads(resumed.stdout)["turns"]] == REPLIES


def test_two_laptops_merge_into_one_team_and_one_trainee_can_be_exported(tmp_path, team_db):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    practise(a, "王小明", REPLIES)
    practise(b, "王小明", GIFT.tests[0].replies, "late-birthday-gift")  # the same trainee on another laptop
    practise(b, "李四", REPLIES)
    cli("export", "--out", str(tmp_path / "a.jsonl"), "--db", str(a))
    only = cli("export", "--out", str(tmp_path / "b.jsonl"), "--trainee", "李四", "--db", str(b))
    assert "Exported 1 session(s) of 李四" in only.stderr
    cli("import", str(tmp_path / "a.jsonl"), "--db", team_db)
    cli("import", str(tmp_path / "b.jsonl"), "--db", team_db)
    cli("export", "--out", str(tmp_path / "b-all.jsonl"), "--db", str(b))
    cli("import", str(tmp_path / "b-all.jsonl"), "--db", team_db)  # 李四's session again, and 王小明's
    team = team_report(open_store(team_db), scenarios=INFOS)
    assert {t.trainee: t.sessions for t in team.trainees} == {"王小明": 2, "李四": 1}
    assert len(sessions(team_db)) == 3


def test_a_session_continued_on_another_machine_is_brought_up_to_date(tmp_path, team_db):
    """Left unfinished on the laptop, finished in the training room (after importing it there): importing the
    room's copy back completes the laptop's session; no second session appears."""
    laptop, room = tmp_path / "laptop.db", tmp_path / "room.db"
    practise(laptop, "小林", REPLIES[:1])
    cli("export", "--out", str(tmp_path / "1.jsonl"), "--db", str(laptop))
    cli("import", str(tmp_path / "1.jsonl"), "--db", str(room))
    practise(room, "小林", REPLIES[1:], "return-postage-refund", "--resume")
    cli("export", "--out", str(tmp_path / "2.jsonl"), "--db", str(room))
    back = cli("import", str(tmp_path / "2.jsonl"), "--db", str(laptop))
    assert "0 new, 1 brought up to date" in back.stdout and "2 turn(s)" in back.stdout
    (s,) = sessions(laptop)
    assert s["replies"] == REPLIES and s["outcome"] == "escalated" and s["turns"] == 3
    assert sessions(laptop) == sessions(room)
    # and the team's store, importing the old copy after the new one, keeps the finished session
    cli("import", str(tmp_path / "2.jsonl"), "--db", team_db)
    stale = cli("import", str(tmp_path / "1.jsonl"), "--db", team_db)
    assert "1 already here" in stale.stdout
    assert sessions(team_db) == sessions(room)


def test_the_same_session_continued_on_two_machines_keeps_both(tmp_path, team_db):
    """The rule: the store keeps its own copy; the other machine's is added as a session of its own, with its whole
    history. Importing either file again adds nothing, and nothing either machine played is lost."""
    laptop, room = tmp_path / "laptop.db", tmp_path / "room.db"
    practise(laptop, "小林", REPLIES[:1])
    cli("export", "--out", str(tmp_path / "start.jsonl"), "--db", str(laptop))
    cli("import", str(tmp_path / "start.jsonl"), "--db", str(room))
    other = "I'm sorry, Ms Carter. I'll refund the 12 yuan postage today and text you when it's done."
    practise(laptop, "小林", REPLIES[1:], "return-postage-refund", "--resume")  # the laptop goes one way...
    practise(room, "小林", [other], "return-postage-refund", "--resume")  # ...the room another
    cli("export", "--out", str(tmp_path / "laptop.jsonl"), "--db", str(laptop))
    cli("export", "--out", str(tmp_path / "room.jsonl"), "--db", str(room))
    cli("import", str(tmp_path / "laptop.jsonl"), "--db", team_db)
    merged = cli("import", str(tmp_path / "room.jsonl"), "--db", team_db)
    assert (
        "0 new, 0 brought up to date, 1 continued on two machines, kept as separate sessions" in merged.stdout
    )
    got = sessions(team_db)
    (kept,) = [s for s in got if s["uid"] == sessions(laptop)[0]["uid"]]
    (fork,) = [s for s in got if s["uid"] != kept["uid"]]
    assert kept["replies"] == REPLIES and kept["outcome"] == "escalated"  # the store's own copy
    assert fork["replies"] == [REPLIES[0], other] and fork["seed"] == kept["seed"]  # the room's, whole
    assert fork["scenario_hash"] == kept["scenario_hash"] and fork["scorer_version"] == kept["scorer_version"]
    for f in ("laptop.jsonl", "room.jsonl", "start.jsonl"):
        again = cli("import", str(tmp_path / f), "--db", team_db)
        assert "0 new" in again.stdout and "0 turn(s) and 0 finding(s) added" in again.stdout, again.stdout
    assert sessions(team_db) == got
    # Imported the other way round, the room's copy is the one kept and the laptop's the copy: the same plays.
    other_way = tmp_path / "other-way.db"
    cli("import", str(tmp_path / "room.jsonl"), "--db", str(other_way))
    cli("import", str(tmp_path / "laptop.jsonl"), "--db", str(other_way))
    assert sorted(s["replies"] for s in sessions(other_way)) == sorted(s["replies"] for s in got)


def test_a_trainee_install_exports_only_its_own_sessions(tmp_path, peilian_home):
    laptop = tmp_path / "laptop.db"
    practise(laptop, "a", REPLIES[:1])
    practise(laptop, "b", REPLIES[:1])
    peilian_home.mkdir(parents=True, exist_ok=True)
    (peilian_home / "config.yaml").write_text("role: trainee\ntrainee: a\n", encoding="utf-8")
    mine = cli("export", "--out", str(tmp_path / "a.jsonl"), "--db", str(laptop))
    assert "Exported 1 session(s) of a" in mine.stderr
    theirs = run_peilian("export", "--out", str(tmp_path / "b.jsonl"), "--trainee", "b", "--db", str(laptop))
    assert theirs.returncode == 2 and "only your own sessions" in theirs.stderr


def _export_of(tmp_path: Path) -> list[str]:
    laptop = tmp_path / "laptop.db"
    practise(laptop, "a", REPLIES[:2])
    practise(laptop, "b", REPLIES[:1])
    cli("export", "--out", str(tmp_path / "good.jsonl"), "--db", str(laptop))
    return (tmp_path / "good.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def _bad_files(lines: list[str]) -> dict[str, tuple[bytes, str]]:
    head, one, two = lines
    rec = json.loads(one)
    wrong_name = json.loads(one)
    wrong_name["session"]["trainee"] = "bad\x1b[31mname"
    gap = json.loads(one)
    gap["turns"][1]["number"] = 5
    twice = json.loads(one)
    twice["turns"][1]["uid"] = twice["turns"][0]["uid"]
    newer = json.loads(head)
    newer["version"] = 99
    extra = json.loads(one)
    extra["session"]["sql"] = "drop table sessions"
    big = json.loads(one)
    big["turns"][0]["reply"] = "x" * 300_000
    return {
        "not an export": (
            b'{"kind": "team", "trainees": []}\n',
            "is not a file of sessions from `peilian export`",
        ),
        "empty": (b"", "is empty"),
        "cut short": ((head + one).encode(), "holds 1 of the 2 sessions"),
        "broken json": ((head + one[:40] + "\n" + two).encode(), ":2: "),
        "not utf-8": (
            (head + one).encode() + b'{"session": "\xff\xfe"}\n',
            ":3: not UTF-8 text (byte 14 of the line)",
        ),
        "bad name": (
            (head + json.dumps(wrong_name) + "\n" + two).encode(),
            "session.trainee: not a trainee name",
        ),
        "turn numbers": ((head + json.dumps(gap) + "\n" + two).encode(), "not numbered 1, 2, 3"),
        "same id twice": ((head + json.dumps(twice) + "\n" + two).encode(), "the same id is given twice"),
        "newer": ((json.dumps(newer) + "\n" + one + two).encode(), "written by a newer Peilian"),
        "unknown field": ((head + json.dumps(extra) + "\n" + two).encode(), "session.sql"),
        "huge reply": ((head + json.dumps(big) + "\n" + two).encode(), "turns.0.reply"),
        "deep nesting": ((head + "[" * 100_000 + "\n" + two).encode(), ":2: "),
        "bad uid": (
            (head + one.replace(rec["session"]["uid"], "1; drop table sessions") + two).encode(),
            ":2: session.uid: not a global id (a UUID)",
        ),
    }


def test_a_bad_file_is_one_sentence_and_nothing_is_imported(tmp_path, team_db):
    lines = _export_of(tmp_path)
    for what, (data, sentence) in _bad_files(lines).items():
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(data)
        r = run_peilian("import", str(bad), "--db", team_db)
        assert r.returncode == 2, (what, r.stdout, r.stderr)
        assert sentence in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, (
            what,
            r.stderr,
        )
        assert "nothing was imported" in r.stderr or what in ("not an export", "empty", "newer"), (
            what,
            r.stderr,
        )
        assert "\x1b" not in r.stderr
    assert (
        open_store(team_db).query("select count(*) as n from sessions")[0]["n"] == 0
    )  # not one session got in
    missing = run_peilian("import", str(tmp_path / "nope.jsonl"), "--db", team_db)
    assert missing.returncode == 2 and "There is no file" in missing.stderr
    ok = cli("import", str(tmp_path / "good.jsonl"), "--db", team_db)
    assert "2 new" in ok.stdout


def test_export_reads_a_read_only_copy_and_refuses_a_missing_file(tmp_path):
    laptop = tmp_path / "laptop.db"
    practise(laptop, "a", REPLIES[:1])
    import sqlite3

    conn = sqlite3.connect(laptop)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    laptop.chmod(0o444)
    try:
        r = cli("export", "--out", str(tmp_path / "a.jsonl"), "--db", str(laptop))
        assert "Exported 1 session(s)" in r.stderr
    finally:
        laptop.chmod(0o644)
    missing = run_peilian("export", "--out", str(tmp_path / "b.jsonl"), "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2 and "No progress database at" in missing.stderr
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "b.jsonl").exists()
