"""Seated sessions: venues and layouts, seat maps and statuses, seat claims, best available, seat sales."""
