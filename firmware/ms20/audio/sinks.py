"""Where the audio thread's periods go: the Sink interface the audio loop writes to, the
sample-format conversion every sink shares, and two sinks for machines without a sound card:
a paced null sink (discards, or keeps a tap for tests and benchmarks) and a paced WAV file.

Input units: mono float32 periods in [-1, 1] from the kernel; LINE IN back as mono float32.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ms20.audio.pacer import XRUN, Pacer

__all__ = ["XRUN", "DeviceLost", "DeviceUnavailable", "Granted", "NullSink", "PcmConverter", "Sink",
           "Tap", "WavSink"]


class DeviceUnavailable(OSError):
    """The sound card is missing or busy at open; the message says which and what to check."""


class DeviceLost(OSError):
    """The sound card went away while running (unplugged, driver error)."""


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


class Sink(Protocol):
    """A playback (and optionally capture) device as the audio loop sees it.

    `open` runs on the audio thread before the loop and may allocate and log; `read_rt` and
    `write_rt` run once per period and only block on the device."""

    name: str
    pacer: Pacer | None

    def open(self) -> Granted: ...

    def read_rt(self, line_in: np.ndarray) -> int:
        """Fill LINE IN for one period; frames read, 0 without capture, XRUN on overrun."""
        ...

    def write_rt(self, out: np.ndarray) -> int:
        """Play one period; frames written or XRUN (the period was dropped, stream prepared)."""
        ...

    def close(self) -> None: ...


_FORMATS = {
    # name: (dtype, full-scale multiplier that float32 represents exactly)
    "S16_LE": (np.dtype("<i2"), 32767.0),
    "S32_LE": (np.dtype("<i4"), 2147483392.0),
}


class PcmConverter:
    """Mono float32 <-> interleaved integer frames, into buffers made once at open."""

    def __init__(self, fmt: str, channels: int, period: int) -> None:
        if fmt not in _FORMATS:
            raise ValueError(f"sample format {fmt!r} is not supported (use {', '.join(_FORMATS)})")
        self.dtype, self.scale = _FORMATS[fmt]
        self.channels = channels
        self.frames = np.zeros((period, channels), self.dtype)
        self._scratch = np.zeros(period, np.float32)
        self._column = self._scratch[:, None]      # broadcasts the voice to every channel

    def to_pcm_rt(self, mono: np.ndarray) -> np.ndarray:
        s = self._scratch
        np.multiply(mono, self.scale, out=s)
        np.rint(s, out=s)
        np.clip(s, -self.scale, self.scale, out=s)
        np.copyto(self.frames, self._column, casting="unsafe")
        return self.frames

    def from_pcm_rt(self, data: bytes, frames: int, line_in: np.ndarray) -> None:
        """LINE IN is the first (left) channel of the capture stream."""
        n = min(frames, len(line_in))
        ints = np.frombuffer(data, self.dtype, count=n * self.channels)
        np.multiply(ints[:: self.channels], 1.0 / self.scale, out=line_in[:n])
        if n < len(line_in):
            line_in[n:] = 0.0


class Tap:
    """Keeps the mono output in a preallocated array (tests, latency measurement)."""

    def __init__(self, seconds: float, rate: int) -> None:
        self.audio = np.zeros(int(seconds * rate), np.float32)
        self.frames = 0

    def write_rt(self, out: np.ndarray) -> None:
        n = min(len(out), len(self.audio) - self.frames)
        if n > 0:
            self.audio[self.frames:self.frames + n] = out[:n]
        self.frames += len(out)

    @property
    def recorded(self) -> np.ndarray:
        return self.audio[: min(self.frames, len(self.audio))]


class _PacedSink:
    """A sink with no card behind it: the Pacer plays the part of the DAC's clock."""

    def __init__(self, name: str, rate: int, period: int, periods: int, channels: int = 2,
                 fmt: str = "S16_LE", tap: Tap | None = None, line_in: np.ndarray | None = None) -> None:
        self.name = name
        self.rate, self.period, self.periods = rate, period, periods
        self.channels, self.format = channels, fmt
        self.tap = tap
        self.pacer: Pacer | None = None
        self._line_in_source = line_in
        self._line_pos = 0
        self.converter = PcmConverter(fmt, channels, period)

    def open(self) -> Granted:
        self.pacer = Pacer(self.rate, self.period, self.periods)
        return Granted(self.name, self.rate, self.period, self.periods, self.channels, self.format,
                       "test signal" if self._line_in_source is not None else "", True)

    def read_rt(self, line_in: np.ndarray) -> int:
        src = self._line_in_source
        if src is None:
            return 0
        n = len(line_in)
        chunk = src[self._line_pos:self._line_pos + n]
        line_in[: len(chunk)] = chunk
        line_in[len(chunk):] = 0.0
        self._line_pos += n
        return n

    def write_rt(self, out: np.ndarray) -> int:
        assert self.pacer is not None
        r = self.pacer.write_rt(len(out))
        if r < 0:
            return r
        frames = self.converter.to_pcm_rt(out)
        self._emit_rt(frames)
        if self.tap is not None:
            self.tap.write_rt(out)
        return r

    def _emit_rt(self, frames: np.ndarray) -> None:
        pass

    def close(self) -> None:
        if self.pacer is not None:
            self.pacer.stop()


class NullSink(_PacedSink):
    """Discards the audio at the pace of a real card (benchmarks, headless runs)."""

    def __init__(self, rate: int = 48000, period: int = 64, periods: int = 3, channels: int = 2,
                 fmt: str = "S16_LE", tap: Tap | None = None, line_in: np.ndarray | None = None) -> None:
        super().__init__("null (paced)", rate, period, periods, channels, fmt, tap, line_in)


class WavSink(_PacedSink):
    """Writes the audio to a PCM WAV file at the pace of a real card."""

    def __init__(self, path: str | Path, rate: int = 48000, period: int = 64, periods: int = 3,
                 channels: int = 1, fmt: str = "S16_LE", tap: Tap | None = None) -> None:
        super().__init__(f"WAV file {path}", rate, period, periods, channels, fmt, tap)
        self.path = Path(path)
        self._wav: wave.Wave_write | None = None

    def open(self) -> Granted:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            w = wave.open(str(self.path), "wb")  # noqa: SIM115 (stays open until close())
        except OSError as exc:
            raise DeviceUnavailable(f"cannot write {self.path}: {exc.strerror}") from None
        w.setnchannels(self.channels)
        w.setsampwidth(self.converter.dtype.itemsize)
        w.setframerate(self.rate)
        self._wav = w
        return super().open()

    def _emit_rt(self, frames: np.ndarray) -> None:
        if self._wav is not None:
            self._wav.writeframesraw(frames)

    def close(self) -> None:
        super().close()
        if self._wav is not None:
            self._wav.close()   # patches the header's lengths
            self._wav = None
