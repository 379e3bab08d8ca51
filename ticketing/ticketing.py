"""The Reflex app: pages, the JSON API mounted beside them, lifespan tasks."""

from __future__ import annotations

import reflex as rx
# Loaded now rather than by the first event whose payload is a dict (a checkout's form): Reflex
# imports it there, with alembic, mako and pygments, about a second of one worker's event loop
# at the busiest moment of an on-sale (bench/onsale.py profile).
import reflex.model  # noqa: F401

from ticketing import reflex_lock
from ticketing.api import app as api_app
from ticketing.components.page_leave import page_leave_guard
from ticketing.components.seat_map import early_fetch
from ticketing.jobs.waiting_rooms import pace_waiting_rooms
from ticketing.jobs.worker import run_jobs
from ticketing.pages.auth import login_page, register_page
from ticketing.pages.broker import inventory_page, orders_page, suppliers_page
from ticketing.pages.broker_order import purchase_order_page
from ticketing.pages.broker_pricing import pricing_page
from ticketing.pages.broker_profit import profit_page
from ticketing.pages.cart import cart_page
from ticketing.pages.console.attendees import attendees_page
from ticketing.pages.console.finance import finance_page
from ticketing.pages.console.matrix import matrix_page
from ticketing.pages.console.new import new_event_page
from ticketing.pages.console.presales import presales_page
from ticketing.pages.console.promotions import promotions_page
from ticketing.pages.console.waitlist import waitlist_page
from ticketing.pages.console.reports import reports_page
from ticketing.pages.console.schedules import schedules_page
from ticketing.pages.console.sessions import sessions_page
from ticketing.pages.console.setup import setup_page
from ticketing.pages.console.waiting_room import waiting_room_console_page
from ticketing.pages.dashboard import dashboard_page
from ticketing.pages.door import door_events_page, door_page
from ticketing.pages.event import event_page
from ticketing.pages.index import index_page
from ticketing.pages.orgs import new_org_page, orgs_page
from ticketing.pages.password_reset import forgot_password_page, reset_password_page, staff_only_page
from ticketing.pages.payment import payment_page
from ticketing.pages.seat_admin import seat_admin_page
from ticketing.pages.seat_map import seat_map_page
from ticketing.pages.tickets import order_page, tickets_page
from ticketing.pages.venues import venues_page
from ticketing.pages.waiting_room import waiting_room_page
from ticketing.settings import get_settings
from ticketing.state.auth import AuthState
from ticketing.state.broker import BrokerState, InventoryState, OrdersState, SuppliersState
from ticketing.state.broker_order import OrderDetailState
from ticketing.state.broker_pricing import PricingState
from ticketing.state.broker_profit import ProfitState
from ticketing.state.broker_seats import SeatBuyState
from ticketing.state.cart import CartState
from ticketing.state.console.attendees import AttendeesState
from ticketing.state.console.finance import FinanceState
from ticketing.state.console.matrix import MatrixState
from ticketing.state.console.presales import PresalesState
from ticketing.state.console.promotions import PromoCodesState
from ticketing.state.console.waitlist import WaitlistConsoleState
from ticketing.state.console.reports import ReportsState
from ticketing.state.console.schedules import SchedulesState
from ticketing.state.console.sessions import SessionsState
from ticketing.state.console.setup import SetupState
from ticketing.state.console.waiting_room import WaitingRoomConsoleState
from ticketing.state.dashboard import DashboardState
from ticketing.state.door import DoorEventsState, DoorState
from ticketing.state.event_page import EventPageState
from ticketing.state.failures import page_exception_handler
from ticketing.state.events import EventsState
from ticketing.state.live import bind_app, hub
from ticketing.state.orgs import OrgState
from ticketing.state.password_reset import PasswordResetState
from ticketing.state.payment import PaymentState
from ticketing.state.seat_admin import SeatAdminState
from ticketing.state.seat_links import SeatLinksState
from ticketing.state.org_live import org_fanout
from ticketing.state.seat_live import seat_fanout
from ticketing.state.seat_map import SeatMapState
from ticketing.state.tickets import OrderState, TicketsState
from ticketing.state.waitlist import WaitlistState
from ticketing.state.venues import VenueState
from ticketing.state.waiting_room import WaitingRoomState

get_settings()  # refuse to start with placeholder secrets in production
reflex_lock.install()  # a cancelled event gives the tab's state lock back (ticketing/reflex_lock.py)

app = rx.App(
    stylesheets=["/styles.css", "/seatmap.css", "/door.css"],
    head_components=[
        rx.el.meta(name="theme-color", content="#4f46e5"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        page_leave_guard(),
        early_fetch(),
    ],
    api_transformer=api_app,
    # At the top: at the bottom of a phone a toast covers the form button that was just pressed.
    toaster=rx.toast.provider(position="top-center", close_button=True),
    backend_exception_handler=page_exception_handler,
)

app.add_page(index_page, route="/", title="Ticketing — events and tickets",
             on_load=[AuthState.check_session, EventsState.load_events])
app.add_page(event_page, route="/events/[event_id]", title="Event — Ticketing",
             on_load=[AuthState.check_session, EventPageState.load])  # it loads the page's other parts
app.add_page(waiting_room_page, route="/events/[event_id]/queue", title="Waiting room — Ticketing",
             on_load=WaitingRoomState.load)  # it guards the page itself
app.add_page(seat_map_page, route="/events/[event_id]/seats/[session_id]", title="Choose seats — Ticketing",
             on_load=[AuthState.check_session, SeatMapState.load])
app.add_page(dashboard_page, route="/manage/events/[event_id]", title="Live dashboard — Ticketing",
             on_load=[AuthState.require_staff, DashboardState.load, SeatLinksState.load])
app.add_page(seat_admin_page, route="/manage/events/[event_id]/seats/[session_id]", title="Seats — Ticketing",
             on_load=[AuthState.require_staff, SeatAdminState.load, SeatBuyState.load])
app.add_page(venues_page, route="/manage/venues", title="Venues — Ticketing",
             on_load=[AuthState.require_staff, VenueState.load])
# CartState.load guards the page itself, with its reads outside the tab's lock (cart.py).
app.add_page(cart_page, route="/cart/[hold_id]", title="Your tickets — Ticketing",
             on_load=CartState.load)
app.add_page(payment_page, route="/pay/[order_id]", title="Payment — Ticketing",
             on_load=[AuthState.require_signed_in, PaymentState.load])
app.add_page(order_page, route="/orders/[order_id]", title="Your order — Ticketing",
             on_load=[AuthState.require_signed_in, OrderState.load])
app.add_page(tickets_page, route="/tickets", title="My tickets — Ticketing",
             on_load=[AuthState.require_signed_in, TicketsState.load, WaitlistState.load_mine])
app.add_page(door_events_page, route="/door", title="Door check-in — Ticketing",
             on_load=[AuthState.require_staff, DoorEventsState.load])
app.add_page(door_page, route="/door/[event_id]", title="Scan tickets — Ticketing",
             on_load=[AuthState.require_staff, DoorState.load])
# The organizer console: one page per part of an event (staff guard; services check the role).
app.add_page(new_event_page, route="/manage/new-event", title="New event — Ticketing",
             on_load=AuthState.require_staff)
for _page, _suffix, _title, _state in (
    (setup_page, "setup", "Event setup", SetupState),
    (sessions_page, "sessions", "Sessions", SessionsState),
    (matrix_page, "tickets", "Tickets", MatrixState),
    (schedules_page, "schedules", "Recurring schedules", SchedulesState),
    (attendees_page, "attendees", "Attendees", AttendeesState),
    (promotions_page, "promo-codes", "Promo codes", PromoCodesState),
    (presales_page, "presales", "Presales", PresalesState),
    (waitlist_page, "waitlist", "Waiting lists", WaitlistConsoleState),
    (reports_page, "reports", "Reports", ReportsState),
    (waiting_room_console_page, "waiting-room", "Waiting room", WaitingRoomConsoleState),
):
    app.add_page(_page, route=f"/manage/events/[event_id]/{_suffix}", title=f"{_title} — Ticketing",
                 on_load=[AuthState.require_staff, _state.load])
# Broker mode (seed 002), per organization.
for _page, _suffix, _title, _load in (
    (suppliers_page, "suppliers", "Suppliers", SuppliersState.load),
    (orders_page, "orders", "Purchase orders", OrdersState.load),
    (inventory_page, "inventory", "Inventory", InventoryState.load),
    (pricing_page, "pricing", "Retail prices", PricingState.load),
    (profit_page, "profit", "Profit", ProfitState.load),
):
    app.add_page(_page, route=f"/manage/broker/{_suffix}", title=f"{_title} — Ticketing",
                 on_load=[AuthState.require_staff, BrokerState.clear_notes, _load])
app.add_page(purchase_order_page, route="/manage/broker/orders/[po_id]", title="Purchase order — Ticketing",
             on_load=[AuthState.require_staff, BrokerState.clear_notes, OrderDetailState.load])
app.add_page(login_page, route="/login", title="Sign in — Ticketing", on_load=AuthState.check_session)
app.add_page(register_page, route="/register", title="Create account — Ticketing", on_load=AuthState.check_session)
app.add_page(forgot_password_page, route="/forgot-password", title="Forgot password — Ticketing")
app.add_page(reset_password_page, route="/reset-password", title="New password — Ticketing",
             on_load=PasswordResetState.load_link)
app.add_page(staff_only_page, route="/staff-only", title="Staff only — Ticketing", on_load=AuthState.check_session)
app.add_page(orgs_page, route="/orgs", title="Organization — Ticketing",
             on_load=[AuthState.require_staff, OrgState.load_members])
app.add_page(finance_page, route="/finance", title="Finance — Ticketing",
             on_load=[AuthState.require_staff, FinanceState.load])
app.add_page(new_org_page, route="/orgs/new", title="New organization — Ticketing",
             on_load=AuthState.require_signed_in)

bind_app(app)
app.register_lifespan_task(hub.run)
app.register_lifespan_task(run_jobs)  # the job worker: mails, refunds, the sweeper (ticketing/jobs/)
app.register_lifespan_task(seat_fanout.run)
app.register_lifespan_task(org_fanout.run)  # live figures of organization pages (broker Profit)
app.register_lifespan_task(pace_waiting_rooms)  # lets queued customers in at each room's rate
