"""Request and response bodies of the JSON API. Requests reject unknown fields."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Request body base: unknown fields are a 422, types are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=True)


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
