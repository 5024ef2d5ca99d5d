"""The progress store on PostgreSQL (psycopg 3): one database a whole team shares across machines.

`PgStore` has `store.db.Store`'s methods, so the recorder, the reports, the accounts and import/export run on it
unchanged. The SQL they send is written once, with SQLite's `?` and `:name` placeholders; `pg_sql` turns those into
psycopg's `%s` and `%(name)s` (outside string literals). The schema comes from the same sqlite-utils migrations as
the SQLite file: they run against `PgSchema`, which speaks the part of sqlite-utils' table API they use (create,
create_index, add_column, columns_dict, create_view, execute) as PostgreSQL DDL, inside one transaction under an
advisory lock, so several machines starting at once migrate the database once.

Every write is one transaction (`write()`): a scored turn is committed before the customer answers, as on SQLite.
PostgreSQL's writers don't queue for one lock, so many trainees write at once. Every failure a user can meet
(server not running, wrong password, no such database, no write permission, the connection lost mid-session, a
full disk) is a `StoreError` of one sentence that names the database without its password; a connection lost
between two writes is opened again by the next write.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from .db import Row, Store, default_target, migrations
from .errors import StoreError

try:
    import psycopg
    from psycopg import conninfo as _conninfo
except ImportError:  # pragma: no cover - psycopg is a dependency; a broken install still gets one sentence
    psycopg = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import sqlite_utils

MIGRATIONS_TABLE = "peilian_migrations"
# pg_advisory_xact_lock key while migrating (any fixed 64-bit number: "peilian" in ASCII)
MIGRATION_LOCK = int.from_bytes(b"peilian", "big")
CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise


# -- SQL ------------------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|::|\?|:[A-Za-z_]\w*|%""")


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """SQLite-style placeholders as psycopg's: `?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%` (psycopg reads every
    `%` of a query with parameters); string literals, quoted names, comments and `::` casts are left as they are."""

    def sub(m: re.Match) -> str:
        t = m.group(0)
        if t[0] in "'\"" or t.startswith("--"):
            return t.replace("%", "%%")
        if t == "::":
            return t
        if t == "?":
            return "%s"
        if t == "%":
            return "%%"
        return f"%({t[1:]})s"

    return _TOKEN.sub(sub, sql)


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


class _Tx:
    """What `write()` yields: `execute` and `executemany` with SQLite-style SQL, like a sqlite3 connection."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: tuple | dict = ()):
        return self.conn.execute(pg_sql(sql), params)

    def executemany(self, sql: str, seq):
        cur = self.conn.cursor()
        cur.executemany(pg_sql(sql), list(seq))
        return cur


# -- the schema: sqlite-utils' table API as PostgreSQL DDL -------------------------------------------------------------
_TYPES = {int: "bigint", float: "double precision", str: "text", bool: "boolean", bytes: "bytea"}
_BACK = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "double precision": float,
    "real": float,
    "text": str,
    "boolean": bool,
    "bytea": bytes,
}


def _ident(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    return name


class PgTable:
    def __init__(self, schema: "PgSchema", name: str):
        self.schema, self.name = schema, _ident(name)

    def exists(self) -> bool:
        return self.name in self.schema.table_names()

    @property
    def columns_dict(self) -> dict[str, type]:
        rows = self.schema.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = current_schema() and table_name = %s order by ordinal_position",
            (self.name,),
        ).fetchall()
        return {name: _BACK.get(kind, str) for name, kind in rows}

    def create(
        self, columns: dict, pk: str | None = None, not_null=(), foreign_keys=(), defaults=None
    ) -> "PgTable":
        defaults = defaults or {}
        refs = {col: (table, other) for col, table, other in foreign_keys}
        parts = []
        for col, kind in columns.items():
            _ident(col)
            if col == pk and kind is int:
                parts.append(f"{col} bigint generated by default as identity primary key")
                continue
            sql = f"{col} {_TYPES[kind]}"
            if col == pk:
                sql += " primary key"
            if col in not_null:
                sql += " not null"
            if col in defaults:
                sql += f" default {_literal(defaults[col])}"
            if col in refs:
                sql += f" references {_ident(refs[col][0])} ({_ident(refs[col][1])})"
            parts.append(sql)
        self.schema.execute(f"create table {self.name} ({', '.join(parts)})")
        return self

    def create_index(
        self,
        columns: list[str],
        index_name: str | None = None,
        unique: bool = False,
        if_not_exists: bool = False,
    ) -> "PgTable":
        name = _ident(index_name or f"idx_{self.name}_{'_'.join(columns)}")  # sqlite-utils' default name
        self.schema.execute(
            f"create {'unique ' if unique else ''}index {'if not exists ' if if_not_exists else ''}"
            f"{name} on {self.name} ({', '.join(map(_ident, columns))})"
        )
        return self

    def add_column(self, name: str, col_type=None, not_null_default=None) -> "PgTable":
        sql = f"alter table {self.name} add column {_ident(name)} {_TYPES[col_type or str]}"
        if not_null_default is not None:
            sql += f" not null default {_literal(not_null_default)}"
        self.schema.execute(sql)
        return self


def _literal(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"unsupported default {value!r}")
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else repr(value)


class PgSchema:
    """The part of `sqlite_utils.Database` that store.db's migrations use, on a PostgreSQL connection."""

    kind = "postgresql"

    def __init__(self, conn):
        self.conn = conn

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def execute(self, sql: str, params=None):
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [
            r[0]
            for r in self.execute(
                "select table_name from information_schema.tables where table_schema = current_schema() "
                "and table_type = 'BASE TABLE' order by table_name"
            ).fetchall()
        ]

    def view_names(self) -> list[str]:
        return [
            r[0]
            for r in self.execute(
                "select table_name from information_schema.views where table_schema = current_schema() "
                "order by table_name"
            ).fetchall()
        ]

    def create_view(self, name: str, sql: str) -> None:
        self.execute(f"create view {_ident(name)} as {sql}")


def apply_migrations(conn, *, stop_before: str | None = None) -> None:
    """Apply the pending migrations inside the caller's transaction, under an advisory lock (two machines starting
    on a new database at once: the second waits, then finds them applied). `stop_before` as in sqlite-utils."""
    conn.execute("select pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    conn.execute(f"""create table if not exists {MIGRATIONS_TABLE} (
        id bigint generated by default as identity primary key, migration_set text not null,
        name text not null, applied_at text not null, unique (migration_set, name))""")
    done = set(_applied(conn))
    schema = PgSchema(conn)
    # sqlite-utils' Migrations keeps its functions, in order, in `_migrations` (name, fn): the very ones that
    # Migrations.apply runs on the SQLite file
    for m in migrations._migrations:
        if m.name == stop_before:
            return
        if m.name in done:
            continue
        m.fn(cast("sqlite_utils.Database", schema))  # PgSchema speaks the part of it the migrations use
        conn.execute(
            f"insert into {MIGRATIONS_TABLE} (migration_set, name, applied_at) values (%s, %s, now()::text)",
            (migrations.name, m.name),
        )


def _applied(conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            f"select name from {MIGRATIONS_TABLE} where migration_set = %s order by id", (migrations.name,)
        ).fetchall()
    ]


# -- connection -------------------------------------------------------------------------------------------------------
def redacted(url: str) -> str:
    """postgresql://user@host:port/db: the URL as it may be shown (never its password)."""
    try:
        info = _conninfo.conninfo_to_dict(url) if psycopg else {}
    except Exception:  # noqa: BLE001 - an unreadable URL is named without repeating it
        return "the postgresql:// URL given"
    user = f"{info['user']}@" if info.get("user") else ""
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return (
        re.sub(r"^(?:(?:connection to server at [^,]+, port \d+ failed|connection failed): )+", "", text[0])
        if text
        else ""
    )


def explain(e: Exception, where: str, *, connecting: bool = False) -> StoreError:
    """A psycopg error as one sentence that says what to do."""
    msg = str(e).lower()
    state = getattr(e, "sqlstate", None) or ""
    first = _first_line(e)
    if "password authentication failed" in msg or "no password supplied" in msg or state == "28P01":
        return StoreError(
            f"The progress database {where} refused the user name or password: check them in the URL "
            "(or in ~/.pgpass / PGPASSWORD)."
        )
    if "does not exist" in msg and "database" in msg and connecting:
        return StoreError(
            f"There is no database {where} on that server: create it (createdb) or fix the name in "
            "--db / PEILIAN_DB / config.yaml's db:."
        )
    if "pg_hba.conf" in msg or state.startswith("28"):
        return StoreError(
            f"The progress database {where} does not let this machine or user in ({first}): ask "
            "whoever runs it to allow it."
        )
    if state in ("42501", "25006"):  # insufficient privilege, read-only transaction
        return StoreError(
            f"The progress database {where} does not let this user write ({first}): ask whoever runs "
            "it for write access, or practise with --no-save."
        )
    if state == "53100":
        return StoreError(
            f"The disk of the progress database {where} is full: free some space on the server; "
            "everything saved before this turn is kept."
        )
    if state in ("57014", "55P03", "40P01"):
        return StoreError(
            f"The progress database {where} stayed busy (another program holds a lock): try again."
        )
    if connecting or isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError)):
        if connecting:
            return StoreError(
                f"Cannot reach the progress database {where} ({first}): check that the server is "
                "running and the address in --db / PEILIAN_DB / config.yaml's db: is right."
            )
        return StoreError(
            f"The connection to the progress database {where} was lost ({first}): everything saved "
            "before this turn is kept; check the server and try again."
        )
    return StoreError(f"The progress database {where} failed: {first}.")


class PgStore(Store):
    """A progress store in a PostgreSQL database, given as a postgresql:// URL."""

    kind = "postgresql"
    conn: psycopg.Connection
    db: PgSchema

    def __init__(self, url: str | None = None, *, readonly: bool = False):
        if psycopg is None:
            raise StoreError("A postgresql:// database needs psycopg: pip install 'psycopg[binary]'.")
        self.url = str(url if url is not None else default_target()).strip()
        self.readonly = readonly
        self._lock = threading.RLock()
        self._where = redacted(self.url)
        self.conn = self._connect()
        self.db = PgSchema(self.conn)
        try:
            if readonly:
                self._check_schema()
            else:
                self._migrate()
        except psycopg.Error as e:
            self.close()
            raise explain(e, self._where) from None

    @property
    def where(self) -> str:
        return self._where

    def _connect(self):
        try:
            info = _conninfo.conninfo_to_dict(self.url)
        except psycopg.Error:
            raise StoreError(
                "The database setting is not a valid postgresql:// URL: write it as "
                "postgresql://USER@HOST:5432/DATABASE."
            ) from None
        extra = {"application_name": "peilian"}
        if "connect_timeout" not in info:
            extra["connect_timeout"] = CONNECT_TIMEOUT
        try:
            conn = psycopg.connect(self.url, autocommit=True, **extra)
            if self.readonly:
                conn.execute("set default_transaction_read_only = on")
        except psycopg.Error as e:
            raise explain(e, self._where, connecting=True) from None
        return conn

    def _ensure_connected(self) -> None:
        """A connection the server closed (a restart, a failover, an idle timeout) is opened again."""
        if self.conn.closed or self.conn.broken:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
            self.conn = self._connect()
            self.db = PgSchema(self.conn)

    def _migrate(self) -> None:
        if self._pending() == []:
            return  # up to date: nothing to write (a user with only read/write rights on the tables gets this far)
        with self.conn.transaction():
            apply_migrations(self.conn)

    def _pending(self) -> list[str] | None:
        """The migrations not applied yet (None: Peilian never wrote to this database)."""
        if MIGRATIONS_TABLE not in self.db.table_names():
            return None
        done = set(_applied(self.conn))
        return [m.name for m in migrations._migrations if m.name not in done]

    def _check_schema(self) -> None:
        pending = self._pending()
        if pending is None:
            raise NoSchemaYet(f"There are no sessions in {self._where} yet: practise a session first.")
        if pending:
            raise StoreError(
                f"The progress database {self._where} was made by an older Peilian: open it once with "
                "write access (any practice session or `peilian import` upgrades it)."
            )

    @contextmanager
    def write(self) -> Iterator[_Tx]:
        """One transaction: committed when the block ends, rolled back if it raises. A connection that the server
        cut while it was idle (a restart, a failover) is noticed at BEGIN, before anything was written, and opened
        again once."""
        if self.readonly:
            raise StoreError(f"The progress database {self._where} was opened read-only.")
        with self._lock:
            tx = self._begin()
            try:
                yield _Tx(self.conn)
            except BaseException as e:
                try:
                    tx.__exit__(type(e), e, e.__traceback__)  # rolls back
                except psycopg.Error:
                    pass
                if isinstance(e, psycopg.Error):
                    raise explain(e, self._where) from None
                raise
            try:
                tx.__exit__(None, None, None)  # commits
            except psycopg.Error as e:
                raise explain(e, self._where) from None

    def _twice(self, step):
        """`step()` on a live connection; a connection found cut (the server restarted since) is opened again and
        `step` tried once more. Any other error is one sentence."""
        for attempt in range(2):
            try:
                self._ensure_connected()
                return step()
            except psycopg.OperationalError as e:
                if attempt or not (self.conn.broken or self.conn.closed):
                    raise explain(e, self._where) from None
            except psycopg.Error as e:
                raise explain(e, self._where) from None
        raise AssertionError("unreachable")

    def _begin(self):
        def start():
            tx = self.conn.transaction()
            tx.__enter__()
            return tx

        return self._twice(start)

    def lock(self, conn, key: str) -> None:
        conn.execute("select pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        """Rows as dicts (numeric sums as floats, as SQLite gives them). Read-only, so a connection found cut is
        opened again and the query asked once more."""

        def ask():
            cur = self.conn.execute(pg_sql(sql), params)
            cols = [d.name for d in cur.description or ()]
            return [dict(zip(cols, map(_plain, row), strict=True)) for row in cur.fetchall()]

        with self._lock:
            return self._twice(ask)

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except psycopg.Error:
                pass

    def schema_version(self) -> list[str]:
        with self._lock:
            return _applied(self.conn)


class NoSchemaYet(StoreError):
    """A PostgreSQL database Peilian has never written to (a report on it has nothing to show)."""
