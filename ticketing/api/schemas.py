"""Request and response bodies of the JSON API. Requests reject unknown fields."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ticketing.services.text_rules import has_bad_text


def _check_text(value: Any, where: str) -> None:
    if isinstance(value, str):
        if has_bad_text(value):
            raise PydanticCustomError("invalid_text", "{where} contains control characters or a broken character",
                                      {"where": where or "text"})
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where)


class Strict(BaseModel):
    """Request body base: unknown fields are a 422, types are not coerced from strings, and no
    text carries control characters or lone surrogates (422 `invalid_text`, nothing stored)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check_text(data, "")
        return data


class RegisterIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    name: str = Field(max_length=120)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str


class TokenIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class PasswordResetIn(Strict):
    email: str = Field(max_length=254)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class OrganizationIn(Strict):
    name: str = Field(max_length=120)
    slug: str = Field(max_length=60)


class OrganizationOut(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    role: str | None = None


class MemberIn(Strict):
    email: str = Field(max_length=254)
    role: str


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    organization_id: uuid.UUID


class FailedJobOut(BaseModel):
    """A job that failed for good: what it was for, how often it was tried, the last error."""

    id: uuid.UUID
    task: str
    subject: str
    attempts: int
    error: str
    failed_at: str
