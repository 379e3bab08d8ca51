"""/auth: register and token."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from ticketing.api.deps import current_user_id
from ticketing.api.schemas import PasswordResetIn, RegisterIn, TokenIn, TokenOut, UserOut
from ticketing.client_address import client_address
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.notifications.account_mail import mail_reset_link
from ticketing.services.accounts import accounts
from ticketing.services.accounts.tokens import issue_token
from ticketing.settings import get_settings
from ticketing.throttle import get_throttle, guarded_sign_in

router = APIRouter(prefix="/auth", tags=["auth"])


def request_address(request: Request) -> str:
    """The caller's address: the connection's, or the one a trusted proxy names."""
    return client_address(request.client.host if request.client else "", request.headers)


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, request: Request) -> UserOut:
    """429 `rate_limited` (with Retry-After) past the registrations allowed per address."""
    get_throttle().before_register(address=request_address(request))
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

    access_token = guarded_sign_in(email=body.email, address=request_address(request), attempt=attempt)
    return TokenOut(access_token=access_token, expires_in=get_settings().jwt_ttl_minutes * 60)


@router.post("/password-reset", status_code=202, response_class=Response)
def request_password_reset(body: PasswordResetIn, request: Request) -> Response:
    """Mail a reset link to the account with this email. 202 whether or not it exists (addresses
    cannot be probed); 429 `rate_limited` (with Retry-After) past the requests allowed per
    account or per address."""
    get_throttle().before_password_reset(email=body.email, address=request_address(request))
    with session_scope() as db:
        mail_reset_link(db=db, email=body.email, now=utcnow())
    return Response(status_code=202)


@router.post("/sign-out-everywhere", status_code=204, response_class=Response)
def sign_out_everywhere(user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Invalidate every token issued so far to the caller (this one included): API clients get
    401 `invalid_token` at once, open pages within a few seconds of their next action."""
    with session_scope() as db:
        accounts.sign_out_everywhere(db=db, user_id=user_id)
    return Response(status_code=204)


@router.post("/token/refresh", response_model=TokenOut)
def refresh_token(user_id: uuid.UUID = Depends(current_user_id)) -> TokenOut:
    """A fresh token for a caller whose token is still valid (same version): integrations renew
    before `expires_in` runs out instead of keeping a long-lived token."""
    with session_scope(readonly=True) as db:
        user = accounts.user_by_id(db=db, user_id=user_id)
        access_token = issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())
    return TokenOut(access_token=access_token, expires_in=get_settings().jwt_ttl_minutes * 60)
