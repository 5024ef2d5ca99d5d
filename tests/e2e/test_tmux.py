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


def test_play_a_scenario_to_the_end_in_tmux(peilian_home, tmp_path):
    assert shutil.which("tmux"), "tmux is missing: run tests/e2e/install-system-deps.sh (make test does)"
    peilian = Path(sys.executable).with_name("peilian")  # the installed console script
    assert peilian.exists()
    session = f"peilian-e2e-{os.getpid()}"
    sock = str(tmp_path / "tmux.sock")
    env = f"PEILIAN_HOME={shlex.quote(str(peilian_home))} PEILIAN_LANG=en TERM=xterm-256color"
    cmd = (
        f"env {env} {shlex.quote(str(peilian))} app --trainee tmux-trainee --seed {SC.tests[0].seed}; sleep 5"
    )
    subprocess.run(
        ["tmux", "-S", sock, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd], check=True
    )

    def t(*args):
        return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, text=True, check=True).stdout

    def shown():
        return t("capture-pane", "-p", "-t", session)

    def wait(text, timeout=60.0):
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            last = shown()
            if text in last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{last}")

    def wait_gone(text, timeout=30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text not in shown():
                return
            time.sleep(0.2)
        raise AssertionError(f"{text!r} stayed on the screen:\n{shown()}")

    try:
        wait("late-birthday-gift")
        time.sleep(1.0)  # let the first screen settle (focus on the table) before typing, as a person would
        t("send-keys", "-t", session, "/")  # from the table to the search box
        t("send-keys", "-t", session, "-l", "late-birthday")
        wait_gone("cold-food-delivery")  # the list is filtered
        for _ in range(4):  # past the language, level and tag filters, back to the (filtered) table
            t("send-keys", "-t", session, "Tab")
        t("send-keys", "-t", session, "Enter")  # choose it: the brief
        wait("Start")
        t("send-keys", "-t", session, "Enter")  # start the chat
        wait("Type your reply")
        for i, reply in enumerate(SC.tests[0].replies, 1):
            t("send-keys", "-t", session, "-l", reply)
            t("send-keys", "-t", session, "Enter")
            if i == 1:
                wait("certainty")  # the score panel for the first reply
        wait("Session ended: resolved")  # the session is over; its last words stay on the chat
        wait("Enter: the summary")
        t("send-keys", "-t", session, "Enter")
        final = wait("Try again")
        assert "resolved" in final
        t("send-keys", "-t", session, "C-q")
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)

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
    session = f"peilian-hup-{os.getpid()}"
    sock = str(tmp_path / "tmux.sock")
    pidfile = tmp_path / "pid"
    env = f"PEILIAN_HOME={shlex.quote(str(peilian_home))} PEILIAN_LANG=en TERM=xterm-256color"
    inner = (
        f"trap '' HUP; echo $$ > {shlex.quote(str(pidfile))}; exec env {env} {shlex.quote(str(peilian))} app"
    )
    cmd = f"sh -c {shlex.quote(inner)}"
    subprocess.run(
        ["tmux", "-S", sock, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd], check=True
    )
    pid = None
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            shown = subprocess.run(
                ["tmux", "-S", sock, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if "late-birthday-gift" in shown:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the app never showed its scenario list")
        pid = int(pidfile.read_text())

        def keys(*args):
            subprocess.run(["tmux", "-S", sock, "send-keys", "-t", session, *args], check=True)

        def wait(text):
            end = time.monotonic() + 60
            while (
                text
                not in subprocess.run(
                    ["tmux", "-S", sock, "capture-pane", "-p", "-t", session], capture_output=True, text=True
                ).stdout
            ):
                assert time.monotonic() < end, f"{text!r} never appeared"
                time.sleep(0.2)

        time.sleep(1.0)
        keys("/")
        keys("-l", "late-birthday")
        time.sleep(0.5)
        for _ in range(4):
            keys("Tab")
        keys("Enter")
        wait("Start")
        keys("Enter")
        wait("Type your reply")
        keys("-l", "马上帮您催")
        time.sleep(0.3)
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
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
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
        if pid is not None:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
