"""/auth: register and token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ticketing.api.schemas import RegisterIn, TokenIn, TokenOut, UserOut
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.settings import get_settings
from ticketing.throttle import get_throttle, guarded_sign_in

router = APIRouter(prefix="/auth", tags=["auth"])


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy, run the server with its
    forwarded-address option so this is the client's, not the proxy's)."""
    return request.client.host if request.client else ""


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, request: Request) -> UserOut:
    """429 `rate_limited` (with Retry-After) past the registrations allowed per address."""
    get_throttle().before_register(address=client_address(request))
    with session_scope() as db:
        user = accounts.register_user(db=db, email=body.email, password=body.password, name=body.name, now=utcnow())
        return UserOut(id=user.id, email=user.email, name=user.name)


@router.post("/token", response_model=TokenOut)
def token(body: TokenIn, request: Request) -> TokenOut:
    """429 `rate_limited` (with Retry-After) past the failed sign-ins allowed per account or the
    sign-ins allowed per address; checked before the password is hashed."""

    def attempt() -> str:
        with session_scope() as db:
            return accounts.sign_in(db=db, email=body.email, password=body.password, now=utcnow())[1]

    access_token = guarded_sign_in(email=body.email, address=client_address(request), attempt=attempt)
    return TokenOut(access_token=access_token, expires_in=get_settings().jwt_ttl_minutes * 60)
