"""Where a model's words come from: a GGUF model in this process (llama-cpp-python) or any OpenAI-compatible server
(llama.cpp's server, vLLM, Ollama). Both stream a chat answer and give one JSON-schema-constrained answer (for the
LLM judge); every failure is one `BackendError` whose message is a short reason ("the server answered HTTP 500").

A server is asked under a hard budget: connecting, the first byte and the whole answer must be done by the deadline
(a watchdog shuts the socket then, however slowly the server trickles bytes), and at most MAX_BYTES are read.

Each backend declares what it can do (`loads_ahead`: `load()` reads the model into memory, worth doing before the
first line); callers read that, they never probe. Imports nothing of Peilian's but the line budget in `models`.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Protocol

from models import LINE_TIMEOUT

# The hard budget of one customer line (both attempts, connecting, the first byte, the whole answer), seconds:
# `--llm-timeout`, PEILIAN_LLM_TIMEOUT or a preset's `timeout:` change it.
DEFAULT_TIMEOUT = LINE_TIMEOUT
MAX_BYTES = 64 * 1024  # the most read from a server for one answer (a chat line is a few hundred bytes)


class BackendError(Exception):
    """The model could not produce words (server down, timeout, bad response), as one short phrase. `status` is
    the HTTP status when a server answered with another than 200 (0 otherwise)."""

    def __init__(self, reason: str, *, status: int = 0):
        super().__init__(reason)
        self.status = status


class Backend(Protocol):
    name: str
    loads_ahead: bool  # load() reads the model into memory: worth calling before the first line is needed

    def load(self) -> None: ...

    def stream_chat(
        self,
        messages: list[dict],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        deadline: float | None = None,
        **sampling: Any,
    ) -> Iterator[str]: ...

    def complete_json(
        self, messages: list[dict], schema: dict, *, max_tokens: int = 64, seed: int = 0
    ) -> Any: ...


class LlamaCppBackend:
    """A GGUF model in this process (llama-cpp-python). Loaded once; consecutive prompts share their KV prefix."""

    loads_ahead = True

    def __init__(
        self, model_path: str | Path, *, n_ctx: int = 2048, n_threads: int | None = None, name: str = ""
    ):
        self.path = Path(model_path)
        self.name = name or self.path.stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llm: Any = None
        self._loading = (
            threading.Lock()
        )  # the app loads it in the background; a session that starts sooner waits

    def load(self) -> None:
        self._model()

    def _model(self) -> Any:
        with self._loading:
            if self._llm is None:
                if not self.path.exists():
                    raise BackendError(f"the model file {self.path} does not exist")
                from llama_cpp import Llama

                try:
                    self._llm = Llama(
                        model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
                    )
                except (ValueError, RuntimeError) as e:
                    raise BackendError(f"cannot load {self.path.name}: {e}") from None
        return self._llm

    def stream_chat(
        self,
        messages: list[dict],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        deadline: float | None = None,
        **sampling: Any,
    ) -> Iterator[str]:
        llm = self._model()
        extra = {
            k: sampling[k] for k in ("top_p", "top_k", "min_p", "repeat_penalty", "stop") if k in sampling
        }
        try:
            for part in llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                stream=True,
                **extra,
            ):
                if (
                    deadline is not None and time.monotonic() > deadline
                ):  # a machine too busy to finish in time
                    raise BackendError("the model did not finish the line in time")
                piece = part["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
        except (ValueError, RuntimeError) as e:
            raise BackendError(str(e)) from None

    def complete_json(
        self, messages: list[dict], schema: dict, *, max_tokens: int = 64, seed: int = 0
    ) -> Any:
        """One answer constrained to a JSON schema (llama.cpp grammar), parsed (for the LLM judge)."""
        llm = self._model()
        try:
            out = llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                seed=seed,
                response_format={"type": "json_object", "schema": schema},
            )
            return json.loads(out["choices"][0]["message"]["content"])
        except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as e:
            raise BackendError(f"no valid JSON from {self.name} ({str(e).splitlines()[0][:80]})") from None


def _connect(url: str, deadline: float) -> tuple[http.client.HTTPConnection, str, float]:
    """A connection (not yet opened) to `url`'s server, its request path, and the seconds left for it all."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"{url} is not an http:// or https:// address")
    budget = deadline - time.monotonic()
    if budget <= 0:
        raise BackendError("no time was left for this line")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = cls(parts.hostname, parts.port, timeout=budget)
    except ValueError as e:  # a bad port
        raise BackendError(f"{url} is not a valid address ({e})") from None
    return conn, parts.path + (f"?{parts.query}" if parts.query else ""), budget


def _watchdog(conn: http.client.HTTPConnection, budget: float) -> tuple[threading.Timer, threading.Event]:
    """A timer that shuts the connection's socket after `budget` seconds (waking a read blocked in another thread),
    and the event it sets then."""
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(budget, cut)
    timer.daemon = True
    timer.start()
    return timer, expired


def post(
    url: str, body: bytes, headers: dict, deadline: float, cap: int = MAX_BYTES
) -> Generator[bytes, None, None]:
    """POST `body` and yield the answer's body as it arrives, under a hard budget: connecting, the headers and the
    whole body must be done by `deadline` (time.monotonic()); a watchdog shuts the socket then, however slowly the
    server trickles bytes (a socket timeout alone restarts with every byte). At most `cap` bytes of the body are
    read. The one place where HTTP fails: every failure is a BackendError of one phrase."""
    conn, path, budget = _connect(url, deadline)
    watchdog, expired = _watchdog(conn, budget)
    late = BackendError(f"no complete answer within {budget:.3g} s")
    connected = False
    try:
        conn.request("POST", path, body=body, headers=headers)
        if expired.is_set():  # the budget ran out while connecting (before the watchdog had a socket to shut)
            raise late
        connected = True
        resp = conn.getresponse()
        if resp.status != 200:
            raise BackendError(f"the server answered HTTP {resp.status}", status=resp.status)
        got = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or expired.is_set():
                raise late
            if conn.sock is not None:
                conn.sock.settimeout(left)
            piece = resp.read1(min(16384, cap + 1 - got))
            if not piece:
                if expired.is_set():
                    raise late
                return
            got += len(piece)
            if got > cap:
                raise BackendError(f"the server sent more than {cap // 1024} KB for one answer")
            yield piece
    except BackendError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as e:
        if expired.is_set() or time.monotonic() >= deadline:
            raise late from None
        if not connected:
            where = urllib.parse.urlsplit(url)
            why = e.strerror if isinstance(e, OSError) and e.strerror else e
            raise BackendError(f"cannot reach {where.scheme}://{where.netloc} ({why})") from None
        raise BackendError(f"the stream was cut ({e or type(e).__name__})") from None
    finally:
        watchdog.cancel()
        conn.close()


def _events(body: Iterator[bytes]) -> Iterator[str]:
    """The data of a server-sent event stream, up to its [DONE]; BackendError if it ends before or isn't one."""
    pending = b""
    for data in body:
        pending += data
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if not line or line.startswith(":"):
                continue
            if not line.startswith("data:"):
                raise BackendError("the server's answer is not an event stream")
            event = line[5:].strip()
            if event == "[DONE]":
                return
            yield event
    raise BackendError("the stream ended before [DONE]")


class OpenAIBackend:
    """Any OpenAI-compatible server (llama.cpp server, vLLM, Ollama): POST {base_url}/chat/completions, streamed.
    Every request has a hard deadline (`timeout` seconds, or the customer line's own) and reads at most MAX_BYTES."""

    loads_ahead = False  # the server holds the model

    def __init__(
        self, base_url: str, model: str = "", *, timeout: float = DEFAULT_TIMEOUT, api_key: str = ""
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model or "default"
        self.name = f"{self.model}@{self.base_url}"
        self.timeout = timeout
        self.api_key = api_key

    def load(self) -> None:
        """Nothing to load here: the server has the model."""

    def _request(self, payload: dict, accept: str, deadline: float) -> Generator[bytes, None, None]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return post(f"{self.base_url}/chat/completions", json.dumps(payload).encode(), headers, deadline)

    def stream_chat(
        self,
        messages: list[dict],
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        deadline: float | None = None,
        **sampling: Any,
    ) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "stream": True,
        }
        for key in ("top_p", "stop"):  # the OpenAI sampling keys only: servers differ on the others
            if key in sampling:
                payload[key] = sampling[key]
        own = time.monotonic() + self.timeout  # the backend's own budget and the line's, whichever ends first
        body = self._request(payload, "text/event-stream", own if deadline is None else min(deadline, own))
        try:
            for event in _events(body):
                try:
                    piece = json.loads(event)["choices"][0].get("delta", {}).get("content")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                    raise BackendError("the server sent something that is not a chat completion") from None
                if piece:
                    yield piece
        finally:
            body.close()  # the connection and its watchdog go at once, not when the generator is collected

    def complete_json(
        self, messages: list[dict], schema: dict, *, max_tokens: int = 64, seed: int = 0
    ) -> Any:
        """One answer constrained to a JSON schema: OpenAI's `json_schema` response format (vLLM, Ollama, llama.cpp's
        server); llama-cpp-python's server only knows `json_object` with a schema, so that is the second try."""
        base = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": seed,
        }
        formats = [
            {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}},
            {"type": "json_object", "schema": schema},
        ]
        for i, fmt in enumerate(formats):
            body = self._request(
                {**base, "response_format": fmt}, "application/json", time.monotonic() + self.timeout
            )
            try:
                out = json.loads(b"".join(body))
            except BackendError as e:
                if i == 0 and e.status:
                    continue  # this server refused that response format (llama-cpp-python says 500): try the other
                raise
            except ValueError:
                raise BackendError("the server's answer is not JSON") from None
            try:
                return json.loads(out["choices"][0]["message"]["content"])
            except (ValueError, KeyError, IndexError, TypeError):
                raise BackendError(f"no valid JSON from {self.name}") from None
        raise BackendError(f"{self.name} accepts no JSON-schema response format")
