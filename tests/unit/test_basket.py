"""The event page's basket as any client may send it with "Reserve tickets": read in full before a
hold is tried (ticketing/state/basket.py)."""

from __future__ import annotations

import uuid

import pytest

from ticketing.state.basket import MAX_LINES, BasketError, basket_items

A, B = "0a1b2c3d-0000-4000-8000-00000000000a", "0a1b2c3d-0000-4000-8000-00000000000b"
KNOWN = {A: 2500, B: 4000}


def read(sent):
    return basket_items(sent, known=KNOWN, max_per_order=6)


def test_a_page_basket_becomes_the_hold_items_sorted_without_empty_lines():
    assert read({B: 2, A: 1}) == [(uuid.UUID(A), 1), (uuid.UUID(B), 2)]
    assert read({A: 0, B: 3}) == [(uuid.UUID(B), 3)]
    assert read({A: 6}) == [(uuid.UUID(A), 6)]


@pytest.mark.parametrize(("sent", "words"), [
    ({}, "Choose at least one ticket"),
    (None, "Choose at least one ticket"),
    ({A: 0}, "Choose at least one ticket"),
    ({str(uuid.uuid4()): 1}, "not sold on this page"),  # unknown, or another event's type
    ({"not-a-uuid": 1}, "not sold on this page"),
    ({A.upper(): 1}, "not sold on this page"),
    ({A: -1}, "cannot be negative"),
    ({A: 10**9}, "At most 6 tickets per order"),
    ({A: 4, B: 3}, "At most 6 tickets per order"),
    ({A: "2"}, "whole number"),
    ({A: 1.5}, "whole number"),
    ({A: True}, "whole number"),
    ({A: None}, "whole number"),
    ({A: [1]}, "whole number"),
    ([A, 1], "could not be read"),
    ("{}", "could not be read"),
    ({str(uuid.uuid4()): 1 for _ in range(MAX_LINES + 1)}, "could not be read"),
])
def test_a_forged_basket_is_refused_with_a_message(sent, words):
    with pytest.raises(BasketError, match=words):
        read(sent)
