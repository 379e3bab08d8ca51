"""The catalog capability: events, sessions and ticket types, and their public views.

One module per use-case family (catalog_events, catalog_sessions, catalog_ticket_types, with
shared rules in catalog_common); callers import this facade: `catalog.create_session(...)`.
"""

from ticketing.services.catalog.catalog_common import UNSET, EventDetail, SessionView, TicketTypeView, Unset
from ticketing.services.catalog.catalog_events import (
    EventSummary,
    cancel_event,
    create_event,
    get_event,
    list_events_for_org,
    list_published_events,
    publish_event,
    unpublish_event,
    update_event,
)
from ticketing.services.catalog.catalog_sessions import create_session, delete_session, update_session
from ticketing.services.catalog.catalog_ticket_types import create_ticket_type, update_ticket_type

__all__ = [
    "UNSET", "EventDetail", "EventSummary", "SessionView", "TicketTypeView", "Unset",
    "cancel_event", "create_event", "create_session", "create_ticket_type", "delete_session",
    "get_event", "list_events_for_org", "list_published_events", "publish_event", "unpublish_event",
    "update_event", "update_session", "update_ticket_type",
]
