"""Issue 17.2, a training room across machines: several `peilian serve` processes on one database, as behind a load
balancer with no sticky sessions. A browser signs in on one server and goes on on another; signing out on one ends
it on all. Real servers on 127.0.0.1 (different ports), on one PostgreSQL database and on one SQLite file (the one-
machine case), driven over HTTP and the websocket as in test_serve_auth."""

from __future__ import annotations

import asyncio
import hashlib
import re

import aiohttp
import pytest

from store import open_store

from ..conftest import run_peilian
from .test_serve_auth import Room, add_user, client, room, screen, sign_in, ws_status


def token_of(resp: aiohttp.ClientResponse) -> str:
    return re.search(r"peilian_session=([\w-]+)", resp.headers["Set-Cookie"]).group(1)


def holding(token: str) -> aiohttp.ClientSession:
    """Another browser tab (or the same browser, routed elsewhere by the balancer) holding that cookie."""
    http = client()
    http.cookie_jar.update_cookies({"peilian_session": token})
    return http


async def signed_in_on(r: Room, token: str) -> bool:
    """Whether `r` takes the cookie: the app's page rather than the sign-in page, and the websocket opens."""
    async with holding(token) as http:
        async with http.get(r.url) as resp:
            page = await resp.text()
        ws = await ws_status(http, f"{r.url}/ws", origin=r.url)
    app_page = "data-session-websocket-url" in page
    assert app_page == (ws == 101), (page[:200], ws)  # the page and the websocket agree
    if not app_page:
        assert 'action="/signin"' in page and ws == 401
    return app_page


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_db(request, monkeypatch, peilian_home):
    """One database for every server and command of the test: a new PostgreSQL database, or one SQLite file."""
    target = (
        request.getfixturevalue("pg_url") if request.param == "postgresql" else str(peilian_home / "room.db")
    )
    monkeypatch.setenv("PEILIAN_DB", target)  # the servers and `peilian users` inherit it
    return target


def test_a_browser_signed_in_on_one_server_goes_on_on_another(shared_db):
    add_user("王小明", "trainee")
    add_user("李四", "trainee")

    async def check(a: Room, b: Room) -> None:
        async with client() as http:
            resp = await sign_in(http, a, "王小明")
            assert resp.status == 303
            token = token_of(resp)
        assert await signed_in_on(a, token) and await signed_in_on(b, token)
        # a real practice session on B, for the account that signed in on A
        async with holding(token) as http:
            async with http.ws_connect(f"{b.url}/ws?width=100&height=30", origin=b.url) as ws:
                assert "王小明" in await screen(ws, "王小明")
                assert any("--trainee=王小明 --role trainee --lock-trainee" in app for app in b.apps())
        # signing out on B ends the sign-in on A too (and a copy of the cookie is worth nothing anywhere)
        async with holding(token) as http:
            async with http.post(
                f"{b.url}/signout", headers={"Origin": b.url}, allow_redirects=False
            ) as resp:
                assert resp.status == 303
        assert not await signed_in_on(a, token) and not await signed_in_on(b, token)
        # a reset (from any machine: `peilian users` on the same database) ends every sign-in of that account
        async with client() as http:
            li = token_of(await sign_in(http, b, "李四"))
        assert await signed_in_on(a, li)
        reset = reset_password("李四", "new-li-pass")
        assert reset.returncode == 0, reset.stderr
        assert not await signed_in_on(a, li) and not await signed_in_on(b, li)
        async with client() as http:
            assert (await sign_in(http, a, "李四", "new-li-pass")).status == 303

    tokens: list[str] = []

    async def run(a: Room, b: Room) -> None:
        await check(a, b)
        async with client() as http:  # one more sign-in, still open at the end
            tokens.append(token_of(await sign_in(http, a, "王小明")))

    with room() as a, room() as b:
        asyncio.run(run(a, b))
    # the store keeps a SHA-256 of each token, never the token itself
    store = open_store(shared_db)
    rows = store.query("select token_hash, name, revoked_at from web_sessions")
    store.close()
    (token,) = tokens
    assert {
        "token_hash": hashlib.sha256(token.encode()).hexdigest(),
        "name": "王小明",
        "revoked_at": None,
    } in rows
    assert not any(token in str(row.values()) for row in rows)
    assert len(rows) == 4 and sum(row["revoked_at"] is not None for row in rows) == 2


def reset_password(name: str, password: str):
    return run_peilian("users", "reset", name, "--password", input=password + "\n")


def test_wrong_passwords_on_two_servers_are_counted_together(shared_db):
    """A guesser going round the servers of a room gets the one allowance (ten wrong passwords for a name from one
    address in ten minutes), not one per server; a trainee beside them (same address) still signs in."""
    add_user("王小明", "trainee")
    add_user("李四", "trainee")

    async def guess(a: Room, b: Room) -> None:
        async with client() as http:
            for i in range(10):
                assert (await sign_in(http, (a, b)[i % 2], "王小明", f"guess-{i}")).status == 401
            for r in (a, b):
                resp = await sign_in(
                    http, r, "王小明"
                )  # even the right password, for a while, on every server
                assert resp.status == 429 and "Set-Cookie" not in resp.headers
            assert (await sign_in(http, b, "李四")).status == 303

    with room() as a, room() as b:
        asyncio.run(guess(a, b))
    store = open_store(shared_db)
    stored = store.query("select key from sign_in_failures")
    store.close()
    assert len(stored) == 20 and not any("王小明" in r["key"] or "127.0.0.1" in r["key"] for r in stored)
