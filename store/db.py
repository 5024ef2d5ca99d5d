"""The progress database: one SQLite file (WAL mode) by default, or a shared PostgreSQL database for a team across
machines (`store.pg`). The schema is kept by the same append-only migrations on both (sqlite-utils migrations; on
PostgreSQL they run through `store.pg.PgSchema`, which speaks the part of sqlite-utils' API they use).

Which one: `store.connect.open_store(target)` with a path or a `postgresql://` URL; `open_store()` reads
`$PEILIAN_DB` (the CLI sets it from `--db` or config.yaml's `db:`), else the default file. Both run the same SQL:
`?` placeholders, `on conflict ... do nothing` (SQLite 3.24) and `case when` sums, new ids through `insert_id` (no
SQLite-only syntax outside this module).

On SQLite every write is one short `BEGIN IMMEDIATE` transaction, so many trainees practising at once against one
file (a training room on one server) queue for the write lock instead of failing with "database is locked". Every
SQLite failure a user can meet (damaged file, read-only file, full disk, a lock held for too long) becomes a
`StoreError` with one sentence that says what to do; nothing is overwritten to "repair" a file.
"""

# sqlite-utils types `db[name]` as Table | View; the migrations below only make and change tables, and a shipped
# migration is never edited (append-only), so that one error code is off for this file.
# mypy: disable-error-code="union-attr"

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils
from sqlite_utils.migrations import Migrations

from .errors import StoreError
from .names import NAME_MAX, clean_name  # noqa: F401 - part of store.db's names

BUSY_TIMEOUT_MS = 60_000
URL_SCHEMES = ("postgresql://", "postgres://")


def now() -> str:
    """UTC timestamp as stored (ISO 8601, seconds): sorts and compares as text."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- schema ---------------------------------------------------------------------------------------------------
# Append-only: never edit a migration that has shipped; add a new one. Names are stored in _sqlite_migrations.
migrations = Migrations("peilian")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["trainees"].create(
        {"id": int, "name": str, "created_at": str}, pk="id", not_null={"name", "created_at"}
    )
    db["trainees"].create_index(["name"], unique=True)
    db["sessions"].create(
        {
            "id": int,
            "trainee_id": int,
            "scenario_id": str,
            "scenario_version": int,
            "scenario_hash": str,  # content hash of the scenario as played: old attempts are never recomputed
            "scenario_title": str,
            "scenario_lang": str,
            "scorer_version": str,
            "customer": str,  # "scripted" or the LLM model that spoke
            "seed": int,
            "started_at": str,
            "finished_at": str,  # NULL while in progress (or killed: resumable)
            "outcome": str,  # resolved / escalated / abandoned; NULL while in progress
            "closed_reason": str,  # why a session was closed without its own ending, e.g. "not resumed"
            "turns": int,
            "mood": int,  # mood after the last turn
            "certainty": float,  # mean per-criterion score over the session's turns
            "simplicity": float,
            "warmth": float,
            "overall": float,
            "hints_used": int,
            "ended_on_beat": str,  # the beat the trainee was answering when the session ended
        },
        pk="id",
        foreign_keys=[("trainee_id", "trainees", "id")],
        defaults={"turns": 0, "hints_used": 0},
    )
    db["turns"].create(
        {
            "id": int,
            "session_id": int,
            "number": int,
            "beat": str,  # the beat of the customer line the trainee answered
            "customer_line": str,
            "reply": str,
            "certainty": int,
            "simplicity": int,
            "warmth": int,
            "overall": int,
            "mood_before": int,
            "mood": int,
            "must_new": str,  # JSON list of must item ids first done in this reply
            "forbidden": str,  # JSON list of forbidden item ids hit
            "next_beat": str,  # what the engine decided (beat id or end:<outcome>)
            "customer_reply": str,  # what the customer said back (NULL if the session died before it spoke)
            "answer_seconds": float,  # how long the trainee took to answer
            "hints_used": int,
            "scored_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db["turns"].create_index(["session_id", "number"], unique=True)
    db["findings"].create(
        {
            "id": int,
            "turn_id": int,
            "session_id": int,
            "trainee_id": int,
            "rule": str,
            "criterion": str,
            "span_start": int,
            "span_end": int,
            "text": str,
            "message": str,
            "suggestion": str,
            "effect": float,
        },
        pk="id",
        foreign_keys=[
            ("turn_id", "turns", "id"),
            ("session_id", "sessions", "id"),
            ("trainee_id", "trainees", "id"),
        ],
    )


@migrations()
def m002_report_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the reports need at a million turns, and a readable view for Datasette."""
    db["sessions"].create_index(["trainee_id", "started_at"])
    db["sessions"].create_index(["scenario_id", "outcome"])
    db["findings"].create_index(["trainee_id", "criterion"])
    db["findings"].create_index(["turn_id"])
    db.create_view(
        "turn_scores",
        """
        select trainees.name as trainee, sessions.scenario_id as scenario, sessions.started_at as session_started,
               turns.number as turn, turns.customer_line, turns.reply, turns.certainty, turns.simplicity,
               turns.warmth, turns.overall, turns.mood, turns.next_beat, sessions.outcome
        from turns join sessions on sessions.id = turns.session_id join trainees on trainees.id = sessions.trainee_id
        """,
    )


@migrations()
def m003_report_covering_indexes(db: sqlite_utils.Database) -> None:
    """The team report reads only these columns of sessions. Two covering indexes (per trainee in time order, per
    scenario by outcome) make its queries ~10x faster at a million turns (bench/bench_report.py); they replace
    m002's two sessions indexes."""
    db["sessions"].create_index(
        [
            "trainee_id",
            "started_at",
            "id",
            "turns",
            "outcome",
            "scenario_id",
            "overall",
            "certainty",
            "simplicity",
            "warmth",
            "ended_on_beat",
        ],
        index_name="idx_sessions_report",
        if_not_exists=True,
    )
    db["sessions"].create_index(
        ["scenario_id", "outcome", "ended_on_beat", "trainee_id", "turns", "overall", "started_at"],
        index_name="idx_sessions_scenario",
        if_not_exists=True,
    )
    db.execute("drop index if exists idx_sessions_trainee_id_started_at")
    db.execute("drop index if exists idx_sessions_scenario_id_outcome")


@migrations()
def m004_customer_source(db: sqlite_utils.Database) -> None:
    """Which path produced each customer line (issue 5: "every turn records which path produced the line"): the
    line the trainee answered as it was shown (an LLM's words, or the scripted line) and its source, and the same
    for the customer's answer, with the status the trainee saw if the model's words were not used."""
    turns = db["turns"]
    for column in ("customer_said", "customer_source", "customer_reply_source", "customer_reply_status"):
        if column not in turns.columns_dict:
            turns.add_column(column, str)


@migrations()
def m005_pending(db: sqlite_utils.Database) -> None:
    """What an unfinished session holds between two scored replies: the half-typed reply and the hints taken for
    the customer's current message (charged on the next reply). Kept so that leaving, quitting or a crash loses
    neither: Resume gives the draft back and the hint is still charged."""
    sessions = db["sessions"]
    if "draft" not in sessions.columns_dict:
        sessions.add_column("draft", str)
    if "hints_pending" not in sessions.columns_dict:
        sessions.add_column("hints_pending", int, not_null_default=0)


@migrations()
def m006_accounts(db: sqlite_utils.Database) -> None:
    """Who may sign in to the training room (`peilian serve`), set up by the lead with `peilian users add`. Only a
    salted scrypt hash of each password is kept, and only a SHA-256 of a one-time invite token (see store.accounts)."""
    if "accounts" not in db.table_names():
        db["accounts"].create(
            {
                "name": str,  # the trainee name the account practises under (store.names.clean_name)
                "role": str,  # trainee or lead
                "password_hash": str,  # scrypt$N$r$p$salt$hash; NULL until an invite is taken
                "invite_hash": str,  # sha256 of the one-time invite token; NULL once used
                "invite_expires": str,
                "created_at": str,
                "updated_at": str,
            },
            pk="name",
            not_null={"role", "created_at", "updated_at"},
        )


# A random UUID (version 4) per row, in SQLite's own SQL (PostgreSQL has gen_random_uuid()).
SQLITE_UUID = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
)


@migrations()
def m007_global_ids(db: sqlite_utils.Database) -> None:
    """A global id (a UUID, as text) for every session, turn and finding, so that sessions exported from one machine
    and imported into another are recognised wherever they go: importing twice adds nothing (issue 17). Rows made
    before get one now; new rows get theirs from the recorder."""
    postgres = getattr(db, "kind", "sqlite") == "postgresql"
    for table in ("sessions", "turns", "findings"):
        if "uid" not in db[table].columns_dict:
            db[table].add_column("uid", str)
        db.execute(
            f"update {table} set uid = {'gen_random_uuid()::text' if postgres else SQLITE_UUID} "
            "where uid is null"
        )
        db[table].create_index(["uid"], unique=True, if_not_exists=True)


@migrations()
def m008_findings_by_session(db: sqlite_utils.Database) -> None:
    """Findings by session, covering what the team view's top habits read (rule, criterion, effect per trainee):
    they are summed over each trainee's latest sessions, and export reads a session's findings, by session id."""
    db["findings"].create_index(
        ["session_id", "trainee_id", "rule", "criterion", "effect"],
        index_name="idx_findings_session",
        if_not_exists=True,
    )


@migrations()
def m009_web_sessions(db: sqlite_utils.Database) -> None:
    """The training room's sign-ins (`peilian serve`), in the store rather than in one server process's memory, so
    that any server of a room (several machines behind a load balancer, on one database) accepts a browser another
    signed in, and signing out ends it on all of them. Only a SHA-256 of the cookie's random token is kept. The wrong
    passwords that make an address wait are counted there too, so that more servers don't mean more guesses."""
    if "web_sessions" not in db.table_names():
        db["web_sessions"].create(
            {
                "token_hash": str,  # sha256 of the cookie's random token (the token itself is never stored)
                "name": str,  # the account (accounts.name: the trainee name it practises under)
                "stamp": str,  # the account's password stamp at sign-in: a new password ends the session
                "created_at": str,
                "expires_at": str,
                "revoked_at": str,  # NULL while valid; set by signing out, a reset or a removal
            },
            pk="token_hash",
            not_null={"name", "stamp", "created_at", "expires_at"},
        )
        db["web_sessions"].create_index(["name"], if_not_exists=True)
        db["web_sessions"].create_index(["expires_at"], if_not_exists=True)
    if "sign_in_failures" not in db.table_names():
        # wrong passwords, counted by every server of the room together (store.accounts.sign_in_failures)
        db["sign_in_failures"].create(
            {"key": str, "at": str},  # sha256 of (address, name) or of (address,); when
            not_null={"key", "at"},
        )
        db["sign_in_failures"].create_index(["key", "at"], if_not_exists=True)


# -- connection -------------------------------------------------------------------------------------------------
def _explain(e: sqlite3.Error, path: Path) -> StoreError:
    msg = str(e).lower()
    if "not a database" in msg or "malformed" in msg or "file is encrypted" in msg:
        return StoreError(
            f"The progress database {path} is damaged ({e}); it was left untouched: restore a backup, "
            "or move it aside and Peilian will start a new one."
        )
    if "readonly" in msg or "read-only" in msg:
        return StoreError(
            f"The progress database {path} is read-only: make it writable (or ask whoever owns it), "
            "or practise with --no-save."
        )
    if "disk is full" in msg or "database or disk is full" in msg:
        return StoreError(
            f"The disk holding {path} is full: free some space; everything saved before this turn is kept."
        )
    if "locked" in msg or "busy" in msg:
        return StoreError(
            f"The progress database {path} stayed busy for over {BUSY_TIMEOUT_MS // 1000} s "
            "(another program holds it): close it and try again."
        )
    if "unable to open" in msg:
        return StoreError(
            f"Cannot open the progress database {path}: check that its folder exists and is writable."
        )
    return StoreError(f"The progress database {path} failed: {e}.")


def writable(path: Path) -> bool:
    """Whether we may write the file: the OS says so *and* it has a write bit (a file someone made read-only is
    respected even by root, who could otherwise write anything)."""
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def default_path() -> Path:
    env = os.environ.get("PEILIAN_HOME")
    if env:
        base = Path(env).expanduser()
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir("peilian", appauthor=False))
    return base / "peilian.db"


def is_url(target) -> bool:
    """Whether a --db / PEILIAN_DB / config value names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.strip().lower().startswith(URL_SCHEMES)


def default_target() -> str | Path:
    """The store `open_store()` opens: `$PEILIAN_DB` (a path or a postgresql:// URL; the CLI sets it from --db or
    config.yaml's `db:`), else the default file in the data folder."""
    env = (os.environ.get("PEILIAN_DB") or "").strip()
    if not env:
        return default_path()
    return env if is_url(env) else Path(env).expanduser()


def insert_id(conn, sql: str, params: tuple | dict = ()) -> int | None:
    """Run one INSERT and return the new row's id, or None when its `on conflict ... do nothing` skipped it. On
    SQLite the cursor's lastrowid (RETURNING needs SQLite 3.35; RHEL 9's Python has 3.34), on PostgreSQL
    `returning id`."""
    if isinstance(conn, sqlite3.Connection):
        cur = conn.execute(sql, params)
        return cur.lastrowid if cur.rowcount == 1 else None
    rows = conn.execute(f"{sql} returning id", params).fetchall()
    return rows[0][0] if rows else None


class Conn(Protocol):
    """What `Store.write()` yields: a connection inside one transaction, with SQLite-style SQL (`?` placeholders).
    A sqlite3 connection on the file; store.pg's wrapper on PostgreSQL."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


Row = dict[str, Any]  # a row as `Store.query` gives it: column name -> value


class Store:
    """One open progress database. Thread-safe (one connection, one lock); one per process is plenty.

    This class is the SQLite file; `store.pg.PgStore` has the same methods on PostgreSQL. `store.open_store(target)`
    opens the right one for a path or a URL."""

    kind = "sqlite"
    conn: Any  # a sqlite3.Connection here; a psycopg.Connection in PgStore
    db: Any  # a sqlite_utils.Database here; store.pg.PgSchema in PgStore (the part of it the migrations use)

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False):
        self.path = Path(path) if path else Path(default_target())
        self.readonly = readonly
        self._lock = threading.RLock()
        try:
            self.conn = self._connect()
            self.db = sqlite_utils.Database(self.conn)
            if readonly:
                pending = migrations.pending(self.db)
                if pending:
                    raise StoreError(
                        f"The progress database {self.path} was made by an older Peilian and is read-only, so it "
                        "can't be upgraded: open it once with write access."
                    )
            else:
                with self.write():
                    migrations.apply(self.db)
        except sqlite3.Error as e:
            raise _explain(e, self.path) from None

    @property
    def where(self) -> str:
        """The database as it may be named in a message (a URL without its password)."""
        return str(self.path)

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.path.exists():
                raise StoreError(
                    f"There is no progress database at {self.path} yet: practise a session first."
                )
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("select count(*) from sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # A read-only WAL database without its -shm file: read it as an immutable snapshot.
                conn.close()
                conn = sqlite3.connect(
                    uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False
                )
            conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("select count(*) from sqlite_master").fetchone()
            return conn
        if self.path.exists() and not writable(self.path):
            raise StoreError(
                f"The progress database {self.path} is read-only: make it writable (or ask whoever owns it), "
                "or practise with --no-save."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"Cannot create the folder {self.path.parent} for the progress database: {e.strerror}."
            ) from None
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(
            "select count(*) from sqlite_master"
        ).fetchone()  # "file is not a database" surfaces here
        if conn.execute("pragma journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")  # WAL + normal: a committed turn survives a process crash
        conn.execute("pragma foreign_keys = on")
        return conn

    @contextmanager
    def write(self) -> Iterator[Conn]:
        """One write transaction, taking the write lock up front (no lock upgrades, so no deadlocks)."""
        if self.readonly:
            raise StoreError(f"The progress database {self.path} was opened read-only.")
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise _explain(e, self.path) from None
            try:
                yield self.conn
            except sqlite3.Error as e:
                self._rollback()
                raise _explain(e, self.path) from None
            except BaseException:
                self._rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._rollback()
                raise _explain(e, self.path) from None

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        """Rows as dicts (column name -> value)."""
        with self._lock:
            try:
                cur = self.conn.execute(sql, params)
                cols = [d[0] for d in cur.description or ()]
                return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
            except sqlite3.Error as e:
                raise _explain(e, self.path) from None

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass

    # -- trainees -------------------------------------------------------------------------------------------
    def lock(self, conn, key: str) -> None:
        """Hold `key` until the transaction ends. A SQLite write already holds the whole file (BEGIN IMMEDIATE);
        PostgreSQL writers run side by side, so code that reads then writes by key (import) takes this first."""

    def trainee_id(self, name: str, *, create: bool = True) -> int | None:
        name = clean_name(name)
        rows = self.query("select id from trainees where name = ?", (name,))
        if rows:
            return rows[0]["id"]
        if not create:
            return None
        with self.write() as conn:
            return self.trainee_id_in(conn, name)

    @staticmethod
    def trainee_id_in(conn, name: str) -> int:
        """The trainee's id inside a write transaction, adding the name if it is new (two writers adding the same
        name at once both get the one row)."""
        conn.execute(
            "insert into trainees (name, created_at) values (?, ?) on conflict (name) do nothing",
            (name, now()),
        )
        return conn.execute("select id from trainees where name = ?", (name,)).fetchone()[0]

    def trainees(self) -> list[str]:
        return [r["name"] for r in self.query("select name from trainees order by name")]

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]
