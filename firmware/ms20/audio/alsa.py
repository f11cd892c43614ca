"""A sound card through ALSA: blocking playback plus, when the card has one, a capture
stream for LINE IN (full duplex in one loop). libasound is driven from C by the audio thread
(c_kernels/audio/sink.c); this module names the PCMs and turns refusals into messages.

Unclocked PCMs (the null plugin and ALSA's `file` plugin, which would otherwise accept audio
as fast as we render it) are paced by the system clock so the rest of the firmware runs in
real time.
"""

from __future__ import annotations

import logging
import os
import re

from ms20._kernel import lib
from ms20.audio.sinks import DeviceUnavailable, Granted, Sink, Tap

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


class AlsaSink(Sink):
    """Playback on `device`, capture for LINE IN on `capture` ("same", "none" or a PCM name)."""

    def __init__(self, device: str, capture: str = "same", rate: int = 48000, period: int = 64,
                 periods: int = 3, channels: int = 2, fmt: str = "S16_LE", paced: str = "auto",
                 tap: Tap | None = None) -> None:
        super().__init__(device, rate, period, periods, channels, fmt, tap)
        self.device = device
        self.capture = capture
        self.paced = paced == "yes" or (paced == "auto" and is_unclocked(device))

    def _request(self) -> tuple[str | None, str | None, bool]:
        if self.capture == "none" or (self.capture == "same" and is_unclocked(self.device)):
            capture = None   # the null and file plugins have no input worth reading
        else:
            capture = self.device if self.capture == "same" else self.capture
        return self.device, capture, self.paced

    def open(self) -> Granted:
        if card_present(self.device) is False:
            raise DeviceUnavailable(explain(self.device, FileNotFoundError("No such file or directory")))
        return super().open()

    def _refused(self, step: int, err: int) -> str:
        text = os.strerror(err)
        if step == lib.MS20_SINK_FORMAT:
            return (f"sound card {self.device!r} does not take {self.channels} ch {self.format} ({text}): "
                    f"set audio.channels / audio.format to what it supports")
        if step == lib.MS20_SINK_PARAMS:
            return (f"sound card {self.device!r} refused {self.rate} Hz, {self.period} frames x "
                    f"{self.periods} periods ({text}): try another audio.period or audio.rate")
        return explain(self.device, OSError(text))

    def _no_line_in(self, capture: str, step: int, err: int, said: str) -> None:
        if step == lib.MS20_SINK_MISMATCH:
            log.warning("audio: capture on %r could not match playback's rate and period; LINE IN disabled",
                        capture)
        else:
            log.warning("audio: no LINE IN capture on %r (%s%s); LINE IN stays silent "
                        "(set audio.capture = \"none\" to silence this)", capture, os.strerror(err), said)
