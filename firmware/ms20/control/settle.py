"""Deciding over a window: a reading is believed once it has read the same for a settle time.
One rule for every stepped input the scanner reads: switch detents, the momentary switch and
the jack matrix's nets."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Debouncer(Generic[T]):
    """Accept a new value once it has read the same for `settle_s` seconds. None (a reading
    not to trust: between detents, contacts moving) never counts and restarts the wait.
    `pending` is True while something other than the accepted value is being read."""

    __slots__ = ("accepted", "pending", "settle_s", "_candidate", "_since")

    def __init__(self, settle_s: float, accepted: T | None = None) -> None:
        self.settle_s = settle_s
        self.accepted: T | None = accepted
        self.pending = False
        self._candidate: T | None = None
        self._since = 0.0

    def update(self, now: float, value: T | None, first: bool = False) -> bool:
        """Feed one reading at `now` (seconds); True when `value` became the accepted one.
        `first` accepts at once (the panel as found at start-up)."""
        if value is None:
            self._candidate, self.pending = None, True
            return False
        if value == self.accepted:
            self._candidate, self.pending = None, False
            return False
        if first:
            self.accepted, self._candidate, self.pending = value, None, False
            return True
        if value != self._candidate:
            self._candidate, self._since, self.pending = value, now, True
            return False
        if now - self._since >= self.settle_s:
            self.accepted, self._candidate, self.pending = value, None, False
            return True
        return False
