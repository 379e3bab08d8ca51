"""POST /webhooks/stripe: Stripe-signed events only."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Header, Request

from ticketing.payments.webhooks import handle_webhook

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request, stripe_signature: str | None = Header(default=None)) -> dict:
    """Verify, record once, re-fetch from Stripe, apply. 400 `bad_signature`; 503 when Stripe
    or the database cannot answer now (Stripe delivers again)."""
    payload = await request.body()  # the raw bytes: the signature covers them exactly
    outcome = await asyncio.to_thread(handle_webhook, payload, stripe_signature)
    return {"received": True, "outcome": outcome}
