"""Text people type, wherever it comes from (a page, the API, an import): no control characters
(tab and line breaks excepted, descriptions use them), no DEL or C1 controls, and no lone UTF-16
surrogates (JSON and a websocket can carry a "\\ud800", which no UTF-8 column can store).

The API's bodies refuse such text first (api/schemas.Strict); every write to the database is
checked again at flush (db.py), so a page's handler and the API refuse the same input with the
same `invalid_text` and store nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ticketing.services.errors import ServiceError

BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_bad_text(value: Any) -> bool:
    return isinstance(value, str) and BAD_TEXT.search(value) is not None


def bad_text(field: str, label: str = "") -> ServiceError:
    label = label or field.replace("_", " ").capitalize() or "Text"
    return ServiceError("invalid_text", f"{label} contains control characters or a broken character: "
                                        "nothing was saved.", status=422, field=field)


def check_text(value: Any, *, field: str, label: str = "") -> Any:
    """`value`, or 422 `invalid_text` naming `field` (`label` in the message)."""
    if has_bad_text(value):
        raise bad_text(field, label)
    return value


def check_values(values: Iterable[tuple[str, Any]]) -> None:
    """Every (field, value) pair through check_text: the first bad one is refused. One search
    over all the text (it runs for every row written); the fields only when it finds one."""
    texts = [(field, value) for field, value in values if isinstance(value, str)]
    if texts and BAD_TEXT.search("\n".join(value for _field, value in texts)):
        for field, value in texts:
            check_text(value, field=field)
