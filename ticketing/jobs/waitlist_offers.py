"""Passing freed places to waiting lists, after each sweep (every few seconds): record what
earlier offers became, then make offers, one transaction each, with the offer's mail queued in
that transaction (it goes out once the offer is committed, never for one rolled back)."""

from __future__ import annotations

import logging

from ticketing.db import session_scope
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.sales import waitlist_offers

log = logging.getLogger(__name__)

MAX_OFFERS_PER_PASS = 200  # the rest at the next pass, so one pass stays short


def offer_freed_places() -> int:
    """One pass over every list with someone waiting; returns the offers made."""
    with session_scope() as db:
        waitlist_offers.settle_offers(db=db, now=utcnow())
    with session_scope(readonly=True) as db:
        lists = waitlist_offers.waiting_types(db)
    made = 0
    for event_id, ticket_type_id in lists:
        while made < MAX_OFFERS_PER_PASS:
            try:
                with session_scope() as db:
                    entry = waitlist_offers.offer_next(db=db, event_id=event_id, ticket_type_id=ticket_type_id,
                                                       now=utcnow())
                    if entry is None:
                        break
                    enqueue(db, "waitlist_offer_mail", entry_id=str(entry.id), offers=entry.offers)
            except ServiceError as exc:  # busy: the next pass tries again
                log.info("waiting-list offer for %s deferred: %s", ticket_type_id, exc.code)
                break
            made += 1
    return made
