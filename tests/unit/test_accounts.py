"""Accounts: password hashing, tokens (tampering, expiry, revocation), registration rules."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from tests.factories import make_user
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.accounts.passwords import hash_password, verify_password
from ticketing.services.accounts.tokens import issue_token, read_token
from ticketing.services.errors import ServiceError


def test_password_hash_is_argon2_salted_and_verifies():
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1.startswith("$argon2id$") and h1 != h2
    assert verify_password("correct horse", h1)
    assert not verify_password("correct hors", h1)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "not-a-hash")


def test_register_normalizes_email_and_rejects_duplicates(db):
    user = make_user(db, email="  Ada@Example.COM ")
    assert user.email == "ada@example.com"
    assert user.password_hash != "correct horse"
    with pytest.raises(ServiceError) as err:
        make_user(db, email="ada@example.com")
    assert err.value.code == "email_taken" and err.value.status == 409


@pytest.mark.parametrize(
    ("email", "password", "name", "code"),
    [
        ("not-an-email", "long enough", "A", "invalid_email"),
        ("a@b.co", "short", "A", "weak_password"),
        ("a@b.co", "long enough", "   ", "invalid_name"),
    ],
)
def test_register_rejects_bad_input(db, email, password, name, code):
    with pytest.raises(ServiceError) as err:
        accounts.register_user(db=db, email=email, password=password, name=name, now=utcnow())
    assert err.value.code == code and err.value.status == 422


def test_sign_in_wrong_password_and_unknown_email_look_the_same(db):
    make_user(db, email="bo@example.com", password="right password")
    for email, password in [("bo@example.com", "wrong password"), ("nobody@example.com", "right password")]:
        with pytest.raises(ServiceError) as err:
            accounts.sign_in(db=db, email=email, password=password, now=utcnow())
        assert err.value.code == "invalid_credentials"
    user, token = accounts.sign_in(db=db, email="BO@example.com", password="right password", now=utcnow())
    assert accounts.user_from_token(db=db, token=token, now=utcnow()).id == user.id


def test_token_round_trip_and_expiry():
    import uuid

    now = utcnow()
    uid = uuid.uuid4()
    token = issue_token(user_id=uid, token_version=3, now=now, ttl=timedelta(minutes=5))
    assert read_token(token, now=now + timedelta(minutes=4)) == (uid, 3)
    with pytest.raises(ServiceError) as err:
        read_token(token, now=now + timedelta(minutes=5, seconds=1))
    assert err.value.code == "invalid_token"


def test_tampered_tokens_are_rejected():
    import uuid

    now = utcnow()
    token = issue_token(user_id=uuid.uuid4(), token_version=1, now=now)
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    forged = jwt.encode({"sub": str(uuid.uuid4()), "ver": 1, "aud": "ticketing", "iat": 1, "exp": 4102444800},
                        "some-other-secret", algorithm="HS256")
    unsigned = jwt.encode({"sub": str(uuid.uuid4()), "aud": "ticketing", "iat": 1, "exp": 4102444800},
                          None, algorithm="none")
    for bad in [f"{header}.{payload}.{flipped}", forged, unsigned, "garbage", ""]:
        with pytest.raises(ServiceError) as err:
            read_token(bad, now=now)
        assert err.value.code == "invalid_token"


def test_sign_out_everywhere_revokes_old_tokens(db):
    user = make_user(db, password="right password")
    _, token = accounts.sign_in(db=db, email=user.email, password="right password", now=utcnow())
    accounts.sign_out_everywhere(db=db, user_id=user.id)
    with pytest.raises(ServiceError) as err:
        accounts.user_from_token(db=db, token=token, now=utcnow())
    assert err.value.code == "invalid_token"
    with pytest.raises(ServiceError) as err:
        accounts.user_from_token(db=db, token=None, now=utcnow())
    assert err.value.code == "not_authenticated"
