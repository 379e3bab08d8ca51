"""localstripe with Stripe's fees, for development and tests: `python -m
ticketing.payments.localstripe_fees --port N [--from-scratch]`.

localstripe (PyPI) records a balance transaction for every charge and refund but with a zero
fee, and fakes a payout's. This small patch, applied before its server starts, makes it report
what Stripe reports, so the ledger's fee path runs locally with a non-zero fee:
- a charge's balance transaction carries Stripe's fee, by default 1.5% + 0.25 (in minor units:
  LOCALSTRIPE_FEE_PERCENT, LOCALSTRIPE_FEE_FIXED_MINOR), with `fee_details` and `net`;
- a refund's keeps a zero fee (Stripe keeps its fee on refunds), unless
  LOCALSTRIPE_REFUND_RETURNS_FEE=1, then it gives back the fee in proportion (negative fee);
- a payout gets a real balance transaction (type `payout`, negative amount);
- `GET /v1/balance_transactions` lists them (newest first) with Stripe's `created[gte|gt|lte|lt]`
  and `type` filters, and retrieving one by id works.
Nothing here runs in production: there the SDK talks to Stripe itself.
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from localstripe import resources, server
from localstripe.errors import UserError

FEE_PERCENT = Decimal(os.environ.get("LOCALSTRIPE_FEE_PERCENT", "1.5"))
FEE_FIXED_MINOR = int(os.environ.get("LOCALSTRIPE_FEE_FIXED_MINOR", "25"))
REFUND_RETURNS_FEE = os.environ.get("LOCALSTRIPE_REFUND_RETURNS_FEE", "") == "1"

BalanceTransaction = resources.BalanceTransaction


def stripe_fee(amount: int) -> int:
    """Stripe's card fee on a charge of `amount` minor units (European cards' standard rate)."""
    percent = (Decimal(amount) * FEE_PERCENT / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(percent) + FEE_FIXED_MINOR


def _details(fee: int, currency: str) -> list[dict[str, Any]]:
    return [{"amount": fee, "application": None, "currency": currency, "description": "Stripe processing fees",
             "type": "stripe_fee"}]


_original_init = BalanceTransaction.__init__


def _init_with_fee(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    if self.type == "charge":
        self.fee = stripe_fee(self.amount)
    elif self.type == "refund" and REFUND_RETURNS_FEE:
        refund = resources.Refund._api_retrieve(self.source)
        charge = resources.Charge._api_retrieve(refund.charge)
        charge_txn = BalanceTransaction._api_retrieve(charge.balance_transaction)
        returned = (Decimal(charge_txn.fee) * -self.amount / charge.amount).quantize(Decimal(1), ROUND_HALF_UP)
        self.fee = -int(returned)
    if self.fee:
        self.fee_details = _details(self.fee, self.currency)


def _payout_txn(payout: Any) -> str:
    """A payout's balance transaction (localstripe only invents an id for it)."""
    txn = BalanceTransaction.__new__(BalanceTransaction)
    resources.StripeObject.__init__(txn)
    txn.amount, txn.currency, txn.fee, txn.fee_details = -payout.amount, payout.currency, 0, []
    txn.available_on, txn.description, txn.exchange_rate = txn.created, "STRIPE PAYOUT", None
    txn.reporting_category, txn.source, txn.status, txn.type = "payout", payout.id, "available", "payout"
    return txn.id


_original_payout_init = resources.Payout.__init__


def _payout_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_payout_init(self, *args, **kwargs)
    self.balance_transaction = _payout_txn(self)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise UserError(400, "Bad request") from exc


def _list_balance_transactions(cls: Any, url: str, limit: Any = None, starting_after: Any = None,
                               created: Any = None, type: Any = None, **kwargs: Any) -> Any:
    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    li = resources.List(url, limit=limit, starting_after=starting_after)
    rows = [v for k, v in resources.store.items() if k.startswith("balance_transaction:")]
    if isinstance(created, dict):
        checks = {"gte": lambda c, x: c >= x, "gt": lambda c, x: c > x, "lte": lambda c, x: c <= x,
                  "lt": lambda c, x: c < x}
        for op, bound in created.items():
            if op not in checks:
                raise UserError(400, "Bad request")
            rows = [r for r in rows if checks[op](r.created, _int(bound))]
    elif created is not None:
        rows = [r for r in rows if r.created == _int(created)]
    if type is not None:
        rows = [r for r in rows if r.type == type]
    rows.sort(key=lambda r: (r.created, r.id), reverse=True)
    li._list = rows
    return li


def install() -> None:
    """Patch localstripe's classes (idempotent)."""
    if getattr(BalanceTransaction, "_ticketing_fees", False):
        return
    BalanceTransaction.__init__ = _init_with_fee
    resources.Payout.__init__ = _payout_init
    BalanceTransaction._api_list_all = classmethod(_list_balance_transactions)
    BalanceTransaction._ticketing_fees = True  # its generic routes look the methods up per call


if __name__ == "__main__":
    install()
    server.start()
