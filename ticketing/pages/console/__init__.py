"""The organizer's event console: one page per tab."""
