"""The LLM path has a hard budget (issue 14): a server that trickles, never answers or sends 300 MB costs at most
one deadline per customer line, then the session goes scripted for a while. Against raw-socket fake servers on
127.0.0.1, so each attack really happens on the wire."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from llms.backends import LlamaCppBackend, OpenAIBackend
from llms.customer import LLMCustomer
from models import preset
from scenarios import BUNDLED
from simulator import Session, load_scenario
from simulator.customer import say

from ..conftest import run_peilian
from ..test_llm import VAGUE, _ctx

RP = load_scenario(BUNDLED / "return-postage-refund.yaml")


# -- the hard budget of one customer line (issue 14) ------------------------------------------------------------
class RawServer:
    """A TCP server on 127.0.0.1 whose every connection runs `behave(conn, stop)` in its own thread; it counts the
    requests and the bytes it sent."""

    def __init__(self, behave):
        self.behave, self.requests, self.sent = behave, 0, 0
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            conn.settimeout(30)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                length = int(
                    next(
                        (
                            h.split(b":")[1]
                            for h in head.split(b"\r\n")
                            if h.lower().startswith(b"content-length")
                        ),
                        0,
                    )
                )
                while len(body) < length:
                    body += conn.recv(65536)
                self.behave(self, conn)
            except OSError:
                pass  # the client hung up: that is what the budget is for

    def send(self, conn, data: bytes):
        conn.sendall(data)
        self.sent += len(data)

    def close(self):
        self.stop.set()
        self.sock.close()


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
EVENT = b'data: {"choices": [{"delta": {"content": "Third time writing. Where is my 12 yuan?"}}]}\n\n'


def trickle_head(server, conn):
    for b in HEAD + EVENT:
        server.send(conn, bytes([b]))
        if server.stop.wait(3):
            return


def trickle_body(server, conn):
    server.send(conn, HEAD)
    for b in EVENT * 3 + b"data: [DONE]\n\n":
        server.send(conn, bytes([b]))
        if server.stop.wait(3):
            return


def silent(server, conn):
    server.stop.wait(60)


def huge_line(server, conn):
    server.send(conn, HEAD + b"data: ")
    block = b"x" * 65536
    while server.sent < 300_000_000 and not server.stop.is_set():
        server.send(conn, block)


def huge_stream(server, conn):
    server.send(conn, HEAD)
    event = b'data: {"choices": [{"delta": {"content": "' + b"blah " * 2000 + b'"}}]}\n\n'
    while server.sent < 300_000_000 and not server.stop.is_set():
        server.send(conn, event)


@pytest.fixture
def raw_server():
    servers = []

    def start(behave):
        servers.append(RawServer(behave))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _line_from(customer):
    session = Session(RP, seed=1)
    t = time.monotonic()
    utt = say(customer, session.current, _ctx(session))
    return utt, time.monotonic() - t, session.current.line


@pytest.mark.parametrize("behave", [trickle_head, trickle_body], ids=["headers", "body"])
def test_a_server_that_trickles_a_byte_every_3_s_costs_the_deadline_not_forever(raw_server, behave):
    server = raw_server(behave)
    customer = LLMCustomer(
        OpenAIBackend(server.url, "x", timeout=600), timeout=4
    )  # each byte comes well within 600 s
    utt, took, line = _line_from(customer)
    assert took < 4 + 3, took  # the deadline, with room for a busy machine
    assert utt.source == "fallback:backend" and utt.text == line
    assert "no complete answer within" in utt.status and "scripted line was used" in utt.status


def test_a_server_that_never_answers_costs_the_deadline_once_then_rests(raw_server):
    server = raw_server(silent)
    now = [1000.0]
    customer = LLMCustomer(OpenAIBackend(server.url, "x"), timeout=2, cooldown=60, clock=lambda: now[0])
    utt, took, line = _line_from(customer)
    assert took < 2 + 3 and utt.source == "fallback:backend" and utt.text == line
    assert "no complete answer within 2 s" in utt.status and "next ones for 60 s" in utt.status
    for _ in range(3):  # the next lines: scripted at once, the server not asked, nothing said again
        now[0] += 15
        utt, took, line = _line_from(customer)
        assert took < 0.5 and utt.source == "fallback:cooldown" and utt.text == line and utt.status == ""
    assert server.requests == 1
    now[0] += 20  # 65 s after the failure: asked again
    utt, took, _line = _line_from(customer)
    assert utt.source == "fallback:backend" and server.requests == 2


@pytest.mark.parametrize("behave", [huge_line, huge_stream], ids=["one-line", "many-events"])
def test_a_300_mb_answer_is_not_read_into_memory(raw_server, behave):
    server = raw_server(behave)
    customer = LLMCustomer(OpenAIBackend(server.url, "x"), timeout=30)
    utt, took, line = _line_from(customer)
    assert utt.source == "fallback:backend" and utt.text == line
    assert "more than 64 KB" in utt.status
    assert took < 10 and server.sent < 30_000_000, (
        server.sent
    )  # a cap of 64 KB (and the sockets' buffers), not 300 MB


def test_the_in_process_model_has_the_same_budget():
    pieces = []

    class Counted(LlamaCppBackend):
        def stream_chat(self, messages, **kw):
            for piece in super().stream_chat(messages, **kw):
                pieces.append(piece)
                yield piece

    customer = LLMCustomer(Counted(preset("smollm2")), timeout=0.01, warms=Counted.loads_ahead)
    customer.warm()  # loading is not the line's time
    utt, took, line = _line_from(customer)
    # Generation stops at the first token past the deadline (reading the prompt can't be cut short: seconds on a
    # busy machine), so the line is the scripted one instead of the model's 80 tokens and a retry.
    assert utt.source == "fallback:backend" and utt.text == line and "in time" in utt.status
    assert len(pieces) <= 1 and took < 60


def test_the_line_budget_comes_from_the_flag_the_environment_or_the_preset(monkeypatch):
    from llms.backends import DEFAULT_TIMEOUT
    from llms.presets import make_llm_customer

    assert make_llm_customer("smollm2").timeout == DEFAULT_TIMEOUT
    monkeypatch.setenv("PEILIAN_LLM_TIMEOUT", "7.5")
    assert make_llm_customer("smollm2").timeout == 7.5
    assert make_llm_customer("llama-server").backend.timeout == 7.5
    monkeypatch.setenv("PEILIAN_LLM_TIMEOUT", "soon")
    from models import ModelError

    with pytest.raises(ModelError, match="PEILIAN_LLM_TIMEOUT"):
        make_llm_customer("smollm2")
    r = run_peilian("run", "return-postage-refund", "--llm-timeout", "0", "--no-save", input="hi\n")
    assert r.returncode == 2 and "--llm-timeout" in r.stderr and "Traceback" not in r.stderr


def test_a_silent_server_costs_one_deadline_in_a_whole_cli_session(raw_server):
    server = raw_server(silent)
    t = time.monotonic()
    r = run_peilian(
        "run",
        "return-postage-refund",
        "--base-url",
        server.url,
        "--llm-timeout",
        "2",
        "--no-save",
        "--seed",
        "3",
        "--json",
        input="\n".join(VAGUE) + "\n",
        timeout=120,
    )
    took = time.monotonic() - t
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    sources = [c["source"] for c in doc["customer_lines"]]
    assert sources == ["fallback:backend", "fallback:cooldown", "scripted-ending"], sources
    assert [bool(c["status"]) for c in doc["customer_lines"]] == [True, False, False]  # said once
    assert server.requests == 1 and doc["outcome"] == "escalated"
    assert took < 2 + 15, took  # one deadline, plus starting Python
