"""Benchmark: memory per connected session of `peilian serve` (issue 17), and how many sessions fit in 8 GB.

    python bench/bench_serve.py [--sessions 10] [--settle 5] [--bot scripted|llm]

Starts `peilian serve` on 127.0.0.1 (its own $PEILIAN_HOME, the scripted customer unless `--bot llm`: then the
in-process SmolLM2 model in every app process; one trainee account) and connects
K websocket clients (aiohttp, as textual-serve's page does), one after another. Each is a real session: signed in,
its own app process started by the server (textual-serve spawns one per connection), the scenario list drawn, the
first scenario's brief opened, the chat started and one reply sent and scored (the turn is in the database), so the
scorer and the store are loaded as in practice; then the client stays connected, reading what the app draws.

Memory is read from /proc (psutil is not installed) for the server and every process under it, at 0, 1 and K
connections, after `--settle` seconds: RSS (what `top` shows; pages shared between the app processes, such as the
Python interpreter and libraries, count once per process) and PSS (each shared page divided among the processes
that share it: the fair share). Memory per session = (at K - at 0) / K; the sessions that fit in 8 GB = (8 GiB - the
server at 0) / that. A session more than K costs its private memory (USS: pages no other process has; the Python
libraries and a model file are already shared), which gives the last estimate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.test_browser import free_port, wait_port  # noqa: E402
from tests.security.test_serve_auth import keys, screen  # noqa: E402

GIB = 1024**3
NAME, PASSWORD = "bench", "bench-pass-1"
REPLY = "非常抱歉,孩子的生日礼物还没到。我现在联系商家,今天18点前改发顺丰,单号短信发您。"


# -- memory, from /proc ----------------------------------------------------------------------------------------------
def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def tree(root: int) -> list[int]:
    """The server and every process under it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(_parent(int(entry.name)), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _kib(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory(root: int) -> dict:
    """RSS and PSS (bytes) of the server's process tree, and of each app process (RSS, PSS, private)."""
    rss = pss = sessions_private = 0
    apps: list[tuple[int, int, int]] = []
    for pid in tree(root):
        proc = Path("/proc") / str(pid)
        try:
            r = _kib(proc / "status", "VmRSS") * 1024
            p = _kib(proc / "smaps_rollup", "Pss") * 1024
            private = sum(_kib(proc / "smaps_rollup", f) for f in ("Private_Clean", "Private_Dirty")) * 1024
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        rss, pss = rss + r, pss + p
        if pid != root:  # an app process, or the shell textual-serve starts it with
            sessions_private += private
        if "peilian app" in cmd and not cmd.startswith("/bin/sh"):
            apps.append((r, p, private))
    return {"rss": rss, "pss": pss, "apps": apps, "private": sessions_private, "processes": len(tree(root))}


# -- sessions --------------------------------------------------------------------------------------------------------
def turns_in(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("select count(*) from turns").fetchone()[0]
    finally:
        conn.close()


async def open_session(http: aiohttp.ClientSession, url: str, db: Path, n: int):
    """One real practice session: the app's first screen, a scenario started, one reply scored and stored."""
    ws = await http.ws_connect(f"{url}/ws?width=110&height=35", origin=url)
    assert "late-birthday-gift" in await screen(ws, "late-birthday-gift", 120), "no scenario list"
    await asyncio.sleep(1)
    await keys(ws, "\r")
    await screen(ws, "Start", 60)
    await keys(ws, "\r")
    assert "Type your reply" in await screen(ws, "Type your reply", 60), "the chat did not open"
    before = turns_in(db)
    end = time.monotonic() + 180
    while turns_in(db) <= before:
        # sent again every 15 s: while the LLM customer writes its opening, the reply box may not take it yet
        await keys(ws, REPLY, "\r")
        again = time.monotonic() + 15
        while turns_in(db) <= before and time.monotonic() < again:
            try:
                await ws.receive(timeout=0.3)
            except asyncio.TimeoutError:
                pass
        if time.monotonic() > end:
            raise AssertionError(f"session {n}: the reply was never stored")
    return ws


async def drain(ws) -> None:
    """Read what the app draws (its clock ticks), as a browser would, so that it never waits on a full socket."""
    try:
        async for _ in ws:
            pass
    except Exception:  # noqa: BLE001 - the connection is closed at the end
        pass


def mb(x: float) -> str:
    return f"{x / 1024**2:.0f} MB"


async def measure(url: str, server: subprocess.Popen, db: Path, k: int, settle: float) -> dict:
    points: dict[int, dict] = {}
    await asyncio.sleep(settle)
    points[0] = memory(server.pid)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{url}/signin", data={"name": NAME, "password": PASSWORD}, headers={"Origin": url}
        ) as resp:
            assert resp.status == 200 and "data-session-websocket-url" in await resp.text(), "sign-in failed"
        sockets, drains = [], []
        for n in range(1, k + 1):
            t = time.monotonic()
            ws = await open_session(http, url, db, n)
            sockets.append(ws)
            drains.append(asyncio.create_task(drain(ws)))
            print(f"  session {n} open and scored in {time.monotonic() - t:.1f} s", flush=True)
            if n in (1, k):
                await asyncio.sleep(settle)
                points[n] = memory(server.pid)
        for ws in sockets:
            await ws.close()
        for task in drains:
            task.cancel()
    return points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10, help="K: websocket clients connected at once")
    ap.add_argument("--settle", type=float, default=5, help="seconds to wait before each measurement")
    ap.add_argument(
        "--bot", default="scripted", help="the customer, as `peilian serve --bot` (scripted, llm)"
    )
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="peilian-bench-serve-"))
    env = {**os.environ, "PEILIAN_HOME": str(home), "PEILIAN_LANG": "en"}
    env.pop("PEILIAN_DB", None)
    added = subprocess.run(
        [sys.executable, "-m", "peilian", "users", "add", NAME, "--role", "trainee", "--password"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    k = args.sessions
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peilian",
            "serve",
            "--port",
            str(port),
            "--max-sessions",
            str(k),
            "--max-per-user",
            str(k),
            "--bot",
            args.bot,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {k} sessions, "
        f"customer: {args.bot}"
    )
    try:
        wait_port(port, 60)
        points = asyncio.run(measure(f"http://127.0.0.1:{port}", server, home / "peilian.db", k, args.settle))
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)
    print("connections   processes   RSS (sum)   PSS (sum)")
    for n, m in points.items():
        print(f"  {n:>9}   {m['processes']:>9}   {mb(m['rss']):>9}   {mb(m['pss']):>9}")
    base, one, full = points[0], points[1], points[k]
    apps = full["apps"]
    print(
        f"one app process (median of {len(apps)}): RSS {mb(statistics.median(a[0] for a in apps))}, "
        f"PSS {mb(statistics.median(a[1] for a in apps))}, private (USS) {mb(statistics.median(a[2] for a in apps))}"
    )
    for kind in ("rss", "pss"):
        first = one[kind] - base[kind]
        each = (full[kind] - base[kind]) / k
        fit = int((8 * GIB - base[kind]) // each)
        print(
            f"{kind.upper()}: the server alone {mb(base[kind])}; the first session +{mb(first)}; "
            f"per session at {k}: {mb(each)}; sessions in 8 GiB: {fit}"
        )
    private = full["private"] / k
    print(
        f"each more session costs its private memory, {mb(private)} (its app's and its shell's, mean of {k}): "
        f"past {k}, sessions in 8 GiB: {k + int((8 * GIB - full['pss']) // private)}"
    )


if __name__ == "__main__":
    main()
