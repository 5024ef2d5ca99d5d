"""Browser mode: `peilian serve` on 127.0.0.1, loaded in headless Chromium (Debian's package, installed by
tests/e2e/install-system-deps.sh via `make test`). The trainee signs in on the page the room shows first; the page
must then receive the app's first screen, play on (a scenario's brief, its chat), load nothing from outside this
machine, and a second tab must be a session of its own, signed in by the same cookie."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..conftest import ROOT
from .cdp import page_text_stream


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def _app_processes(root: int) -> list[str]:
    """The `peilian app` processes under the server (textual-serve starts one per browser connection)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "peilian app" not in cmd or cmd.startswith("/bin/sh"):
                continue
            pid = int(proc.name)
            while pid > 1:  # is it a descendant of the server?
                pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if pid == root:
                    found.append(cmd)
                    break
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_serve_shows_the_first_screen_in_headless_chromium(peilian_home):
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: run tests/e2e/install-system-deps.sh (make test does)"
    port, debug = free_port(), free_port()
    env = {**os.environ, "PEILIAN_LANG": "en"}
    added = subprocess.run(
        [sys.executable, "-m", "peilian", "users", "add", "ana", "--role", "trainee", "--password"],
        cwd=ROOT,
        env=env,
        input="ana-pass-1\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "peilian", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    browser = None
    try:
        wait_port(port)
        browser = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={peilian_home.parent / 'chromium'}",
                f"--remote-debugging-port={debug}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        requests: list[str] = []
        text, body_class = asyncio.run(
            page_text_stream(
                debug,
                f"http://127.0.0.1:{port}/",
                "late-birthday-gift",
                90,
                sign_in=("ana", "ana-pass-1"),
                requests=requests,
                keys=("Enter", "Enter"),
                then="Type your reply",
            )
        )
        assert "-first-byte" in body_class  # textual-serve's page got the app's first frame
        assert (
            "Peilian" in text and "late-birthday-gift" in text and "cold-food-delivery" in text
        )  # the scenario list
        assert (
            "ana" in text and "Type your reply" in text
        )  # signed in as ana, and playing: brief, then the chat
        assert any(u.endswith("/signin") for u in requests) and any(
            u.startswith(f"ws://127.0.0.1:{port}/ws?") for u in requests
        )
        local = (f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/", "data:")
        assert [u for u in requests if not u.startswith(local)] == []  # not one request leaves this machine
        # A second tab is its own session: its own app process, with its own first screen.
        text2, _ = asyncio.run(
            page_text_stream(debug, f"http://127.0.0.1:{port}/", "late-birthday-gift", 90, new_tab=True)
        )
        assert "late-birthday-gift" in text2
        apps = _app_processes(server.pid)
        assert len(apps) == 2, apps
        assert all("--trainee=ana --role trainee --lock-trainee" in a for a in apps), apps
    finally:
        for p in (browser, server):
            if p is not None:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)


def test_serve_refuses_a_busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "peilian", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2 and "choose another --port" in r.stderr and "Traceback" not in r.stderr
