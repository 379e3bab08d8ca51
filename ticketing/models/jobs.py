"""What the job queue keeps beside its own tables: mails already sent, and jobs that failed
for good (shown to the organizer). The queue itself is procrastinate's (PostgreSQL only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class SentMail(SQLModel, table=True):
    """A mail that went out, keyed by its purpose ("confirmation:<order id>"): a job that runs
    twice (retried, or re-run after its worker died) finds the key and sends nothing."""

    __tablename__ = "sent_mails"

    key: str = Field(primary_key=True, max_length=200)
    sent_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class JobFailure(SQLModel, table=True):
    """A job that failed on its last attempt: what it was for, the organization it concerns
    (None for housekeeping such as the sweeper) and the last error."""

    __tablename__ = "job_failures"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id", index=True,
                                              ondelete="CASCADE")
    task: str = Field(max_length=100)
    subject: str = Field(default="", max_length=200)  # e.g. "order 1f3c…" or "refund 9a2b…"
    attempts: int = Field(default=1)
    error: str = Field(default="", max_length=1000)
    failed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
