"""/auth: register and token."""

from __future__ import annotations

from fastapi import APIRouter

from ticketing.api.schemas import RegisterIn, TokenIn, TokenOut, UserOut
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.settings import get_settings

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn) -> UserOut:
    with session_scope() as db:
        user = accounts.register_user(db=db, email=body.email, password=body.password, name=body.name, now=utcnow())
        return UserOut(id=user.id, email=user.email, name=user.name)


@router.post("/token", response_model=TokenOut)
def token(body: TokenIn) -> TokenOut:
    with session_scope() as db:
        _user, access_token = accounts.sign_in(db=db, email=body.email, password=body.password, now=utcnow())
    return TokenOut(access_token=access_token, expires_in=get_settings().jwt_ttl_minutes * 60)
