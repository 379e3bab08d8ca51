"""Console: presales — create one, give it access codes, end it, and each code's uses."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, live_refresh, section
from ticketing.components.forms import form_error
from ticketing.state.console.presales import PresalesState

S = PresalesState


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _reserved_types() -> rx.Component:
    """One labelled checkbox per ticket type, grouped under a legend; none ticked reserves all."""
    return rx.el.fieldset(
        rx.el.legend("Reserved tickets", class_name="field-label"),
        # rx.checkbox with its text is one <label> around the box and the name: the box's name.
        rx.flex(rx.foreach(S.ticket_types, lambda t: rx.checkbox(t["name"].to(str), name="type_" + t["id"].to(str),
                                                                 class_name="presale-type")),
                wrap="wrap", gap="0.5rem 1rem"),
        rx.text("None ticked: every ticket type. A block of seats is reserved through the API.", size="1",
                color=rx.color("gray", 11)),
        id="presale-types", border="none", padding="0", margin="0", min_width="0", width="100%",
        display="flex", flex_direction="column", gap="0.25rem",
    )


def _create() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _field("Name", rx.input(name="name", placeholder="Fan club presale", required=True,
                                        aria_label="Presale name", id="presale-name")),
                _field("Starts", rx.input(name="starts_at", type="datetime-local", required=True,
                                          aria_label="Presale starts", id="presale-starts")),
                _field("Ends", rx.input(name="ends_at", type="datetime-local", required=True,
                                        aria_label="Presale ends", id="presale-ends")),
                _field("Quota", rx.input(name="quota", placeholder="No limit", inputmode="numeric",
                                         aria_label="Quota", id="presale-quota")),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            _reserved_types(),
            rx.checkbox("After the presale, unsold tickets go on general sale", name="release_at_end",
                        default_checked=True, id="presale-release"),
            form_error(S.error),
            rx.button(rx.icon("plus", size=16), "Create presale", type="submit", id="presale-create"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.create, reset_on_submit=True, width="100%",
    )


def _codes_form(p: rx.Var[dict]) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="presale_id", value=p["id"].to(str)),
        rx.grid(
            rx.input(name="codes", placeholder="Codes, e.g. FANS-2030", aria_label="Typed codes", width="100%"),
            rx.input(name="count", placeholder="Or how many to generate", inputmode="numeric",
                     aria_label="How many to generate", width="100%"),
            rx.input(name="max_uses", placeholder="Uses per code (1)", inputmode="numeric", aria_label="Uses per code",
                     width="100%"),
            rx.button(rx.icon("key-round", size=16), "Add codes", type="submit", variant="soft",
                      class_name="presale-codes-add"),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="2", width="100%",
        ),
        # The presale rides in the form (a handler's argument from the list is out of the form's reach).
        on_submit=S.add_codes, reset_on_submit=True, width="100%",
    )


def _presale(p: rx.Var[dict]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(p["name"], weight="bold", size="3"),
                rx.badge(p["status_label"], variant="soft", class_name="presale-status"),
                rx.spacer(),
                rx.cond(p["status"].to(str) != "over",
                        rx.button("End now", on_click=S.end_now(p["id"].to(str)), variant="ghost", size="1",
                                  color_scheme="red", class_name="presale-end")),
                width="100%", align="center", flex_wrap="wrap",
            ),
            rx.text(p["window"], size="2", color=rx.color("gray", 11)),
            rx.hstack(
                rx.text("Reserved: ", rx.text.strong(p["block"]), size="2"),
                rx.text("Taken: ", rx.text.strong(p["sold"], class_name="presale-sold"), size="2"),
                spacing="4", flex_wrap="wrap",
            ),
            rx.hstack(
                rx.switch(checked=p["release"].to(bool), on_change=lambda v: S.set_release(p["id"].to(str), v),
                          aria_label="Release unsold tickets at the end", class_name="presale-release"),
                rx.text("Unsold tickets go on general sale at the end", size="2"),
                align="center",
            ),
            rx.cond(
                p["codes"].to(list).length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(rx.table.column_header_cell("Access code"),
                                                 rx.table.column_header_cell("Uses"))),
                    rx.table.body(rx.foreach(p["codes"].to(list[dict]), lambda c: rx.table.row(
                        rx.table.cell(rx.text(c["code"], weight="bold", class_name="presale-code")),
                        rx.table.cell(c["uses"], class_name="presale-code-uses")))),
                    size="1", width="100%"), width="100%", overflow_x="auto", max_height="16rem", overflow_y="auto"),
                rx.text("No access codes yet.", size="2", color=rx.color("gray", 11)),
            ),
            _codes_form(p),
            spacing="2", width="100%",
        ),
        class_name="presale", width="100%",
    )


def presales_page() -> rx.Component:
    return console_page(
        "presales",
        rx.cond(S.notice != "", rx.callout(S.notice, icon="circle-check", color_scheme="green",
                                           id="presale-notice")),
        form_error(S.code_error),
        section("Presales", rx.cond(S.presales.length() > 0,
                                    rx.vstack(rx.foreach(S.presales, _presale), spacing="3", width="100%",
                                              id="presale-list"),
                                    rx.text("No presales yet.", size="2", color=rx.color("gray", 11))),
                hint="During a presale its tickets sell only with one of its access codes. Uses count live holds, "
                     "unpaid orders and paid ones."),
        section("New presale", _create()),
        # Every few seconds the server compares the event's live version with the one the
        # figures were read at, and reads them again only when it moved.
        live_refresh(S.follow_live),
    )
