"""Broker mode: suppliers, purchase orders turning seats and places into owned inventory, only
owned inventory selling, returns, cancellation, receiving, supplier payments, and the cost and
margin every ticket records when it sells."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.broker_builders import bought, draft, make_broker_event, sell
from tests.builders import T0, error_of, in_tx, load
from tests.seating_builders import check_consistency, seat_states
from ticketing.db import session_scope
from ticketing.models import (
    EventSeat,
    EventSession,
    OwnedSeat,
    PurchaseOrder,
    PurchaseOrderLine,
    TicketSale,
    TicketType,
)
from ticketing.services.broker import inventory, modes, purchase_orders, supplier_payments, suppliers
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.promotions import codes
from ticketing.services.promotions.codes import CodeTerms
from ticketing.services.sales import cancellation, holds
from ticketing.services.seating import seat_sales, seating
from ticketing.services.seating.seat_status import AVAILABLE, HELD, NOT_OWNED, RETURNED, SOLD

MIN = timedelta(minutes=1)


@pytest.fixture
def se():
    with session_scope() as db:
        return make_broker_event(db)


def test_broker_mode_starts_with_nothing_for_sale(se):
    codes = seat_states(se.session_id, T0)
    assert set(codes.values()) == {NOT_OWNED}
    assert load(EventSession, se.session_id).capacity == 0
    assert load(TicketType, se.extra["ga_type"]).max_quantity == 0
    err = error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id,
                   user_id=se.extra["buyers"][0], idxs=[0], now=T0)
    assert err.code == "insufficient_capacity"  # no seat is in sale inventory
    err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=se.extra["buyers"][0],
                   items=[(se.extra["ga_type"], 1)], now=T0)
    assert err.code == "quota_reached"
    check_consistency(se.session_id, T0)


def test_confirming_makes_seats_owned_with_supplier_line_and_cost_and_places_sellable(se):
    po_id = draft(se, seats=[0, 1, 2], cost="30.00", quantity=5, ga_cost="12.50")
    po = load(PurchaseOrder, po_id)
    assert (po.status, po.number, po.total_cost_minor, po.version) == ("draft", "PO-0001", 3 * 3000 + 5 * 1250, 1)
    assert seat_states(se.session_id, T0)[0] == NOT_OWNED  # a draft changes nothing
    in_tx(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=po_id, now=T0 + MIN)
    po = load(PurchaseOrder, po_id)
    assert (po.status, po.approved_by, po.approved_at, po.version) == ("confirmed", se.owner_id, T0 + MIN, 2)
    codes = seat_states(se.session_id, T0)
    assert [codes[i] for i in (0, 1, 2, 3)] == [AVAILABLE, AVAILABLE, AVAILABLE, NOT_OWNED]
    assert load(EventSession, se.session_id).capacity == 3
    assert load(TicketType, se.extra["ga_type"]).max_quantity == 5
    with session_scope(readonly=True) as db:
        owned = db.exec(select(OwnedSeat).where(OwnedSeat.purchase_order_id == po_id)).all()
        line = db.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id,
                                                       PurchaseOrderLine.session_id.is_not(None))).one()
    assert {(o.event_seat_id, o.supplier_id, o.line_id, o.unit_cost_minor) for o in owned} == {
        (sid, se.extra["suppliers"]["Venue"], line.id, 3000) for sid in se.ids(0, 1, 2)}
    # confirming twice changes nothing
    in_tx(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=po_id, now=T0 + 2 * MIN)
    assert load(PurchaseOrder, po_id).version == 2
    check_consistency(se.session_id, T0)


def test_a_seat_owned_through_another_order_is_refused_with_the_seats_named(se):
    bought(se, seats=[0, 1])
    second = draft(se, supplier="Promoter", seats=[1, 2])
    err = error_of(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=second, now=T0)
    assert err.code == "seat_not_available"
    assert err.extra["seats"] == ["Stalls · Row A · Seat 2"] and err.extra["seat_ids"] == se.ids(1)
    assert "Stalls · Row A · Seat 2" in err.message
    assert load(PurchaseOrder, second).status == "draft"
    assert seat_states(se.session_id, T0)[2] == NOT_OWNED  # nothing half done
    check_consistency(se.session_id, T0)


def test_blocked_seats_cannot_be_bought(se):
    with session_scope() as db:
        seating.manage_seats(db=db, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                             action="block", seat_idxs=[5], reason="house", now=T0)
    po = draft(se, seats=[4, 5])
    assert error_of(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=po, now=T0).extra["seats"] == [
        "Stalls · Row A · Seat 6"]


def test_only_owned_inventory_sells_and_every_sale_records_cost_retail_and_margin(se):
    bought(se, seats=[0, 1], cost="30.00", quantity=2, ga_cost="12.50")
    a, b = se.extra["buyers"][:2]
    err = error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a, idxs=[0, 2],
                   now=T0)
    assert err.code == "seat_unavailable"  # seat 2 is not owned
    order = sell(se, a, seats=[0])
    ga = sell(se, b, quantity=2)
    err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=se.extra["buyers"][2],
                   items=[(se.extra["ga_type"], 1)], now=T0)
    assert err.code == "quota_reached"
    with session_scope(readonly=True) as db:
        sales = {s.order_id: s for s in db.exec(select(TicketSale)).all()}
        seat_sale = sales[order.id]
        ga_sales = db.exec(select(TicketSale).where(TicketSale.order_id == ga.id)).all()
    assert (seat_sale.unit_cost_minor, seat_sale.retail_minor, seat_sale.discount_minor, seat_sale.fees_minor,
            seat_sale.margin_minor) == (3000, 5000, 0, 0, 2000)
    assert seat_sale.supplier_id == se.extra["suppliers"]["Venue"] and seat_sale.event_seat_id == se.ids(0)[0]
    assert [(s.unit_cost_minor, s.retail_minor, s.margin_minor) for s in ga_sales] == [(1250, 2000, 750)] * 2
    assert seat_states(se.session_id, T0 + MIN)[0] == SOLD
    check_consistency(se.session_id, T0 + MIN)


def test_a_sale_with_a_promo_code_records_each_tickets_discount_and_the_margin_after_it(se):
    bought(se, quantity=2, ga_cost="12.50")
    in_tx(codes.create_code, user_id=se.owner_id, event_id=se.event_id,
          terms=CodeTerms(code="AGENT20", kind="percent", value=20), now=T0)
    order = sell(se, se.extra["buyers"][0], quantity=2, promo_code="agent20")
    with session_scope(readonly=True) as db:
        sales = db.exec(select(TicketSale).where(TicketSale.order_id == order.id)).all()
    assert [(s.retail_minor, s.discount_minor, s.unit_cost_minor, s.margin_minor) for s in sales] == [
        (2000, 400, 1250, 350)] * 2


def test_general_admission_costs_are_first_in_first_out(se):
    bought(se, quantity=1, ga_cost="10.00")
    bought(se, supplier="Promoter", quantity=1, ga_cost="15.00", now=T0 + MIN)
    a, b = se.extra["buyers"][:2]
    sell(se, a, quantity=1, now=T0 + 2 * MIN)
    sell(se, b, quantity=1, now=T0 + 3 * MIN)
    with session_scope(readonly=True) as db:
        costs = [s.unit_cost_minor for s in db.exec(select(TicketSale).order_by(TicketSale.sold_at)).all()]
    assert costs == [1000, 1500]


def test_a_later_price_change_never_rewrites_a_recorded_sale(se):
    bought(se, seats=[0, 1])
    order = sell(se, se.extra["buyers"][0], seats=[0])
    with session_scope() as db:
        db.get(TicketType, se.types["Front"]).price_minor = 9900
    with session_scope(readonly=True) as db:
        assert db.exec(select(TicketSale.retail_minor).where(TicketSale.order_id == order.id)).one() == 5000


def test_returning_unsold_seats_is_final_and_refused_for_held_or_sold_seats(se):
    po = bought(se, seats=[0, 1, 2, 3], cost="30.00")
    a, b = se.extra["buyers"][:2]
    sell(se, a, seats=[0])
    in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=b, idxs=[1], now=T0)
    for idx in (0, 1):
        err = error_of(inventory.return_inventory, user_id=se.owner_id, po_id=po, seat_ids=se.ids(idx, 2), now=T0)
        assert (err.code, err.extra["seats"]) == ("inventory_taken", [f"Stalls · Row A · Seat {idx + 1}"])
    assert seat_states(se.session_id, T0)[2] == AVAILABLE
    in_tx(inventory.return_inventory, user_id=se.owner_id, po_id=po, seat_ids=se.ids(2), now=T0)
    codes = seat_states(se.session_id, T0)
    assert (codes[1], codes[2]) == (HELD, RETURNED)
    assert load(EventSession, se.session_id).capacity == 3
    row = load(PurchaseOrder, po)
    assert row.returned_cost_minor == 3000
    # never sellable again, never buyable again
    assert error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id,
                    user_id=se.extra["buyers"][2], idxs=[2], now=T0).code == "seat_unavailable"
    again = draft(se, supplier="Promoter", seats=[2])
    assert error_of(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=again, now=T0).code == \
        "seat_not_available"
    # a hold that expired no longer protects the seat
    in_tx(inventory.return_inventory, user_id=se.owner_id, po_id=po, seat_ids=se.ids(1), now=T0 + timedelta(hours=1))
    check_consistency(se.session_id, T0 + timedelta(hours=1))


def test_returning_places_keeps_what_is_sold_or_held(se):
    po = bought(se, quantity=5, ga_cost="10.00")
    a, b = se.extra["buyers"][:2]
    sell(se, a, quantity=2)
    in_tx(holds.hold_tickets, event_id=se.event_id, user_id=b, items=[(se.extra["ga_type"], 1)], now=T0)
    err = error_of(inventory.return_inventory, user_id=se.owner_id, po_id=po, quantity=3, now=T0)
    assert (err.code, err.extra["available"]) == ("inventory_taken", 2)
    in_tx(inventory.return_inventory, user_id=se.owner_id, po_id=po, quantity=2, now=T0)
    assert load(TicketType, se.extra["ga_type"]).max_quantity == 3
    assert load(PurchaseOrder, po).returned_cost_minor == 2000
    err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=se.extra["buyers"][2],
                   items=[(se.extra["ga_type"], 1)], now=T0)
    assert err.code == "quota_reached"


def test_cancelling_a_confirmed_order_with_nothing_sold_gives_the_seats_back_unowned(se):
    po = bought(se, seats=[0, 1], quantity=3)
    in_tx(inventory.cancel_purchase_order, user_id=se.owner_id, po_id=po, now=T0)
    assert load(PurchaseOrder, po).status == "cancelled"
    assert seat_states(se.session_id, T0)[0] == NOT_OWNED
    assert load(TicketType, se.extra["ga_type"]).max_quantity == 0
    assert load(EventSession, se.session_id).capacity == 0
    # the seats can be bought again through another order
    bought(se, supplier="Promoter", seats=[0])
    check_consistency(se.session_id, T0)


def test_an_order_something_was_sold_from_cannot_be_cancelled(se):
    po = bought(se, seats=[0, 1])
    sell(se, se.extra["buyers"][0], seats=[0])
    assert error_of(inventory.cancel_purchase_order, user_id=se.owner_id, po_id=po, now=T0).code == "order_has_sales"


def test_receiving_can_be_partial_then_completes(se):
    po = bought(se, seats=[0, 1], quantity=4)
    with session_scope(readonly=True) as db:
        lines = {ln.ticket_type_id: ln.id for ln in db.exec(select(PurchaseOrderLine)
                                                           .where(PurchaseOrderLine.purchase_order_id == po))}
    ga_line = lines[se.extra["ga_type"]]
    in_tx(inventory.receive_purchase_order, user_id=se.owner_id, po_id=po, received=[(ga_line, 3)], now=T0)
    assert load(PurchaseOrder, po).status == "partially_received"
    err = error_of(inventory.receive_purchase_order, user_id=se.owner_id, po_id=po, received=[(ga_line, 2)], now=T0)
    assert (err.code, err.extra["outstanding"]) == ("over_received", 1)
    in_tx(inventory.receive_purchase_order, user_id=se.owner_id, po_id=po, now=T0 + MIN)
    row = load(PurchaseOrder, po)
    assert (row.status, row.closed_at) == ("completed", T0 + MIN)


def test_edits_are_optimistically_locked(se):
    po = draft(se, seats=[0])
    in_tx(purchase_orders.update_purchase_order, user_id=se.owner_id, po_id=po, version=1, now=T0, notes="Call Ann")
    err = error_of(purchase_orders.update_purchase_order, user_id=se.owner_id, po_id=po, version=1, now=T0,
                   lines=[LineIn(unit_cost="1.00", seat_ids=se.ids(1))])
    assert (err.code, err.extra["current_version"]) == ("version_conflict", 2)
    in_tx(purchase_orders.update_purchase_order, user_id=se.owner_id, po_id=po, version=2, now=T0,
          lines=[LineIn(unit_cost="1.00", seat_ids=se.ids(1, 2))])
    row = load(PurchaseOrder, po)
    assert (row.notes, row.total_cost_minor, row.version) == ("Call Ann", 200, 3)
    assert error_of(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=po, now=T0,
                    version=2).code == "version_conflict"


def test_bad_lines_are_refused_and_change_nothing(se):
    cases = [
        ([], "invalid_lines"),
        ([LineIn(unit_cost="1.00")], "invalid_line"),
        ([LineIn(unit_cost="-1", seat_ids=se.ids(0))], "invalid_unit_cost"),
        ([LineIn(unit_cost="1.001", seat_ids=se.ids(0))], "invalid_unit_cost"),
        ([LineIn(unit_cost="1", seat_ids=se.ids(0)), LineIn(unit_cost="1", seat_ids=se.ids(0))], "duplicate_seat"),
        ([LineIn(unit_cost="1", ticket_type_id=se.types["Front"], quantity=2)], "seated_ticket_type"),
        ([LineIn(unit_cost="1", ticket_type_id=se.extra["ga_type"], quantity=0)], "invalid_quantity"),
    ]
    for lines, code in cases:
        err = error_of(purchase_orders.create_purchase_order, user_id=se.owner_id, organization_id=se.org_id,
                       supplier_id=se.extra["suppliers"]["Venue"], event_id=se.event_id, currency="EUR", lines=lines,
                       now=T0)
        assert err.code == code, (lines, err)
    err = error_of(purchase_orders.create_purchase_order, user_id=se.owner_id, organization_id=se.org_id,
                   supplier_id=se.extra["suppliers"]["Venue"], event_id=se.event_id, currency="USD",
                   lines=[LineIn(unit_cost="1", seat_ids=se.ids(0))], now=T0)
    assert err.code == "currency_mismatch"
    with session_scope(readonly=True) as db:
        assert db.exec(select(PurchaseOrder)).all() == []


def test_suppliers_with_open_orders_cannot_be_deactivated(se):
    venue = se.extra["suppliers"]["Venue"]
    po = draft(se, seats=[0])
    err = error_of(suppliers.deactivate_supplier, user_id=se.owner_id, supplier_id=venue)
    assert (err.code, err.extra["numbers"]) == ("supplier_has_open_orders", ["PO-0001"])
    in_tx(inventory.cancel_purchase_order, user_id=se.owner_id, po_id=po, now=T0)
    assert in_tx(suppliers.deactivate_supplier, user_id=se.owner_id, supplier_id=venue).is_active is False
    err = error_of(purchase_orders.create_purchase_order, user_id=se.owner_id, organization_id=se.org_id,
                   supplier_id=venue, event_id=se.event_id, currency="EUR",
                   lines=[LineIn(unit_cost="1", seat_ids=se.ids(0))], now=T0)
    assert err.code == "supplier_inactive"


def test_supplier_payments_go_partial_then_paid_and_never_over(se):
    po = bought(se, seats=[0, 1], cost="30.00")
    assert error_of(supplier_payments.pay_supplier, user_id=se.owner_id, po_id=draft(se, seats=[5]), amount="1",
                    now=T0).code == "not_confirmed"
    in_tx(supplier_payments.pay_supplier, user_id=se.owner_id, po_id=po, amount="20.00", now=T0)
    with session_scope(readonly=True) as db:
        assert purchase_orders.payment_status(db.get(PurchaseOrder, po)) == "partial"
    err = error_of(supplier_payments.pay_supplier, user_id=se.owner_id, po_id=po, amount="40.01", now=T0)
    assert (err.code, err.extra["owed"]) == ("overpayment", "40.00")
    in_tx(supplier_payments.pay_supplier, user_id=se.owner_id, po_id=po, amount="40.00", now=T0)
    with session_scope(readonly=True) as db:
        assert purchase_orders.payment_status(db.get(PurchaseOrder, po)) == "paid"


def test_ownership_actions_of_the_seat_admin_are_refused_in_broker_mode(se):
    err = error_of(seating.manage_seats, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                   action="own", seat_idxs=[0], now=T0)
    assert err.code == "ownership_by_purchase_orders"


def test_broker_mode_is_chosen_before_the_first_sale():
    from tests.seating_builders import make_seated_event

    with session_scope() as db:
        plain = make_seated_event(db)
        buyer = make_buyers_ids(db)
    in_tx(seat_sales.hold_seats, event_id=plain.event_id, session_id=plain.session_id, user_id=buyer, idxs=[0],
          now=T0)
    assert error_of(modes.enable_broker_mode, user_id=plain.owner_id, event_id=plain.event_id,
                    now=T0).code == "event_has_sales"


def make_buyers_ids(db):
    from tests.builders import make_buyers

    return make_buyers(db, 1)[0].id


def test_cancelled_tickets_free_their_cost_allocation_and_seat(se):
    bought(se, quantity=1, ga_cost="10.00")
    order = sell(se, se.extra["buyers"][0], quantity=1)
    with session_scope() as db:
        cancellation.cancel_order(db=db, order_id=order.id, user_id=se.extra["buyers"][0], now=T0 + MIN)
    sell(se, se.extra["buyers"][1], quantity=1, now=T0 + 2 * MIN)
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(TicketSale)).all()) == 2
        assert db.exec(select(EventSeat)).first() is not None


def test_new_ticket_types_of_a_broker_event_sell_only_bought_places(se):
    from ticketing.services import catalog

    with session_scope() as db:
        view = catalog.create_ticket_type(db=db, user_id=se.owner_id, event_id=se.event_id, name="Late standing",
                                          price="15.00", currency="EUR", session_ids=[se.extra["ga_session"]],
                                          max_quantity=500, now=T0)
        type_id = view.ticket_type.id
    assert load(TicketType, type_id).max_quantity == 0
    err = error_of(catalog.update_ticket_type, user_id=se.owner_id, event_id=se.event_id, ticket_type_id=type_id,
                   max_quantity=10, now=T0)
    assert err.code == "quota_by_purchase_orders"
