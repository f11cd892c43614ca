"""The MOMENTARY switch's gestures, for a box without a screen:

    key held + short press (< LONG_PRESS_S)   recall the patch in that key's slot
    key held + long press                     save the panel into that key's slot
    hold, touch a pot, move a MIDI controller, release
                                              MIDI learn: that CC turns that knob

Without a key or a pot the switch is just the MS-20's momentary switch (it still reaches the
kernel either way). A pure state machine: the box feeds it switch edges, pot touches, CCs and
the held key, with times in seconds, and it answers with the action to take on release.
"""

from __future__ import annotations

from dataclasses import dataclass

from ms20.midi.notes import note_name

LONG_PRESS_S = 1.0
# Controllers that are never a knob to learn: bank select (keyboards send it before a Program
# Change), data entry and (N)RPN numbers, and the pedals.
NOT_LEARNABLE = frozenset({0, 6, 32, 38, 64, 65, 66, 67, 96, 97, 98, 99, 100, 101})


@dataclass(frozen=True)
class Action:
    """What a release asks for: kind "save", "recall" or "learn"; a slot name or a CC and knob."""

    kind: str
    slot: str = ""
    cc: int = -1
    knob: str = ""


def slot_name(note: int) -> str:
    """The patch a key's slot is saved in: "key-C4" for middle C."""
    return f"key-{note_name(note)}"


class MomentaryGesture:
    """Feeds: `pressed(now, key)`, `pot_touched(knob)`, `cc_moved(cc)`, `released(now, key)`."""

    def __init__(self, long_press_s: float = LONG_PRESS_S) -> None:
        self.long_press_s = long_press_s
        self._since: float | None = None
        self._key: int | None = None
        self._pot = ""
        self._cc = -1

    @property
    def held(self) -> bool:
        return self._since is not None

    @property
    def learning(self) -> bool:
        """Held with a pot touched: the next CC moved is the one learned."""
        return self._since is not None and bool(self._pot)

    def pressed(self, now: float, key: int | None) -> None:
        self._since, self._key, self._pot, self._cc = now, key, "", -1

    def pot_touched(self, knob: str) -> None:
        if self._since is not None:
            self._pot = knob

    def cc_moved(self, cc: int) -> None:
        if self.learning and cc not in NOT_LEARNABLE and cc <= 119:
            self._cc = cc

    def released(self, now: float, key: int | None) -> Action | None:
        if self._since is None:
            return None
        held_s = now - self._since
        key = key if key is not None else self._key
        pot, cc = self._pot, self._cc
        self._since = None
        if pot and cc >= 0:
            return Action("learn", cc=cc, knob=pot)
        if key is not None:
            return Action("save" if held_s >= self.long_press_s else "recall", slot=slot_name(key))
        return None
