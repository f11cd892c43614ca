"""The MS-20's monophonic keyboard logic, for any source of key presses (MIDI, tests).

Low-note priority by default, as on the original (last- and high-note are settings);
single trigger: moving between held keys changes the pitch without refiring the
envelopes, unless multi_trigger is set. The result is what the kernel's KBD CV and
KBD TRIG should do: a KeyChange (note, gate, retrigger).
"""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES = ("low", "high", "last")


@dataclass(frozen=True)
class KeyChange:
    """What the keyboard CV and gate do after a key event."""

    note: int
    gate: bool
    retrigger: bool


class MonoKeyboard:
    """A monophonic keyboard's note priority (low as on the MS-20, or last/high), single or multi trigger, sustain."""

    def __init__(self, priority: str = "low", multi_trigger: bool = False) -> None:
        if priority not in PRIORITIES:
            raise ValueError(f"key priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        self.priority = priority
        self.multi_trigger = multi_trigger
        self._held: list[int] = []       # in press order
        self._sustained: set[int] = set()
        self.sustain = False
        self.note = 60                   # the last sounding note (KBD CV holds it)

    @property
    def gate(self) -> bool:
        return bool(self._held or self._sustained)

    def _chosen(self) -> int | None:
        keys = self._held + sorted(self._sustained - set(self._held))
        if not keys:
            return None
        if self.priority == "low":
            return min(keys)
        if self.priority == "high":
            return max(keys)
        return keys[-1] if self._held else max(self._sustained)

    def _change(self, was_gate: bool, was_note: int) -> KeyChange | None:
        chosen = self._chosen()
        if chosen is None:
            return KeyChange(self.note, False, False) if was_gate else None
        self.note = chosen
        if was_gate and chosen == was_note:
            return None
        retrigger = was_gate and self.multi_trigger
        return KeyChange(chosen, True, retrigger)

    def press(self, note: int) -> KeyChange | None:
        was_gate, was_note = self.gate, self.note
        if note in self._held:
            self._held.remove(note)
        self._held.append(note)
        self._sustained.discard(note)
        change = self._change(was_gate, was_note)
        if change is None and self.multi_trigger and was_gate and self.note == note:
            return KeyChange(note, True, True)
        return change

    def release(self, note: int) -> KeyChange | None:
        if note not in self._held:
            return None  # a note-off without its note-on changes nothing
        was_gate, was_note = self.gate, self.note
        self._held.remove(note)
        if self.sustain:
            self._sustained.add(note)
        return self._change(was_gate, was_note)

    def set_sustain(self, on: bool) -> KeyChange | None:
        self.sustain = on
        if on:
            return None
        was_gate, was_note = self.gate, self.note
        self._sustained.clear()
        return self._change(was_gate, was_note)

    def all_off(self) -> KeyChange | None:
        was_gate = self.gate
        self._held.clear()
        self._sustained.clear()
        return KeyChange(self.note, False, False) if was_gate else None
