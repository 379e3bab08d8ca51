"""Finance: the organization's books — balances, trial balance, an event's P&L, the CSV for the
accountant, and the reconciliation with Stripe."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.pages.dashboard import stat
from ticketing.state.console.finance import FinanceState

F = FinanceState


def _muted(text, **props) -> rx.Component:
    return rx.text(text, size="2", color=rx.color("gray", 11), **props)


def _trial_balance() -> rx.Component:
    header = rx.table.header(rx.table.row(
        rx.table.column_header_cell("Account"), rx.table.column_header_cell("Debit", text_align="right"),
        rx.table.column_header_cell("Credit", text_align="right"),
        rx.table.column_header_cell("Balance", text_align="right", class_name="hide-sm")))
    rows = rx.foreach(F.accounts, lambda a: rx.table.row(
        rx.table.cell(a["account"]), rx.table.cell(a["debit"], text_align="right"),
        rx.table.cell(a["credit"], text_align="right"),
        rx.table.cell(a["balance"], text_align="right", class_name="hide-sm")))
    total = rx.table.row(
        rx.table.row_header_cell("Total"), rx.table.cell(rx.text(F.totals["debits"], weight="bold"), text_align="right"),
        rx.table.cell(rx.text(F.totals["credits"], weight="bold"), text_align="right"),
        rx.table.cell("", class_name="hide-sm"))
    return rx.vstack(
        rx.hstack(
            rx.heading("Trial balance", size="4", as_="h2"),
            rx.cond(F.accounts.length() > 0,
                    rx.cond(F.totals["balanced"] == "yes",
                            rx.badge("debits = credits", color_scheme="green", id="tb-balanced"),
                            rx.badge("does not balance", color_scheme="red", id="tb-balanced"))),
            rx.spacer(),
            rx.el.label("At the end of", html_for="tb-at", class_name="field-label"),
            rx.input(type="date", id="tb-at", value=F.at_date, on_change=F.set_at_date, size="2", width="11rem"),
            width="100%", align="center", wrap="wrap", spacing="2",
        ),
        rx.cond(F.accounts.length() > 0,
                rx.box(rx.table.root(header, rx.table.body(rows, total), size="1", width="100%", id="trial-balance"),
                       width="100%", overflow_x="auto"),
                _muted("Nothing posted yet: the books start with the first payment.")),
        spacing="3", width="100%",
    )


def _pnl_row(label: str, key: str, strong: bool = False) -> rx.Component:
    return rx.hstack(rx.text(label, weight="bold" if strong else "regular"), rx.spacer(),
                     rx.text(F.pnl[key], weight="bold" if strong else "regular", id=f"pnl-{key}"),
                     width="100%", padding="0.35rem 0", border_bottom=f"1px solid {rx.color('gray', 4)}")


def _pnl() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Profit and loss", size="4", as_="h2"),
            rx.spacer(),
            rx.cond(F.events.length() > 0, rx.select.root(
                rx.select.trigger(placeholder="Choose an event", id="pnl-event"),
                rx.select.content(rx.foreach(F.events, lambda e: rx.select.item(e["title"], value=e["id"]))),
                value=F.event_id, on_change=F.choose_event, size="2")),
            width="100%", align="center", wrap="wrap", spacing="2",
        ),
        rx.cond(F.pnl.length() > 0, rx.vstack(
            _pnl_row("Gross ticket sales", "gross"), _pnl_row("Discounts", "discounts"),
            _pnl_row("Refunds", "refunds"), _pnl_row("Stripe fees", "fees"),
            _pnl_row("Cost of tickets", "cost_of_tickets"), _pnl_row("Net", "net", strong=True),
            spacing="0", width="100%", id="pnl"),
            _muted("No event yet.")),
        spacing="3", width="100%",
    )


def _reconciliation() -> rx.Component:
    diffs = rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                       ("Difference", "Stripe reference", "Ledger", "Stripe")])),
        rx.table.body(rx.foreach(F.differences, lambda d: rx.table.row(
            rx.table.cell(d["kind"]), rx.table.cell(rx.code(d["ref"])), rx.table.cell(d["ledger"]),
            rx.table.cell(d["stripe"])))),
        size="1", width="100%")
    return rx.vstack(
        rx.hstack(
            rx.heading("Reconciliation with Stripe", size="4", as_="h2"),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), "Check the last 30 days", variant="soft", size="2",
                      loading=F.reconciling, on_click=F.run_reconciliation, id="run-reconciliation"),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(
            F.recon.length() > 0,
            rx.vstack(
                _muted(rx.text.span("Last run ", F.recon["ran_at"], " for ", F.recon["period"], ": ",
                                    F.recon["matched"], " Stripe movements match, ", F.recon["count"],
                                    " differences."), id="recon-summary"),
                rx.cond(F.differences.length() > 0, rx.box(diffs, width="100%", overflow_x="auto")),
                spacing="2", width="100%",
            ),
            _muted("Never run yet."),
        ),
        _muted("Stripe is checked by itself every day at 03:30 UTC for the day before.", id="recon-schedule"),
        spacing="3", width="100%",
    )


def finance_page() -> rx.Component:
    content = rx.vstack(
        rx.hstack(
            rx.vstack(rx.heading("Finance", size="7", as_="h1", id="finance-title"), _muted(F.org_name), spacing="1"),
            rx.spacer(),
            rx.button(rx.icon("download", size=16), "Download CSV", variant="soft", on_click=F.download_csv,
                      id="ledger-csv"),
            width="100%", align="center", wrap="wrap", spacing="3",
        ),
        rx.cond(F.error != "", rx.callout(F.error, color_scheme="red", width="100%")),
        rx.grid(
            stat("Stripe balance", F.balances.get("stripe_balance", "—"), "money held by Stripe", id="bal-stripe"),
            stat("Ticket revenue", F.totals.get("revenue", "—"), "all events, before refunds", id="bal-revenue"),
            stat("Refunds", F.balances.get("refunds", "—"), id="bal-refunds"),
            stat("Stripe fees", F.balances.get("stripe_fees", "—"), id="bal-fees"),
            columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%",
        ),
        rx.grid(card(_trial_balance()), card(_pnl()), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                width="100%"),
        card(_reconciliation()),
        spacing="5", width="100%",
    )
    return page_shell(guarded(content))
