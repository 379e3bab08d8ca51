"""What a page says when a handler fails unexpectedly: busy for a transient failure, a bug with
a reference that is also in the log, never the exception's own text."""

from __future__ import annotations

import logging

import psycopg
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from ticketing.db_budget import BUSY_MESSAGE
from ticketing.services.errors import ServiceError
from ticketing.state.failures import page_exception_handler


def shown(spec) -> str:
    return str(spec.args)


def test_redis_or_the_database_briefly_away_is_a_calm_busy_note():
    too_many = OperationalError("SELECT 1", {}, psycopg.errors.TooManyConnections("sorry, too many clients"))
    for failure in (RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"), too_many,
                    ServiceError("busy", "pool exhausted")):
        text = shown(page_exception_handler(failure))
        assert '"warning"' in text and BUSY_MESSAGE.replace("'", "\\'") in text
        assert "6379" not in text and "too many clients" not in text


def test_a_bug_shows_a_reference_that_the_log_carries_and_hides_its_text(caplog):
    with caplog.at_level(logging.ERROR, logger="ticketing.state.failures"):
        text = shown(page_exception_handler(KeyError("internal_column_name")))
    assert '"error"' in text and "internal_column_name" not in text
    (record,) = caplog.records
    reference = record.getMessage().rsplit(" ", 1)[-1]
    assert len(reference) == 12 and f"quote reference {reference}." in text
    assert record.exc_info is not None  # the traceback is in the log, not in the page
