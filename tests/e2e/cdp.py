"""A tiny Chrome DevTools Protocol client (aiohttp websockets) for the browser-mode test."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import aiohttp

# Keys for Input.dispatchKeyEvent (DevTools protocol): what a person presses, as the page's key handlers see it.
KEYS = {"Enter": {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}}


async def page_text_stream(
    debug_port: int,
    url: str,
    want: str,
    timeout: float = 60.0,
    *,
    new_tab: bool = False,
    sign_in: tuple[str, str] | None = None,
    requests: list[str] | None = None,
    keys: tuple[str, ...] = (),
    then: str = "",
) -> tuple[str, str]:
    """Open URL in the (already running) headless browser, in its first tab or (`new_tab`) in a new one that stays
    open; with `sign_in` (name, password), fill in the sign-in form it shows and send it, as a person would;
    collect what its websockets receive until `want` shows up; then press `keys` in the page (the terminal) and go
    on until `then` shows up in what comes after. Every URL the page requests is appended to `requests`. Returns
    (everything received, decoded as text; document.body.className)."""
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

            async def next_event() -> dict:
                msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"the browser closed its DevTools connection ({msg.type})")
                data = json.loads(msg.data)
                if data.get("method") == "Network.requestWillBeSent" and requests is not None:
                    requests.append(data["params"]["request"]["url"])
                elif data.get("method") == "Network.webSocketCreated" and requests is not None:
                    requests.append(data["params"]["url"])
                return data

            await call("Network.enable")
            await call("Page.enable")
            await call("Page.navigate", url=url)
            if sign_in:
                # The sign-in form, once it is there: asking the page beats waiting for one load event, which a
                # first Chromium start can deliver for about:blank instead, or before Page.enable took hold.
                while True:
                    asked = await call(
                        "Runtime.evaluate",
                        returnByValue=True,
                        expression="!!document.getElementById('password')",
                    )
                    while (data := await next_event()).get("id") != asked:
                        pass
                    if data.get("result", {}).get("result", {}).get("value"):
                        break
                    await asyncio.sleep(0.2)
                name, password = (json.dumps(x) for x in sign_in)
                await call(
                    "Runtime.evaluate",
                    expression=(
                        f"document.getElementById('name').value = {name};"
                        f"document.getElementById('password').value = {password};"
                        "document.querySelector('form[action=\"/signin\"]').submit();"
                    ),
                )
            received: list[str] = []
            after: list[str] = []  # what the page receives once the keys are pressed
            found = False
            while time.monotonic() < deadline and not found:
                try:
                    data = await next_event()
                except asyncio.TimeoutError:
                    break
                if data.get("method") == "Network.webSocketFrameReceived":
                    resp = data["params"]["response"]
                    payload = resp.get("payloadData", "")
                    if resp.get("opcode") == 2:  # binary frame: base64
                        payload = base64.b64decode(payload).decode("utf-8", "replace")
                    received.append(payload)
                    if keys and want in "".join(received) and not after:
                        after.append("")
                        # what a click into the terminal does: xterm.js takes keys through its hidden textarea
                        await call(
                            "Runtime.evaluate",
                            expression="document.querySelector('.xterm-helper-textarea').focus()",
                        )
                        for key in keys:
                            await asyncio.sleep(0.5)
                            await call("Input.dispatchKeyEvent", type="keyDown", **KEYS[key])
                            await call(
                                "Input.dispatchKeyEvent",
                                type="keyUp",
                                **{k: v for k, v in KEYS[key].items() if k != "text"},
                            )
                    elif after:
                        after.append(payload)
                    found = then in "".join(after) if keys else want in "".join(received)
            rid = await call("Runtime.evaluate", expression="document.body.className", returnByValue=True)
            cls = ""
            while time.monotonic() < deadline + 10:
                data = json.loads((await ws.receive(timeout=10)).data)
                if data.get("id") == rid:
                    cls = data["result"]["result"].get("value", "")
                    break
            return "".join(received), cls
