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
