"""Benchmark: what one scored turn costs to write (`StoreRecorder.turn_scored`: the turn, its findings and the session's
totals in one transaction, committed before the customer answers), on the SQLite file and on PostgreSQL, in one run.

    python bench/bench_store.py [--turns 400] [--writers 8] [--seconds 20]

Starts its own PostgreSQL server (tests/helpers/postgres.py: the system's initdb/pg_ctl, default settings, so every
commit is flushed to disk) on 127.0.0.1 and a SQLite file (WAL, synchronous=normal: a commit survives a crash of the
process, not necessarily of the machine). PostgreSQL is measured twice: as configured by default (synchronous_commit
on: a commit survives a power cut) and with synchronous_commit=off for this connection (the closest to the SQLite
file's durability). Only the write is timed; the replies are scored before the clock starts.

  1. one writer: each backend in turn, several rounds interleaved, `--turns` turns each: median and p95 per turn;
  2. `--writers` processes at once, each scoring and writing turns with no pause for `--seconds`: turns written
     per second and the p95 write, per backend (a training room's peak, on this machine's cores).
Ratios are PostgreSQL / SQLite from this one run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios import BUNDLED  # noqa: E402
from simulator import Session, load_scenario  # noqa: E402
from store import Store, StoreRecorder, open_store  # noqa: E402
from tests.helpers.postgres import PostgresServer  # noqa: E402

REPLIES = [
    "Sorry about this, Ms Carter. Let me check on your refund.",
    "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
    "Please bear with us, we'll sort it out.",
    "We'll get back to you soon.",
]
SCENARIO = load_scenario(BUNDLED / "return-postage-refund.yaml")


def timed_turns(store: Store, n: int, trainee: str, deadline: float | None = None) -> list[float]:
    """Write `n` scored turns (or until `deadline`), sessions of up to 4 replies; the seconds each write took."""
    rec = StoreRecorder(store)
    times: list[float] = []
    i = 0
    while len(times) < n and (deadline is None or time.monotonic() < deadline):
        session = Session(SCENARIO, seed=i)
        i += 1
        rec.session_started(session, trainee, "scripted")
        for reply in REPLIES:
            if session.finished:
                break
            turn = session.submit(reply)  # scored here, outside the clock
            t = time.perf_counter()
            rec.turn_scored(session, turn)
            times.append(time.perf_counter() - t)
    return times


def p95(xs: list[float]) -> float:
    return sorted(xs)[int(0.95 * (len(xs) - 1))]


def _writer(target: str, trainee: str, seconds: float, start: float, out) -> None:
    store = open_store(target)
    while time.time() < start:
        time.sleep(0.005)
    out.put(timed_turns(store, 10**9, trainee, time.monotonic() + seconds))
    store.close()


def concurrent(target: str, writers: int, seconds: float) -> tuple[int, list[float]]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 8  # every process has imported the scorer and opened its store by then
    procs = [ctx.Process(target=_writer, args=(target, f"w{i}", seconds, start, out)) for i in range(writers)]
    for p in procs:
        p.start()
    times = [t for _ in procs for t in out.get()]
    for p in procs:
        p.join()
    return len(times), times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=400, help="turns per backend, one writer")
    ap.add_argument(
        "--rounds", type=int, default=4, help="interleaved rounds (the turns are split over them)"
    )
    ap.add_argument("--writers", type=int, default=8, help="processes writing at once (0: skip)")
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="peilian-bench-store-"))
    server = PostgresServer(durable=True).start()
    try:
        pg = server.create_database("bench")
        pg_async = pg + "?options=-csynchronous_commit%3Doff"
        targets = {
            "sqlite (WAL, synchronous=normal)": str(tmp / "bench.db"),
            "postgresql (default: synchronous_commit=on)": pg,
            "postgresql (synchronous_commit=off)": pg_async,
        }
        stores = {name: open_store(t) for name, t in targets.items()}
        for store in stores.values():  # warm up: connections, caches, the scorer's first call
            timed_turns(store, 20, "warm-up")
        results: dict[str, list[float]] = {name: [] for name in stores}
        per_round = max(1, args.turns // args.rounds)
        for _ in range(args.rounds):
            for name, store in stores.items():
                results[name] += timed_turns(store, per_round, "bench")
        base = statistics.median(results[next(iter(results))])
        print(f"one writer, {per_round * args.rounds} turns per backend ({args.rounds} interleaved rounds):")
        for name, xs in results.items():
            med = statistics.median(xs)
            print(
                f"  {name:44s} median {med * 1000:6.2f} ms   p95 {p95(xs) * 1000:6.2f} ms   "
                f"ratio to sqlite (median) {med / base:5.2f}x"
            )
        for store in stores.values():
            store.close()
        if args.writers:
            print(f"{args.writers} writers at once for {args.seconds:g} s (scoring + writing, no pause):")
            rows = {}
            for name, target in targets.items():
                n, xs = concurrent(target, args.writers, args.seconds)
                rows[name] = n / args.seconds
                print(
                    f"  {name:44s} {n / args.seconds:7.1f} turns/s   write median {statistics.median(xs) * 1000:6.2f}"
                    f" ms   p95 {p95(xs) * 1000:7.2f} ms"
                )
            first = next(iter(rows))
            for name, rate in rows.items():
                if name != first:
                    print(f"  throughput {name} / sqlite: {rate / rows[first]:.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
