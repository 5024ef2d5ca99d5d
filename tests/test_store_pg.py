"""The shared store on PostgreSQL as a team meets it: writers at once, the same reports as the SQLite file, old
databases, a server that restarts or goes away, wrong addresses and passwords, and two training-room servers on one
database. Each test runs against a real PostgreSQL server the test run starts (tests/helpers/postgres.py)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from scenarios import BUNDLED
from simulator import Session, load_scenario
from simulator.runner import play
from store import ScenarioInfo, Store, StoreError, StoreRecorder, open_store, team_report, trainee_report
from store.pg import PgStore, apply_migrations

from .conftest import ROOT, run_peilian
from .helpers.postgres import PASSWORD, PostgresServer, free_port
from .test_store import REPLIES

GOOD = load_scenario(BUNDLED / "late-birthday-gift.yaml")
REFUND = load_scenario(BUNDLED / "return-postage-refund.yaml")


def test_a_url_makes_a_postgresql_store_and_the_schema_is_the_same_as_the_files(pg_url, tmp_path):
    store = open_store(pg_url)
    assert isinstance(store, PgStore) and store.kind == "postgresql"
    assert store.where.endswith(f"/{pg_url.rsplit('/', 1)[1]}") and PASSWORD not in store.where
    sqlite = open_store(tmp_path / "p.db")
    assert store.schema_version() == sqlite.schema_version()
    # every table has the same columns, in the same order
    for table in ("trainees", "sessions", "turns", "findings", "accounts"):
        pg_cols = [
            r["column_name"]
            for r in store.query(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                (table,),
            )
        ]
        assert pg_cols == list(sqlite.db[table].columns_dict), table
    assert "turn_scores" in store.db.view_names()
    again = open_store(pg_url)  # a second process on the same database: nothing to migrate, same schema
    assert again.schema_version() == store.schema_version()


def test_migration_upgrades_a_postgresql_database_made_by_an_older_peilian(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with conn.transaction():
            apply_migrations(conn, stop_before="m007_global_ids")  # as the release before global ids left it
        conn.execute("insert into trainees (name, created_at) values ('老员工', '2026-01-05T09:00:00+00:00')")
        conn.execute("""insert into sessions (trainee_id, scenario_id, scenario_version, scenario_hash, scorer_version,
                        seed, started_at, outcome, turns, certainty, simplicity, warmth, overall)
                        values (1, 'late-birthday-gift', 1, 'abc', 'placeholder-0', 1, '2026-01-05T09:00:00+00:00',
                        'resolved', 1, 90, 80, 85, 85)""")
        conn.execute("""insert into turns (session_id, number, customer_line, reply, certainty, simplicity, warmth,
                        overall) values (1, 1, '?', '好的', 90, 80, 85, 85)""")
    with pytest.raises(StoreError, match="older Peilian"):  # a report (read-only) can't upgrade it
        open_store(pg_url, readonly=True)
    store = open_store(pg_url)
    assert store.schema_version()[-1] == "m009_web_sessions"
    uids = [r["uid"] for t in ("sessions", "turns") for r in store.query(f"select uid from {t}")]
    assert len(set(uids)) == 2 and all(len(u) == 36 for u in uids)
    assert trainee_report(store, "老员工").levels["certainty"] == 90.0


def _play_team(store: Store) -> None:
    """The same practice, deterministically: three trainees, two scenarios, finished and unfinished sessions."""
    good = GOOD.tests[0].replies
    for name, replies in (
        ("王小明", good),
        ("李四", ["我们会尽快处理", "亲,再等等。"]),
        ("王小明", ["我们会尽快处理"]),
    ):
        play(Session(GOOD, seed=1), replies, recorder=StoreRecorder(store), trainee=name)
    play(Session(REFUND, seed=3), REPLIES, recorder=StoreRecorder(store), trainee="Ana")
    play(Session(REFUND, seed=3), REPLIES[:1], recorder=StoreRecorder(store), trainee="李四")


def test_the_same_practice_gives_the_same_reports_on_both(pg_url, tmp_path):
    infos = [ScenarioInfo.of(GOOD), ScenarioInfo.of(REFUND)]
    reports = []
    for store in (open_store(tmp_path / "team.db"), open_store(pg_url)):
        _play_team(store)
        team = team_report(store, scenarios=infos).to_dict()
        team.pop("generated")
        people = {n: trainee_report(store, n, scenarios=infos).to_dict() for n in ("王小明", "李四", "Ana")}
        doc = json.dumps({"team": team, "people": people}, ensure_ascii=False, sort_keys=True)
        # the two stores were played a moment apart: when a session started may differ by a second, nothing else
        reports.append(re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00", "<started>", doc))
    assert "<started>" in reports[0]
    assert reports[0] == reports[1]
    assert (
        '"sessions": 5' in reports[0] and "certainty.no-commitment" in reports[0]
    )  # the reports are not empty


def test_two_writers_at_once_neither_waits_for_the_other(pg_url):
    """On PostgreSQL a trainee's scored turn is committed while another machine's transaction is still open (on
    the SQLite file the second writer would queue for the file's one write lock)."""
    a, b = open_store(pg_url), open_store(pg_url)
    rec_a, rec_b = StoreRecorder(a), StoreRecorder(b)
    sa, sb = Session(REFUND, seed=3), Session(REFUND, seed=3)
    rec_a.session_started(sa, "甲", "scripted")
    rec_b.session_started(sb, "乙", "scripted")
    committed = threading.Event()

    def b_scores_a_turn():
        rec_b.turn_scored(sb, sb.submit(REPLIES[0]))
        committed.set()

    with a.write() as conn:
        conn.execute("update sessions set draft = 'still typing' where id = ?", (rec_a.session_id(sa),))
        writer = threading.Thread(target=b_scores_a_turn)
        writer.start()
        assert committed.wait(20), "the second writer waited for the first one's transaction"
        seen = open_store(pg_url).query(
            "select s.draft, count(t.id) as turns from sessions s left join turns t "
            "on t.session_id = s.id group by s.id, s.draft order by s.id"
        )
        assert seen == [
            {"draft": None, "turns": 0},
            {"draft": None, "turns": 1},
        ]  # B's turn is in; A's not yet
    writer.join()
    assert a.query("select draft from sessions order by id")[0]["draft"] == "still typing"


def test_a_server_restart_between_two_turns_loses_nothing(postgres, pg_url):
    store = open_store(pg_url)
    rec = StoreRecorder(store)
    session = Session(REFUND, seed=3)
    play(session, REPLIES[:1], recorder=rec, trainee="a")
    postgres.restart()  # the connection the store holds is cut
    play(session, REPLIES[1:2], recorder=rec, skip_opening=True)  # the next write opens a new one
    assert [r["number"] for r in store.query("select number from turns order by number")] == [1, 2]


def test_a_server_that_went_away_is_one_sentence_and_the_saved_turns_resume(peilian_home, monkeypatch):
    # durable, as a real server is: the test server's fast settings (no fsync, synchronous_commit off) would lose the
    # last commits in the crash below, which is what they trade
    server = PostgresServer(durable=True).start()
    try:
        url = server.create_database("room")
        monkeypatch.setenv("PEILIAN_DB", url)
        started = run_peilian(
            "run", "return-postage-refund", "--trainee", "小林", "--seed", "3", "-q", input=REPLIES[0] + "\n"
        )
        assert started.returncode == 0, started.stderr  # one reply kept, the session unfinished
        store = open_store(url)
        rec = StoreRecorder(store)
        session = Session(REFUND, seed=3)
        rec.replay(session, rec.unfinished("小林", REFUND.id))
        server.pg_ctl("-m", "immediate", "stop")  # the database server is gone mid-session
        with pytest.raises(StoreError) as e:
            rec.turn_scored(session, session.submit(REPLIES[1]))
        assert "progress database postgresql://peilian@127.0.0.1" in str(e.value) and "\n" not in str(e.value)
        assert PASSWORD not in str(e.value)
        down = run_peilian(
            "run", "return-postage-refund", "--trainee", "小林", "--resume", input=REPLIES[1] + "\n"
        )
        assert down.returncode == 2 and "Cannot reach the progress database" in down.stderr
        assert "(Connection refused): check that the server is running" in down.stderr
        assert down.stderr.count("\n") == 1 and "Traceback" not in down.stderr and PASSWORD not in down.stderr
        server.start_again()
        resumed = run_peilian(
            "run",
            "return-postage-refund",
            "--trainee",
            "小林",
            "--resume",
            "--json",
            input="\n".join(REPLIES[1:]) + "\n",
        )
        assert resumed.returncode == 0, resumed.stderr
        assert [t["reply"] for t in json.loads(resumed.stdout)["turns"]] == REPLIES
        assert open_store(url).query("select count(*) as n from turns")[0]["n"] == 3
    finally:
        server.stop()


def test_wrong_addresses_and_passwords_are_one_sentence_without_the_password(postgres, peilian_home):
    closed = free_port()
    cases = [
        (
            f"postgresql://peilian:{PASSWORD}@127.0.0.1:{closed}/x",
            f"Cannot reach the progress database postgresql://peilian@127.0.0.1:{closed}/x",
        ),
        (postgres.url(password="not-the-password"), "refused the user name or password"),
        (postgres.url("no_such_db"), "There is no database postgresql://peilian@127.0.0.1"),
        ("postgresql://peilian:secret@[::1/x", "is not a valid postgresql:// URL"),
    ]
    for url, sentence in cases:
        for args in (
            ["report", "--team"],
            ["run", "late-birthday-gift", "--trainee", "a", "-q"],
            ["users", "list"],
        ):
            r = run_peilian(*args, "--db", url, input="好的\n")
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert sentence in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, (
                r.stderr
            )
            assert (
                "not-the-password" not in r.stderr and "secret" not in r.stderr and PASSWORD not in r.stderr
            )


def test_a_report_on_a_new_database_writes_nothing(pg_url, peilian_home):
    r = run_peilian("report", "--team", "--db", pg_url)
    assert r.returncode == 0 and "No sessions yet" in r.stdout, r.stderr
    # the database is still empty: a report never creates the schema
    with psycopg.connect(pg_url) as conn:
        assert (
            conn.execute(
                "select count(*) from information_schema.tables where table_schema = 'public'"
            ).fetchone()[0]
            == 0
        )
    assert run_peilian("db", "path", "--db", pg_url).stdout.strip() == pg_url.replace(f":{PASSWORD}", "")


def test_a_user_who_may_only_read_can_report_but_not_practise(postgres, pg_url, peilian_home):
    assert (
        run_peilian(
            "run", "late-birthday-gift", "--trainee", "a", "-q", "--db", pg_url, input="我们会尽快处理\n"
        ).returncode
        == 0
    )
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("create role reader login password 'reader-pw'")
        conn.execute("grant select on all tables in schema public to reader")
    reader = pg_url.replace(f"peilian:{PASSWORD}", "reader:reader-pw")
    rep = run_peilian("report", "--trainee", "a", "--db", reader)
    assert rep.returncode == 0 and "# Progress: a" in rep.stdout, rep.stderr
    run = run_peilian("run", "late-birthday-gift", "--trainee", "a", "-q", "--db", reader, input="好的\n")
    assert run.returncode == 2 and "does not let this user write" in run.stderr and "--no-save" in run.stderr
    assert run.stderr.count("\n") == 1


def test_config_yaml_db_chooses_the_store_and_db_beats_it(pg_url, peilian_home, tmp_path):
    peilian_home.mkdir(parents=True, exist_ok=True)
    (peilian_home / "config.yaml").write_text(f"role: lead\ndb: {pg_url}\n", encoding="utf-8")
    assert (
        run_peilian(
            "run", "late-birthday-gift", "--trainee", "config-db", "-q", input="我们会尽快处理\n"
        ).returncode
        == 0
    )
    assert open_store(pg_url).trainees() == ["config-db"]
    assert not (peilian_home / "peilian.db").exists()
    own = tmp_path / "own.db"
    assert (
        run_peilian(
            "run",
            "late-birthday-gift",
            "--trainee",
            "flag-db",
            "-q",
            "--db",
            str(own),
            input="我们会尽快处理\n",
        ).returncode
        == 0
    )
    assert open_store(own).trainees() == ["flag-db"] and open_store(pg_url).trainees() == ["config-db"]
    team = run_peilian("report", "--team", "--format", "json")
    assert [t["trainee"] for t in json.loads(team.stdout)["trainees"]] == ["config-db"]


# -- two training-room servers on one database -------------------------------------------------------------------------
def test_two_serve_processes_share_one_database(pg_url, peilian_home):
    """A room grown to two machines: the lead adds accounts once; each trainee signs in on either server, plays a
    turn in the browser app, and both turns land in the one database (and in one team report)."""
    from .e2e.test_browser import wait_port
    from .security.test_serve_auth import PASSWORDS, client, keys, screen, sign_in

    for name, role in (("王小明", "trainee"), ("李四", "trainee")):
        r = run_peilian(
            "users", "add", name, "--role", role, "--password", "--db", pg_url, input=PASSWORDS[name] + "\n"
        )
        assert r.returncode == 0, r.stderr
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "peilian", "serve", "--port", str(p), "--db", pg_url],
            cwd=ROOT,
            env={**os.environ, "PEILIAN_LANG": "en"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for p in ports
    ]

    async def practise(port: int, name: str, reply: str) -> None:
        url = f"http://127.0.0.1:{port}"

        class R:  # what sign_in needs of a room
            pass

        room = R()
        room.url = url
        async with client() as http:
            assert (await sign_in(http, room, name)).status == 303
            async with http.ws_connect(f"{url}/ws?width=110&height=35", origin=url) as ws:
                assert "late-birthday-gift" in await screen(ws, "late-birthday-gift", 60)
                await asyncio.sleep(1)
                await keys(ws, "\r")
                await screen(ws, "Start", 30)
                await keys(ws, "\r")
                assert "Type your reply" in await screen(ws, "Type your reply", 30)
                await keys(ws, reply, "\r")
                end = time.monotonic() + 60
                while time.monotonic() < end:
                    if open_store(pg_url).query(
                        "select count(*) as n from turns t join sessions s on s.id = t.session_id "
                        "join trainees p on p.id = s.trainee_id where p.name = ?",
                        (name,),
                    )[0]["n"]:
                        return
                    await asyncio.sleep(0.3)
                raise AssertionError(f"{name}'s turn on :{port} never reached the database")

    async def both() -> None:
        await asyncio.gather(
            practise(ports[0], "王小明", "非常抱歉,我现在就帮您查,今天下午5点前给您答复。"),
            practise(ports[1], "李四", "我们会尽快处理"),
        )

    try:
        for p in ports:
            wait_port(p)
        asyncio.run(both())
    finally:
        for s in servers:
            try:
                os.killpg(s.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            s.wait(timeout=10)
    team = team_report(open_store(pg_url))
    assert sorted(t.trainee for t in team.trainees) == ["李四", "王小明"]
