"""CSV files organizers open in a spreadsheet: every text cell that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return; OWASP's "CSV injection") is written
as plain text with a leading apostrophe. Plain numbers ("-12.50") are left alone. Both the
attendee list and the event report are written through `csv_text`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def spreadsheet_cell(value: Any) -> Any:
    """`value`, made inert when a spreadsheet would evaluate it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, every cell through spreadsheet_cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return out.getvalue()
