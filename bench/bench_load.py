"""Load test (issue 17): N simulated trainees, each scoring a turn every 2–5 s, against one store, through the store
API the app uses for a scored turn (`StoreRecorder.turn_scored`: the turn, its findings and the session's totals in
one transaction), on PostgreSQL and on a SQLite file; then where the SQLite file stops.

    python bench/bench_load.py [--trainees 200] [--seconds 300] [--backend both|postgresql|sqlite]
                               [--limit-seconds 60] [--limit-levels 400,800,1200,1600,2400,3200] [--no-limit]

Every trainee is a thread with its own `Store` (its own connection, as each app process of `peilian serve` has), in
`--procs` worker processes (default 4: on this 2-core machine, processes so that the writers' Python is not one
interpreter lock, threads so that hundreds of trainees fit; a database call releases the lock while it waits). A
trainee plays sessions of the bundled `return-postage-refund` scenario: it waits a random 2–5 s (seeded per trainee),
scores a reply (outside the clock; one reply at a time per process), then times `turn_scored`; a finished session
is closed and a new one started. Every trainee starts at a random point of its first gap, so the writes are spread
as a room's are. The offered rate is N / 3.5 turns per second.

Counted afterwards, per session, from the database: sessions, turns and findings expected (every write that
returned) vs found; lost (expected, not found), duplicated (a turn found twice, or more rows than were written),
write errors; write latency p50 / p95 / max. PostgreSQL is the system's, started here (tests/helpers/postgres.py)
with its default settings (every commit flushed: synchronous_commit=on); SQLite is a new file (WAL,
synchronous=normal, as `peilian` opens it). The limit search runs the same load on a new SQLite file at each level
of `--limit-levels` trainees, for `--limit-seconds` each, until p95 > 50 ms, an error, or a lost row.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P95_TARGET_MS = 50.0
REPLIES = [
    "Sorry about this, Ms Carter. Let me check on your refund.",
    "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
    "Please bear with us, we'll sort it out.",
    "I've refunded the 12 yuan postage to your card now; it shows within 3 working days.",
    "We'll get back to you soon.",
]


# -- one worker process: a share of the trainees, one thread each ------------------------------------------------------
def _trainee(target, name, seed, gaps, start, stop, scenario, score_lock, out, ready) -> None:
    """One simulated trainee: its own store connection; a turn every gap, sessions one after another."""
    from simulator import Session
    from store import StoreRecorder, open_store

    rng = random.Random(seed)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    expected: dict[int, list[int]] = {}  # sessions.id -> [turns, findings] whose write returned
    try:
        store = open_store(target)
        recorder = StoreRecorder(store)
    except Exception as e:  # noqa: BLE001 - counted, not fatal: the report says how many trainees never started
        errors[f"open: {type(e).__name__}: {str(e)[:120]}"] += 1
        ready.release()
        out.append((latencies, errors, expected))
        return
    ready.release()
    while time.time() < start.value or start.value == 0:
        time.sleep(0.01)
    next_at = start.value + rng.uniform(0, gaps[1])  # a random point of the first gap
    session = None
    n_session = 0
    while True:
        if session is None or session.finished:
            if session is not None:
                try:
                    recorder.session_finished(session)
                except Exception as e:  # noqa: BLE001
                    errors[f"finish: {type(e).__name__}: {str(e)[:120]}"] += 1
            with score_lock:
                session = Session(scenario, seed=seed * 1000 + n_session)
            n_session += 1
            try:
                recorder.session_started(session, name, "scripted")
                sid = recorder.session_id(session)
                assert sid is not None
                expected[sid] = row = [0, 0]
            except Exception as e:  # noqa: BLE001
                errors[f"start: {type(e).__name__}: {str(e)[:120]}"] += 1
                session = None
                time.sleep(0.5)
                continue
        pause = next_at - time.time()
        if pause > 0:
            time.sleep(pause)
        if time.time() >= stop.value:
            break
        next_at += rng.uniform(*gaps)
        with score_lock:  # scored outside the clock, one at a time in this process
            turn = session.submit(rng.choice(REPLIES))
        t = time.perf_counter()
        try:
            recorder.turn_scored(session, turn)
        except Exception as e:  # noqa: BLE001
            errors[f"turn: {type(e).__name__}: {str(e)[:120]}"] += 1
            continue
        latencies.append(time.perf_counter() - t)
        row[0] += 1
        row[1] += len(turn.result.findings)
    store.close()
    out.append((latencies, errors, expected))


def _worker(target, names_seeds, gaps, start, stop, results, ready_q) -> None:
    from scenarios import BUNDLED
    from scoring import default_scorer
    from simulator import load_scenario

    default_scorer()  # loaded once per process before the clock starts
    scenario = load_scenario(BUNDLED / "return-postage-refund.yaml")
    score_lock = threading.Lock()
    out: list = []
    ready = threading.Semaphore(0)
    threads = [
        threading.Thread(
            target=_trainee,
            args=(target, name, seed, gaps, start, stop, scenario, score_lock, out, ready),
            daemon=True,
        )
        for name, seed in names_seeds
    ]
    for th in threads:
        th.start()
    for _ in threads:
        ready.acquire()
    ready_q.put(len(threads))
    for th in threads:
        th.join()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    expected: dict[int, list[int]] = {}
    for lat, err, exp in out:
        latencies += lat
        errors.update(err)
        expected.update(exp)
    results.put((latencies, dict(errors), expected))


# -- one run ---------------------------------------------------------------------------------------------------------
def run(
    target: str, trainees: int, seconds: float, *, procs: int, seed: int, gaps=(2.0, 5.0), tag=""
) -> dict:
    """`trainees` simulated trainees against `target` for `seconds`; the counts and latencies."""
    ctx = mp.get_context("spawn")
    start, stop = ctx.Value("d", 0.0), ctx.Value("d", 0.0)
    results, ready_q = ctx.Queue(), ctx.Queue()
    run_id = f"load-{tag or trainees}-{os.getpid()}-{int(time.time())}"
    people = [(f"{run_id}-{i}", seed * 100_000 + i) for i in range(trainees)]
    shares = [people[i::procs] for i in range(procs)]
    workers = [
        ctx.Process(target=_worker, args=(target, share, gaps, start, stop, results, ready_q))
        for share in shares
        if share
    ]
    opened = time.monotonic()
    cpu_before = _children_cpu()
    for w in workers:
        w.start()
    for _ in workers:
        ready_q.get()
    setup = time.monotonic() - opened
    start.value = time.time() + 1.0
    stop.value = start.value + seconds
    collected = [results.get() for _ in workers]
    for w in workers:
        w.join()
    load = os.getloadavg()[0]
    cpu = (
        _children_cpu() - cpu_before
    )  # the trainees' own work (scoring, the store's client side), setup included
    latencies = [t for lat, _, _ in collected for t in lat]
    errors: Counter[str] = Counter()
    expected: dict[int, list[int]] = {}
    for _, err, exp in collected:
        errors.update(err)
        expected.update(exp)
    found = count_rows(target, run_id)
    lost = {"sessions": 0, "turns": 0, "findings": 0}
    extra = {"sessions": 0, "turns": 0, "findings": 0}
    for sid, (turns, findings) in expected.items():
        got = found["per_session"].get(sid)
        if got is None:
            lost["sessions"] += 1
            lost["turns"] += turns
            lost["findings"] += findings
            continue
        for key, want, have in (("turns", turns, got[0]), ("findings", findings, got[1])):
            lost[key] += max(0, want - have)
            extra[key] += max(0, have - want)
    extra["sessions"] = max(0, len(found["per_session"]) - len(expected))
    return {
        "trainees": trainees,
        "seconds": seconds,
        "setup_s": setup,
        "client_cpu_s": cpu,
        "load_avg": load,
        "offered_per_s": trainees / ((gaps[0] + gaps[1]) / 2),
        "written_per_s": len(latencies) / seconds,
        "expected": {
            "sessions": len(expected),
            "turns": sum(t for t, _ in expected.values()),
            "findings": sum(f for _, f in expected.values()),
        },
        "found": {k: found[k] for k in ("sessions", "turns", "findings")},
        "lost": lost,
        "extra": extra,
        "duplicate_turns": found["duplicate_turns"],
        "errors": dict(errors),
        "n_errors": sum(errors.values()),
        "p50_ms": _pct(latencies, 0.50) * 1000,
        "p95_ms": _pct(latencies, 0.95) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "mean_ms": (statistics.fmean(latencies) if latencies else 0) * 1000,
    }


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def count_rows(target: str, run_id: str) -> dict:
    """What the database holds for this run's trainees: per session its turns and findings, and duplicates (the same
    turn number of a session, or the same turn id, more than once)."""
    from store import open_store

    store = open_store(target)
    like = run_id + "-%"
    per_session: dict[int, list[int]] = {}
    for r in store.query(
        "select s.id, (select count(*) from turns t where t.session_id = s.id) as turns, "
        "(select count(*) from findings f where f.session_id = s.id) as findings "
        "from sessions s join trainees p on p.id = s.trainee_id where p.name like ?",
        (like,),
    ):
        per_session[r["id"]] = [r["turns"], r["findings"]]
    dup = store.query(
        "select count(*) as n from (select t.session_id, t.number from turns t join sessions s on s.id = t.session_id "
        "join trainees p on p.id = s.trainee_id where p.name like ? group by t.session_id, t.number "
        "having count(*) > 1) d",
        (like,),
    )[0]["n"]
    dup += store.query(
        "select count(*) as n from (select t.uid from turns t join sessions s on s.id = t.session_id "
        "join trainees p on p.id = s.trainee_id where p.name like ? group by t.uid having count(*) > 1) d",
        (like,),
    )[0]["n"]
    store.close()
    return {
        "per_session": per_session,
        "sessions": len(per_session),
        "turns": sum(t for t, _ in per_session.values()),
        "findings": sum(f for _, f in per_session.values()),
        "duplicate_turns": dup,
    }


def show(name: str, r: dict) -> None:
    e, f = r["expected"], r["found"]
    print(
        f"{name}: {r['trainees']} trainees, {r['seconds']:g} s (ready in {r['setup_s']:.0f} s): "
        f"offered {r['offered_per_s']:.1f} turns/s, written {r['written_per_s']:.1f} turns/s"
    )
    print(
        f"  rows expected / found: sessions {e['sessions']} / {f['sessions']}, turns {e['turns']} / {f['turns']}, "
        f"findings {e['findings']} / {f['findings']}"
    )
    print(
        f"  lost: {r['lost']}   duplicated: {r['duplicate_turns']} turns written twice, extra rows {r['extra']}   "
        f"errors: {r['n_errors']}"
    )
    for message, n in sorted(r["errors"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"    {n}x {message}")
    print(
        f"  write latency: p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"max {r['max_ms']:.1f} ms (mean {r['mean_ms']:.2f} ms)"
    )
    print(
        f"  the simulated trainees used {r['client_cpu_s']:.0f} CPU-seconds ({r['client_cpu_s'] / r['seconds']:.2f} "
        f"cores over the run, setup included); load average at the end {r['load_avg']:.1f}"
    )


def ok(r: dict) -> bool:
    return (
        r["p95_ms"] <= P95_TARGET_MS
        and not r["n_errors"]
        and not any(r["lost"].values())
        and not r["duplicate_turns"]
        and not any(r["extra"].values())
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trainees", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--backend", choices=["both", "postgresql", "sqlite"], default="both")
    ap.add_argument(
        "--procs", type=int, default=4, help="worker processes the trainees' threads are spread over"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--limit-seconds", type=float, default=60, help="seconds per level of the SQLite limit search"
    )
    ap.add_argument(
        "--limit-levels", default="400,800,1200,1600,2400,3200", help="trainees per level, after --trainees"
    )
    ap.add_argument("--no-limit", action="store_true", help="skip the SQLite limit search")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    tmp = Path(tempfile.mkdtemp(prefix="peilian-bench-load-"))
    figures: dict[str, dict] = {}
    if args.backend in ("both", "postgresql"):
        from tests.helpers.postgres import PostgresServer

        server = PostgresServer(
            durable=True, settings=(f"max_connections={max(300, args.trainees + 50)}",)
        ).start()
        try:
            url = server.create_database("load")
            from store import open_store

            open_store(url).close()  # the schema, once, before the trainees connect
            figures["postgresql"] = run(url, args.trainees, args.seconds, procs=args.procs, seed=args.seed)
            show("PostgreSQL (default settings)", figures["postgresql"])
        finally:
            server.stop()
    if args.backend in ("both", "sqlite"):
        path = str(tmp / "load.db")
        figures["sqlite"] = run(path, args.trainees, args.seconds, procs=args.procs, seed=args.seed)
        show("SQLite file (WAL)", figures["sqlite"])
        if not args.no_limit:
            print(f"where the SQLite file stops (p95 > {P95_TARGET_MS:g} ms, an error or a lost row):")
            last_ok = args.trainees if ok(figures["sqlite"]) else None
            if last_ok is not None:
                for level in [int(x) for x in args.limit_levels.split(",") if int(x) > args.trainees]:
                    r = run(
                        str(tmp / f"limit-{level}.db"),
                        level,
                        args.limit_seconds,
                        procs=args.procs,
                        seed=args.seed,
                    )
                    show("SQLite file, limit search", r)
                    if not ok(r):
                        print(
                            f"SQLite limit: fine at {last_ok} trainees ({last_ok / 3.5:.0f} turns/s offered), "
                            f"not at {level} ({level / 3.5:.0f} turns/s): p95 {r['p95_ms']:.1f} ms, "
                            f"{r['n_errors']} errors, lost {sum(r['lost'].values())}"
                        )
                        break
                    last_ok = level
                else:
                    print(f"SQLite limit: fine at every level tried, up to {last_ok} trainees")
            else:
                print(f"SQLite limit: already past it at {args.trainees} trainees")


if __name__ == "__main__":
    main()
