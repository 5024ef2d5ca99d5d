"""Training-room accounts: who may sign in to `peilian serve`, and as what (trainee or lead).

The lead adds accounts (`peilian users add`). A password is never stored: only a salted scrypt hash (standard
library `hashlib.scrypt`). An account can instead start with a one-time invite token, of which only a SHA-256 is
kept; the trainee opens the invite link and chooses a password.

A signed-in browser holds a random token; the store keeps only its SHA-256 (`web_sessions`), with the account, the
account's password stamp, and when it expires or was revoked. So every server of one room on one database accepts a
browser that signed in on any of them, and signing out, a reset or a removal ends it on all of them. Part of the
headless core: no Textual, no web.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .db import Store, now
from .errors import StoreError
from .names import clean_name

ROLES = ("trainee", "lead")
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
INVITE_DAYS = 7
SESSION_HOURS = 12  # how long a sign-in lasts
# scrypt cost: N=2^15, r=8 (32 MiB, ~0.1 s on this class of machine). Stored with each hash, so it can be raised
# later without invalidating existing passwords.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    stamp: str  # changes whenever the password does: a signed-in session checks it is still the same

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


def hash_password(
    password: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (constant-time compare). A missing hash never matches, but costs
    the same scrypt run, so a wrong name can't be told from a wrong password by timing."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            raise ValueError(kind)
        candidate = hash_password(password, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
        return hmac.compare_digest(candidate, stored or "")
    except ValueError:
        hash_password(password, salt=b"\0" * 16)
        return False


def check_new_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise StoreError(f"A password needs at least {PASSWORD_MIN} characters: choose a longer one.")
    if len(password) > PASSWORD_MAX:
        raise StoreError(f"A password can be at most {PASSWORD_MAX} characters: choose a shorter one.")
    return password


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise StoreError(f"A role is 'trainee' or 'lead', not '{role}'.")
    return role


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _stamp(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _credentials(password: str | None) -> tuple[dict, str | None]:
    """The columns for a new password, or for a new one-time invite (and its token) when there is none."""
    if password is not None:
        return {
            "password_hash": hash_password(check_new_password(password)),
            "invite_hash": None,
            "invite_expires": None,
        }, None
    token = secrets.token_urlsafe(24)
    expires = (datetime.now(timezone.utc) + timedelta(days=INVITE_DAYS)).isoformat(timespec="seconds")
    return {"password_hash": None, "invite_hash": _token_hash(token), "invite_expires": expires}, token


def add_account(store: Store, name: str, role: str, password: str | None = None) -> str | None:
    """A new account. With `password`, it can sign in at once; without, returns a one-time invite token (valid
    INVITE_DAYS days) with which the trainee chooses their own password."""
    name, role = clean_name(name), _check_role(role)
    columns, token = _credentials(password)
    with store.write() as conn:
        stamp = now()
        added = conn.execute(
            "insert into accounts (name, role, password_hash, invite_hash, invite_expires, "
            "created_at, updated_at) values (:name, :role, :password_hash, :invite_hash, "
            ":invite_expires, :t, :t) on conflict (name) do nothing",
            {"name": name, "role": role, "t": stamp, **columns},
        ).rowcount
        if not added:  # already there (on a shared database, perhaps added from another machine a moment ago)
            raise StoreError(
                f"There is already an account '{name}': use `peilian users reset` to give it a new "
                "password or invite."
            )
    return token


def reset_account(
    store: Store, name: str, password: str | None = None, role: str | None = None
) -> str | None:
    """A new password (or a new invite, whose token is returned) for an existing account; signed-in sessions of it
    end. `role` changes its role too."""
    name = clean_name(name)
    columns, token = _credentials(password)
    if role is not None:
        columns["role"] = _check_role(role)
    with store.write() as conn:
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        cur = conn.execute(
            f"update accounts set {sets}, updated_at = :t where name = :name",
            {**columns, "t": now(), "name": name},
        )
        if cur.rowcount == 0:
            raise StoreError(f"There is no account '{name}': add it with `peilian users add`.")
        _revoke_all(conn, name)
    return token


def remove_account(store: Store, name: str) -> None:
    """The account can no longer sign in (its progress is kept)."""
    name = clean_name(name)
    with store.write() as conn:
        if conn.execute("delete from accounts where name = ?", (name,)).rowcount == 0:
            raise StoreError(f"There is no account '{name}': `peilian users list` shows who has one.")
        _revoke_all(conn, name)


def list_accounts(store: Store) -> list[dict]:
    """Every account: name, role, state (active / invited / invite expired), created_at."""
    out = []
    for row in store.query(
        "select name, role, password_hash, invite_expires, created_at from accounts order by name"
    ):
        if row["password_hash"]:
            state = "active"
        elif row["invite_expires"] and row["invite_expires"] > now():
            state = "invited"
        else:
            state = "invite expired"
        out.append(
            {"name": row["name"], "role": row["role"], "state": state, "created_at": row["created_at"]}
        )
    return out


def has_accounts(store: Store) -> bool:
    return bool(store.query("select 1 from accounts limit 1"))


def get_account(store: Store, name: str) -> Account | None:
    """The account as it is now (None once removed): a server checks this on every request."""
    rows = store.query("select name, role, password_hash from accounts where name = ?", (name,))
    if not rows or not rows[0]["password_hash"]:
        return None
    return Account(rows[0]["name"], rows[0]["role"], _stamp(rows[0]["password_hash"]))


def sign_in(store: Store, name: str, password: str) -> Account | None:
    """The account if `password` is its password, else None (unknown name and wrong password look alike)."""
    try:
        name = clean_name(name)
    except StoreError:
        name = ""
    rows = store.query("select password_hash from accounts where name = ?", (name,)) if name else []
    if not check_password(
        password if isinstance(password, str) else "", rows[0]["password_hash"] if rows else None
    ):
        return None
    return get_account(store, name)


def redeem_invite(store: Store, token: str, password: str) -> Account:
    """Sets the password of the account the invite token was made for; the token then no longer works."""
    new_hash = hash_password(check_new_password(password))  # outside the write lock: scrypt takes a while
    digest = _token_hash(token if isinstance(token, str) else "")
    used = StoreError(
        "This invite link has already been used or has expired: ask your team lead for a new one."
    )
    with store.write() as conn:
        stamp = now()
        row = conn.execute(
            "select name from accounts where invite_hash = ? and invite_expires > ?", (digest, stamp)
        ).fetchone()
        if row is None:
            raise used
        # the update takes the invite only if it is still there: of two servers of one room redeeming the same link
        # at once (PostgreSQL writers don't queue as SQLite's do), the second updates nothing
        if not conn.execute(
            "update accounts set password_hash = ?, invite_hash = null, invite_expires = null, "
            "updated_at = ? where name = ? and invite_hash = ?",
            (new_hash, stamp, row[0], digest),
        ).rowcount:
            raise used
    account = get_account(store, row[0])
    assert account is not None
    return account


# -- signed-in browsers ---------------------------------------------------------------------------------------------
def _later(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat(timespec="seconds")


def _revoke_all(conn, name: str) -> None:
    conn.execute(
        "update web_sessions set revoked_at = ? where name = ? and revoked_at is null", (now(), name)
    )


def open_web_session(store: Store, account: Account, *, hours: float = SESSION_HOURS) -> str:
    """A new sign-in for `account`: the random token for the browser's cookie (only its SHA-256 is stored). Sign-ins
    that have expired are deleted on the way."""
    token = secrets.token_urlsafe(32)
    with store.write() as conn:
        stamp = now()
        conn.execute("delete from web_sessions where expires_at < ?", (stamp,))
        conn.execute(
            "insert into web_sessions (token_hash, name, stamp, created_at, expires_at) values (?, ?, ?, ?, ?)",
            (_token_hash(token), account.name, account.stamp, stamp, _later(hours)),
        )
    return token


def web_session_account(store: Store, token: str) -> Account | None:
    """The account a cookie's token signs in, as it is now; None if the token is unknown, expired or revoked, or the
    account was removed or has a new password since. One query: every request of every server asks it."""
    if not isinstance(token, str) or not token:
        return None
    rows = store.query(
        "select accounts.name, accounts.role, accounts.password_hash, web_sessions.stamp from web_sessions "
        "join accounts on accounts.name = web_sessions.name where web_sessions.token_hash = ? "
        "and web_sessions.revoked_at is null and web_sessions.expires_at > ?",
        (_token_hash(token), now()),
    )
    if not rows or not rows[0]["password_hash"]:
        return None
    account = Account(rows[0]["name"], rows[0]["role"], _stamp(rows[0]["password_hash"]))
    return account if hmac.compare_digest(account.stamp, rows[0]["stamp"]) else None


def close_web_session(store: Store, token: str) -> None:
    """Signing out: the token no longer signs in, on any server of the room."""
    if not isinstance(token, str) or not token:
        return
    with store.write() as conn:
        conn.execute(
            "update web_sessions set revoked_at = ? where token_hash = ? and revoked_at is null",
            (now(), _token_hash(token)),
        )


# -- wrong passwords, counted by every server together ---------------------------------------------------------------
def _failure_key(parts: tuple) -> str:
    return hashlib.sha256("\x00".join(map(str, parts)).encode("utf-8")).hexdigest()


def sign_in_failures(store: Store, keys: list[tuple], window_s: float) -> list[int]:
    """How many wrong passwords each key (e.g. (address, name) and (address,)) had in the last `window_s` seconds,
    on every server of the room. Only SHA-256s of the keys are stored: no addresses or typed names."""
    since = _later(-window_s / 3600)
    counts = []
    for parts in keys:
        rows = store.query(
            "select count(*) as n from sign_in_failures where key = ? and at > ?",
            (_failure_key(parts), since),
        )
        counts.append(int(rows[0]["n"]))
    return counts


def record_sign_in_failure(store: Store, keys: list[tuple], window_s: float) -> None:
    """A wrong password, under each key; failures older than the window are deleted on the way."""
    with store.write() as conn:
        stamp = now()
        conn.execute("delete from sign_in_failures where at < ?", (_later(-window_s / 3600),))
        conn.executemany(
            "insert into sign_in_failures (key, at) values (?, ?)", [(_failure_key(k), stamp) for k in keys]
        )
