"""A sound card through pyalsaaudio: blocking playback plus, when the card has one, a
capture stream for LINE IN (full duplex in one loop). The hardware parameters are read back
with info() after opening, because a driver may round the period or refuse a rate.

Unclocked PCMs (the null plugin and ALSA's `file` plugin, which would otherwise accept audio
as fast as we render it) are paced by a Pacer so the rest of the firmware runs in real time.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re

import numpy as np

from ms20.audio.pacer import Pacer
from ms20.audio.sinks import XRUN, DeviceLost, DeviceUnavailable, Granted, PcmConverter, Tap

log = logging.getLogger(__name__)


def is_unclocked(device: str) -> bool:
    """PCMs that never block: nothing but the system clock can pace them."""
    return device.split(":")[0] in ("null", "file")


def card_present(device: str, cards: str | None = None) -> bool | None:
    """Whether the card a hw:/plughw: device names is in /proc/asound/cards (None: cannot tell).

    Checked before opening so a missing card is reported without alsa-lib printing its own
    errors to stderr on every retry."""
    kind, _, args = device.partition(":")
    if kind not in ("hw", "plughw") or not args:
        return None
    card = args.split(",")[0]
    card = card.split("=", 1)[1] if card.upper().startswith("CARD=") else card
    if cards is None:
        try:
            with open("/proc/asound/cards") as f:
                cards = f.read()
        except OSError:
            return False   # no ALSA driver at all (no /proc/asound)
    # " 0 [sndrpihifiberry]: HifiberryDacp - snd_rpi_hifiberry_dacplusadc" (ids are padded)
    return any(card in m.groups() for m in re.finditer(r"^\s*(\d+)\s+\[(\S+?)\s*\]", cards, re.MULTILINE))


def explain(device: str, exc: Exception) -> str:
    """A message a player can act on for a failed open."""
    text = str(exc)
    if "No such file" in text or "No such device" in text or "Unknown PCM" in text:
        return (f"no sound card {device!r} ({text}); check that the codec's dtoverlay is in "
                f"config.txt and `aplay -L` lists it, or set audio.device")
    if "busy" in text.lower():
        return (f"sound card {device!r} is busy ({text}): another program (PipeWire, PulseAudio, "
                f"a second ms20) has it open")
    if "Permission" in text:
        return f"no permission to open sound card {device!r} ({text}): is the user in the audio group?"
    return f"cannot open sound card {device!r}: {text}"


class AlsaSink:
    """Playback on `device`, capture for LINE IN on `capture` ("same", "none" or a PCM name)."""

    def __init__(self, device: str, capture: str = "same", rate: int = 48000, period: int = 64,
                 periods: int = 3, channels: int = 2, fmt: str = "S16_LE", paced: str = "auto",
                 tap: Tap | None = None) -> None:
        self.name = device
        self.device = device
        self.capture = capture
        self.rate, self.period, self.periods = rate, period, periods
        self.channels, self.format = channels, fmt
        self.paced = paced == "yes" or (paced == "auto" and is_unclocked(device))
        self.tap = tap
        self.pacer: Pacer | None = None
        self._pcm = None
        self._cap = None
        self._out: PcmConverter | None = None
        self._in: PcmConverter | None = None

    def _open(self, alsaaudio, kind: int, device: str, channels: int):
        return alsaaudio.PCM(kind, device=device, channels=channels, rate=self.rate,
                             format=getattr(alsaaudio, f"PCM_FORMAT_{self.format}"),
                             periodsize=self.period, periods=self.periods)

    def open(self) -> Granted:
        try:
            import alsaaudio
        except ImportError:
            raise DeviceUnavailable("pyalsaaudio is not installed (pip install 'ms20[box]')") from None
        if card_present(self.device) is False:
            raise DeviceUnavailable(explain(self.device, FileNotFoundError("No such file or directory")))
        try:
            pcm = self._open(alsaaudio, alsaaudio.PCM_PLAYBACK, self.device, self.channels)
        except alsaaudio.ALSAAudioError as exc:
            raise DeviceUnavailable(explain(self.device, exc)) from None
        info = pcm.info()
        granted_format = info.get("format_name", self.format)
        if granted_format != self.format or info["channels"] != self.channels:
            pcm.close()
            raise DeviceUnavailable(
                f"sound card {self.device!r} gave {info['channels']} ch {granted_format}, not "
                f"{self.channels} ch {self.format}: set audio.channels / audio.format to what it supports")
        rate, period, periods = int(info["rate"]), int(info["period_size"]), int(info["periods"])
        self._pcm = pcm
        self._out = PcmConverter(self.format, self.channels, period)
        capture_name = self._open_capture(alsaaudio, rate, period)
        if self.paced:
            self.pacer = Pacer(rate, period, periods)
        self.rate = rate
        return Granted(self.device, rate, period, periods, self.channels, self.format, capture_name,
                       self.paced)

    def _open_capture(self, alsaaudio, rate: int, period: int) -> str:
        name = self.device if self.capture == "same" else self.capture
        if self.capture == "none" or (self.capture == "same" and is_unclocked(self.device)):
            return ""   # the null and file plugins have no input worth reading
        try:
            cap = self._open(alsaaudio, alsaaudio.PCM_CAPTURE, name, self.channels)
        except alsaaudio.ALSAAudioError as exc:
            log.warning("audio: no LINE IN capture on %r (%s); LINE IN stays silent "
                        "(set audio.capture = \"none\" to silence this)", name, exc)
            return ""
        info = cap.info()
        if int(info["rate"]) != rate or int(info["period_size"]) != period:
            log.warning("audio: capture on %r granted %s Hz / %s frames, playback %s Hz / %s frames; "
                        "LINE IN disabled", name, info["rate"], info["period_size"], rate, period)
            cap.close()
            return ""
        self._cap = cap
        self._in = PcmConverter(self.format, self.channels, period)
        return name

    def read_rt(self, line_in: np.ndarray) -> int:
        cap = self._cap
        if cap is None:
            return 0
        try:
            n, data = cap.read()   # pyalsaaudio returns a new bytes object: its one allocation
        except Exception as exc:   # ALSAAudioError: the card went away
            raise DeviceLost(f"capture on {self.name!r} failed: {exc}") from None
        if n < 0:
            line_in[:] = 0.0
            return XRUN if n == -errno.EPIPE else n
        assert self._in is not None
        self._in.from_pcm_rt(data, n, line_in)
        return n

    def write_rt(self, out: np.ndarray) -> int:
        assert self._out is not None and self._pcm is not None
        if self.pacer is not None:
            r = self.pacer.write_rt(len(out))
            if r < 0:
                return r
        frames = self._out.to_pcm_rt(out)
        try:
            r = self._pcm.write(frames)
        except Exception as exc:   # ALSAAudioError: ENODEV after an unplug, EIO from the driver
            raise DeviceLost(f"playback on {self.name!r} failed: {exc}") from None
        if r >= 0 and self.tap is not None:
            self.tap.write_rt(out)
        return XRUN if r == -errno.EPIPE else r

    def close(self) -> None:
        for pcm in (self._pcm, self._cap):
            if pcm is not None:
                with contextlib.suppress(Exception):   # a vanished card may refuse to close
                    pcm.close()
        self._pcm = self._cap = None
        if self.pacer is not None:
            self.pacer.stop()
