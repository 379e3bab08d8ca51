"""Retail prices of a broker event: fixed or a markup on cost, rounded by a rule, following
the cost of owned inventory, and locked into each sale."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.broker_builders import bought, make_broker_event, sell
from tests.builders import T0, error_of, in_tx, load
from tests.factories import make_user
from ticketing.db import session_scope
from ticketing.models import TicketSale, TicketType
from ticketing.services.broker import inventory, price_list, pricing
from ticketing.services.errors import ServiceError


@pytest.mark.parametrize(("minor", "rounding", "currency", "expected"), [
    (1234, "none", "EUR", 1234),
    (1234, "whole", "EUR", 1300),
    (1200, "whole", "EUR", 1200),
    (1234, "ninety_nine", "EUR", 1299),
    (1299, "ninety_nine", "EUR", 1299),
    (1300, "ninety_nine", "EUR", 1399),
    (1234, "five", "EUR", 1500),
    (1500, "five", "EUR", 1500),
    (1234, "whole", "JPY", 1234),
    (1234, "ninety_nine", "JPY", 1299),
    (1234, "five", "JPY", 1235),
    (1234, "whole", "KWD", 2000),
])
def test_rounding_rules_round_up(minor, rounding, currency, expected):
    assert pricing.round_price(minor, rounding, currency) == expected


@pytest.mark.parametrize(("cost", "mode", "value", "rounding", "expected"), [
    (3000, "markup_percent", 2500, "none", 3750),     # 25 %
    (3333, "markup_percent", 1250, "none", 3750),     # 12.5 % of 33.33 = 4.16625 -> 4.17 (half up)
    (3333, "markup_percent", 1250, "ninety_nine", 3799),
    (1, "markup_percent", 5000, "none", 2),           # 1.5 -> 2, half up
    (3000, "markup_fixed", 750, "none", 3750),
    (3000, "markup_fixed", 750, "whole", 3800),
    (3000, "fixed", 4200, "five", 4200),              # a fixed price is taken as given
])
def test_markup_on_cost(cost, mode, value, rounding, expected):
    assert pricing.retail_from_cost(cost, mode=mode, value=value, rounding=rounding, currency="EUR") == expected


@pytest.fixture
def se():
    with session_scope() as db:
        return make_broker_event(db)


def test_a_markup_rule_on_a_price_level_prices_its_ticket_type_from_the_highest_owned_cost(se):
    rp = in_tx(pricing.set_retail_rule, user_id=se.owner_id, event_id=se.event_id, price_level_id=se.levels["Front"],
               markup_percent="20", rounding="ninety_nine", now=T0)
    assert (rp.cost_basis_minor, rp.price_minor) == (None, 5000)  # nothing owned: price unchanged
    bought(se, seats=[0, 1], cost="30.00")
    assert load(TicketType, se.types["Front"]).price_minor == 3699  # 36.00 -> 36.99
    po = bought(se, supplier="Promoter", seats=[2], cost="40.00")
    assert load(TicketType, se.types["Front"]).price_minor == 4899  # 48.00 -> 48.99
    order = sell(se, se.extra["buyers"][0], seats=[0])
    in_tx(inventory.return_inventory, user_id=se.owner_id, po_id=po, seat_ids=se.ids(2), now=T0)
    assert load(TicketType, se.types["Front"]).price_minor == 3699  # the dearer seat went back
    with session_scope(readonly=True) as db:
        sale = db.exec(select(TicketSale).where(TicketSale.order_id == order.id)).one()
    assert (sale.unit_cost_minor, sale.retail_minor, sale.margin_minor) == (3000, 4899, 1899)


def test_a_fixed_markup_on_general_admission(se):
    in_tx(pricing.set_retail_rule, user_id=se.owner_id, event_id=se.event_id, ticket_type_id=se.extra["ga_type"],
          markup_fixed="4.50", rounding="whole", now=T0)
    bought(se, quantity=3, ga_cost="12.00")
    assert load(TicketType, se.extra["ga_type"]).price_minor == 1700  # 16.50 -> 17.00


@pytest.mark.parametrize(("kw", "code"), [
    ({"markup_percent": "abc"}, "invalid_markup"),
    ({"markup_percent": "-5"}, "invalid_markup"),
    ({"markup_percent": "12.345"}, "invalid_markup"),
    ({"markup_fixed": "1.001"}, "invalid_markup"),
    ({"price": "-1"}, "invalid_price"),
    ({"markup_percent": "10", "markup_fixed": "1"}, "invalid_rule"),
    ({}, "invalid_rule"),
    ({"markup_percent": "10", "rounding": "up"}, "invalid_rounding"),
])
def test_bad_rules_are_refused(se, kw, code):
    assert error_of(pricing.set_retail_rule, user_id=se.owner_id, event_id=se.event_id,
                    ticket_type_id=se.extra["ga_type"], now=T0, **kw).code == code


@pytest.mark.parametrize(("cost", "mode", "amount", "rounding", "expected"), [
    (3000, "markup_percent", "25", "none", 3750),
    (3333, "markup_percent", "12.5", "ninety_nine", 3799),
    (3000, "markup_fixed", "7.50", "whole", 3800),
    (None, "fixed", "59.00", "none", 5900),    # a fixed price needs no cost
    (None, "markup_percent", "25", "none", None),  # nothing owned yet: nothing to mark up
])
def test_the_console_preview_gives_the_price_the_rule_will_set(cost, mode, amount, rounding, expected):
    assert pricing.quote_retail(cost_minor=cost, currency="EUR", mode=mode, amount=amount,
                                rounding=rounding) == expected


@pytest.mark.parametrize(("mode", "amount", "rounding", "code"), [
    ("markup_percent", "lots", "none", "invalid_markup"),
    ("markup_percent", "12.345", "none", "invalid_markup"),
    ("markup_fixed", "-1", "none", "invalid_markup"),
    ("fixed", "abc", "none", "invalid_price"),
    ("discount", "10", "none", "invalid_rule"),
    ("markup_percent", "10", "sometimes", "invalid_rounding"),
])
def test_the_preview_refuses_what_saving_would_refuse(mode, amount, rounding, code):
    with pytest.raises(ServiceError) as exc:
        pricing.quote_retail(cost_minor=3000, currency="EUR", mode=mode, amount=amount, rounding=rounding)
    assert exc.value.code == code


def test_the_price_list_shows_each_type_with_its_levels_rule_cost_basis_and_final_price():
    with session_scope() as db:
        se = make_broker_event(db)
        stranger = make_user(db).id
    bought(se, seats=[0, 1], cost="30.00", quantity=5, ga_cost="12.00")
    in_tx(pricing.set_retail_rule, user_id=se.owner_id, event_id=se.event_id, price_level_id=se.levels["Front"],
          markup_percent="50", rounding="ninety_nine", now=T0)
    with session_scope(readonly=True) as db:
        rows = price_list.retail_price_list(db=db, user_id=se.owner_id, organization_id=se.org_id)
        by_name = {r.ticket_type.name: r for r in rows}
        front, standing = by_name[next(n for n in by_name if n != "Standing")], by_name["Standing"]
        assert front.levels == ["Front"] and standing.levels == []
        assert (front.price.rule.mode, front.price.cost_basis_minor, front.price.price_minor) == (
            "markup_percent", 3000, 4599)
        assert (standing.price.rule, standing.price.cost_basis_minor, standing.price.price_minor) == (None, 1200, 2000)
        with pytest.raises(ServiceError) as exc:
            price_list.retail_price_list(db=db, user_id=stranger, organization_id=se.org_id)
        assert exc.value.code == "not_found"
