"""Benchmark: `peilian report --team` on a progress database with 1,000,000 stored turns.

    python bench/bench_report.py [--turns 1000000] [--trainees 200] [--keep DIR] [--postgres]

Builds the database through the real schema (store.Store, so the migrations and indexes are the shipped ones),
with sessions of 3-9 turns and 0-3 findings per turn, then times, in this one run:
  - `peilian report --team` as a user runs it (a subprocess: start-up, scenario loading, query, rendering);
  - the same report in-process (store.team_report + Markdown);
  - the raw SQL floor: one GROUP BY over the sessions table that a hand-written report would need at least.
and prints the ratio of ours to the raw floor. The target is <= 2 s for the command.
With --postgres it also starts a PostgreSQL server (tests/helpers/postgres.py), copies the same rows into it (COPY)
and times the same command and in-process report there (`--db postgresql://...`), with the ratio to SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store import open_store, team_report  # noqa: E402
from store.report import markdown  # noqa: E402

SCENARIOS = ["late-birthday-gift", "return-postage-refund", "pesticide-self-harm", "membership-autorenew"]
BEATS = ["opening", "vague", "sarcastic-when", "deflect", "open-up", "charge-again", "fallback"]
RULES = [
    ("certainty.hedge", "certainty", "尽快"),
    ("certainty.hedge", "certainty", "可能"),
    ("warmth.cold", "warmth", "请耐心等待"),
    ("simplicity.jargon", "simplicity", "工单"),
    ("warmth.stock-apology", "warmth", "给您带来不便"),
]


def build(path: Path, turns_wanted: int, trainees: int, seed: int = 1) -> tuple[int, int, int]:
    rng = random.Random(seed)
    store = open_store(path)
    conn = store.conn
    conn.execute("pragma synchronous = off")
    t0 = "2026-01-01T08:00:00+00:00"
    with store.write():
        conn.executemany(
            "insert into trainees (id, name, created_at) values (?, ?, ?)",
            [(i, f"trainee-{i:04d}", t0) for i in range(1, trainees + 1)],
        )
    sid = tid_turn = 0
    n_turns = n_findings = 0
    batch_s, batch_t, batch_f = [], [], []

    def flush():
        with store.write():
            conn.executemany(
                """insert into sessions (id, trainee_id, scenario_id, scenario_version, scenario_hash, scenario_title,
                   scenario_lang, scorer_version, customer, seed, started_at, finished_at, outcome, turns, mood,
                   certainty, simplicity, warmth, overall, hints_used, ended_on_beat)
                   values (?, ?, ?, 1, 'h', '', 'zh', 'rules-1', 'scripted', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)""",
                batch_s,
            )
            conn.executemany(
                """insert into turns (id, session_id, number, beat, customer_line, reply, certainty, simplicity, warmth,
                   overall, mood_before, mood, must_new, forbidden, next_beat, customer_reply, answer_seconds,
                   hints_used, scored_at) values (?, ?, ?, ?, '我的东西呢?', ?, ?, ?, ?, ?, 40, 45, '[]', '[]', ?,
                   '好吧', 12.5, 0, ?)""",
                batch_t,
            )
            conn.executemany(
                """insert into findings (turn_id, session_id, trainee_id, rule, criterion, span_start, span_end, text,
                   message, suggestion, effect) values (?, ?, ?, ?, ?, 0, 2, ?, 'm', 's', ?)""",
                batch_f,
            )
        batch_s.clear(), batch_t.clear(), batch_f.clear()

    while n_turns < turns_wanted:
        sid += 1
        trainee = rng.randint(1, trainees)
        k = min(rng.randint(3, 9), turns_wanted - n_turns)
        day = 1 + sid * 300 // max(1, turns_wanted // 6)
        started = f"2026-{1 + (day // 28) % 12:02d}-{1 + day % 28:02d}T{8 + sid % 10:02d}:00:00+00:00"
        skill = 40 + (trainee % 50)
        scores = [[max(0, min(100, int(rng.gauss(skill, 15)))) for _ in range(3)] for _ in range(k)]
        for i, (c, s, w) in enumerate(scores, 1):
            tid_turn += 1
            overall = (c + s + w) // 3
            batch_t.append(
                (
                    tid_turn,
                    sid,
                    i,
                    rng.choice(BEATS),
                    "我们会尽快为您处理，请耐心等待。",
                    c,
                    s,
                    w,
                    overall,
                    rng.choice(BEATS),
                    started,
                )
            )
            for _ in range(rng.randint(0, 3)):
                rule, crit, text = rng.choice(RULES)
                batch_f.append((tid_turn, sid, trainee, rule, crit, text, -rng.uniform(2, 12)))
                n_findings += 1
        n_turns += k
        mean = [sum(x[j] for x in scores) / k for j in range(3)]
        overall = sum(mean) / 3
        outcome = "resolved" if overall > 62 else rng.choice(["escalated", "abandoned"])
        batch_s.append(
            (
                sid,
                trainee,
                SCENARIOS[sid % len(SCENARIOS)],
                started,
                started,
                outcome,
                k,
                50,
                *mean,
                overall,
                rng.choice(BEATS),
            )
        )
        if len(batch_t) >= 50_000:
            flush()
    flush()
    store.conn.execute("pragma wal_checkpoint(truncate)")
    store.close()
    return sid, n_turns, n_findings


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--trainees", type=int, default=200)
    ap.add_argument("--keep", default=None, help="Build into this folder and keep it.")
    ap.add_argument("--postgres", action="store_true", help="Also time the report on PostgreSQL (same rows).")
    args = ap.parse_args()
    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peilian-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    path = home / "peilian.db"
    if not path.exists():
        t = time.perf_counter()
        sessions, turns, findings = build(path, args.turns, args.trainees)
        print(
            f"built {turns:,} turns, {sessions:,} sessions, {findings:,} findings in {time.perf_counter() - t:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)"
        )
    env = {**os.environ, "PEILIAN_HOME": str(home)}

    def command():
        r = subprocess.run(
            [sys.executable, "-m", "peilian", "report", "--team"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    def trainee_command():
        r = subprocess.run(
            [sys.executable, "-m", "peilian", "report", "--trainee", "trainee-0001"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert r.returncode == 0, r.stderr

    out = command()
    one = best_of(trainee_command)
    cmd = best_of(command)
    store = open_store(path, readonly=True)
    inproc = best_of(lambda: markdown(team_report(store)))
    raw = best_of(
        lambda: store.conn.execute(
            "select trainee_id, count(*), avg(certainty), avg(simplicity), avg(warmth), avg(overall) "
            "from sessions where turns > 0 group by trainee_id"
        ).fetchall()
    )
    startup = best_of(
        lambda: subprocess.run([sys.executable, "-m", "peilian", "--version"], capture_output=True, env=env)
    )
    turns = store.query("select count(*) as n from turns")[0]["n"]
    print(f"turns stored:                         {turns:,}")
    print(
        f"peilian report --team (command):      {cmd:.2f} s   (target <= 2 s: {'ok' if cmd <= 2 else 'OVER'})"
    )
    print(f"peilian report --trainee (command):   {one:.2f} s")
    print(f"  of which `peilian --version` start: {startup:.2f} s")
    print(f"team report in-process (query+md):    {inproc:.3f} s")
    print(f"raw SQL floor (one GROUP BY):         {raw:.3f} s")
    print(f"ratio in-process / raw SQL:           {inproc / raw:.1f}x")
    print(f"report lines: {len(out.splitlines())}")
    store.close()
    if args.postgres:
        postgres(path, env, cmd, inproc)


def postgres(path: Path, env: dict, sqlite_cmd: float, sqlite_inproc: float) -> None:
    """The same rows in PostgreSQL (default settings), the same report timed there."""
    import sqlite3

    from tests.helpers.postgres import PostgresServer

    server = PostgresServer(durable=True).start()
    try:
        url = server.create_database("bench")
        pg = open_store(url)  # the schema, by the same migrations
        src = sqlite3.connect(path)
        t = time.perf_counter()
        for table in ("trainees", "sessions", "turns", "findings"):
            cols = [r[1] for r in src.execute(f"pragma table_info({table})")]
            with pg.conn.cursor() as cur, cur.copy(f"copy {table} ({', '.join(cols)}) from stdin") as copy:
                for row in src.execute(f"select {', '.join(cols)} from {table}"):
                    copy.write_row(row)
        for table in (
            "trainees",
            "sessions",
            "turns",
            "findings",
        ):  # identity columns continue after the copied ids
            pg.conn.execute(
                f"select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))"
            )
        pg.conn.execute("vacuum analyze")
        print(f"copied into PostgreSQL in {time.perf_counter() - t:.1f} s")
        pg_env = {**env, "PEILIAN_DB": url}

        def command():
            r = subprocess.run(
                [sys.executable, "-m", "peilian", "report", "--team"],
                capture_output=True,
                text=True,
                env=pg_env,
                cwd=ROOT,
            )
            assert r.returncode == 0, r.stderr

        command()
        cmd = best_of(command)
        inproc = best_of(lambda: markdown(team_report(pg)))
        print(
            f"postgresql: peilian report --team (command): {cmd:.2f} s"
            f"   (target <= 2 s: {'ok' if cmd <= 2 else 'OVER'})"
            f"   ratio to sqlite {cmd / sqlite_cmd:.2f}x"
        )
        print(
            f"postgresql: team report in-process:          {inproc:.3f} s"
            f"   ratio to sqlite {inproc / sqlite_inproc:.2f}x"
        )
        pg.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
