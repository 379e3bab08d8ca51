"""The virtual waiting room: queue places, paced admissions, admission tokens (issue 21)."""
