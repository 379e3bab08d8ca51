"""Every call to Stripe, through the official SDK. In development and tests the SDK talks to
localstripe on loopback (STRIPE_API_BASE); in production to Stripe itself.

Calls never run inside a database transaction: the callers record what Stripe said in a
transaction of their own, before or after.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import stripe

from ticketing.services.errors import ServiceError
from ticketing.services.ledger.payouts import PayoutFacts
from ticketing.services.sales.payments import IntentFacts, StripeRefund
from ticketing.settings import get_settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20


@lru_cache(maxsize=1)
def client() -> stripe.StripeClient:
    """One client per process. Retries are safe: every creating call carries an idempotency key."""
    settings = get_settings()
    base = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=base,
        max_network_retries=2,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )


def unavailable(exc: Exception) -> ServiceError:
    """Stripe could not be reached or refused us: nothing was charged; try again later."""
    log.warning("Stripe call failed: %s", exc)
    return ServiceError("payment_unavailable", "Payments are unavailable right now; nothing was charged. "
                        "Please try again in a moment.", status=503)


def _id(value: Any) -> str | None:
    """An expandable field: Stripe sends an id, localstripe the object."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _plain(obj: Any) -> dict[str, Any]:
    """SDK objects are not dicts (since v13): read them as plain data."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _balance_txn(charge: Any) -> tuple[str, int | None]:
    """(balance transaction id, fee) of an expanded charge; ("", None) while Stripe has none."""
    txn = (charge or {}).get("balance_transaction") if isinstance(charge, dict) else None
    if not isinstance(txn, dict):
        return (txn or ""), None
    return str(txn["id"]), int(txn.get("fee") or 0)


def intent_facts(intent: Any) -> IntentFacts:
    intent = _plain(intent)
    txn_id, fee = _balance_txn(intent.get("latest_charge"))
    metadata = intent.get("metadata") or {}
    try:
        order_id = uuid.UUID(str(metadata.get("order_id", "")))
    except ValueError:
        order_id = None
    error = intent.get("last_payment_error") or {}
    return IntentFacts(
        id=intent["id"], order_id=order_id, status=intent["status"], amount=int(intent["amount"]),
        currency=str(intent["currency"]), error=str(error.get("message") or ""), balance_txn=txn_id, fee=fee,
    )


def create_payment_intent(
    *, order_id: uuid.UUID, order_number: str, amount_minor: int, currency: str, attempt: int
) -> tuple[IntentFacts, str]:
    """A PaymentIntent for the order's total; (facts, client_secret). The idempotency key is
    derived from the order and the attempt, so a retried request gets the same intent."""
    try:
        intent = client().v1.payment_intents.create(
            params={
                "amount": amount_minor,
                "currency": currency.lower(),
                "metadata": {"order_id": str(order_id), "order_number": order_number},
            },
            options={"idempotency_key": f"order-{order_id}-intent-{attempt}"},
        )
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc
    return intent_facts(intent), _plain(intent)["client_secret"]


# The fee of a payment lives on its charge's balance transaction: one call reads both.
INTENT_EXPAND = ["latest_charge.balance_transaction"]


def retrieve_intent(payment_intent_id: str, *, with_fee: bool = True) -> tuple[IntentFacts, str]:
    """Stripe's current word on an intent (with its charge's balance transaction, for the
    fee, unless the caller knows the fee is booked already), and its client secret."""
    try:
        params = {"expand": INTENT_EXPAND} if with_fee and INTENT_EXPAND else None
        intent = client().v1.payment_intents.retrieve(payment_intent_id, params=params)
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc
    return intent_facts(intent), _plain(intent)["client_secret"]


def _payment_method_from_token(token_id: str) -> dict[str, Any]:
    """How to charge a card tokenized by Stripe.js in the browser (card data never reaches us).

    Stripe takes the token as payment_method_data; localstripe (which has no
    payment_method_data) takes the token's card id as the payment method.
    """
    if get_settings().stripe_api_base:
        token = _plain(client().v1.tokens.retrieve(token_id))
        return {"payment_method": _id(token["card"])}
    return {"payment_method_data": {"type": "card", "card": {"token": token_id}}}


def charge_card(*, payment_intent_id: str, token_id: str) -> IntentFacts:
    """Attach the tokenized card to the intent and confirm it; the intent's state afterwards
    (declined cards come back as requires_payment_method with the decline message)."""
    try:
        client().v1.payment_intents.update(payment_intent_id, params=_payment_method_from_token(token_id))
        try:
            client().v1.payment_intents.confirm(payment_intent_id)
        except stripe.CardError as exc:
            log.info("card declined on %s: %s", payment_intent_id, exc.user_message)
        return retrieve_intent(payment_intent_id)[0]
    except stripe.InvalidRequestError as exc:
        raise ServiceError("payment_refused", "This card could not be used; please check it or try another.",
                           status=422) from exc
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc


def cancel_intent(payment_intent_id: str) -> None:
    """Make an intent unpayable (a newer one replaced it, or its order was cancelled)."""
    try:
        client().v1.payment_intents.cancel(payment_intent_id)
    except stripe.InvalidRequestError as exc:  # already succeeded or canceled: nothing to do
        log.info("not cancelling %s: %s", payment_intent_id, exc)


@dataclass(frozen=True)
class RefundFacts:
    """A refund Stripe made: its id, its balance transaction and the fee Stripe gave back (>= 0)."""

    id: str
    balance_txn: str | None = None
    fee_returned: int = 0


def create_refund(*, payment_intent_id: str, amount_minor: int, refund_id: uuid.UUID) -> RefundFacts:
    """Refund part or all of a payment; the refund row's id is the idempotency key."""
    refund = _plain(client().v1.refunds.create(
        params={"payment_intent": payment_intent_id, "amount": amount_minor, "metadata": {"refund_id": str(refund_id)},
                "expand": ["balance_transaction"]},
        options={"idempotency_key": f"refund-{refund_id}"},
    ))
    txn = refund.get("balance_transaction")
    if not isinstance(txn, dict):
        return RefundFacts(refund["id"], txn or None)
    # A refund's balance transaction carries a negative fee when Stripe returns part of its fee.
    return RefundFacts(refund["id"], str(txn["id"]), max(0, -int(txn.get("fee") or 0)))


def retrieve_charge(charge_id: str) -> tuple[str | None, int]:
    """(payment intent id, amount refunded so far) of a charge."""
    try:
        charge = _plain(client().v1.charges.retrieve(charge_id))
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc
    return _id(charge.get("payment_intent")), int(charge.get("amount_refunded") or 0)


def retrieve_payout(payout_id: str) -> PayoutFacts:
    """Stripe's current word on a payout (its status, amount, owner and balance transaction)."""
    try:
        payout = _plain(client().v1.payouts.retrieve(payout_id))
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc
    return PayoutFacts(id=payout["id"], status=str(payout["status"]), amount=int(payout["amount"]),
                       currency=str(payout["currency"]), organization_id=(payout.get("metadata") or {}).get(
                           "organization_id"), balance_txn=_id(payout.get("balance_transaction")))


def list_refunds(charge_id: str) -> list[StripeRefund]:
    """Every refund Stripe made on a charge, with its balance transaction (newest first)."""
    try:
        page = client().v1.refunds.list(params={"charge": charge_id, "limit": 100,
                                                "expand": ["data.balance_transaction"]})
        out = []
        for raw in page.auto_paging_iter():
            refund = _plain(raw)
            txn = refund.get("balance_transaction")
            txn_id, fee = (str(txn["id"]), int(txn.get("fee") or 0)) if isinstance(txn, dict) else (txn, 0)
            out.append(StripeRefund(id=refund["id"], amount=int(refund["amount"]), balance_txn=txn_id,
                                    fee_returned=max(0, -fee),
                                    our_refund_id=str((refund.get("metadata") or {}).get("refund_id") or "")))
        return out
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event if Stripe signed it with our webhook secret; else 400 `bad_signature`."""
    try:
        return _plain(stripe.Webhook.construct_event(payload, signature or "", get_settings().stripe_webhook_secret))
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise ServiceError("bad_signature", "The Stripe signature of this request is missing or wrong.",
                           status=400) from exc
