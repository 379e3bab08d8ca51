"""Staff pages: organizations and members; creating an organization."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, form_error, text_field
from ticketing.components.layout import guarded, page_shell
from ticketing.state.auth import AuthState
from ticketing.state.orgs import OrgState


def _member_row(m: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(m["name"], weight="medium"), rx.text(m["email"], size="1", color=rx.color("gray", 11))),
        rx.table.cell(rx.badge(m["role"], variant="soft")),
    )


FILTERS = (("all", "All"), ("draft", "Drafts"), ("on_sale", "On sale"), ("past", "Past"), ("cancelled", "Cancelled"))


def _event_filters() -> rx.Component:
    """Drafts, on sale, past, cancelled: a row of toggles with counts (wraps on phones)."""
    return rx.hstack(
        *[rx.button(label, " ", rx.text(OrgState.phase_counts[key].to(str), as_="span", weight="bold"),
                    size="1", variant=rx.cond(OrgState.event_filter == key, "solid", "soft"),
                    aria_pressed=rx.cond(OrgState.event_filter == key, "true", "false"),
                    on_click=OrgState.set_event_filter(key), id=f"filter-{key}", class_name="event-filter")
          for key, label in FILTERS],
        spacing="2", wrap="wrap", role="group", aria_label="Show events", padding_bottom="0.5rem",
    )


def _event_row(e: rx.Var[dict]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(e["title"], weight="medium"),
            rx.text(e["when"], size="1", color=rx.color("gray", 11)),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.badge(e["status"], variant="soft"),
        rx.cond(
            e["status"] == "published",
            rx.link(rx.button(rx.icon("scan-line", size=14), "Door", size="1", variant="soft", color_scheme="green"),
                    href=e["door"]),
        ),
        rx.cond(
            AuthState.current_org["role"] != "door",
            rx.hstack(
                rx.link(rx.button("Manage", size="1"), href=e["manage"], class_name="manage-event"),
                rx.link(rx.button("Live", size="1", variant="soft"), href=e["dashboard"], class_name="hide-sm"),
                spacing="2",
            ),
        ),
        align="center",
        width="100%",
        padding="0.6rem 0",
        class_name="org-event",
        data_phase=e["phase"],
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        spacing="3",
    )


def _failed_job_row(f: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(f["what"], weight="medium"), rx.text(f["subject"], size="1", color=rx.color("gray", 11))),
        rx.table.cell(rx.text(f["error"], size="1"), rx.text("Tried ", f["attempts"], " times, last ", f["when"],
                                                             size="1", color=rx.color("gray", 11))),
    )


def _failed_jobs_card() -> rx.Component:
    """Mails and refunds that failed for good (after retries for about two minutes)."""
    return card(
        rx.heading("Needs attention: failed mails and refunds", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell("What"), rx.table.column_header_cell("Error"))),
            rx.table.body(rx.foreach(OrgState.failed_jobs, _failed_job_row)),
            width="100%",
        ),
        id="failed-jobs",
    )


def _add_member_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Add a member", size="4", as_="h2"),
            form_error(OrgState.member_error),
            text_field("Their account email", "email", type="email", autocomplete="off"),
            rx.vstack(
                rx.el.label("Role", html_for="field-role", class_name="field-label"),
                rx.select(["organizer", "door", "owner"], name="role", default_value="organizer", id="field-role"),
                spacing="1",
            ),
            rx.button("Add member", type="submit"),
            spacing="3",
        ),
        on_submit=OrgState.add_member,
        reset_on_submit=True,
    )


def orgs_page() -> rx.Component:
    content = rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading(AuthState.current_org["name"], size="7", as_="h1", id="org-title"),
                rx.text("Your role: ", rx.badge(AuthState.current_org["role"]), size="2"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(AuthState.current_org["role"] != "door",
                    rx.link(rx.button(rx.icon("landmark", size=16), "Finance", variant="soft"), href="/finance",
                            id="finance-link")),
            rx.link(rx.button(rx.icon("plus", size=16), "New organization", variant="soft"), href="/orgs/new"),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        card(
            rx.hstack(
                rx.heading("Events", size="4", as_="h2"),
                rx.spacer(),
                rx.cond(AuthState.current_org["role"] != "door",
                        rx.link(rx.button(rx.icon("plus", size=16), "New event", size="2"), href="/manage/new-event",
                                id="new-event")),
                width="100%", align="center", margin_bottom="0.25rem",
            ),
            rx.cond(OrgState.events.length() > 0, _event_filters()),
            rx.cond(
                OrgState.events.length() > 0,
                rx.cond(OrgState.shown_events.length() > 0,
                        rx.vstack(rx.foreach(OrgState.shown_events, _event_row), spacing="0", width="100%",
                                  id="org-events"),
                        rx.text("No events in this list.", color=rx.color("gray", 11), size="2", id="org-events-none")),
                rx.text("No events yet. Create one: it starts as a draft only your team sees.",
                        color=rx.color("gray", 11), size="2"),
            ),
        ),
        card(
            rx.heading("Members", size="4", as_="h2", margin_bottom="0.5rem"),
            rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell("Person"), rx.table.column_header_cell("Role"))),
                rx.table.body(rx.foreach(OrgState.members, _member_row)),
                width="100%",
            ),
        ),
        rx.cond(OrgState.failed_jobs.length() > 0, _failed_jobs_card()),
        rx.cond(AuthState.current_org["role"] == "owner", card(_add_member_form())),
        spacing="5",
        width="100%",
    )
    return page_shell(guarded(content))


def new_org_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            form_error(OrgState.form_error),
            text_field("Organization name", "name", autocomplete="organization", placeholder="Riverside Arts"),
            text_field("Short name", "slug", autocomplete="off", placeholder="riverside-arts",
                       hint="Lowercase letters, digits and dashes; used in links."),
            rx.button("Create organization", type="submit", size="3", loading=OrgState.busy, id="create-org-submit"),
            spacing="4",
        ),
        on_submit=OrgState.create_org,
        reset_on_submit=False,
        aria_label="Create organization",
    )
    content = rx.vstack(
        rx.heading("Start selling tickets", size="7", as_="h1"),
        rx.text("Create an organization for your venue, festival or classes. You will be its owner.",
                color=rx.color("gray", 11)),
        card(form),
        spacing="4",
        max_width="32rem",
        width="100%",
    )
    return page_shell(guarded(content))
