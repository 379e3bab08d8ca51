"""Counts in words for customers: "1 ticket", "3 tickets" (never "ticket(s)")."""

from __future__ import annotations

import reflex as rx


def count_of(n: rx.Var, noun: str) -> rx.Var[str]:
    """`n` (a number, or a number in a string, as state dicts carry them) and the noun, singular
    for one (the nouns here take a plain "s": ticket, seat)."""
    one = (n.to(str) == "1") | (n.to(int) == 1)  # casts only: whichever the value is, one matches
    return rx.cond(one, f"1 {noun}", n.to(str) + f" {noun}s")
