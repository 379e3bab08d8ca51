"""Recurring schedules: rules, their dates (occurrences) and calling off one session."""
