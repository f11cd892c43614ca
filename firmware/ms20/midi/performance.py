"""MIDI performance input to the kernel: keys, pitch bend, mod wheel, sustain, CC-mapped
knobs and panic. The same code serves offline renders (MIDI files) and the live box.

Messages are mido Messages (mido validates ranges; raw bytes go through mido.Parser
first, which also copes with running status). Each is applied at a sample time, so notes
land sample-accurately.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import mido

from ms20.midi.note_priority import KeyChange, MonoKeyboard
from ms20.model.kernel_ids import PARAMS

if TYPE_CHECKING:
    from ms20.model.engine import Engine

MOD_WHEEL_CC = 1
SUSTAIN_CC = 64
ALL_SOUND_OFF_CC = 120
RESET_CONTROLLERS_CC = 121
ALL_NOTES_OFF_CC = 123
WHEEL_MAX_V = 5.0
BEND = PARAMS["PITCH_BEND_SEMI"]
WHEEL = PARAMS["WHEEL_V"]

# Called with (knob name, position 0-10, sample time) when a mapped CC moves a knob.
KnobSink = Callable[[str, float, int | None], None]


class Performance:
    """Turns MIDI messages into kernel events: keys, bend, mod wheel, sustain, CC-mapped knobs, panic."""

    def __init__(
        self,
        engine: Engine,
        knob_sink: KnobSink,
        cc_map: Mapping[int, str] | None = None,
        bend_range_semitones: float = 2.0,
        keyboard: MonoKeyboard | None = None,
        cc_span: Mapping[int, tuple[float, float]] | None = None,
    ) -> None:
        self.engine = engine
        self.knob_sink = knob_sink
        self.cc_map = dict(cc_map or {})
        self.cc_span = dict(cc_span or {})  # CC -> knob positions at 0 and 127 (default 0-10)
        self.bend_range = bend_range_semitones
        self.keyboard = keyboard or MonoKeyboard()

    def _key(self, change: KeyChange | None, at: int | None) -> None:
        if change is not None:
            self.engine.key(change.note, change.gate, change.retrigger, at)

    def handle(self, msg: mido.Message, at: int | None = None) -> None:
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            self._key(self.keyboard.press(msg.note), at)
        elif kind == "note_off" or (kind == "note_on" and msg.velocity == 0):
            self._key(self.keyboard.release(msg.note), at)
        elif kind == "pitchwheel":
            self.engine.set_param(BEND, msg.pitch / 8192.0 * self.bend_range, at)
        elif kind == "control_change":
            self._control(msg.control, msg.value, at)
        elif kind in ("stop", "reset"):
            self.panic(at)

    def _control(self, cc: int, value: int, at: int | None) -> None:
        if cc in self.cc_map:  # a mapping in the patch overrides the defaults below
            low, high = self.cc_span.get(cc, (0.0, 10.0))
            self.knob_sink(self.cc_map[cc], low + value / 127.0 * (high - low), at)
        elif cc == MOD_WHEEL_CC:
            self.engine.set_param(WHEEL, value / 127.0 * WHEEL_MAX_V, at)
        elif cc == SUSTAIN_CC:
            self._key(self.keyboard.set_sustain(value >= 64), at)
        elif cc in (ALL_NOTES_OFF_CC, ALL_SOUND_OFF_CC):
            self._key(self.keyboard.all_off(), at)
        elif cc == RESET_CONTROLLERS_CC:
            self.engine.set_param(BEND, 0.0, at)
            self.engine.set_param(WHEEL, 0.0, at)
            self._key(self.keyboard.set_sustain(False), at)

    def panic(self, at: int | None = None) -> None:
        """All notes off and the voice back to rest (envelopes, filters)."""
        self._key(self.keyboard.all_off(), at)
        self.engine.set_param(BEND, 0.0, at)
        self.engine.reset(at)
