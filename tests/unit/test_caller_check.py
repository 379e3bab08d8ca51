"""Background handlers check who calls with the database read outside the tab's lock
(state/auth.py `Caller`): the same answers as `AuthState._current_user_id()`, remembered by the tab
only when the handler enters its state again."""

from __future__ import annotations

import asyncio

from reflex.state import State

from tests.factories import make_user
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.accounts.tokens import issue_token
from ticketing.state.auth import AuthState, caller_of, caller_user_id, remember_caller


def _tab(token: str) -> AuthState:
    auth = State(_reflex_internal_init=True).get_substate(AuthState.get_full_name().split(".")[1:])
    auth.token = token
    return auth


def _user_and_token():
    with session_scope() as db:
        user = make_user(db)
        token = issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())
        return user.id, token


def test_a_stale_check_is_read_outside_and_remembered_inside():
    user_id, token = _user_and_token()
    tab = _tab(token)

    async def scenario():
        caller = await caller_of(tab)
        assert caller.fresh is None  # never checked in this tab: a read is due
        assert await caller_user_id(caller) == user_id
        assert not tab.signed_in  # the read alone changes nothing in the tab
        await remember_caller(tab, caller)
        assert tab.signed_in and tab._uid == str(user_id)
        again = await caller_of(tab)
        assert again.fresh == user_id  # checked just now: the next call needs no read
        assert await caller_user_id(again) == user_id and not again.checked
        return True

    assert asyncio.run(scenario())


def test_a_token_signed_out_everywhere_is_refused_and_the_tab_signed_out():
    user_id, token = _user_and_token()
    tab = _tab(token)
    with session_scope() as db:
        accounts.sign_out_everywhere(db=db, user_id=user_id)

    async def scenario():
        caller = await caller_of(tab)
        assert await caller_user_id(caller) is None
        await remember_caller(tab, caller)
        return tab.token, tab.signed_in

    assert asyncio.run(scenario()) == ("", False)


def test_a_tab_that_signed_in_again_meanwhile_keeps_its_new_session():
    _user_id, token = _user_and_token()
    _other_id, newer = _user_and_token()
    tab = _tab(token)

    async def scenario():
        caller = await caller_of(tab)
        await caller_user_id(caller)
        tab.token = newer  # another sign-in in this browser while the read ran
        await remember_caller(tab, caller)
        return tab.token, tab._uid

    assert asyncio.run(scenario()) == (newer, "")  # not overwritten with the older account
