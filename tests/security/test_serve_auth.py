"""Issue 14.6, the training room is access-controlled: a real `peilian serve` on 127.0.0.1, driven over HTTP and its
websocket as a browser (or another site's page) would. Each test is an attack from the issue, and shows it fails."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager

import aiohttp
import pytest

from ..conftest import ROOT, run_peilian
from ..e2e.test_browser import _app_processes, free_port, wait_port

ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z])")
F5, F6, SHIFT_TAB = "\x1b[15~", "\x1b[17~", "\x1b[Z"
PASSWORDS = {"组长": "lead-pass-1", "王小明": "wang-pass-1", "李四": "li-pass-12", "赵六": "zhao-pass-1"}


def add_user(name: str, role: str) -> None:
    r = run_peilian("users", "add", name, "--role", role, "--password", input=PASSWORDS[name] + "\n")
    assert r.returncode == 0, r.stderr


class Room:
    def __init__(self, port: int, server: subprocess.Popen):
        self.port, self.server = port, server
        self.url = f"http://127.0.0.1:{port}"

    def apps(self) -> list[str]:
        """The command lines of the app processes the server has started (one per open websocket)."""
        return _app_processes(self.server.pid)


@contextmanager
def room(*flags: str):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "peilian", "serve", "--port", str(port), *flags],
        cwd=ROOT,
        env={**os.environ, "PEILIAN_LANG": "en"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_port(port)
        yield Room(port, server)
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies for an IP address (127.0.0.1), as a browser does
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(
    http: aiohttp.ClientSession, r: Room, name: str, password: str | None = None
) -> aiohttp.ClientResponse:
    async with http.post(
        f"{r.url}/signin",
        data={"name": name, "password": PASSWORDS[name] if password is None else password},
        headers={"Origin": r.url},
        allow_redirects=False,
    ) as resp:
        await resp.read()
        return resp


async def ws_status(http: aiohttp.ClientSession, url: str, **kw) -> int:
    """The HTTP status of a websocket upgrade that the server refuses (101 if it accepts)."""
    try:
        async with http.ws_connect(url, **kw):
            return 101
    except aiohttp.WSServerHandshakeError as e:
        return e.status


async def screen(ws, want: str, timeout: float = 30.0) -> str:
    """What the app draws (terminal escapes removed) until `want` shows up, or the timeout."""
    got: list[str] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            msg = await ws.receive(timeout=0.5)
        except asyncio.TimeoutError:
            continue
        if msg.type == aiohttp.WSMsgType.BINARY:
            got.append(msg.data.decode("utf-8", "replace"))
        elif msg.type != aiohttp.WSMsgType.TEXT:
            break
        text = ANSI.sub("", "".join(got))
        if want in text:
            return text
    return ANSI.sub("", "".join(got))


def shown_outside_a_text_box(word: str, text: str) -> list[str]:
    """The screen's lines holding `word` other than a text box's (whose lines start with ▊): where an attacker's own
    typing may sit, it is no one's data."""
    return [line for line in text.splitlines() if word in line and not line.strip().startswith("▊")]


async def keys(ws, *sequences: str) -> None:
    for s in sequences:
        await ws.send_json(["stdin", s])
        await asyncio.sleep(0.1)


def test_nothing_but_the_sign_in_page_without_signing_in(peilian_home):
    add_user("王小明", "trainee")

    async def attack(r: Room) -> None:
        async with client() as http:
            async with http.get(r.url) as resp:
                page = await resp.text()
            assert resp.status == 200 and 'action="/signin"' in page and 'type="password"' in page
            assert "data-session-websocket-url" not in page and "textual.js" not in page  # not the app's page
            assert await ws_status(http, f"{r.url}/ws") == 401
            async with http.get(f"{r.url}/download/anything") as resp:
                assert resp.status == 401
            http.cookie_jar.update_cookies({"peilian_session": "made-up-token"})
            assert await ws_status(http, f"{r.url}/ws") == 401
            for name, password in (("王小明", "wang-pass-2"), ("nobody", "wang-pass-1"), ("王小明", "")):
                resp = await sign_in(http, r, name, password)
                assert resp.status == 401 and "Set-Cookie" not in resp.headers
            async with http.post(
                f"{r.url}/signin",
                data={"name": "王小明", "password": "wrong-pass"},
                headers={"Origin": r.url},
            ) as resp:
                assert "Wrong name or password: try again, or ask your team lead" in await resp.text()
            assert await ws_status(http, f"{r.url}/ws") == 401
            assert r.apps() == []  # not one app process was started
            resp = await sign_in(http, r, "王小明")
            assert resp.status == 303 and resp.headers["Location"] == "/"
            cookie = resp.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
            assert re.search(r"peilian_session=[\w-]{40,};", cookie)  # a long random token, nothing else
            async with http.get(r.url) as resp:
                assert "data-session-websocket-url" in await resp.text()

    with room() as r:
        asyncio.run(attack(r))


def test_another_sites_page_is_refused(peilian_home):
    """The attack: a page on another site opened the room's websocket (the browser sends the room's cookie along,
    or the trainee has none), typed a name, F5: that trainee's progress. Now: 403 before anything starts."""
    add_user("王小明", "trainee")

    async def attack(r: Room) -> None:
        async with client() as http:
            assert (
                await sign_in(http, r, "王小明")
            ).status == 303  # the victim is signed in, in this browser
            for evil in ("http://evil.example", f"http://127.0.0.1:{r.port}.evil.example", "null"):
                assert await ws_status(http, f"{r.url}/ws", origin=evil) == 403
                async with http.post(
                    f"{r.url}/signout", headers={"Origin": evil}, allow_redirects=False
                ) as resp:
                    assert resp.status == 403
                async with http.post(
                    f"{r.url}/signin",
                    data={"name": "王小明", "password": PASSWORDS["王小明"]},
                    headers={"Origin": evil},
                    allow_redirects=False,
                ) as resp:
                    assert resp.status == 403 and "Set-Cookie" not in resp.headers
            # DNS rebinding: another site's name resolved to 127.0.0.1 (its page is then "same-origin")
            async with http.get(r.url, headers={"Host": f"evil.example:{r.port}"}) as resp:
                assert resp.status == 421
            assert (
                await ws_status(
                    http,
                    f"{r.url}/ws",
                    headers={"Host": f"evil.example:{r.port}"},
                    origin=f"http://evil.example:{r.port}",
                )
                == 421
            )
            assert r.apps() == []
            # the room's own page still works (the refusals above are about the Origin, not the cookie)
            async with http.ws_connect(f"{r.url}/ws", origin=r.url) as ws:
                assert "王小明" in await screen(ws, "王小明")

    with room() as r:
        asyncio.run(attack(r))


def test_a_trainee_gets_their_own_locked_session_and_no_team_view(peilian_home):
    """The attack: a trainee typed another name (or asked for the team view) and saw that trainee's progress,
    and practised under their name. Now the app process is started by the server for the signed-in account: name
    fixed, role trainee, whatever the browser asks for; the lead's own session is the control."""
    played = run_peilian("run", "late-birthday-gift", "--trainee", "李四", "-q", input="我们会尽快处理\n")
    assert played.returncode == 0, played.stderr
    add_user("王小明", "trainee")
    add_user("组长", "lead")

    async def attack(r: Room) -> None:
        async with client() as http:
            await sign_in(http, r, "王小明")
            async with http.ws_connect(
                f"{r.url}/ws?width=100&height=30&trainee=李四&role=lead", origin=r.url
            ) as ws:
                text = await screen(ws, "late-birthday-gift")
                assert "王小明" in text and "late-birthday-gift" in text
                (app,) = r.apps()
                assert "李四" not in app and "lead" not in app
                # Try to reach the name box (Shift+Tab round the picker), type another name, open progress (F5).
                await keys(ws, *[SHIFT_TAB] * 5, "李四")
                await asyncio.sleep(1)  # an unlocked name box would have taken the name by now
                await keys(ws, F5)
                text = await screen(ws, "No sessions for trainee")
                assert "No sessions for trainee '王小明'. Practise a scenario first." in text
                # neither their progress nor their name; the attacker's own typing may still sit in a text box (where
                # the Shift+Tabs land depends on how fast the app came up: under load, the picker's search box)
                assert not shown_outside_a_text_box("李四", text)
                # back to the picker first: Esc and F6 sent together under load read as one Alt+F6 chord
                await keys(ws, "\x1b")
                await screen(ws, "Any language")
                await keys(ws, F6)
                text = await screen(ws, "The team view is for team leads.")
                assert "The team view is for team leads." in text
                assert not shown_outside_a_text_box("李四", text)
        async with client() as http:  # the control: a lead's session has the team view, with 李四 in it
            await sign_in(http, r, "组长")
            async with http.ws_connect(f"{r.url}/ws?width=100&height=30", origin=r.url) as ws:
                await screen(ws, "late-birthday-gift")
                assert any("--trainee=组长 --role lead --lock-trainee" in a for a in r.apps())
                await keys(ws, F6)
                text = await screen(ws, "李四")
                assert "李四" in text and "team leads" not in text

    with room() as r:
        asyncio.run(attack(r))


def test_the_room_has_a_cap_and_says_room_full(peilian_home):
    """The attack: 30 connections started 30 app processes (~2 GB). Now at most --max-sessions, and one account
    at most --max-per-user; past that, 503 and one sentence, and no process."""
    for name, role in (("组长", "lead"), ("王小明", "trainee"), ("李四", "trainee")):
        add_user(name, role)

    async def attack(r: Room) -> None:
        async with client() as a, client() as b, client() as c:
            for http, name in ((a, "组长"), (b, "王小明"), (c, "李四")):
                await sign_in(http, r, name)
            async with a.ws_connect(f"{r.url}/ws", origin=r.url) as ws_a:
                await screen(ws_a, "late-birthday-gift")
                assert await ws_status(a, f"{r.url}/ws", origin=r.url) == 503  # the lead's second tab
                async with a.get(r.url) as resp:
                    assert (
                        resp.status == 503
                        and "Your account already has all its 1 sessions open" in await resp.text()
                    )
                async with b.ws_connect(f"{r.url}/ws", origin=r.url) as ws_b:
                    await screen(ws_b, "late-birthday-gift")
                    async with c.get(r.url) as resp:
                        page = await resp.text()
                    assert resp.status == 503 and "The training room is full (2 of 2 sessions in use)" in page
                    assert await ws_status(c, f"{r.url}/ws", origin=r.url) == 503
                    for _ in range(10):  # a burst of upgrades starts nothing
                        assert await ws_status(c, f"{r.url}/ws", origin=r.url) == 503
                    assert len(r.apps()) == 2
            # both tabs closed: their seats are free again
            end = time.monotonic() + 10
            while time.monotonic() < end and r.apps():
                await asyncio.sleep(0.2)
            async with c.ws_connect(f"{r.url}/ws", origin=r.url) as ws_c:
                assert "李四" in await screen(ws_c, "李四")

    with room("--max-sessions", "2", "--max-per-user", "1") as r:
        asyncio.run(attack(r))


URLISH = re.compile(
    r"""(?:src|href|action|data-session-websocket-url)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)"""
)


def test_every_asset_is_served_by_the_room_itself(peilian_home):
    """The page used to load its font from the internet. Now every URL on the sign-in page and the app's page is
    this server's, every asset they name is served, and the Content-Security-Policy forbids loading anything else."""
    add_user("王小明", "trainee")

    async def check(r: Room) -> None:
        async with client() as http:
            async with http.get(r.url) as resp:
                pages = [await resp.text()]
            await sign_in(http, r, "王小明")
            async with http.get(r.url) as resp:
                pages.append(await resp.text())
                csp = resp.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "fonts.googleapis" not in pages[1] and "textual.js" in pages[1]
            assets = set()
            for page in pages:
                urls = [a or b for a, b in URLISH.findall(page)]
                assert urls
                for url in urls:
                    assert url.startswith(("/", "#")) or url.startswith(f"ws://127.0.0.1:{r.port}/"), url
                    if url.startswith("/static/"):
                        assets.add(url)
                assert not re.search(r"(?i)\b(?:https?|wss?)://(?!127\.0\.0\.1:%d/)" % r.port, page)
            assert {
                "/static/js/textual.js",
                "/static/css/xterm.css",
                "/static/fonts/RobotoMono-VariableFont_wght.ttf",
            } <= assets
            for url in assets:
                async with http.get(r.url + url) as resp:
                    assert resp.status == 200, url
                    if url.endswith(
                        ".css"
                    ):  # nothing it loads comes from elsewhere (comments may name sites)
                        assert not re.search(
                            r"(?i)(?:url\(|@import)\s*['\"]?(?:[a-z]+:)?//", await resp.text()
                        )

    with room() as r:
        asyncio.run(check(r))


def test_serving_beyond_this_machine_needs_accounts(peilian_home):
    port = free_port()
    r = run_peilian("serve", "--host", "0.0.0.0", "--port", str(port), timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "peilian: Nobody could sign in on 0.0.0.0: add accounts first with `peilian users add NAME --role lead` "
        "(and `--role trainee` for each trainee), then serve."
    ]


def test_an_invite_link_works_once(peilian_home):
    made = run_peilian("users", "add", "赵六", "--role", "trainee", "--url", "http://room.example:8000")
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().splitlines()[-1]
    assert link.startswith("http://room.example:8000/invite#")
    token = link.split("#", 1)[1]

    async def use(r: Room) -> None:
        async with client() as http:
            async with http.get(f"{r.url}/invite") as resp:
                assert resp.status == 200 and 'action="/invite"' in await resp.text()
            for data, why in (
                ({"token": token, "password": "zhao-pass-1", "again": "zhao-pass-2"}, "differ"),
                ({"token": token, "password": "short", "again": "short"}, "at least 8 characters"),
                (
                    {"token": "guess" + token[5:], "password": "zhao-pass-1", "again": "zhao-pass-1"},
                    "already been used or has expired",
                ),
            ):
                async with http.post(
                    f"{r.url}/invite", data=data, headers={"Origin": r.url}, allow_redirects=False
                ) as resp:
                    assert resp.status == 400 and why in await resp.text(), why
            good = {"token": token, "password": "zhao-pass-1", "again": "zhao-pass-1"}
            async with http.post(
                f"{r.url}/invite", data=good, headers={"Origin": r.url}, allow_redirects=False
            ) as resp:
                assert resp.status == 303 and "HttpOnly" in resp.headers["Set-Cookie"]
            async with http.ws_connect(f"{r.url}/ws", origin=r.url) as ws:
                assert "赵六" in await screen(ws, "赵六")
        async with client() as http:
            async with http.post(
                f"{r.url}/invite",
                data={**good, "password": "taken-over", "again": "taken-over"},
                headers={"Origin": r.url},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 400 and "already been used" in await resp.text()
            assert (await sign_in(http, r, "赵六", "taken-over")).status == 401
            assert (await sign_in(http, r, "赵六")).status == 303

    with room() as r:
        asyncio.run(use(r))


def test_a_removed_or_reset_account_is_signed_out(peilian_home):
    add_user("王小明", "trainee")
    add_user("李四", "trainee")

    async def check(r: Room) -> None:
        async with client() as wang, client() as li:
            await sign_in(wang, r, "王小明")
            await sign_in(li, r, "李四")
            assert run_peilian("users", "remove", "王小明").returncode == 0
            assert await ws_status(wang, f"{r.url}/ws", origin=r.url) == 401
            async with wang.get(r.url) as resp:
                assert 'action="/signin"' in await resp.text()
            assert (await sign_in(wang, r, "王小明")).status == 401
            reset = run_peilian("users", "reset", "李四", "--password", input="new-li-pass\n")
            assert reset.returncode == 0, reset.stderr
            assert await ws_status(li, f"{r.url}/ws", origin=r.url) == 401
            assert (await sign_in(li, r, "李四", "new-li-pass")).status == 303

    with room() as r:
        asyncio.run(check(r))


def test_signing_out_ends_the_session_on_the_server(peilian_home):
    add_user("王小明", "trainee")

    async def check(r: Room) -> None:
        async with client() as http:
            resp = await sign_in(http, r, "王小明")
            token = re.search(r"peilian_session=([\w-]+)", resp.headers["Set-Cookie"]).group(1)
            async with http.post(
                f"{r.url}/signout", headers={"Origin": r.url}, allow_redirects=False
            ) as resp:
                assert resp.status == 303 and 'peilian_session=""' in resp.headers["Set-Cookie"]
        async with client() as http:  # a copy of the cookie kept from before is worth nothing now
            http.cookie_jar.update_cookies({"peilian_session": token})
            assert await ws_status(http, f"{r.url}/ws", origin=r.url) == 401

    with room() as r:
        asyncio.run(check(r))


def test_guessing_passwords_is_slowed_down(peilian_home):
    add_user("王小明", "trainee")
    add_user("李四", "trainee")

    async def guess(r: Room) -> None:
        async with client() as http:
            for i in range(10):
                assert (await sign_in(http, r, "王小明", f"guess-{i}")).status == 401
            resp = await sign_in(http, r, "王小明")  # even the right password, for a while
            assert resp.status == 429 and "Set-Cookie" not in resp.headers
            async with http.post(
                f"{r.url}/signin", data={"name": "王小明", "password": "x"}, headers={"Origin": r.url}
            ) as resp:
                assert "Too many wrong passwords from this computer: wait 10 minutes" in await resp.text()
            # the guesser's target waits; a trainee next to them (same address, behind one router) does not
            assert (await sign_in(http, r, "李四")).status == 303

    with room() as r:
        asyncio.run(guess(r))


def test_only_salted_password_hashes_are_stored(peilian_home):
    add_user("王小明", "trainee")
    PASSWORDS["twin"] = PASSWORDS["王小明"]
    try:
        add_user("twin", "lead")
    finally:
        del PASSWORDS["twin"]
    invited = run_peilian("users", "add", "赵六", "--role", "trainee")
    token = invited.stdout.strip().rsplit("#", 1)[1]
    raw = b"".join(p.read_bytes() for p in peilian_home.glob("peilian.db*"))  # the database and its WAL
    for secret in (PASSWORDS["王小明"], token):
        assert secret.encode() not in raw
    conn = sqlite3.connect(peilian_home / "peilian.db")
    hashes = dict(conn.execute("select name, password_hash from accounts where password_hash is not null"))
    conn.close()
    assert hashes["王小明"].startswith("scrypt$32768$8$1$") and hashes["王小明"] != hashes["twin"]  # salted
    listed = run_peilian("users", "list").stdout
    assert listed.splitlines() == ["twin\tlead\tactive", "王小明\ttrainee\tactive", "赵六\ttrainee\tinvited"]


@pytest.mark.parametrize("given", ["short\n", ""])
def test_users_add_refuses_a_bad_password_in_one_sentence(peilian_home, given):
    r = run_peilian("users", "add", "王小明", "--role", "trainee", "--password", input=given)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
