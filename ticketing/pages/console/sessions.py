"""Console: the session manager (the dates and their capacity)."""

from __future__ import annotations

import reflex as rx

from ticketing.components.availability import fill_bar
from ticketing.components.console import confirm, console_page, field, input_, section
from ticketing.state.console.base import ConsoleLiveState
from ticketing.state.console.sessions import SessionsState

E = SessionsState.errors
EE = SessionsState.edit_errors


def _band(percent: rx.Var[int]) -> rx.Var[str]:
    return rx.cond(percent >= 100, "sold_out", rx.cond(percent >= 90, "nearly_full",
                                                         rx.cond(percent >= 70, "filling_up", "available")))


def _session(s: rx.Var[dict]) -> rx.Component:
    sid = s["id"].to(str)
    taken = ConsoleLiveState.taken[sid].to(int)
    left = ConsoleLiveState.places_left[sid].to(int)
    capacity = s["capacity"].to(int)
    percent = rx.cond(capacity > 0, (taken * 100 / capacity).to(int), 0)
    blocker = s["delete_blocker"].to(str)
    cancelled = s["status"] == "cancelled"
    actions = rx.cond(
        cancelled,
        rx.fragment(),
        rx.hstack(
            rx.button(rx.icon("pencil", size=14), "Edit", size="1", variant="soft",
                      on_click=SessionsState.open_edit(sid), class_name="edit-session"),
            rx.cond(
                blocker == "",
                confirm(rx.button(rx.icon("trash-2", size=14), "Delete", size="1", variant="soft", color_scheme="red",
                                  class_name="delete-session"),
                        "Delete this session?", "It is removed from every ticket type that includes it.",
                        rx.button("Delete", color_scheme="red", on_click=SessionsState.delete(sid))),
                confirm(rx.button(rx.icon("ban", size=14), "Call off", size="1", variant="soft", color_scheme="red",
                                  class_name="call-off-session"),
                        "Call off " + s["name"].to(str) + "?",
                        "Tickets for this session only are cancelled and refunded in full; bundle tickets stay "
                        "valid for their other sessions. Every holder gets an email.",
                        rx.button("Call off and refund", color_scheme="red", on_click=SessionsState.call_off(sid))),
            ),
            spacing="2",
        ),
    )
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(s["name"], weight="bold", size="3"),
                rx.cond(s["scheduled"] != "", rx.badge("recurring", variant="soft", color_scheme="violet")),
                rx.cond(cancelled, rx.badge("called off", color_scheme="red", variant="soft")),
                rx.spacer(),
                actions,
                width="100%", align="center", wrap="wrap", spacing="2",
            ),
            rx.text(s["date"], " · ", s["time"],
                    rx.cond(s["prerequisites"] != "", rx.text.span(" · requires ", s["prerequisites"])),
                    size="2", color=rx.color("gray", 11)),
            rx.cond(~cancelled, rx.vstack(
                fill_bar(percent, _band(percent)),
                rx.text(rx.text.strong(taken.to(str)), " of ", capacity.to(str), " taken · ",
                        rx.text.strong(left.to(str), class_name="places-left"), " left", size="2"),
                spacing="1", width="100%",
            )),
            rx.cond((blocker != "") & ~cancelled,
                    rx.hstack(
                        rx.icon("lock", size=12, flex_shrink="0", margin_top="3px"),
                        rx.text("Can't be deleted: ", blocker, ". Capacity can go down to ", taken.to(str),
                                " at the lowest; to stop it, call it off.", size="1"),
                        spacing="1", align="start", color=rx.color("gray", 11), class_name="guard-note",
                    )),
            spacing="2", width="100%",
        ),
        class_name="list-row",
        data_session=sid,
    )


def _prerequisite_boxes(exclude: rx.Var[str] | str, checked: rx.Var | None = None) -> rx.Component:
    def box(s: rx.Var[dict]) -> rx.Component:
        sid = s["id"].to(str)
        return rx.cond(
            sid != exclude,
            rx.el.label(rx.hstack(
                rx.checkbox(name="pre_" + sid,
                            default_checked=checked.contains(sid) if checked is not None else False),
                rx.text(s["name"], size="2"), align="center", spacing="2")),
        )

    return rx.cond(
        SessionsState.rows.length() > 0,
        rx.vstack(
            rx.text("Requires attending (optional)", class_name="field-label"),
            rx.flex(rx.foreach(SessionsState.rows, box), wrap="wrap", gap="0.5rem 1rem"),
            spacing="1", width="100%",
        ),
    )


def _time_fields(errors: rx.Var, date: rx.Var | str = "", start: rx.Var | str = "", end: rx.Var | str = "",
                 prefix: str = "") -> rx.Component:
    return rx.box(
        field("Date", input_("date", date, type="date", required=True, id=f"{prefix}f-date"), errors["date"],
              html_for=f"{prefix}f-date"),
        field("Starts", input_("start", start, type="time", required=True, id=f"{prefix}f-start"),
              errors["start"], html_for=f"{prefix}f-start"),
        field("Ends", input_("end", end, type="time", required=True, id=f"{prefix}f-end"),
              rx.cond(errors["end"], errors["end"], errors["ends_at"]), html_for=f"{prefix}f-end"),
        class_name="time-grid",
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field("Name", input_("name", required=True, max_length=120, placeholder="Day 1 – Foundations"),
                  E["name"], html_for="f-name"),
            _time_fields(E),
            rx.cond(E["starts_at"], rx.text(E["starts_at"], color=rx.color("red", 11), size="1")),
            field("Capacity", input_("capacity", "20", type="number", min=1, required=True), E["capacity"],
                  hint="Places in this session; every ticket that includes it takes one.", html_for="f-capacity"),
            _prerequisite_boxes(""),
            rx.cond(E["form"], rx.callout(E["form"], color_scheme="red", icon="triangle-alert", width="100%")),
            rx.cond(E["prerequisite_session_ids"], rx.text(E["prerequisite_session_ids"], color=rx.color("red", 11),
                                                            size="1")),
            rx.button(rx.icon("plus", size=16), "Add session", type="submit", loading=SessionsState.busy,
                      id="add-session"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=SessionsState.add_session,
        reset_on_submit=False,
        key=SessionsState.form_key,
        id="add-session-form",
    )


def _edit_dialog() -> rx.Component:
    e = SessionsState.editing
    taken = e["taken"].to(int)
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit session"),
            rx.form(
                rx.vstack(
                    field("Name", input_("name", e["name"].to(str), required=True, id="e-f-name"), EE["name"],
                          html_for="e-f-name"),
                    _time_fields(EE, e["date_input"].to(str), e["start_input"].to(str), e["end_input"].to(str),
                                 prefix="e-"),
                    field("Capacity", input_("capacity", e["capacity"].to(str), type="number", min=1, required=True,
                                             id="e-f-capacity"),
                          EE["capacity"], html_for="e-f-capacity"),
                    rx.cond((taken > 0) & ~EE["capacity"].to(bool),
                            rx.text("At least ", taken.to(str), ": places already sold or reserved.", size="1",
                                    color=rx.color("gray", 11))),
                    _prerequisite_boxes(e["id"].to(str), e["prerequisite_ids"].to(list[str])),
                    rx.cond(EE["prerequisite_session_ids"], rx.text(EE["prerequisite_session_ids"],
                                                                    color=rx.color("red", 11), size="1")),
                    rx.cond(EE["form"], rx.callout(EE["form"], color_scheme="red", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Save", type="submit", id="save-session"),
                        justify="end", spacing="2", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=SessionsState.save_edit,
                reset_on_submit=False,
            ),
            max_width="32rem",
        ),
        open=SessionsState.edit_open,
        on_open_change=SessionsState.set_edit_open,
    )


def sessions_page() -> rx.Component:
    listing = section(
        "Sessions",
        rx.cond(
            SessionsState.rows.length() > 0,
            rx.vstack(rx.foreach(SessionsState.rows, _session), spacing="0", width="100%", id="session-list"),
            rx.text("No sessions yet. A session is one date with its own capacity: a day of a workshop, one "
                    "class, one performance. Add the first one here, or a whole series under Recurring.",
                    size="2", color=rx.color("gray", 11), id="sessions-empty"),
        ),
        hint="Capacity lives here: each ticket sold takes one place in every session it includes.",
    )
    return console_page(
        "sessions",
        rx.grid(
            listing,
            section("Add a session", _add_form(), hint="Times are in the event's time zone."),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4", width="100%",
        ),
        _edit_dialog(),
    )
