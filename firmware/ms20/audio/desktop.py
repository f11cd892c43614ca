"""Audio on a laptop or desktop (`ms20 run --sim` on a machine with a sound card): the
default ALSA device (which reaches PulseAudio or PipeWire), a period long enough that a
desktop's scheduler cannot starve it when real-time priority is not granted, and no capture
stream (no microphone prompt, no second clock) while the patch cannot hear LINE IN. And the
device list `ms20 devices` prints, by the names audio.device and audio.capture accept.

The box itself (a hw: codec with SCHED_FIFO from its systemd unit) is left alone.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass

from ms20.model.jacks import jack_table
from ms20.model.patchbay import Routing

log = logging.getLogger(__name__)

DESKTOP_PERIOD = 512           # 10.7 ms at 48 kHz: a normal-priority thread keeps up on a busy desktop
DESKTOP_PERIODS = 3


@dataclass(frozen=True)
class Pcm:
    """One ALSA PCM as `aplay -L` names it, with its description."""

    name: str
    description: str


@dataclass(frozen=True)
class DesktopAudio:
    """What a desktop run changes in [audio], and why (for the log line)."""

    period: int
    periods: int
    capture: str
    reasons: tuple[str, ...]


def is_desktop_device(device: str) -> bool:
    """A PCM that goes through a sound server or a plugin (default, pulse, pipewire, sysdefault...),
    not a card opened directly (hw:, plughw:) nor a file or the null sink."""
    kind = device.split(":")[0]
    return kind not in ("hw", "plughw", "null", "file")


def realtime_permitted(priority: int) -> bool:
    """Whether this process may ask SCHED_FIFO `priority` (root, or RLIMIT_RTPRIO high enough)."""
    if priority <= 0:
        return False
    if os.geteuid() == 0:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_RTPRIO)
    return soft == resource.RLIM_INFINITY or soft >= priority


def desktop_audio(device: str, period: int, periods: int, capture: str, realtime: bool,
                  line_in_used: bool) -> DesktopAudio | None:
    """The [audio] changes for a desktop device, or None when nothing needs to change."""
    if not is_desktop_device(device):
        return None
    reasons = []
    if not realtime and period * periods < DESKTOP_PERIOD * DESKTOP_PERIODS:
        period, periods = DESKTOP_PERIOD, DESKTOP_PERIODS
        reasons.append("no real-time priority")
    if capture != "none" and not line_in_used:
        capture = "none"
        reasons.append("LINE IN is not patched")
    if not reasons:
        return None
    return DesktopAudio(period, periods, capture, tuple(reasons))


def line_in_used(routing: Routing) -> bool:
    """Whether LINE IN can be heard: a cable leaves it, or the ESP (whose SIGNAL IN reads LINE
    IN through its normal while nothing is plugged into it) has an output patched."""
    table = jack_table()
    if any(out == "LINE IN" for out, _ in routing.cables):
        return True
    esp_in = table.find("ESP SIGNAL IN")
    reads_line_in = routing.route[esp_in.index] < 0 and esp_in.normal == table.find("LINE IN").id
    return reads_line_in and any(out.startswith("ESP ") for out, _ in routing.cables)


class CaptureOnDemand:
    """Keeps a desktop sink's capture stream open only while LINE IN can be heard
    (`line_in_used`): plugging or pulling a cable that changes that reopens the sink with or
    without capture (a gap of a few periods, which the plug's own click covers). `on_tick`
    runs on the control loop."""

    def __init__(self, audio, capture: str) -> None:   # audio: ms20.audio.AudioThread on an AlsaSink
        self.audio = audio
        self.capture = capture if capture != "none" else "same"
        self._routing = None
        self.reopened = 0

    def on_tick(self, box, now: float) -> None:
        routing = box.controller.state.routing
        if routing is self._routing:
            return
        self._routing = routing
        wanted = line_in_used(routing)
        sink = self.audio.sink
        if wanted != (sink.capture != "none"):
            sink.capture = self.capture if wanted else "none"
            log.info("audio: LINE IN %s: reopening %s %s capture", "patched" if wanted else "unpatched",
                     sink.name, "with" if wanted else "without")
            self.reopened += 1
            self.audio.reopen()


def parse_pcm_list(text: str) -> list[Pcm]:
    """`aplay -L` / `arecord -L` output: a name at the line start, its description indented."""
    pcms: list[Pcm] = []
    name, lines = None, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            if name is not None:
                pcms.append(Pcm(name, " / ".join(lines)))
            name, lines = line.strip(), []
        else:
            lines.append(line.strip())
    if name is not None:
        pcms.append(Pcm(name, " / ".join(lines)))
    return pcms


def list_pcms(capture: bool) -> list[Pcm]:
    """The PCMs alsa-lib knows for playback (or capture), via alsa-utils' aplay/arecord -L."""
    tool = shutil.which("arecord" if capture else "aplay")
    if tool is None:
        raise OSError("aplay/arecord not found: apt-get install alsa-utils")
    r = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=10)
    return parse_pcm_list(r.stdout)
