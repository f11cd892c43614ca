"""A virtual DAC clock for sinks that have none (the null PCM, ALSA's file plugin, a WAV
file): it consumes `rate` frames per second from a buffer of `periods` periods, so writes
block exactly as they would on a sound card, and a write that comes after the buffer has run
dry is an underrun (EPIPE), the period is dropped and the stream restarts, as ALSA does.

It also keeps the numbers the benchmark reports: how late each write was against the moment
the DAC needed its first frame (deadline misses, worst lateness), and where the DAC's
playhead was at any moment (note-on to sound latency).
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable

import numpy as np

XRUN = -errno.EPIPE
_RUNS = 256   # restarts remembered for playhead_at (a ring; older ones are forgotten)


class Pacer:
    """Blocks writers at the rate of a sound card with a `periods`-period buffer."""

    def __init__(self, rate: int, period: int, periods: int,
                 clock: Callable[[], int] = time.monotonic_ns,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = int(rate)
        self.period = int(period)
        self.buffer = int(period) * int(periods)
        self._clock = clock
        self._sleep = sleep
        self._running = False
        self._t0 = 0               # ns when the current run's first frame started playing
        self._written = 0          # frames written in the current run
        self._base = 0             # frames written (and played) in earlier runs
        self._run_t0 = np.zeros(_RUNS, np.int64)
        self._run_base = np.zeros(_RUNS, np.int64)
        self._runs = 0
        self.xruns = 0
        self.deadline_misses = 0
        self.worst_lateness_ns = -(1 << 62)
        self.writes = 0

    def _deadline_ns(self, frame: int) -> int:
        return self._t0 + frame * 1_000_000_000 // self.rate

    def write_rt(self, frames: int) -> int:
        """Account for `frames` frames: sleep until the buffer has room, or report XRUN."""
        now = self._clock()
        if not self._running:
            # Like ALSA with start_threshold 1: the first write after prepare starts the DAC.
            self._running = True
            self._t0 = now
            self._written = 0
            k = self._runs % _RUNS
            self._run_t0[k] = now
            self._run_base[k] = self._base
            self._runs += 1
        lateness = now - self._deadline_ns(self._written)
        self.writes += 1
        if self._written and lateness > self.worst_lateness_ns:   # a run's first write is on time by definition
            self.worst_lateness_ns = lateness
        if lateness > 0:
            # The DAC needed this period's first frame before it arrived: underrun.
            self.deadline_misses += 1
            self.xruns += 1
            self._base += self._written
            self._running = False
            return XRUN
        room_at = self._deadline_ns(self._written + frames - self.buffer)
        if room_at > now:
            self._sleep((room_at - now) / 1e9)
        self._written += frames
        return frames

    def stop(self) -> None:
        """Drop the stream (close or xrun recovery by the caller)."""
        if self._running:
            self._base += self._written
        self._running = False

    @property
    def frames_written(self) -> int:
        return self._base + self._written

    def playhead_at(self, ns: int) -> int | None:
        """Frames the DAC had played by monotonic time `ns` (None before the first write)."""
        if self._runs == 0:
            return None
        for back in range(min(self._runs, _RUNS)):
            k = (self._runs - 1 - back) % _RUNS
            t0 = int(self._run_t0[k])
            if ns >= t0:
                base = int(self._run_base[k])
                nxt = self._runs - back   # index of the following run, if any
                limit = (int(self._run_base[nxt % _RUNS]) - base if nxt < self._runs
                         else self.frames_written - base)
                played = max(0, (ns - t0) * self.rate // 1_000_000_000)
                return base + min(played, limit)
        return int(self._run_base[(self._runs - min(self._runs, _RUNS)) % _RUNS])
