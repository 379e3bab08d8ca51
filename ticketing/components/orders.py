"""Pieces of the buying pages: order lines, the time-left badge, notices, order status."""

from __future__ import annotations

import reflex as rx

STATUS_COLORS = {"confirmed": "green", "pending": "amber", "cancelled": "gray", "expired": "red"}
STATUS_LABELS = {"confirmed": "Confirmed", "pending": "Awaiting payment", "cancelled": "Cancelled",
                 "expired": "Expired"}


def line_table(lines: rx.Var[list[dict]], total: rx.Var[str], discount_row: rx.Component | None = None) -> rx.Component:
    """Ticket lines (name, quantity × unit price, a promo discount when the line has one, amount,
    the sessions' dates and the seats) and the total; `discount_row` (the promo code's) goes just
    above the total."""
    return rx.vstack(
        rx.foreach(
            lines,
            lambda line: rx.hstack(
                rx.vstack(
                    rx.text(line["name"], weight="medium"),
                    rx.text(line["quantity"], " × ", line["unit"], size="2", color=rx.color("gray", 11)),
                    rx.cond(line["discount"], rx.text("Discount −", line["discount"], size="2",
                                                      color=rx.color("green", 11), class_name="line-discount")),
                    rx.cond(line["when"] != "", rx.text(line["when"], size="2", color=rx.color("gray", 11),
                                                        white_space="pre-line", class_name="line-when")),
                    rx.cond(line["seats"] != "", rx.hstack(
                        rx.icon("armchair", size=14, aria_hidden="true", flex_shrink="0", margin_top="3px"),
                        rx.text(line["seats"], size="2", white_space="pre-line"),
                        spacing="1", align="start", class_name="line-seats")),
                    spacing="0",
                    flex="1",
                    min_width="0",
                ),
                rx.text(line["amount"], weight="medium"),
                width="100%",
                align="center",
                class_name="order-line",
            ),
        ),
        rx.separator(size="4"),
        *([discount_row] if discount_row is not None else []),
        rx.hstack(rx.text("Total", weight="bold", size="4"), rx.spacer(),
                  rx.text(total, weight="bold", size="5", id="order-total"), width="100%", align="center"),
        spacing="3",
        width="100%",
    )


def promo_row(code: rx.Var[str], discount: rx.Var[str]) -> rx.Component:
    """The promo code's discount above a total (nothing without one)."""
    return rx.cond(
        discount != "",
        rx.hstack(rx.icon("ticket-percent", size=16, color=rx.color("green", 11)),
                  rx.text("Code ", rx.text.strong(code), size="2"), rx.spacer(),
                  rx.text("−", discount, color=rx.color("green", 11), weight="medium", class_name="promo-discount"),
                  width="100%", align="center"),
    )


def notice(title: str | rx.Var, body: str | rx.Var, color: str, icon: str, **props) -> rx.Component:
    """A callout with a bold title and a sentence that says what to do next."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon, size=18)),
        rx.callout.text(rx.text.strong(title), rx.el.br(), body),
        color_scheme=color,
        high_contrast=True,  # the soft default fails WCAG contrast for the bold title
        width="100%",
        role="status",
        **props,
    )


def order_status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        *[(key, rx.badge(STATUS_LABELS[key], color_scheme=color, variant="soft", class_name="order-status"))
          for key, color in STATUS_COLORS.items()],
        rx.badge(status, class_name="order-status"),
    )
