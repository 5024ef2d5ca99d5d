"""A throwaway PostgreSQL server for the tests and the benchmarks: `initdb` into a temporary folder, `pg_ctl start` on
a free 127.0.0.1 port (and a unix socket in that folder), stopped and deleted at the end.

It uses the system's PostgreSQL (Debian's `postgresql` package, which tests/e2e/install-system-deps.sh installs for
`make test`; its programs live in /usr/lib/postgresql/N/bin, not on PATH). PostgreSQL refuses to run as root, so as
root (CI) the server runs as the `postgres` user that package creates. Clients sign in with a password (scram), as
they would to a real server: `url()` carries it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER, PASSWORD = "peilian", "peilian-test-pw"
# Fast and not crash-safe: a test server lives for one test run. The benchmark passes durable=True (the defaults).
FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def pg_bin(name: str) -> str:
    """A PostgreSQL program: on PATH, else the newest /usr/lib/postgresql/N/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found
    dirs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(re.sub(r"\D", "", d) or 0), reverse=True
    )
    for d in dirs:
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    raise RuntimeError(
        f"PostgreSQL's {name} is not installed: run `sh tests/e2e/install-system-deps.sh` "
        "(it installs Debian's postgresql package)."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, *, durable: bool = False, settings: tuple[str, ...] = ()):
        self.settings = (() if durable else FAST) + tuple(settings)
        self.dir: Path | None = None
        self.port = 0
        self._as: list[str] = []

    # -- running the server's programs as a user PostgreSQL accepts --------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._as, *args], capture_output=True, text=True, check=check, timeout=120, cwd=self.dir
        )

    def start(self) -> "PostgresServer":
        self.dir = Path(tempfile.mkdtemp(prefix="peilian-pg-"))
        if os.geteuid() == 0:
            import pwd

            user = next((u for u in ("postgres", "nobody") if _exists(pwd, u)), None)
            if user is None:
                raise RuntimeError(
                    "PostgreSQL can't run as root and there is no 'postgres' user: install postgresql."
                )
            pw = pwd.getpwnam(user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", user, "--"]
        pwfile = self.dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            import pwd

            pw = pwd.getpwnam(self._as[2])
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run(
            pg_bin("initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            USER,
            "--pwfile",
            str(pwfile),
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )
        self.options = options = " ".join(
            [
                f"-c listen_addresses=127.0.0.1 -k {self.dir}",
                "-c max_connections=300",
                *(f"-c {s}" for s in self.settings),
            ]
        )
        for _attempt in range(5):  # the port was free a moment ago; another process may have taken it since
            self.port = free_port()
            r = self._run(
                pg_bin("pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-l",
                str(self.dir / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} {options}",
                "start",
                check=False,
            )
            if r.returncode == 0:
                return self
        raise RuntimeError(f"PostgreSQL did not start: {r.stdout}{r.stderr}{self.log()}")

    def log(self) -> str:
        try:
            return (self.dir / "log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def url(self, database: str = "postgres", *, password: str | None = PASSWORD) -> str:
        auth = f"{USER}:{password}" if password else USER
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return self.url(name)

    def pg_ctl(self, *args: str) -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-w", *args)

    def start_again(self) -> None:
        """After a stop: the same server, on the same port."""
        self.pg_ctl("-l", str(self.dir / "log"), "-o", f"-p {self.port} {self.options}", "start")

    def restart(self) -> None:
        """Stop the server (fast: open connections are cut) and start it again on the same port."""
        self.pg_ctl("-l", str(self.dir / "log"), "-m", "fast", "restart")

    def stop(self) -> None:
        if self.dir is None:
            return
        self._run(
            pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop", check=False
        )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def _exists(pwd, user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False
