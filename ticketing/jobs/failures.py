"""Jobs that failed for good: written down for the organization they concern."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ticketing.db import session_scope
from ticketing.models import Event, JobFailure, Order, Refund, Ticket

log = logging.getLogger(__name__)


def _organization_of(db, kwargs: dict[str, Any]) -> tuple[uuid.UUID | None, str]:
    """The organization a job's arguments point at (through its order), and a short subject
    (the order's number, as the organizer knows it, when there is one)."""
    order_id, subject = None, ""
    if kwargs.get("order_id"):
        order_id, subject = uuid.UUID(str(kwargs["order_id"])), f"order {kwargs['order_id']}"
    elif kwargs.get("refund_id"):
        refund = db.get(Refund, uuid.UUID(str(kwargs["refund_id"])))
        order_id, subject = (refund.order_id if refund else None), f"refund {kwargs['refund_id']}"
    elif kwargs.get("ticket_id"):
        ticket = db.get(Ticket, uuid.UUID(str(kwargs["ticket_id"])))
        order_id, subject = (ticket.order_id if ticket else None), f"ticket {kwargs['ticket_id']}"
    elif kwargs.get("intent_id"):
        subject = f"payment {kwargs['intent_id']}"
    order = db.get(Order, order_id) if order_id else None
    event = db.get(Event, order.event_id) if order else None
    if order is not None:
        subject = f"order {order.number}" + (f", {subject}" if not subject.startswith("order") else "")
    return (event.organization_id if event else None), subject


def record_failure(*, task: str, kwargs: dict[str, Any], attempts: int, error: BaseException) -> None:
    """Write down a job that will not be tried again; never raises (the queue marks it failed too)."""
    try:
        with session_scope() as db:
            organization_id, subject = _organization_of(db, kwargs)
            db.add(JobFailure(organization_id=organization_id, task=task, subject=subject[:200], attempts=attempts,
                              error=f"{type(error).__name__}: {error}"[:1000]))
    except Exception:  # the failure stays visible in the queue's own table and the log
        log.exception("could not record the failure of job %s", task)
