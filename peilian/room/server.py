"""The training room's web server: textual-serve's `Server`, subclassed, not forked.

What it adds, all decided on the server (nothing the browser sends chooses who or what a session is):
- Sign-in first. Accounts are the lead's (`peilian users`); a signed-in browser holds only a random token in an
  HttpOnly, SameSite=Strict cookie, which maps to the account in the store (`web_sessions`, only the token's
  SHA-256), not in this process: every server of a room on one database accepts it, and signing out ends it on all
  of them. Every request checks the sign-in and that the account still exists with the same password (removing or
  resetting it ends its sessions).
- Each tab's app process is started for the signed-in account: `peilian app --trainee=NAME --role ROLE
  --lock-trainee`, so a trainee can neither change the name nor open the team view.
- The websocket (and every form) refuses another site's `Origin` (403) and anyone not signed in (401).
- At most `max_sessions` app processes at once (`max_per_user` per account); beyond: 503 "room full".
- Every asset is local: our own copy of textual-serve's page without its web-font link, textual-serve's static
  files, and a Content-Security-Policy that lets the page load nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shlex
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from i18n.room import WORDS
from store import StoreError
from store.accounts import (
    Account,
    close_web_session,
    has_accounts,
    open_web_session,
    record_sign_in_failure,
    redeem_invite,
    sign_in,
    sign_in_failures,
    web_session_account,
)

log = logging.getLogger("textual-serve")

COOKIE = "peilian_session"
# Wrong passwords before an address must wait: for one name (a guesser), and for all names (a sprayer). Not per
# name alone, so that nobody can lock a trainee out from elsewhere.
FAILURES_PER_NAME, FAILURES_PER_ADDRESS, FAILURE_WINDOW_S = 10, 100, 600
PUBLIC_PATHS = ("/signin", "/signout", "/invite", "/static/", "/favicon.ico")
TEMPLATES = Path(__file__).with_name("templates")
STATICS = Path(textual_serve.__file__).with_name("static")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
# The page may load and connect to nothing but this server (the app's websocket on the same host).
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the server to this machine."""
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _home() -> web.Response:
    return web.Response(status=303, headers={"Location": "/"})


class RoomServer(Server):
    """textual-serve's Server with sign-in, per-account app processes, an Origin check and a session cap."""

    def __init__(
        self,
        app_args: list[str],
        store,
        *,
        host: str,
        port: int,
        public_url: str | None = None,
        max_sessions: int = 8,
        max_per_user: int = 2,
        lang: str = "en",
        title: str = "陪练 Peilian",
    ):
        # Upstream's one command for every connection is never run (handle_websocket runs command_for's): were a
        # future textual-serve to run it somewhere else, it would start nothing.
        super().__init__(
            "exit 1",
            host=host,
            port=port,
            title=title,
            public_url=public_url,
            statics_path=STATICS,
            templates_path=TEMPLATES,
        )
        self.app_args = list(app_args)
        self.store = store
        self.given_public_url = public_url
        self.max_sessions, self.max_per_user = max_sessions, max_per_user
        self.words = WORDS.get(lang, WORDS["en"])
        self.live: Counter[str] = Counter()  # account name -> app processes running
        self.hasher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")  # bounded scrypt memory

    # -- what each session runs -------------------------------------------------------------------------------
    def command_for(self, account: Account) -> str:
        """The app process for a signed-in account: its own name, locked, with its own role. Built only from the
        server's session (never from the request), and quoted for the shell textual-serve runs it with."""
        args = [*self.app_args, f"--trainee={account.name}", "--role", account.role, "--lock-trainee"]
        return shlex.join([sys.executable, "-m", "peilian", *args])

    # -- the web app ----------------------------------------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()  # /, /ws, /download/{key}, /static: the handlers below override two
        app.middlewares.append(self.guard)
        app.add_routes(
            [
                web.post("/signin", self.handle_sign_in),
                web.get("/signin", self.go_home),
                web.post("/signout", self.handle_sign_out),
                web.get("/invite", self.handle_invite_page),
                web.post("/invite", self.handle_invite),
            ]
        )
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: `peilian serve` has said where the room is (textual-serve would print its logo and command)."""

    async def on_shutdown(self, app: web.Application) -> None:
        self.hasher.shutdown(wait=False, cancel_futures=True)

    @web.middleware
    async def guard(self, request: web.Request, handler) -> web.StreamResponse:
        """Every request: the right host, no other site's forms or websockets, and a signed-in account for all but
        the sign-in pages and the static files."""
        if not self._host_ok(request):
            response = self._page(
                request, message=self.words["unknown_host"].format(url=self.public_url), status=421
            )
        elif not self._origin_ok(request):
            response = web.Response(status=403, text=self.words["foreign"])
        else:
            request["account"] = self._account(request)
            if request["account"] is None and not request.path.startswith(PUBLIC_PATHS):
                if request.path == "/" and request.method in ("GET", "HEAD"):
                    response = self._sign_in_page(request)
                else:
                    response = web.Response(status=401, text=self.words["not_signed_in"])
            else:
                try:
                    response = await handler(request)
                except web.HTTPException as e:  # aiohttp's 404s and redirects get the same headers
                    self._protect(request, e)
                    raise
        self._protect(request, response)
        return response

    @staticmethod
    def _protect(request: web.Request, response: web.StreamResponse) -> None:
        """No framing by other sites, nothing loaded from elsewhere, no caching of pages with a name on them."""
        if response.prepared:  # a websocket, already open
            return
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer would make Origin "null"
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")

    def _host_ok(self, request: web.Request) -> bool:
        """On a loopback address, only loopback names (or --public-url's): a page on another site that makes its
        own name resolve to 127.0.0.1 (DNS rebinding) is not served."""
        if not is_loopback(self.host):
            return True
        name = urlsplit(f"//{request.host}").hostname or ""
        public = urlsplit(self.given_public_url).hostname if self.given_public_url else None
        return is_loopback(name) or name == public

    def _origin_ok(self, request: web.Request) -> bool:
        """Forms and the websocket only from this server's own pages. Browsers always send Origin on both; a
        client that sends none is no browser page of another site, and still has to sign in."""
        if request.method in ("GET", "HEAD") and request.path != "/ws":
            return True
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        allowed = {f"http://{request.host}", f"https://{request.host}"}
        if self.given_public_url:
            parts = urlsplit(self.given_public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        return origin in allowed

    def _account(self, request: web.Request) -> Account | None:
        """The signed-in account, from the store (expired, revoked, removed or a new password since: None)."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            return web_session_account(self.store, token)
        except StoreError as e:  # the database is unreachable: nobody is signed in until it is back
            log.error("%s", e)
            return None

    # -- pages -----------------------------------------------------------------------------------------------------
    def _page(
        self,
        request,
        *,
        form: str = "",
        message: str = "",
        error: str = "",
        status: int = 200,
        account: Account | None = None,
        name: str = "",
    ) -> web.Response:
        w = self.words
        signed_in = w["signed_in_as"].format(name=account.name, role=account.role) if account else ""
        return aiohttp_jinja2.render_template(
            "page.html",
            request,
            {"w": w, "form": form, "message": message, "error": error, "signed_in": signed_in, "name": name},
            status=status,
        )

    def _sign_in_page(self, request, *, error: str = "", status: int = 200, name: str = "") -> web.Response:
        try:
            nobody = not has_accounts(self.store)
        except StoreError as e:
            nobody, error = False, str(e)
        return self._page(
            request,
            form="signin",
            message=self.words["who"],
            error=self.words["no_accounts"] if nobody else error,
            status=status,
            name=name,
        )

    def _room_full(self, request, account: Account) -> web.Response | None:
        if self.live[account.name] >= self.max_per_user:
            message = self.words["full_you"].format(n=self.max_per_user)
        elif sum(self.live.values()) >= self.max_sessions:
            message = self.words["full"].format(n=self.max_sessions)
        else:
            return None
        return self._page(request, error=message, status=503, account=account)

    async def go_home(self, request: web.Request) -> web.Response:
        return _home()

    async def handle_index(self, request: web.Request) -> web.Response:
        """textual-serve's page (our copy, with no web font), once signed in and while the room has a seat. Its
        websocket goes back to the host the browser used (textual-serve's default, http://HOST:PORT, would be
        another origin for a browser at localhost, and 0.0.0.0 for a room)."""
        account = request["account"]
        full = self._room_full(request, account)
        if full is not None:
            return full
        if self.given_public_url:
            public = self.given_public_url.rstrip("/")
            ws_url = ("wss:" if public.startswith("https") else "ws:") + public.split(":", 1)[1] + "/ws"
        else:
            ws_url = f"{'wss' if request.secure else 'ws'}://{request.host}/ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": ws_url,
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
            "w": self.words,
            "signed_in": self.words["signed_in_as"].format(name=account.name, role=account.role),
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    # -- signing in and out ----------------------------------------------------------------------------------------
    def _failure_keys(self, request, name: str) -> list[tuple]:
        address = request.remote or ""
        return [(address, name.strip().casefold()), (address,)]

    def _throttled(self, request, name: str) -> bool:
        """Whether this address has had too many wrong passwords lately, for this name or for all, counted by every
        server of the room on the same database (more servers are not more guesses)."""
        try:
            counts = sign_in_failures(self.store, self._failure_keys(request, name), FAILURE_WINDOW_S)
        except StoreError as e:  # no database, no sign-in either: sign_in says so
            log.error("%s", e)
            return False
        return any(
            n >= allowed for n, allowed in zip(counts, (FAILURES_PER_NAME, FAILURES_PER_ADDRESS), strict=True)
        )

    def _failed(self, request, name: str) -> None:
        try:
            record_sign_in_failure(self.store, self._failure_keys(request, name), FAILURE_WINDOW_S)
        except StoreError as e:
            log.error("%s", e)

    def _start_session(self, request, account: Account) -> web.Response:
        try:
            token = open_web_session(self.store, account)
        except StoreError as e:
            return self._sign_in_page(request, status=500, error=str(e), name=account.name)
        response = _home()
        secure = (self.given_public_url or "").startswith("https")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/", secure=secure)
        return response

    async def handle_sign_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        if self._throttled(request, name):
            return self._sign_in_page(
                request,
                status=429,
                name=name,
                error=self.words["throttled"].format(minutes=FAILURE_WINDOW_S // 60),
            )
        loop = asyncio.get_running_loop()
        try:
            account = await loop.run_in_executor(self.hasher, sign_in, self.store, name, password)
        except StoreError as e:
            return self._sign_in_page(request, status=500, error=str(e), name=name)
        if account is None:
            self._failed(request, name)
            return self._sign_in_page(request, status=401, error=self.words["wrong"], name=name)
        return self._start_session(request, account)

    async def handle_sign_out(self, request: web.Request) -> web.Response:
        try:
            close_web_session(self.store, request.cookies.get(COOKIE, ""))
        except StoreError as e:  # not signed out anywhere: say so rather than pretend
            return self._page(request, error=str(e), status=500)
        response = _home()
        response.del_cookie(COOKIE, path="/")
        return response

    async def handle_invite_page(self, request: web.Request) -> web.Response:
        return self._page(request, form="invite", message=self.words["invite"])

    async def handle_invite(self, request: web.Request) -> web.Response:
        form = await request.post()
        token, password = str(form.get("token", "")), str(form.get("password", ""))
        if not token:
            return self._page(request, form="invite", error=self.words["no_invite"], status=400)
        if password != str(form.get("again", "")):
            return self._page(
                request, form="invite", message=self.words["invite"], error=self.words["mismatch"], status=400
            )
        loop = asyncio.get_running_loop()
        try:
            account = await loop.run_in_executor(self.hasher, redeem_invite, self.store, token, password)
        except StoreError as e:
            return self._page(request, form="invite", message=self.words["invite"], error=str(e), status=400)
        return self._start_session(request, account)

    # -- the app's websocket ---------------------------------------------------------------------------------------
    # upstream's handler always upgrades; ours answers a full room with a page (503) instead, hence the wider type
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        account = request["account"]
        full = self._room_full(request, account)
        if full is not None:
            return full
        self.live[account.name] += 1  # no await since the check: two tabs can't both take the last seat
        try:
            return await self._run_app(request, self.command_for(account))
        finally:
            self.live[account.name] -= 1
            if not self.live[account.name]:
                del self.live[account.name]

    async def _run_app(self, request: web.Request, command: str) -> web.WebSocketResponse:
        """textual-serve's `Server.handle_websocket`, with the command chosen for this session (upstream runs the
        one command it was given for every connection)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            await websocket.prepare(request)
            app_service = AppService(
                command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            await self._process_messages(websocket, app_service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # noqa: BLE001 - upstream's choice: one connection's failure is logged
            log.exception(error)
        finally:
            if app_service is not None:
                await app_service.stop()
        return websocket
