"""Reflex state: one module per feature, thin (parse input, call a service, set vars)."""
