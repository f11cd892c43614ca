"""A MIDI port for tests: the same PortBackend interface as rtmidi, fed with real MIDI bytes
(running status, sysex, garbage and all) from the test's thread, so the whole path from
bytes to the kernel runs. Plugging and unplugging ports is what a USB keyboard does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from ms20.midi.ports import BackendUnavailable, OnBytes


class FakePort:
    """One plugged-in fake keyboard; `send` delivers bytes as rtmidi's thread would."""

    def __init__(self, backend: FakeMidiBackend, name: str) -> None:
        self.backend = backend
        self.name = name
        self._on_bytes: OnBytes | None = None
        self.opened = 0

    def send(self, data: Sequence[int] | bytes, at_ns: int | None = None) -> bool:
        """Deliver bytes (stamped now, or at_ns); False when nobody has the port open."""
        cb = self._on_bytes
        if cb is None:
            return False
        cb(list(data), time.monotonic_ns() if at_ns is None else at_ns)
        return True

    def note_on(self, note: int, velocity: int = 100, channel: int = 0) -> bool:
        return self.send([0x90 | channel, note, velocity])

    def note_off(self, note: int, channel: int = 0) -> bool:
        return self.send([0x80 | channel, note, 0])

    @property
    def is_open(self) -> bool:
        return self._on_bytes is not None


class _OpenFake:
    def __init__(self, port: FakePort) -> None:
        self.name = port.name
        self._port = port

    def close(self) -> None:
        self._port._on_bytes = None


class FakeMidiBackend:
    """A MIDI system with ports that tests plug and unplug."""

    def __init__(self, available: bool = True) -> None:
        self.available = available          # False: behaves like a box with no sequencer
        self._ports: dict[str, FakePort] = {}
        self._lock = threading.Lock()

    def plug(self, name: str = "Fake Keyboard:Fake Keyboard MIDI 1 20:0") -> FakePort:
        with self._lock:
            port = self._ports.get(name) or FakePort(self, name)
            self._ports[name] = port
            return port

    def unplug(self, name: str) -> None:
        """The cable is pulled: the port vanishes and nothing more arrives from it."""
        with self._lock:
            port = self._ports.pop(name, None)
        if port is not None:
            port._on_bytes = None

    def list_ports(self) -> list[str]:
        if not self.available:
            raise BackendUnavailable("no ALSA sequencer (fake backend switched off)")
        with self._lock:
            return list(self._ports)

    def open(self, name: str, on_bytes: OnBytes) -> _OpenFake:
        with self._lock:
            port = self._ports.get(name)
        if port is None:
            raise OSError(f"MIDI port {name!r} went away")
        port._on_bytes = on_bytes
        port.opened += 1
        return _OpenFake(port)
