"""A mail goes out once per purpose, even when its job runs twice.

The purpose key ("confirmation:<order id>") is inserted in a transaction kept open while the
mail is sent, and committed after: a second run of the job (a retry, a job re-run after its
worker died, a duplicate job) waits for the first one's commit and then finds the key. If the
worker dies between the send and the commit, the key is not there and the mail is sent again,
under the same Message-ID and (outbox) the same file, so it is still one mail in the outbox and
a receiving server can drop the copy.
SQLite runs jobs on one in-process thread (no two runs at once): it checks, sends, then records,
without holding SQLite's single write lock while a mail is composed and sent.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy.dialects import postgresql, sqlite

from ticketing.db import session_scope
from ticketing.models import SentMail
from ticketing.models.base import utcnow
from ticketing.notifications.mailer import send

ALREADY_SENT = "already_sent"


def _claim(db, key: str) -> bool:
    """Insert the key; False when a committed run already sent this mail."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(SentMail).values(key=key, sent_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"]).returning(SentMail.key))
    return db.execute(stmt).first() is not None


def send_once(key: str, compose: Callable[[], EmailMessage | None]) -> str:
    """Send the message `compose()` makes unless a mail with this key went out already; where it
    went, or ALREADY_SENT (or "nothing" when compose has nothing to say)."""
    with session_scope() as db:
        if db.get_bind().dialect.name == "postgresql":
            if not _claim(db, key):
                return ALREADY_SENT
            message = compose()
            return send(message, key=key) if message is not None else "nothing"
    with session_scope(readonly=True) as db:
        if db.get(SentMail, key) is not None:
            return ALREADY_SENT
    message = compose()
    if message is None:
        return "nothing"
    where = send(message, key=key)
    with session_scope() as db:
        _claim(db, key)
    return where
