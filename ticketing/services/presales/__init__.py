"""Presales: a block of an event sold during a window only with an access code."""
