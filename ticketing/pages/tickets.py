"""Order confirmation (/orders/<id>) and My tickets (/tickets): QR per ticket, sessions, calendar
file, cancellation under the event's policy, transfer."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, form_error, text_field
from ticketing.components.layout import guarded, page_shell
from ticketing.components.orders import notice, order_status_badge
from ticketing.components.waitlist import my_waitlists
from ticketing.state.tickets import OrderState, TicketsState


def ticket_card(t: rx.Var[dict], actions: bool) -> rx.Component:
    qr = rx.cond(
        t["qr"].to(str) != "",
        rx.vstack(
            rx.image(src=t["qr"].to(str), alt="QR code of ticket for " + t["holder"].to(str), class_name="ticket-qr"),
            rx.el.span("Ticket code:", class_name="sr-only"),
            rx.text(t["short_code"], size="2", weight="bold", font_family="monospace", letter_spacing="0.08em",
                    class_name="ticket-short-code"),
            spacing="1", align="center", flex_shrink="0",
        ),
        rx.center(rx.text(rx.cond(t["status"].to(str) == "cancelled", "Cancelled", "QR once paid"), size="1",
                          color=rx.color("gray", 11)), class_name="ticket-qr", background=rx.color("gray", 3)),
    )
    buttons = rx.hstack(
        rx.cond(t["transferable"].to(bool),
                rx.button(rx.icon("send", size=14), "Transfer", size="1", variant="soft",
                          on_click=TicketsState.ask_transfer(t["id"].to(str)), class_name="transfer-button")),
        rx.cond(t["cancellable"].to(bool),
                rx.button(rx.icon("x", size=14), "Cancel ticket", size="1", variant="soft", color_scheme="red",
                          on_click=TicketsState.ask_cancel(t["order_id"].to(str), t["id"].to(str)),
                          class_name="cancel-ticket-button")),
        spacing="2",
        wrap="wrap",
    ) if actions else rx.fragment()
    return rx.flex(
        qr,
        rx.vstack(
            rx.hstack(rx.text(t["type"], weight="bold"), rx.cond(t["status"].to(str) == "cancelled",
                      rx.badge("Cancelled", color_scheme="gray")), spacing="2", align="center", wrap="wrap"),
            rx.text(t["holder"], " · ", t["email"], size="2", class_name="ticket-holder"),
            rx.text(t["sessions"], size="2", color=rx.color("gray", 11), white_space="pre-line"),
            rx.hstack(rx.icon("armchair", size=14, aria_hidden="true", flex_shrink="0", margin_top="2px"),
                      rx.text(t["seat"], size="2", white_space="pre-line"), spacing="1", align="start",
                      class_name="ticket-seat"),
            rx.cond(t["cancellable"].to(bool),
                    rx.text("Cancel by ", t["deadline"],
                            rx.cond(t["refund_minor"].to(int) > 0, " for " + t["refund"].to(str) + " back", ""),
                            size="1", color=rx.color("gray", 11))),
            buttons,
            spacing="1",
            align="start",
            min_width="0",
            flex="1",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="3",
        class_name=rx.cond(t["status"].to(str) == "cancelled", "ticket-card cancelled", "ticket-card"),
        data_ticket=t["id"],
        width="100%",
    )


def order_card(o: rx.Var[dict], actions: bool = True) -> rx.Component:
    tickets = o["tickets"].to(list[dict[str, str]])
    return card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.link(rx.heading(o["event_title"], size="4", as_="h2"), href="/events/" + o["event_id"].to(str)),
                    rx.text(o["when"], size="2", color=rx.color("gray", 11)),
                    rx.text("Order ", o["number"], " · ", o["total"], size="2", color=rx.color("gray", 11)),
                    spacing="1", align="start", min_width="0",
                ),
                rx.spacer(),
                order_status_badge(o["status"].to(str)),
                width="100%", align="start",
            ),
            rx.foreach(o["refunds"].to(list[str]), lambda r: rx.callout(r, icon="undo-2", size="1", width="100%",
                                                                     class_name="refund-note")),
            rx.foreach(tickets, lambda t: ticket_card(t, actions)),
            rx.hstack(
                rx.cond((o["status"].to(str) == "pending") & actions,
                        rx.link(rx.button(rx.icon("credit-card", size=14), "Pay now", size="2"),
                                href="/pay/" + o["id"].to(str), class_name="pay-now")),
                rx.cond((o["status"].to(str) == "confirmed") | (o["status"].to(str) == "pending"),
                        rx.button(rx.icon("calendar-plus", size=14), "Add to calendar", size="2", variant="soft",
                                  on_click=TicketsState.download_calendar(o["id"].to(str)) if actions
                                  else OrderState.download_calendar, class_name="calendar-button")),
                rx.cond(o["printable"].to(bool),
                        rx.button(rx.icon("file-down", size=14), "Download tickets (PDF)", size="2", variant="soft",
                                  on_click=TicketsState.download_tickets(o["id"].to(str)) if actions
                                  else OrderState.download_tickets, class_name="pdf-button")),
                rx.cond(o["can_cancel_all"].to(bool) & actions,
                        rx.button("Cancel order", size="2", variant="ghost", color_scheme="red",
                                  on_click=TicketsState.ask_cancel(o["id"].to(str), ""), class_name="cancel-order")),
                spacing="3", wrap="wrap", align="center",
            ),
            rx.text(o["policy"], size="1", color=rx.color("gray", 11)),
            spacing="3",
            width="100%",
        ),
        data_order=o["id"],
    )


def _dialogs() -> rx.Component:
    cancel = rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel tickets"),
            rx.alert_dialog.description(TicketsState.cancel_text, id="cancel-text"),
            rx.hstack(
                rx.button("Keep my tickets", variant="soft", color_scheme="gray", on_click=TicketsState.close_dialogs),
                rx.button(rx.cond(TicketsState.busy, rx.spinner(size="2"), "Yes, cancel"), color_scheme="red",
                          on_click=TicketsState.confirm_cancel, disabled=TicketsState.busy, id="confirm-cancel"),
                justify="end", spacing="3", margin_top="1rem",
            ),
        ),
        open=TicketsState.cancel_open,
    )
    transfer = rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Transfer this ticket"),
            rx.text(TicketsState.transfer_ticket, weight="medium", size="2", id="transfer-ticket",
                    margin_bottom="0.5rem"),
            rx.dialog.description("The new holder gets a new ticket code; ", TicketsState.transfer_holder,
                                  "'s code stops working at the door."),
            rx.form(
                rx.vstack(
                    text_field("New holder's name", "name", autocomplete="off"),
                    text_field("New holder's email", "email", type="email", autocomplete="off"),
                    form_error(TicketsState.error),
                    rx.hstack(
                        rx.button("Keep it", type="button", variant="soft", color_scheme="gray",
                                  on_click=TicketsState.close_dialogs),
                        rx.button("Transfer", type="submit", id="confirm-transfer"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=TicketsState.transfer,
                reset_on_submit=False,
            ),
        ),
        open=TicketsState.transfer_open,
        on_open_change=lambda _open: TicketsState.close_dialogs(),
    )
    return rx.fragment(cancel, transfer)


def tickets_page() -> rx.Component:
    empty = rx.center(
        rx.vstack(rx.icon("ticket", size=28, color=rx.color("indigo", 9)),
                  rx.heading("No tickets yet", size="4", as_="h2"),
                  rx.text("Tickets you buy appear here with their QR codes.", color=rx.color("gray", 11)),
                  rx.link(rx.button("Find events"), href="/"), align="center", spacing="3"),
        padding="3rem 1rem", id="tickets-empty",
    )
    return page_shell(
        guarded(
            rx.vstack(
                rx.heading("My tickets", size="7", as_="h1"),
                rx.cond(TicketsState.message != "",
                        rx.callout(TicketsState.message, icon="circle-check", color_scheme="green", width="100%",
                                   id="tickets-message", role="status")),
                rx.cond((TicketsState.error != "") & ~TicketsState.transfer_open,
                        rx.callout(TicketsState.error, icon="triangle-alert", color_scheme="red", width="100%",
                                   role="alert")),
                my_waitlists(),
                rx.cond(TicketsState.orders.length() > 0,
                        rx.vstack(rx.foreach(TicketsState.orders, lambda o: order_card(o)), spacing="4", width="100%",
                                  id="orders"),
                        rx.cond(TicketsState.loaded, empty, rx.center(rx.spinner(), padding="3rem", width="100%"))),
                _dialogs(),
                spacing="4",
                width="100%",
                max_width="48rem",
                margin_x="auto",
            )
        )
    )


def order_page() -> rx.Component:
    o = OrderState.order
    head = rx.match(
        o["status"].to(str),
        ("confirmed", notice("You're going!", "Your order is confirmed. We emailed your tickets; they are also "
                             "always under My tickets.", "green", "party-popper", id="order-confirmed")),
        ("pending", notice("Confirming your payment…", rx.cond(o["payment_error"].to(str) != "",
                           o["payment_error"].to(str), "This takes a few seconds. You can leave this page: "
                           "we email you once it is confirmed."), "amber", "loader", id="order-pending")),
        ("expired", notice("This order expired", "Its places were released. Any payment that arrived late is "
                           "refunded.", "red", "timer-off", id="order-expired")),
        notice("This order was cancelled", "Refunds, if any, are listed below.", "gray", "circle-x"),
    )
    return page_shell(
        guarded(
            rx.cond(
                OrderState.missing,
                rx.center(rx.heading("Order not found", size="5"), padding="4rem"),
                rx.vstack(
                    rx.heading("Your order", size="6", as_="h1"),
                    head,
                    rx.cond(o.contains("id"), rx.box(rx.cond(o["status"].to(str) != "", order_card(o, actions=False)),
                                                     width="100%")),
                    rx.hstack(rx.link(rx.button("My tickets", size="3"), href="/tickets", id="my-tickets-link"),
                              rx.link(rx.button("More events", size="3", variant="soft"), href="/"), spacing="3"),
                    rx.cond(o["status"].to(str) == "pending",
                            rx.moment(interval=2000, on_change=OrderState.poll, display="none")),
                    spacing="4", width="100%", max_width="48rem", margin_x="auto",
                ),
            )
        )
    )
