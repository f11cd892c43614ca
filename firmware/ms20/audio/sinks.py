"""Where the audio thread's periods go. A Sink says what to open; the opening, the sample
conversion and every write happen in C (c_kernels/audio/sink.c), on the audio thread's side.
Here: the base class, the paced null sink (a card's pace without a card: benchmarks,
headless runs, tests) and the Tap that keeps what was played.

Input units: mono float32 periods in [-1, 1] from the kernel, to every channel of the card.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from ms20._kernel import ffi, lib
from ms20.audio.pacer import Pacer

__all__ = ["FORMATS", "DeviceUnavailable", "Granted", "NullSink", "Sink", "Tap"]

log = logging.getLogger(__name__)

FORMATS = {"S16_LE": lib.MS20_FORMAT_S16_LE, "S32_LE": lib.MS20_FORMAT_S32_LE}


class DeviceUnavailable(OSError):
    """The sound card is missing or busy at open; the message says which and what to check."""


@dataclass(frozen=True)
class Granted:
    """What the device actually gave us (read back from the driver, not what we asked)."""

    device: str
    rate: int
    period: int
    periods: int
    channels: int
    format: str
    capture: str          # "" when there is no LINE IN
    paced: bool           # True when the system clock, not a card, sets the pace

    @property
    def buffer(self) -> int:
        return self.period * self.periods

    def describe(self) -> str:
        line_in = f", LINE IN from {self.capture}" if self.capture else ", no LINE IN"
        pace = ", paced by the system clock" if self.paced else ""
        return (f"{self.device}: {self.rate} Hz, {self.period} frames x {self.periods} periods "
                f"({self.buffer / self.rate * 1e3:.2f} ms buffer), {self.channels} ch {self.format}{line_in}{pace}")


class Tap:
    """Keeps the mono output as played, in an array the audio thread fills (tests, latency).

    `frames` counts every frame played, also past the array's end. With `ring`, the array
    wraps round and holds the last `seconds` played (the web page's scope and spectrum)."""

    def __init__(self, seconds: float, rate: int, ring: bool = False) -> None:
        self.audio = np.zeros(int(seconds * rate), np.float32)
        self.ring = ring
        self._frames = np.zeros(1, np.int64)   # written by the audio thread

    @property
    def frames(self) -> int:
        return int(self._frames[0])

    @property
    def recorded(self) -> np.ndarray:
        return self.audio[: min(self.frames, len(self.audio))]

    def latest(self, n: int) -> np.ndarray:
        """A copy of the last `n` samples played (fewer before that many were; a linear tap
        that is full gives its last n). A ring's oldest samples may be overwritten while
        they are copied: fine for a scope, not for a measurement."""
        size = len(self.audio)
        end = self.frames
        n = min(n, size, end)
        if not self.ring:
            end = min(end, size)
            return self.audio[end - n:end].copy()
        k = end % size
        return np.concatenate((self.audio[size - (n - k):], self.audio[:k])) if n > k else self.audio[k - n:k].copy()


class Sink:
    """A playback (and optionally capture) device as the audio thread sees it.

    Subclasses say what to open (`_request`) and how to explain a refusal; `open` runs before
    the audio thread starts, may allocate and raises DeviceUnavailable with a message a
    player can act on. The C sink stays allocated after `close` so the pacer's readings
    can still be read."""

    def __init__(self, name: str, rate: int, period: int, periods: int, channels: int, fmt: str,
                 tap: Tap | None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"sample format {fmt!r} is not supported (use {', '.join(FORMATS)})")
        self.name = name
        self.rate, self.period, self.periods = rate, period, periods
        self.channels, self.format = channels, fmt
        self.tap = tap
        self.pacer: Pacer | None = None
        self.handle = None                  # the C ms20_sink, from open

    def _request(self) -> tuple[str | None, str | None, bool]:
        """(playback PCM or None for no card, capture PCM or None, paced by the system clock)."""
        raise NotImplementedError

    def _refused(self, step: int, err: int) -> str:
        return f"cannot open {self.name}: {os.strerror(err)}"

    def _no_line_in(self, capture: str, step: int, err: int, said: str) -> None:
        """Capture was asked for and could not be had (playback works); `said` is alsa-lib's
        reason, bracketed, or empty."""

    def open(self) -> Granted:
        device, capture, paced = self._request()
        keep = [ffi.new("char[]", s.encode()) if s is not None else ffi.NULL for s in (device, capture)]
        cfg = ffi.new("ms20_sink_config *")
        cfg.device, cfg.capture = keep
        cfg.rate, cfg.period, cfg.periods = self.rate, self.period, self.periods
        cfg.channels, cfg.format, cfg.paced = self.channels, FORMATS[self.format], paced
        if self.tap is not None:
            cfg.tap = ffi.from_buffer("float[]", self.tap.audio)
            cfg.tap_len = len(self.tap.audio)
            cfg.tap_frames = ffi.from_buffer("int64_t[]", self.tap._frames)
            cfg.tap_ring = int(self.tap.ring)
        g = ffi.new("ms20_sink_granted *")
        ptr = lib.ms20_sink_open(cfg, g)
        # alsa-lib's own words, which the C sink keeps off stderr (it would print them on every retry)
        alsa = ffi.string(g.alsa_message).decode(errors="replace").strip()
        said = f" [alsa: {alsa}]" if alsa else ""
        if ptr == ffi.NULL:
            raise DeviceUnavailable(self._refused(g.step, g.error) + said)
        self.handle = ffi.gc(ptr, lib.ms20_sink_destroy)
        pacer = lib.ms20_sink_pacer(ptr)
        self.pacer = Pacer(pacer, self.handle) if pacer != ffi.NULL else None
        if capture is not None and not g.capture:
            self._no_line_in(capture, g.capture_step, g.capture_error, said)
        self.rate = int(g.rate)
        return Granted(self.name, int(g.rate), int(g.period), int(g.periods), int(g.channels), self.format,
                       capture if g.capture else "", paced)

    def close(self) -> None:
        """Release the device (the audio thread has stopped)."""
        if self.handle is not None:
            lib.ms20_sink_close(self.handle)


class NullSink(Sink):
    """Discards the audio at the pace of a real card with a `periods`-period buffer; with
    `line_in`, also captures silence at that pace from the first read on, as a full-duplex
    card does (its capture clock then paces the audio thread)."""

    def __init__(self, rate: int = 48000, period: int = 64, periods: int = 3, channels: int = 2,
                 fmt: str = "S16_LE", tap: Tap | None = None, line_in: bool = False) -> None:
        super().__init__("null (paced)", rate, period, periods, channels, fmt, tap)
        self.line_in = line_in

    def _request(self) -> tuple[str | None, str | None, bool]:
        return None, "null" if self.line_in else None, True
