"""SQLModel tables only. Importing this package registers every table on SQLModel.metadata."""

from ticketing.models.accounts import Membership, Organization, Role, User
from ticketing.models.broker import (
    BrokerEvent,
    FulfillmentMethod,
    OwnedSeat,
    PurchaseOrder,
    PurchaseOrderCounter,
    PurchaseOrderLine,
    PurchaseOrderSeat,
    PurchaseOrderStatus,
    RetailRule,
    Supplier,
    SupplierKind,
    SupplierPayment,
    TicketSale,
)
from ticketing.models.catalog import (
    Event,
    EventSession,
    EventStatus,
    SessionPrerequisite,
    TicketType,
    TicketTypeSession,
)
from ticketing.models.checkins import CheckIn, CheckInConflict, Scan
from ticketing.models.jobs import JobFailure, SentMail
from ticketing.models.ledger import Account, EntryKind, LedgerEntry, LedgerLine, Reconciliation
from ticketing.models.payments import Payment, PaymentStatus, Refund, RefundReason, RefundStatus, StripeEvent
from ticketing.models.presales import Presale, PresaleCode, PresaleUse
from ticketing.models.promotions import PromoCode, PromoKind, PromoRedemption
from ticketing.models.sales import (
    Hold,
    HoldItem,
    HoldStatus,
    IdempotencyRecord,
    Order,
    OrderItem,
    OrderNumberCounter,
    OrderStatus,
    PlaceClaim,
    Ticket,
    TicketStatus,
)
from ticketing.models.scheduling import Room, Schedule, ScheduleOccurrence
from ticketing.models.waitlist import EntryStatus, WaitlistClosure, WaitlistEntry
from ticketing.models.seating import (
    EventSeat,
    HoldReason,
    HoldSeat,
    Ownership,
    PriceLevel,
    Seat,
    SeatedSession,
    SeatStatus,
    SeatType,
    TicketSeat,
    Venue,
)
from ticketing.models.waiting_room import WaitingRoom, WaitingRoomEntry

__all__ = [
    "CheckIn", "CheckInConflict", "Scan",
    "Event", "EventSession", "EventStatus", "Hold", "HoldItem", "HoldStatus", "IdempotencyRecord",
    "Membership", "Order", "OrderItem", "OrderNumberCounter", "OrderStatus", "Organization", "Payment",
    "PaymentStatus", "Refund", "RefundReason", "RefundStatus", "StripeEvent",
    "PlaceClaim", "Role", "SessionPrerequisite", "Ticket", "TicketStatus", "TicketType",
    "TicketTypeSession", "User",
    # seating
    "EventSeat", "HoldReason", "HoldSeat", "Ownership", "PriceLevel", "Seat", "SeatedSession", "SeatStatus",
    "SeatType", "TicketSeat", "Venue",
    # jobs
    "JobFailure", "SentMail",
    # promotions
    "PromoCode", "PromoKind", "PromoRedemption",
    # presales
    "Presale", "PresaleCode", "PresaleUse",
    # ledger
    "Account", "EntryKind", "LedgerEntry", "LedgerLine", "Reconciliation",
    # scheduling
    "Room", "Schedule", "ScheduleOccurrence",
    # broker mode
    "BrokerEvent", "FulfillmentMethod", "OwnedSeat", "PurchaseOrder", "PurchaseOrderCounter", "PurchaseOrderLine",
    "PurchaseOrderSeat", "PurchaseOrderStatus", "RetailRule", "Supplier", "SupplierKind", "SupplierPayment",
    "TicketSale",
    # waiting room
    "WaitingRoom", "WaitingRoomEntry",
    # waiting lists
    "EntryStatus", "WaitlistClosure", "WaitlistEntry",
]
