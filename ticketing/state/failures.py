"""What a page says when one of its handlers fails unexpectedly (Reflex's backend exception
handler). A transient failure (Redis or the database briefly away, no free connection) gets a
calm "busy" note, because trying again a moment later works; anything else is a bug, logged with
a reference that the page shows, so a customer's report can be matched to the log. Never the
exception's text: it may carry internals.
"""

import logging
import uuid

import reflex as rx
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from reflex.event import EventSpec

from ticketing.db_budget import BUSY_MESSAGE, is_transient
from ticketing.services.errors import ServiceError

log = logging.getLogger(__name__)


def is_transient_failure(exception: Exception) -> bool:
    """Redis (the per-tab state store) or the database briefly unreachable or overloaded."""
    if isinstance(exception, (RedisConnectionError, RedisTimeoutError)):
        return True
    if isinstance(exception, ServiceError):
        return exception.code == "busy"
    return is_transient(exception)


def failure_words(exception: Exception) -> str:
    """What a page says of an unexpected failure: the calm "busy" note when trying again will
    do, else a reference to the log entry this writes."""
    if is_transient_failure(exception):
        log.warning("page handler busy: %s: %s", type(exception).__name__, exception)
        return BUSY_MESSAGE
    reference = uuid.uuid4().hex[:12]
    log.error("page handler failed, reference %s", reference, exc_info=exception)
    return f"Something went wrong on our side. Please try again; if it happens again, quote reference {reference}."


def page_exception_handler(exception: Exception) -> EventSpec:
    words = failure_words(exception)
    if is_transient_failure(exception):
        return rx.toast.warning(words, id="busy", position="top-center")
    return rx.toast.error(words, id="backend_error", position="top-center")
