"""The virtual DAC clock of a sink with no card behind it (c_kernels/audio/pacer.h): the
audio thread writes through it in C; this is its face for the benchmark and the tests,
read without a lock while the thread runs.

    pacer = box.audio.sink.pacer
    pacer.playhead_at(time.monotonic_ns())    # frames the "DAC" had played by then
    pacer.deadline_misses, pacer.worst_lateness_ns, pacer.slack_histogram()
"""

from __future__ import annotations

import errno

import numpy as np

from ms20._kernel import ffi, lib

XRUN = -errno.EPIPE                 # what a write returns after an underrun, as ALSA does
SLACK_BIN_NS = lib.MS20_SLACK_BIN_NS


class Pacer:
    """Readings of a C pacer; `owner` keeps the memory it lives in (a sink) alive."""

    def __init__(self, ptr, owner: object = None) -> None:
        self._ptr = ptr
        self._owner = owner

    @classmethod
    def standalone(cls, rate: int, period: int, periods: int) -> Pacer:
        """A pacer of its own, driven by `write_at` with any clock (tests)."""
        ptr = lib.ms20_pacer_create(rate, period, periods)
        if ptr == ffi.NULL:
            raise ValueError(f"no pacer for {rate} Hz, {period} x {periods}")
        return cls(ffi.gc(ptr, lib.ms20_pacer_destroy))

    def write_at(self, now_ns: int, frames: int) -> tuple[int, int]:
        """The writer's step at `now_ns`: (frames or XRUN, when the frames fit or 0). The
        audio thread does this in C and sleeps until the second value."""
        wake = ffi.new("int64_t *")
        r = lib.ms20_pacer_write_rt(self._ptr, now_ns, frames, wake)
        return int(r), int(wake[0])

    def playhead_at(self, ns: int) -> int | None:
        """Frames the DAC had played by monotonic time `ns` (None before the first write)."""
        head = int(lib.ms20_pacer_playhead_at(self._ptr, ns))
        return head if head >= 0 else None

    def _stats(self):
        s = ffi.new("ms20_pacer_stats *")
        lib.ms20_pacer_get_stats(self._ptr, s)
        return s

    @property
    def deadline_misses(self) -> int:
        return int(self._stats().deadline_misses)

    @property
    def worst_lateness_ns(self) -> int:
        """The latest write against the moment the DAC needed it (negative: still early)."""
        return int(self._stats().worst_lateness_ns)

    @property
    def worst_wake_ns(self) -> int:
        """The latest the system woke the audio thread after a wait for room ended."""
        return int(self._stats().worst_wake_ns)

    @property
    def writes(self) -> int:
        return int(self._stats().writes)

    @property
    def frames_written(self) -> int:
        return int(self._stats().frames_written)

    @property
    def buffer(self) -> int:
        """Frames the virtual card's buffer holds."""
        return int(self._stats().buffer_frames)

    def slack_histogram(self) -> np.ndarray:
        """Writes by the audio still queued when they came, in SLACK_BIN_NS bins."""
        bins = np.zeros(lib.MS20_SLACK_BINS, np.int64)
        n = lib.ms20_pacer_slack_histogram(self._ptr, ffi.from_buffer("int64_t[]", bins), len(bins))
        return bins[:n]
