"""Console: recurring schedules (seed 001) — a rule, its preview, its dates one by one."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import confirm, console_page, field, input_, section
from ticketing.pages.console.matrix import CURRENCIES
from ticketing.state.console.base import ConsoleLiveState
from ticketing.state.console.schedules import SchedulesState

E = SchedulesState.errors
EE = SchedulesState.edit_errors
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATE_BADGES = {"new": ("new", "green"), "exists": ("exists", "gray"), "past": ("past", "gray"),
                "clash": ("room taken", "red"), "name_taken": ("name taken", "red")}


def _day_picker() -> rx.Component:
    def chip(i: int) -> rx.Component:
        on = SchedulesState.days.contains(i)
        return rx.button(DAY_NAMES[i - 1], type="button", size="2", on_click=SchedulesState.toggle_day(i),
                         variant=rx.cond(on, "solid", "outline"), aria_pressed=rx.cond(on, "true", "false"),
                         class_name="day-chip", id=f"day-{i}")

    return rx.vstack(
        rx.text("Repeats on", class_name="field-label"),
        rx.flex(*[chip(i) for i in range(1, 8)], wrap="wrap", gap="0.35rem"),
        rx.hstack(
            rx.button("Every day", type="button", size="1", variant="ghost", on_click=SchedulesState.set_days(
                [1, 2, 3, 4, 5, 6, 7]), id="preset-daily"),
            rx.button("Weekdays", type="button", size="1", variant="ghost",
                      on_click=SchedulesState.set_days([1, 2, 3, 4, 5])),
            rx.button("Weekends", type="button", size="1", variant="ghost",
                      on_click=SchedulesState.set_days([6, 7])),
            spacing="2",
        ),
        rx.cond(E["weekdays"], rx.text(E["weekdays"], color=rx.color("red", 11), size="1", role="alert")),
        spacing="1", width="100%",
    )


def _rule_form() -> rx.Component:
    d = SchedulesState.defaults
    return rx.form(
        rx.vstack(
            field("Name", input_("name", "", required=True, max_length=80, placeholder="Morning Yoga"), E["name"],
                  hint="Each date becomes a session and a drop-in ticket named after it.", html_for="f-name"),
            _day_picker(),
            rx.grid(
                field("Starts", input_("start_time", "07:00", type="time", required=True), E["start_time"],
                      html_for="f-start_time"),
                field("Ends", input_("end_time", "08:00", type="time", required=True),
                      rx.cond(E["end_time"], E["end_time"], E["ends_at"]), html_for="f-end_time"),
                field("From", input_("starts_on", d["starts_on"], type="date", required=True), E["starts_on"],
                      html_for="f-starts_on"),
                field("Until", input_("ends_on", d["ends_on"], type="date", required=True), E["ends_on"],
                      html_for="f-ends_on"),
                columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%",
            ),
            rx.grid(
                field("Places per date", input_("capacity", "12", type="number", min=1, required=True),
                      E["capacity"], html_for="f-capacity"),
                field(rx.cond(SchedulesState.currency_locked, "Drop-in price (" + SchedulesState.currency + ")",
                              "Drop-in price"),
                      rx.hstack(
                          input_("price", "12.00", inputmode="decimal", required=True),
                          rx.cond(~SchedulesState.currency_locked,
                                  rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], name="currency",
                                               default_value="EUR", class_name="native-select", width="6rem",
                                               aria_label="Currency")),
                          spacing="2", width="100%",
                      ),
                      rx.cond(E["price"], E["price"], E["currency"]), html_for="f-price"),
                field("Room", rx.el.select(
                    rx.el.option("No room", value=""),
                    rx.foreach(SchedulesState.rooms, lambda r: rx.el.option(r["name"], value=r["id"])),
                    name="room_id", class_name="native-select", id="f-room_id",
                ), E["room_id"], hint="Add rooms in the box below; a room is never booked twice at once.", html_for="f-room_id"),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            rx.cond(E["form"], rx.callout(E["form"], color_scheme="red", icon="triangle-alert", width="100%",
                                          id="schedule-error")),
            rx.button(rx.icon("eye", size=16), "Preview dates", type="submit", id="preview-schedule"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=SchedulesState.make_preview,
        reset_on_submit=False,
        key=SchedulesState.form_key,
        id="schedule-form",
    )


def _room_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            input_("room_name", placeholder="New room, e.g. Studio A", max_length=120, id="f-room_name"),
            rx.button("Add room", type="submit", variant="soft", id="add-room"),
            spacing="2", width="100%",
        ),
        rx.cond(SchedulesState.room_error != "", rx.text(SchedulesState.room_error, color=rx.color("red", 11),
                                                         size="1")),
        on_submit=SchedulesState.add_room,
        reset_on_submit=True,
        width="100%",
    )


def _preview_line(line: rx.Var[dict]) -> rx.Component:
    badge = rx.match(line["state"], *[(k, rx.badge(label, color_scheme=color, variant="soft"))
                                       for k, (label, color) in STATE_BADGES.items()], rx.badge(line["state"]))
    return rx.hstack(
        rx.text(line["date"], size="2", weight="medium", min_width="8.5rem"),
        rx.text(line["time"], size="2", color=rx.color("gray", 11)),
        badge,
        rx.text(line["note"], size="1", color=rx.color("gray", 11), class_name="hide-sm"),
        spacing="3", align="center", padding="0.3rem 0", border_bottom=f"1px solid {rx.color('gray', 3)}",
        width="100%",
    )


def _preview() -> rx.Component:
    c = SchedulesState.counts
    new = c["new"].to(int)
    blocked = (c["clash"].to(int) > 0) | (c["name_taken"].to(int) > 0)
    return rx.cond(
        SchedulesState.previewed,
        section(
            "Preview",
            rx.text(rx.text.strong(new.to(str)), " new dates", rx.cond(c["past"].to(int) > 0,
                    rx.text.span(" · ", c["past"].to(str), " in the past (skipped)")),
                    rx.cond(c["clash"].to(int) > 0, rx.text.span(" · ", c["clash"].to(str), " clash with the room",
                                                                 color=rx.color("red", 11))),
                    size="2", id="preview-summary"),
            rx.box(rx.foreach(SchedulesState.preview, _preview_line), max_height="22rem", overflow_y="auto",
                   width="100%", id="preview-lines"),
            rx.cond(blocked, rx.callout("Change the time, the room or the dates: nothing is created while a date "
                                        "clashes.", color_scheme="red", icon="triangle-alert", width="100%")),
            rx.button(rx.icon("calendar-plus", size=16), "Create ", new.to(str), " dates", size="3",
                      on_click=SchedulesState.create, loading=SchedulesState.busy, disabled=blocked | (new == 0),
                      id="create-schedule"),
            id="preview",
        ),
    )


def _date_row(d: rx.Var[dict]) -> rx.Component:
    oid = d["id"].to(str)
    sid = d["session_id"].to(str)
    cancelled = d["status"] == "cancelled"
    taken = ConsoleLiveState.taken[sid].to(str)
    return rx.hstack(
        rx.vstack(
            rx.text(d["date"], weight="medium", size="2"),
            rx.text(d["time"], " · ", d["price"], size="1", color=rx.color("gray", 11)),
            spacing="0", min_width="9rem",
        ),
        rx.cond(cancelled, rx.badge("called off", color_scheme="red", variant="soft"),
                rx.text(rx.cond(taken != "", taken, d["taken"].to(str)), "/", d["capacity"].to(str), " taken",
                        size="2", class_name="date-taken")),
        rx.cond(d["changed"].to(bool) & ~cancelled, rx.badge("changed", variant="soft", color_scheme="violet")),
        rx.spacer(),
        rx.cond(~cancelled, rx.hstack(
            rx.button("Change", size="1", variant="soft", on_click=SchedulesState.open_edit(oid),
                      class_name="change-date"),
            confirm(rx.button("Call off", size="1", variant="soft", color_scheme="red", class_name="call-off-date"),
                    "Call off " + d["date"].to(str) + "?",
                    "Its tickets are cancelled and refunded in full, and every holder gets an email. The date "
                    "will not come back when the schedule runs again.",
                    rx.button("Call off and refund", color_scheme="red", on_click=SchedulesState.call_off(oid),
                              class_name="call-off-confirm")),
            spacing="2",
        )),
        align="center", width="100%", wrap="wrap", spacing="3", class_name="list-row", data_date=d["date"],
    )


def _schedule(s: rx.Var[dict]) -> rx.Component:
    sid = s["id"].to(str)
    open_ = SchedulesState.selected == sid
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(s["name"], weight="bold", size="3"),
                rx.cond(s["room"] != "", rx.badge(s["room"], variant="soft")),
                rx.spacer(),
                rx.button(rx.cond(open_, "Hide dates", "Show " + s["count"].to(str) + " dates"), size="1",
                          variant="soft", on_click=SchedulesState.show_dates(sid), class_name="show-dates"),
                width="100%", align="center", wrap="wrap",
            ),
            rx.text(s["rule"], size="2", color=rx.color("gray", 11)),
            rx.form(
                rx.hstack(
                    rx.text("Add dates until", size="2"),
                    rx.input(name="ends_on", type="date", default_value=s["ends_on"], size="1", aria_label="Until"),
                    # The form's own field, not the list item, says which schedule: a submit handler
                    # cannot see the loop variable it was rendered in.
                    rx.el.input(type="hidden", name="schedule_id", value=sid),
                    rx.button("Run again", size="1", variant="outline", type="submit"),
                    spacing="2", align="center", wrap="wrap",
                ),
                on_submit=SchedulesState.extend,
                reset_on_submit=False,
            ),
            rx.cond(open_, rx.vstack(rx.foreach(SchedulesState.dates, _date_row), spacing="0", width="100%",
                                     id="dates")),
            spacing="2", width="100%",
        ),
        class_name="list-row",
    )


def _edit_dialog() -> rx.Component:
    e = SchedulesState.editing
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Change ", e["date"].to(str)),
            rx.dialog.description("Only this date changes; the rest of the schedule stays as it is.", size="2"),
            rx.form(
                rx.vstack(
                    rx.grid(
                        field("Places", input_("capacity", e["capacity"].to(str), type="number", min=1,
                                               id="o-capacity"), EE["capacity"], html_for="o-capacity"),
                        field("Price", input_("price", e["price_input"].to(str), inputmode="decimal", id="o-price"),
                              EE["price"], html_for="o-price"),
                        field("Starts", input_("start_time", e["start"].to(str), type="time", id="o-start"),
                              rx.cond(EE["start_time"], EE["start_time"], EE["starts_at"]), html_for="o-start"),
                        field("Ends", input_("end_time", e["end"].to(str), type="time", id="o-end"),
                              rx.cond(EE["end_time"], EE["end_time"], EE["ends_at"]), html_for="o-end"),
                        columns="2", spacing="3", width="100%",
                    ),
                    rx.cond((e["taken"].to(int) > 0) & ~EE["capacity"].to(bool),
                            rx.text("At least ", e["taken"].to(str), " places: already sold or reserved.", size="1",
                                    color=rx.color("gray", 11))),
                    rx.cond(EE["form"], rx.callout(EE["form"], color_scheme="red", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Save", type="submit", id="save-date"),
                        justify="end", spacing="2", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=SchedulesState.save_edit,
                reset_on_submit=False,
            ),
            max_width="28rem",
        ),
        open=SchedulesState.edit_open,
        on_open_change=SchedulesState.set_edit_open,
    )


def schedules_page() -> rx.Component:
    return console_page(
        "schedules",
        rx.grid(
            rx.vstack(
                section("New recurring schedule", _rule_form(),
                        hint="For classes that repeat: one session and one drop-in ticket per date."),
                section("Rooms", _room_form(), hint="Optional. Schedules in the same room may not overlap."),
                spacing="4", width="100%",
            ),
            rx.vstack(
                _preview(),
                section("Schedules", rx.cond(
                    SchedulesState.schedules.length() > 0,
                    rx.vstack(rx.foreach(SchedulesState.schedules, _schedule), spacing="0", width="100%",
                              id="schedules"),
                    rx.text("None yet.", size="2", color=rx.color("gray", 11)),
                )),
                spacing="4", width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4", width="100%",
        ),
        _edit_dialog(),
    )
