"""Issue 16, finding 5, the rules checked without a browser: no client-callable helper on any
State, one formula-escaping CSV helper for both CSVs, the ticket types of a session only
through the role check, and the password rules."""

from __future__ import annotations

import ast
import csv
import io
import uuid
from pathlib import Path

import pytest

import ticketing
from tests.builders import T0, error_of, in_tx, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import Role
from ticketing.services.accounts import organizations
from ticketing.services.accounts.password_rules import check_new_password
from ticketing.services.catalog import console_catalog
from ticketing.services.errors import ServiceError
from ticketing.services.reporting import sales_report
from ticketing.services.reporting.csv_cells import csv_text, spreadsheet_cell

STATE_DIR = Path(ticketing.__file__).parent / "state"
HANDLER_DECORATORS = ("rx.event", "event", "rx.var", "property", "staticmethod", "classmethod")


def _public_undecorated_methods() -> list[str]:
    found = []
    for path in sorted(STATE_DIR.rglob("*.py")):
        for cls in (n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name.startswith("_"):
                    continue
                names = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list]
                if not any(n in HANDLER_DECORATORS for n in names):
                    found.append(f"{path.relative_to(STATE_DIR)}:{cls.name}.{fn.name}")
    return found


def test_every_public_state_method_is_a_deliberate_handler():
    """Reflex makes every public method of a State callable by any client: helpers start with
    `_`, and what is public is marked @rx.event (or is a computed var)."""
    assert _public_undecorated_methods() == []


def test_the_state_classes_expose_no_internal_helper_as_an_event_handler():
    from ticketing.state.auth import AuthState
    from ticketing.state.console.base import ConsoleState

    assert not {"current_user_id", "run", "caller", "url_event_id", "show_builder", "load_builder"} & (
        set(AuthState.event_handlers) | set(ConsoleState.event_handlers))


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=1"])
def test_formula_cells_become_text(value):
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "-12.50", "0", 7, "", "a=b"])
def test_other_cells_are_left_alone(value):
    assert spreadsheet_cell(value) == value


def test_the_report_csv_is_formula_escaped_too():
    with session_scope() as db:
        w = make_workshop(db, timezone="Europe/Berlin")
    from ticketing.services import catalog

    in_tx(catalog.update_ticket_type, user_id=w.owner_id, event_id=w.event_id, ticket_type_id=w.series,
          name="=HYPERLINK(\"http://evil\")", now=T0)
    report = in_tx(sales_report.event_report, user_id=w.owner_id, event_id=w.event_id, now=T0)
    cells = [c for row in csv.reader(io.StringIO(sales_report.report_csv(report))) for c in row]
    assert "'=HYPERLINK(\"http://evil\")" in cells and not any(c.startswith("=") for c in cells)


CSV_HELPER = Path(ticketing.__file__).parent / "services" / "reporting" / "csv_cells.py"


def _csv_writers_outside_the_helper() -> list[str]:
    """Modules that write CSV themselves (the csv module, or a text/csv body not made by a
    function of a module that uses csv_text)."""
    found = []
    for path in sorted(Path(ticketing.__file__).parent.rglob("*.py")):
        if path == CSV_HELPER:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "csv" for a in node.names) or (
                    isinstance(node, ast.ImportFrom) and node.module == "csv"):
                found.append(f"{path.name}: imports csv")
            elif isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter", "writerow", "writerows"):
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    return found


def test_every_csv_is_written_through_the_formula_escaping_helper():
    """Attendees, reports, promo codes, the ledger and the broker's analytics (API and page):
    no module writes CSV but csv_cells, so every cell goes through spreadsheet_cell."""
    assert _csv_writers_outside_the_helper() == []


def test_the_ledger_csv_is_formula_escaped():
    from tests.factories import make_org
    from ticketing.services.ledger import reports
    from ticketing.services.ledger.journal import credit, debit, post_entry

    formula = "=cmd|' /C calc'!A0"
    with session_scope() as db:
        owner = make_buyers(db, 1)[0]
        org = make_org(db, owner=owner, now=T0).id
        post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo=formula, cause="test",
                   source_type="payment", source_id=f"pi_{uuid.uuid4().hex[:8]}", at=T0,
                   lines=[debit("stripe_balance", "EUR", 1250), credit("ticket_revenue", "EUR", 1250)])
    text = in_tx(reports.entries_csv, user_id=owner.id, organization_id=org)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == reports.CSV_HEADER and text.endswith("\r\n")
    assert {r[4] for r in rows[1:]} == {"'" + formula} and "12.50" in rows[1]


def test_csv_text_writes_rows():
    assert csv_text([["a", "=b"], [1, "-3"]]) == "a,'=b\r\n1,-3\r\n"


def test_a_sessions_ticket_types_need_a_manager_of_its_organization():
    with session_scope() as db:
        w = make_workshop(db)
        door, stranger = make_buyers(db, 2)
        organizations.add_member(db=db, user_id=w.owner_id, organization_id=w.org_id, email=door.email,
                                 role=Role.door.value, now=T0)
        other = make_workshop(db)
    names = in_tx(console_catalog.session_ticket_types, user_id=w.owner_id, event_id=w.event_id, session_id=w.day1)
    assert names and all(isinstance(n, str) for _i, n in names)
    assert error_of(console_catalog.session_ticket_types, user_id=stranger.id, event_id=w.event_id,
                    session_id=w.day1).code == "not_found"
    assert error_of(console_catalog.session_ticket_types, user_id=door.id, event_id=w.event_id,
                    session_id=w.day1).code == "forbidden"
    # A session of another event, asked through an event the caller manages: not found either.
    assert error_of(console_catalog.session_ticket_types, user_id=w.owner_id, event_id=w.event_id,
                    session_id=other.day1).code == "not_found"


@pytest.mark.parametrize("password", ["12345678", "1234567890", "password123", "Password1234", "qwertyuiop",
                                      "zzzzzzzzzzzz", "abab12abab12", "ada@example.com", "adalovelace"])
def test_weak_passwords(password):
    with pytest.raises(ServiceError) as refused:
        check_new_password(password, email="ada@example.com", name="Ada Lovelace")
    assert refused.value.code == "weak_password"


@pytest.mark.parametrize("password", ["correct horse", "demo-password", "a good long password", "long enough"])
def test_ordinary_passwords(password):
    check_new_password(password, email="ada@example.com", name="Ada Lovelace")
