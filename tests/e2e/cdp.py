"""A tiny Chrome DevTools Protocol client (aiohttp websockets) for the browser-mode test."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import aiohttp


async def page_text_stream(debug_port: int, url: str, want: str, timeout: float = 60.0, *,
                           new_tab: bool = False) -> tuple[str, str]:
    """Open URL in the (already running) headless browser, in its first tab or (`new_tab`) in a new one that stays
    open; collect what its websockets receive until `want` shows up. Returns (everything received, decoded as
    text; document.body.className)."""
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + timeout
        targets = []
        while time.monotonic() < deadline:
            try:
                if new_tab:
                    async with http.put(f"http://127.0.0.1:{debug_port}/json/new?about:blank") as r:
                        targets = [await r.json()]
                else:
                    async with http.get(f"http://127.0.0.1:{debug_port}/json/list") as r:
                        targets = [t for t in await r.json() if t.get("type") == "page"]
                if targets:
                    break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        if not targets:
            raise AssertionError("headless Chromium did not open a page")
        async with http.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            ids = iter(range(1, 10_000))

            async def call(method, **params):
                i = next(ids)
                await ws.send_json({"id": i, "method": method, "params": params})
                return i

            await call("Network.enable")
            await call("Page.navigate", url=url)
            received: list[str] = []
            found = False
            while time.monotonic() < deadline and not found:
                try:
                    msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(msg.data)
                if data.get("method") == "Network.webSocketFrameReceived":
                    resp = data["params"]["response"]
                    payload = resp.get("payloadData", "")
                    if resp.get("opcode") == 2:  # binary frame: base64
                        payload = base64.b64decode(payload).decode("utf-8", "replace")
                    received.append(payload)
                    found = want in "".join(received)
            rid = await call("Runtime.evaluate", expression="document.body.className", returnByValue=True)
            cls = ""
            while time.monotonic() < deadline + 10:
                data = json.loads((await ws.receive(timeout=10)).data)
                if data.get("id") == rid:
                    cls = data["result"]["result"].get("value", "")
                    break
            return "".join(received), cls
