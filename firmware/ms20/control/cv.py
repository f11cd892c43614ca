"""How the box's CV jacks speak to other gear: the one place for pitch and trigger
conventions, and the trims of the analog stages. A setting, not a constant.

The kernel works in the MS-20's own units (docs/signals.md): pitch in Hz/V (1 V = C4 at 8',
one octave doubles the voltage) and S-trigger (0 V = on, +5 V = off). Much other gear wants
V/oct (here 0 V = C4, +1 V per octave) and V-trigger (+5 V = on, 0 V = off). What a CV jack
carries depends on the patch: CV OUT 1 patched from KBD CV OUT carries pitch, from KBD TRIG
OUT a trigger; CV IN 1 patched into VCO 1+2 CV IN carries pitch. So the conversion takes the
kind of the jack at the other end of the cable (jacks.toml: hzv, strig, gate, cv, audio).

The ADC/DAC stage scaling (jack volts at count 0 and full scale) lives in hw/board.toml.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ms20.hardware.board_def import CV_IN_JACKS, CV_OUT_JACKS
from ms20.model.patchbay import Routing

PITCHES = ("hz_per_v", "v_per_oct")
TRIGGERS = ("s_trig", "v_trig")
STRIG_OFF_V = 5.0
MIN_HZV = 1.0 / 1024.0     # ten octaves below C4: the floor for log2 of a Hz/V voltage


@dataclass(frozen=True)
class CvConvention:
    """pitch: "hz_per_v" (as the MS-20) or "v_per_oct"; trigger: "s_trig" or "v_trig";
    gains and offsets trim the analog stages (jack volts = kernel volts * gain + offset)."""

    pitch: str = "hz_per_v"
    trigger: str = "s_trig"
    in_gain: float = 1.0
    in_offset_v: float = 0.0
    out_gain: float = 1.0
    out_offset_v: float = 0.0

    def __post_init__(self) -> None:
        if self.pitch not in PITCHES:
            raise ValueError(f"CV pitch convention must be one of {', '.join(PITCHES)}, not {self.pitch!r}")
        if self.trigger not in TRIGGERS:
            raise ValueError(f"CV trigger convention must be one of {', '.join(TRIGGERS)}, not {self.trigger!r}")

    def to_jack(self, kernel_v: float, kind: str) -> float:
        """CV OUT: kernel volts of a signal of `kind` -> volts at the jack."""
        v = kernel_v
        if kind == "hzv" and self.pitch == "v_per_oct":
            v = math.log2(max(v, MIN_HZV))
        elif kind == "strig" and self.trigger == "v_trig":
            v = STRIG_OFF_V - v
        return v * self.out_gain + self.out_offset_v

    def to_kernel(self, jack_v: float, kind: str) -> float:
        """CV IN: volts at the jack, feeding an input of `kind` -> kernel volts."""
        v = jack_v * self.in_gain + self.in_offset_v
        if kind == "hzv" and self.pitch == "v_per_oct":
            return 2.0 ** v
        if kind == "strig" and self.trigger == "v_trig":
            return STRIG_OFF_V - v
        return v


class CvPorts:
    """The box's four CV jacks under a convention: what each one carries depends on the far end
    of its cable, so the conversion follows the routing (looked up again only when it changes)."""

    def __init__(self, convention: CvConvention | None = None) -> None:
        self.convention = convention or CvConvention()
        self._for: Routing | None = None
        self._kind: dict[str, str] = {}

    def _kinds(self, routing: Routing) -> dict[str, str]:
        if routing is not self._for:
            self._for = routing
            self._kind = {**{j: routing.kind_out_of(j) for j in CV_IN_JACKS},
                          **{j: routing.kind_into(j) for j in CV_OUT_JACKS}}
        return self._kind

    def to_kernel(self, jack: str, jack_v: float, routing: Routing) -> float:
        """CV IN 1/2: volts at the jack -> kernel volts for what the cable feeds."""
        return self.convention.to_kernel(jack_v, self._kinds(routing)[jack])

    def to_jack(self, jack: str, kernel_v: float, routing: Routing) -> float:
        """CV OUT 1/2: the kernel's volts -> volts at the jack for what feeds it."""
        return self.convention.to_jack(kernel_v, self._kinds(routing)[jack])
