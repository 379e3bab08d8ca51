"""Recording what a service function answered, call after call, without changing its answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def record_outcomes(monkeypatch, owner: Any, name: str, outcome: Callable[[Any], Any]) -> list:
    """Wrap `owner.name` for the test: each call's result goes through unchanged, and
    `outcome(result)` is appended to the returned list."""
    seen: list = []
    original = getattr(owner, name)

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        seen.append(outcome(result))
        return result

    monkeypatch.setattr(owner, name, spy)
    return seen
