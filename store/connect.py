"""Which store a target opens: a SQLite file (`store.db.Store`) or a PostgreSQL database (`store.pg.PgStore`, same
methods). The one module that knows both backends, so neither imports the other."""

from __future__ import annotations

import os

from .db import Store, default_target, is_url


def open_store(target: str | os.PathLike | None = None, *, readonly: bool = False) -> Store:
    """The store at `target`: a path is a SQLite file, a `postgresql://` URL a PostgreSQL database; None reads
    `$PEILIAN_DB` (the CLI sets it from --db or the config's `db:`), else the default file."""
    if is_url(target if target is not None else default_target()):
        from .pg import PgStore

        return PgStore(None if target is None else str(target), readonly=readonly)
    return Store(target, readonly=readonly)


def describe(target) -> str:
    """A target as it may be shown: a URL without its password."""
    if is_url(target):
        from .pg import redacted

        return redacted(target)
    return str(target)
