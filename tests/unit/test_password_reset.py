"""Forgot password: the mailed link works once, expires, and ends the user's other sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import T0
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.services.accounts import accounts, password_reset
from ticketing.services.accounts.passwords import verify_password
from ticketing.services.errors import ServiceError


@pytest.fixture
def user_id():
    with session_scope() as db:
        return accounts.register_user(db=db, email="Reset.Me@example.com", password="old password", name="Rita",
                                      now=T0).id


def _link(email="reset.me@example.com", now=T0):
    with session_scope() as db:
        found = password_reset.reset_link_token(db=db, email=email, now=now)
    return found[1] if found else None


def _reset(token, password="new password 1", now=T0):
    with session_scope() as db:
        return password_reset.reset_password(db=db, token=token, password=password, now=now)


def _code(fn, *args, **kw):
    with pytest.raises(ServiceError) as err:
        fn(*args, **kw)
    return err.value.code


def test_a_link_sets_a_new_password_once_and_signs_out_elsewhere(user_id):
    token = _link(" RESET.me@example.com ")
    with session_scope(readonly=True) as db:
        assert password_reset.check_reset_link(db=db, token=token, now=T0) == "reset.me@example.com"
        before = db.get(User, user_id).token_version
    _reset(token, now=T0 + timedelta(minutes=5))
    with session_scope(readonly=True) as db:
        user = db.get(User, user_id)
        assert verify_password("new password 1", user.password_hash)
        assert not verify_password("old password", user.password_hash)
        assert user.token_version == before + 1
    # Spent: the same link (and any older one) no longer works.
    assert _code(_reset, token, "another password") == "invalid_reset_link"


def test_an_expired_or_forged_link_changes_nothing(user_id):
    token = _link()
    assert _code(_reset, token, now=T0 + password_reset.TTL + timedelta(seconds=1)) == "invalid_reset_link"
    assert _code(_reset, token[:-2] + "xx") == "invalid_reset_link"
    assert _code(_reset, "not-a-token") == "invalid_reset_link"
    assert _code(_reset, token, "short") == "weak_password"
    with session_scope(readonly=True) as db:
        assert verify_password("old password", db.get(User, user_id).password_hash)


def test_unknown_addresses_get_no_link(user_id):
    assert _link("nobody@example.com") is None
