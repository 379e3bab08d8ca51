"""Ticketing: live event ticketing on Reflex, SQLModel, Redis and Stripe."""
