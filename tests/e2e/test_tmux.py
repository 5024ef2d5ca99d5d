"""End to end in a real terminal: the installed `peilian` under tmux (send-keys / capture-pane), one scenario
played to the end with the keyboard, then the progress database checked."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from simulator import load_scenario

from ..conftest import ROOT

SC = load_scenario(ROOT / "scenarios" / "late-birthday-gift.yaml")


class _Tmux:
    """One tmux server on its own socket with one session: type into it, read its screen, wait for text."""

    def __init__(self, tmp_path: Path, name: str):
        self.sock = str(tmp_path / "tmux.sock")
        self.session = f"{name}-{os.getpid()}"

    def start(self, cmd: str, width: int, height: int) -> None:
        subprocess.run(
            [
                "tmux",
                "-S",
                self.sock,
                "new-session",
                "-d",
                "-s",
                self.session,
                "-x",
                str(width),
                "-y",
                str(height),
                cmd,
            ],
            check=True,
        )

    def keys(self, *args: str) -> None:
        subprocess.run(
            ["tmux", "-S", self.sock, "send-keys", "-t", self.session, *args], capture_output=True, check=True
        )

    def shown(self, escapes: bool = False) -> str:
        return subprocess.run(
            ["tmux", "-S", self.sock, "capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.session],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait(self, text: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            last = self.shown()
            if text in last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{last}")

    def gone(self, text: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text not in self.shown():
                return True
            time.sleep(0.2)
        return False

    def wait_gone(self, text: str, timeout: float = 30.0) -> None:
        if not self.gone(text, timeout):
            raise AssertionError(f"{text!r} stayed on the screen:\n{self.shown()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)


def _open_late_birthday_gift(tmux: _Tmux) -> None:
    """From the app's first screen to the chat of late-birthday-gift, by keyboard."""
    tmux.wait("late-birthday-gift")
    time.sleep(1.0)  # let the first screen settle (focus on the table) before typing, as a person would

    def search() -> None:
        tmux.keys("/")  # from the table to the search box
        tmux.keys("-l", "late-birthday")

    search()
    if not tmux.gone("cold-food-delivery", timeout=15):  # the list is filtered
        # Once in a CI run (never in about 20 runs here, loaded or not) the keys never reached the search box. A
        # person would press them again: so does the test, once, and says so; a second miss fails.
        print("the search keys didn't take; again:\n" + tmux.shown(escapes=True), file=sys.stderr)
        tmux.keys("Escape")  # the search box emptied, the list focused
        time.sleep(0.5)  # (an Escape followed at once by a key is read as Alt+key)
        search()
        tmux.wait_gone("cold-food-delivery")
    for _ in range(4):  # past the language, level and tag filters, back to the (filtered) table
        tmux.keys("Tab")
    tmux.keys("Enter")  # choose it: the brief
    tmux.wait("Start")
    tmux.keys("Enter")  # start the chat
    tmux.wait("Type your reply")


def test_play_a_scenario_to_the_end_in_tmux(peilian_home, tmp_path):
    assert shutil.which("tmux"), "tmux is missing: run tests/e2e/install-system-deps.sh (make test does)"
    peilian = Path(sys.executable).with_name("peilian")  # the installed console script
    assert peilian.exists()
    tmux = _Tmux(tmp_path, "peilian-e2e")
    env = f"PEILIAN_HOME={shlex.quote(str(peilian_home))} PEILIAN_LANG=en TERM=xterm-256color"
    cmd = (
        f"env {env} {shlex.quote(str(peilian))} app --trainee tmux-trainee --seed {SC.tests[0].seed}; sleep 5"
    )
    tmux.start(cmd, 120, 40)
    try:
        _open_late_birthday_gift(tmux)
        for i, reply in enumerate(SC.tests[0].replies, 1):
            tmux.keys("-l", reply)
            tmux.keys("Enter")
            if i == 1:
                tmux.wait("certainty")  # the score panel for the first reply
        tmux.wait("Session ended: resolved")  # the session is over; its last words stay on the chat
        tmux.wait("Enter: the summary")
        tmux.keys("Enter")
        final = tmux.wait("Try again")
        assert "resolved" in final
        tmux.keys("C-q")
    finally:
        tmux.kill()

    conn = sqlite3.connect(peilian_home / "peilian.db")
    try:
        rows = conn.execute(
            "select trainees.name, sessions.outcome, sessions.turns, sessions.scenario_id from sessions "
            "join trainees on trainees.id = sessions.trainee_id"
        ).fetchall()
        replies = [r[0] for r in conn.execute("select reply from turns order by number")]
    finally:
        conn.close()
    assert rows == [("tmux-trainee", "resolved", len(SC.tests[0].replies), "late-birthday-gift")]
    assert replies == SC.tests[0].replies


def test_the_app_quits_when_its_terminal_goes_away(peilian_home, tmp_path):
    """Found by hand: `tmux kill-session` on `make run` left the app reading nothing at full speed (a whole core)
    and make waiting on it, for as long as the machine was up. make catches the hang-up signal and waits; the app,
    run by it, never gets one. Here the app ignores it the same way, and must still quit within seconds, with the
    reply the trainee was typing kept."""
    assert shutil.which("tmux"), "tmux is missing: run tests/e2e/install-system-deps.sh (make test does)"
    peilian = Path(sys.executable).with_name("peilian")
    tmux = _Tmux(tmp_path, "peilian-hup")
    pidfile = tmp_path / "pid"
    env = f"PEILIAN_HOME={shlex.quote(str(peilian_home))} PEILIAN_LANG=en TERM=xterm-256color"
    inner = (
        f"trap '' HUP; echo $$ > {shlex.quote(str(pidfile))}; exec env {env} {shlex.quote(str(peilian))} app"
    )
    tmux.start(f"sh -c {shlex.quote(inner)}", 100, 30)
    pid = None
    try:
        tmux.wait("late-birthday-gift")
        pid = int(pidfile.read_text())
        _open_late_birthday_gift(tmux)
        tmux.keys("-l", "马上帮您催")
        time.sleep(0.3)
        tmux.kill()
        end = time.monotonic() + 15
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break  # gone
            assert time.monotonic() < end, "the app kept running after its terminal went away"
            time.sleep(0.2)
        conn = sqlite3.connect(peilian_home / "peilian.db")
        try:
            drafts = [r[0] for r in conn.execute("select draft from sessions")]
        finally:
            conn.close()
        assert drafts == ["马上帮您催"]
    finally:
        tmux.kill()
        if pid is not None:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
