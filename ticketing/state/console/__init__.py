"""The organizer's event console: one state per tab."""
