"""Selling places: availability, holds and their rules, orders and checkout, payments as recorded, cancellation, ticket holders, idempotency, the sweeper."""
