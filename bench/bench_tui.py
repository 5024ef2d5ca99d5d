"""Benchmark the practice app: cold start to first frame vs a bare Textual app, and Enter -> score panel.

    python bench/bench_tui.py [--runs 5]

Cold start: a fresh process that runs the real command (`peilian app`, through the CLI: its imports, the config,
the default progress store in a temporary PEILIAN_HOME) headless and exits once its first screen is up; the same
for a bare Textual "hello" app, in the same run (goal: ours <= 1.5x hello). Best of N each, three moments:
  painted - the first frame with the app's own screen is composited (App._display is handed it);
  settled - then the pilot's pause(): Textual waits until the process is idle, so this includes what the app does
            right after its first frame (ours: load the scenarios, the scorer and the store in a worker);
  listed  - ours only: the scenario list is filled.
Enter -> panel: the app's own measure, from its Enter handler to the first screen refresh after the score panel
got the reply's scores (scoring and the scripted customer run in a worker thread in between) (goal <= 50 ms);
median and p95 over the replies of the bundled scenarios' own tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAINTED = """
import time
from textual.app import App
_display = App._display
def _first_display(self, screen, renderable):  # the first frame that shows the app's own screen
    if renderable is not None and screen.children and not getattr(App, "_painted", False):
        App._painted = True
        print("painted", time.time(), flush=True)
    _display(self, screen, renderable)
App._display = _first_display
"""

HELLO = (
    PAINTED
    + """
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("hello")
async def first_frame(pilot):
    await pilot.pause()
    print("settled", time.time(), flush=True)
    pilot.app.exit()
Hello().run(headless=True, size=(120, 40), auto_pilot=first_frame)
"""
)

OURS = (
    PAINTED
    + """
import asyncio
async def first_frame(pilot):
    while not (pilot.app.screen.query("#scenarios") and pilot.app.screen.query_one("#scenarios").row_count):
        await asyncio.sleep(0.005)
    print("listed", time.time(), flush=True)
    await pilot.pause()
    print("settled", time.time(), flush=True)
    pilot.app.exit()
_run = App.run
App.run = lambda self, *a, **k: _run(self, headless=True, size=(120, 40), auto_pilot=first_frame)
from peilian.cli import main  # the real command, as `peilian app` starts it (its imports, config, store)
main(["app", "--trainee", "bench", "--lang", "en", "--seed", "1"])
"""
)


def cold(code: str, runs: int) -> dict[str, float]:
    """Seconds from spawning the process to each moment it reports (it prints the wall clock then). Best of runs."""
    best: dict[str, float] = {}
    home = tempfile.mkdtemp(prefix="peilian-bench-")
    for _ in range(runs):
        t = time.time()
        out = subprocess.run(
            [sys.executable, "-c", code],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PEILIAN_HOME": home},
        ).stdout
        for line in out.strip().splitlines():
            moment, when = line.split()
            best[moment] = min(best.get(moment, float("inf")), float(when) - t)
    return best


async def enter_to_panel() -> tuple[list[float], list[float], list[float]]:
    from textual.widgets import TextArea

    from peilian.catalog import all_scenarios
    from tui.app import AppOptions, ChatScreen, PickScreen, create_app

    times: list[float] = []  # replies the session goes on after
    last: list[float] = []  # replies that end the session (the chat also shows how it ended)
    updated: list[float] = []
    for _path, sc in all_scenarios():
        for test in sc.tests:
            app = create_app(
                AppOptions(trainee="bench", lang="en", seed=test.seed), scenarios=[sc], recorder=False
            )
            async with app.run_test(size=(120, 40)) as pilot:
                assert isinstance(app.screen, PickScreen)
                await pilot.press("enter")
                await pilot.pause()
                await pilot.press("enter")
                while not isinstance(app.screen, ChatScreen):
                    await pilot.pause(0.01)
                chat = app.screen
                for reply in test.replies:
                    if chat.session.finished:
                        break
                    n = len(chat.latencies)
                    chat.query_one("#reply", TextArea).text = reply
                    await pilot.press("enter")
                    while len(chat.latencies) == n:
                        await asyncio.sleep(0.001)
                    (last if chat.session.finished else times).append(chat.latencies[-1])
                    updated.append(chat.update_latencies[-1])
                    await pilot.pause()
    return times, last, updated


def summary(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return (
        f"median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {times[-1] * 1000:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    hello = cold(HELLO, args.runs)
    ours = cold(OURS, args.runs)
    for moment in ("painted", "settled"):
        print(
            f"cold start to first frame {moment}: bare Textual {hello[moment]:.2f} s, Peilian {ours[moment]:.2f} s, "
            f"ratio {ours[moment] / hello[moment]:.2f}x   (goal <= 1.5x)"
        )
    print(f"cold start to the scenario list filled: Peilian {ours['listed']:.2f} s")
    times, last, updated = asyncio.run(enter_to_panel())
    print(
        f"Enter -> score panel updated (scripted customer), {len(updated)} replies: {summary(updated)}"
        "   (goal <= 50 ms)"
    )
    print(f"Enter -> screen repainted with it, mid-session:   {len(times)} replies: {summary(times)}")
    print(f"Enter -> repainted, a session's last reply:      {len(last)} replies: {summary(last)}")


if __name__ == "__main__":
    main()
