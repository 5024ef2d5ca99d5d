"""The training room's sign-ins live in the store (store.accounts: open_web_session, web_session_account,
close_web_session), so that every server of a room on one database knows them. On a SQLite file and on PostgreSQL,
through two separate `Store`s (two servers) on the same database."""

from __future__ import annotations

import pytest

from store import StoreError, open_store
from store.accounts import (
    add_account,
    close_web_session,
    open_web_session,
    remove_account,
    reset_account,
    sign_in,
    web_session_account,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_servers(request, peilian_home):
    """Two stores on one database, as two `peilian serve` processes would hold."""
    target = (
        request.getfixturevalue("pg_url") if request.param == "postgresql" else str(peilian_home / "p.db")
    )
    a, b = open_store(target), open_store(target)
    yield a, b
    a.close()
    b.close()


def test_a_sign_in_is_known_to_every_server_until_it_signs_out(two_servers):
    a, b = two_servers
    add_account(a, "王小明", "trainee", "wang-pass-1")
    account = sign_in(a, "王小明", "wang-pass-1")
    token = open_web_session(a, account)
    other = open_web_session(b, account)  # the same trainee, another browser
    assert web_session_account(b, token) == account == web_session_account(a, other)
    for made_up in ("", "made-up", token[:-1], None):
        assert web_session_account(b, made_up) is None
    close_web_session(b, token)  # signing out on B
    assert web_session_account(a, token) is None and web_session_account(b, token) is None
    assert web_session_account(a, other) == account  # the other browser stays signed in


def test_a_reset_or_removal_ends_every_sign_in_of_that_account(two_servers):
    a, b = two_servers
    add_account(a, "王小明", "trainee", "wang-pass-1")
    add_account(a, "李四", "lead", "li-pass-123")
    wang = open_web_session(a, sign_in(a, "王小明", "wang-pass-1"))
    li = open_web_session(a, sign_in(a, "李四", "li-pass-123"))
    reset_account(b, "王小明", "wang-pass-2")
    assert web_session_account(a, wang) is None
    assert web_session_account(a, li) is not None and web_session_account(a, li).is_lead
    remove_account(b, "李四")
    assert web_session_account(a, li) is None
    assert sign_in(a, "李四", "li-pass-123") is None  # nor sign in again
    with pytest.raises(StoreError):
        reset_account(a, "李四", "li-pass-456")


def test_a_sign_in_expires(two_servers):
    a, b = two_servers
    add_account(a, "王小明", "trainee", "wang-pass-1")
    account = sign_in(a, "王小明", "wang-pass-1")
    old = open_web_session(a, account, hours=-1)
    assert web_session_account(b, old) is None
    fresh = open_web_session(b, account)  # a new sign-in clears out the expired ones
    assert web_session_account(a, fresh) == account
    assert [r["n"] for r in a.query("select count(*) as n from web_sessions")] == [1]
