"""Engine: the thin Python face of the C kernel.

The control side pushes events (knob values in kernel units, switch positions, keys,
whole patches) and the audio side renders numpy buffers. cffi releases the GIL for the
duration of every C call, so a render never holds up the control thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ms20._kernel import ffi, lib

KEY_GATE = lib.MS20_KEY_GATE
KEY_RETRIGGER = lib.MS20_KEY_RETRIGGER
INPUT_COUNT = lib.MS20_INPUT_COUNT
OUTPUT_COUNT = lib.MS20_OUTPUT_COUNT
FV_CHARACTERS = {"accurate": 0, "vintage": 1}  # the ESP F-V converter's (docs/esp.md)


class QueueFull(RuntimeError):
    """The kernel's event queue is full: the audio thread is not consuming events."""


class Engine:
    """One MS-20 voice at `sample_rate` Hz. Create once, before audio starts."""

    def __init__(self, sample_rate: float = 48000.0) -> None:
        ptr = lib.ms20_create(float(sample_rate))
        if ptr == ffi.NULL:
            raise ValueError(f"sample rate {sample_rate} Hz is outside 8 kHz..192 kHz")
        self._ptr = ffi.gc(ptr, lib.ms20_destroy)
        self.sample_rate = float(sample_rate)
        self._event = ffi.new("ms20_event *")
        self._cv_scratch = np.zeros(0, dtype=np.float32)

    # -- control side -------------------------------------------------------------------

    def _push(self, kind: int, index: int = 0, value: float = 0.0, at: int | None = None) -> None:
        ev = self._event
        ev.time = self.time if at is None else int(at)
        ev.type = kind
        ev.index = index
        ev.value = value
        if not lib.ms20_push_nonrt(self._ptr, ev):
            raise QueueFull("kernel event queue is full")

    def set_param(self, param: int, value: float, at: int | None = None) -> None:
        """Set kernel parameter `param` (lib.MS20_P_*) in its unit at sample time `at`."""
        self._push(lib.MS20_EV_PARAM, param, value, at)

    def set_switch(self, switch: int, position: int, at: int | None = None) -> None:
        self._push(lib.MS20_EV_SWITCH, switch, float(position), at)

    def key(self, note: float, gate: bool, retrigger: bool = False, at: int | None = None) -> None:
        """Keyboard state after a key event: the sounding note and whether a key is held."""
        flags = (KEY_GATE if gate else 0) | (KEY_RETRIGGER if retrigger else 0)
        self._push(lib.MS20_EV_KEY, flags, float(note), at)

    def patch(self, route: Sequence[int], at: int | None = None) -> None:
        """Apply a whole patch at once: route[i] is the output feeding input i, or -1."""
        if len(route) != INPUT_COUNT:
            raise ValueError(f"a patch routes {INPUT_COUNT} inputs, got {len(route)}")
        ev = self._event
        for i, r in enumerate(route):
            ev.route[i] = r
        self._push(lib.MS20_EV_PATCH, 0, 0.0, at)

    def set_esp(self, fv: str = "accurate", pitch_triggers: bool = True, at: int | None = None) -> None:
        """The ESP's settings that no knob holds: the F-V character ("accurate" or "vintage",
        a tachometer as the original's) and whether TRIG fires on legato pitch changes."""
        if fv not in FV_CHARACTERS:
            raise ValueError(f"F-V character {fv!r}: expected one of {', '.join(FV_CHARACTERS)}")
        self._push(lib.MS20_EV_SETTING, lib.MS20_SET_ESP_FV_CHARACTER, float(FV_CHARACTERS[fv]), at)
        self._push(lib.MS20_EV_SETTING, lib.MS20_SET_ESP_PITCH_TRIGGERS, 1.0 if pitch_triggers else 0.0, at)

    def set_filter(self, revision: int, at: int | None = None) -> None:
        """Choose the filter revision (an index into ms20.model.patch.FILTERS: 0 the Korg35,
        1 the OTA board); the kernel crossfades from the one playing over 10 ms."""
        self._push(lib.MS20_EV_SETTING, lib.MS20_SET_FILTER, float(revision), at)

    def reset(self, at: int | None = None) -> None:
        """Panic: envelopes, filters and held voltages back to rest."""
        self._push(lib.MS20_EV_RESET, 0, 0.0, at)

    # -- audio side ---------------------------------------------------------------------

    def render(self, n: int, line_in: np.ndarray | None = None, cv_out: np.ndarray | None = None) -> np.ndarray:
        """Render n samples (float32, mono, in [-1, 1]). line_in feeds LINE IN."""
        out = np.empty(n, dtype=np.float32)
        self.render_into(out, line_in, cv_out)
        return out

    def render_into(self, out: np.ndarray, line_in: np.ndarray | None = None,
                    cv_out: np.ndarray | None = None) -> None:
        """Render len(out) samples into a preallocated float32 buffer (the audio thread's call)."""
        n = len(out)
        lin = ffi.NULL
        if line_in is not None:
            if line_in.dtype != np.float32 or len(line_in) < n or not line_in.flags.c_contiguous:
                raise ValueError("line_in must be a contiguous float32 array at least as long as out")
            lin = ffi.from_buffer("float[]", line_in)
        cv = ffi.NULL
        if cv_out is not None:
            if cv_out.dtype != np.float32 or cv_out.size < 2 * n:
                raise ValueError("cv_out must be float32 with room for 2 values per sample")
            cv = ffi.from_buffer("float[]", cv_out)
        lib.ms20_render_rt(self._ptr, lin, ffi.from_buffer("float[]", out), cv, n)

    # -- inspection ---------------------------------------------------------------------

    @property
    def handle(self):
        """The kernel's ms20_engine pointer, for the C audio thread (which renders it)."""
        return self._ptr

    @property
    def time(self) -> int:
        """Sample time of the next sample to be rendered."""
        return int(lib.ms20_time(self._ptr))

    def jack(self, output: int) -> float:
        """Voltage at an output jack (lib.MS20_OUT_*) at the last rendered sample."""
        return float(lib.ms20_jack(self._ptr, output))

    def route_of(self, input_: int) -> int:
        """The output an input (lib.MS20_IN_*) reads now."""
        return int(lib.ms20_route_of(self._ptr, input_))

    def stats(self) -> dict[str, int]:
        s = ffi.new("ms20_stats *")
        lib.ms20_get_stats(self._ptr, s)
        return {"events_applied": s.events_applied, "events_dropped": s.events_dropped,
                "nonfinite_resets": s.nonfinite_resets}
