"""Where MIDI bytes come from: a PortBackend lists input ports and opens one with a callback
that receives raw bytes and their arrival time (monotonic ns). RtMidiBackend reads USB
keyboards through the ALSA sequencer (python-rtmidi); midi/fake.py is the same interface for
tests, fed with real MIDI bytes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

# Raw bytes of one or more messages, and when they arrived (time.monotonic_ns()).
OnBytes = Callable[[Sequence[int], int], None]

SEQUENCER = "/dev/snd/seq"


class BackendUnavailable(OSError):
    """No MIDI system to list ports with (no ALSA sequencer, python-rtmidi missing)."""


class MidiPort(Protocol):
    """An open MIDI input port."""

    name: str

    def close(self) -> None: ...


class PortBackend(Protocol):
    """Lists and opens MIDI input ports. list_ports may raise BackendUnavailable."""

    def list_ports(self) -> list[str]: ...

    def open(self, name: str, on_bytes: OnBytes) -> MidiPort: ...


class _RtMidiPort:
    def __init__(self, name: str, midi_in) -> None:
        self.name = name
        self._in = midi_in

    def close(self) -> None:
        # close_port joins RtMidi's input thread while holding the GIL; if that thread sat in
        # our callback waiting for the GIL they would deadlock. Cancel the callback, let any
        # call in flight finish (sleep releases the GIL), then close.
        self._in.cancel_callback()
        time.sleep(0.005)
        self._in.close_port()
        del self._in


class RtMidiBackend:
    """Every ALSA sequencer input port, through python-rtmidi."""

    def __init__(self, client_name: str = "ms20", sequencer: str = SEQUENCER) -> None:
        self.client_name = client_name
        self.sequencer = sequencer
        self._lister = None

    def _rtmidi(self):
        # Checked first so a box without the sequencer does not make alsa-lib print to stderr
        # on every rescan.
        if not os.path.exists(self.sequencer):
            raise BackendUnavailable(f"no ALSA sequencer ({self.sequencer} missing: is snd-seq loaded?)")
        try:
            import rtmidi
        except ImportError:
            raise BackendUnavailable("python-rtmidi is not installed (pip install 'ms20[box]')") from None
        return rtmidi

    def list_ports(self) -> list[str]:
        rtmidi = self._rtmidi()
        try:
            if self._lister is None:
                self._lister = rtmidi.MidiIn(rtmidi.API_LINUX_ALSA, name=f"{self.client_name} scan")
            return list(self._lister.get_ports())
        except rtmidi.RtMidiError as exc:
            self._lister = None
            raise BackendUnavailable(f"ALSA sequencer: {exc}") from None

    def open(self, name: str, on_bytes: OnBytes) -> MidiPort:
        rtmidi = self._rtmidi()
        try:
            midi_in = rtmidi.MidiIn(rtmidi.API_LINUX_ALSA, name=self.client_name)
            ports = midi_in.get_ports()
            if name not in ports:
                raise OSError(f"MIDI port {name!r} went away")
            # Sysex and clock never reach Python: they cost a callback each. Active Sensing
            # does (one every 300 ms at most): its silence tells a pulled DIN cable.
            midi_in.ignore_types(sysex=True, timing=True, active_sense=False)
            now_ns = time.monotonic_ns
            midi_in.set_callback(lambda event, _data: on_bytes(event[0], now_ns()))
            midi_in.open_port(ports.index(name), name=f"{self.client_name} in")
        except rtmidi.RtMidiError as exc:
            raise OSError(f"cannot open MIDI port {name!r}: {exc}") from None
        return _RtMidiPort(name, midi_in)
