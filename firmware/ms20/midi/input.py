"""MIDI input for the box: opens every input port a PortBackend lists, finds keyboards that
are plugged in (or back) by rescanning, and hands each parsed message with its arrival time
to one handler.

It remembers, per port, which notes are down, the sustain pedal and the bend, so that a
keyboard pulled out mid-note releases its notes instead of leaving one stuck. A port that
has sent Active Sensing (0xFE) and then nothing for ACTIVE_SENSING_TIMEOUT_S (the MIDI
spec's 300 ms) has lost its cable (a DIN interface stays plugged in): its notes are released
the same way. No MIDI system
at all (no /dev/snd/seq) is a warning; the box keeps running and looks again now and then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import mido

from ms20.midi.parse import MidiByteParser
from ms20.midi.ports import BackendUnavailable, MidiPort, PortBackend

log = logging.getLogger(__name__)

# (message, arrival time in monotonic ns, port name)
Handler = Callable[[mido.Message, int, str], None]

SUSTAIN_CC = 64
ALL_OFF_CCS = (120, 123)
ACTIVE_SENSING = 0xFE
ACTIVE_SENSING_TIMEOUT_S = 0.3
SENSING_CHECK_S = 0.05       # how often silent ports are looked for


@dataclass
class _Port:
    name: str
    parser: MidiByteParser = field(default_factory=MidiByteParser)
    handle: MidiPort | None = None
    held: set[int] = field(default_factory=set)       # (channel << 7) | note
    sustain: set[int] = field(default_factory=set)    # channels with the pedal down
    bent: set[int] = field(default_factory=set)       # channels with the wheel off centre
    closed: bool = False
    sensing: bool = False         # Active Sensing seen: silence now means a pulled cable
    last_ns: int = 0              # arrival of its last byte

    def track(self, msg: mido.Message) -> None:
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            self.held.add(msg.channel << 7 | msg.note)
        elif kind in ("note_on", "note_off"):
            self.held.discard(msg.channel << 7 | msg.note)
        elif kind == "control_change":
            if msg.control == SUSTAIN_CC:
                (self.sustain.add if msg.value >= 64 else self.sustain.discard)(msg.channel)
            elif msg.control in ALL_OFF_CCS:
                self.held = {k for k in self.held if k >> 7 != msg.channel}
        elif kind == "pitchwheel":
            (self.bent.add if msg.pitch else self.bent.discard)(msg.channel)

    def releases(self) -> list[mido.Message]:
        """What the port would have sent had it been unplugged politely."""
        out = [mido.Message("note_off", channel=k >> 7, note=k & 0x7F) for k in sorted(self.held)]
        out += [mido.Message("control_change", channel=c, control=SUSTAIN_CC, value=0) for c in sorted(self.sustain)]
        out += [mido.Message("pitchwheel", channel=c, pitch=0) for c in sorted(self.bent)]
        self.held.clear()
        self.sustain.clear()
        self.bent.clear()
        return out


class MidiInput:
    """Every MIDI input port of `backend`, kept open across unplugs, feeding `handler`."""

    def __init__(self, backend: PortBackend, handler: Handler, ignore: Iterable[str] = ("Midi Through",),
                 rescan_s: float = 0.5, unavailable_retry_s: float = 10.0) -> None:
        self.backend = backend
        self.handler = handler
        self.ignore = tuple(ignore)
        self.rescan_s = rescan_s
        self.unavailable_retry_s = unavailable_retry_s
        self.available: bool | None = None        # None until the first scan
        self.messages = 0
        self.handler_errors = 0
        self._ports: dict[str, _Port] = {}
        self._lock = threading.Lock()             # port state and handler calls, in arrival order
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_try = 0.0
        self._last_error = ""

    @property
    def ports(self) -> list[str]:
        """Names of the ports open now."""
        with self._lock:
            return sorted(self._ports)

    def stats(self) -> dict[str, int]:
        with self._lock:
            ports = list(self._ports.values())
        return {"messages": self.messages, "handler_errors": self.handler_errors,
                "sysex_bytes": sum(p.parser.sysex_bytes for p in ports),
                "dropped_bytes": sum(p.parser.dropped for p in ports)}

    # -- hot-plug -------------------------------------------------------------------------

    def rescan(self) -> None:
        """Open ports that appeared, close (and release the notes of) ports that went away."""
        now = time.monotonic()
        if self.available is False and now < self._next_try:
            return
        try:
            names = [n for n in self.backend.list_ports() if not any(i in n for i in self.ignore)]
        except BackendUnavailable as exc:
            if str(exc) != self._last_error:
                log.warning("midi: %s; MIDI input is off, the firmware keeps running (looking again "
                            "every %.0f s)", exc, self.unavailable_retry_s)
                self._last_error = str(exc)
            self.available = False
            self._next_try = now + self.unavailable_retry_s
            self._drop_all()
            return
        if self.available is False:
            log.info("midi: MIDI system is back")
        self.available, self._last_error = True, ""
        with self._lock:
            gone = [p for name, p in self._ports.items() if name not in names]
            new = [n for n in names if n not in self._ports]
        for port in gone:
            self._remove(port, "unplugged")
        for name in new:
            self._add(name)

    def _add(self, name: str) -> None:
        port = _Port(name)

        def on_bytes(data, t_ns: int, _port: _Port = port) -> None:
            self._on_bytes(_port, data, t_ns)

        with self._lock:
            self._ports[name] = port
        try:
            port.handle = self.backend.open(name, on_bytes)
        except OSError as exc:
            with self._lock:
                self._ports.pop(name, None)
            log.debug("midi: %s (will look again)", exc)
            return
        log.info("midi: opened %r", name)

    def _remove(self, port: _Port, why: str) -> None:
        with self._lock:
            self._ports.pop(port.name, None)
            port.closed = True
            releases = port.releases()
            self._dispatch(releases, time.monotonic_ns(), port.name)
        if releases:
            log.info("midi: %r %s; released %d held notes/controls", port.name, why, len(releases))
        else:
            log.info("midi: %r %s", port.name, why)
        if port.handle is not None:
            try:
                port.handle.close()   # outside the lock: the port's thread may be in on_bytes
            except Exception as exc:  # a vanished device may refuse to close cleanly
                log.debug("midi: closing %r: %s", port.name, exc)

    def _drop_all(self) -> None:
        with self._lock:
            ports = list(self._ports.values())
        for port in ports:
            self._remove(port, "closed")

    # -- the ports' threads ---------------------------------------------------------------

    def _on_bytes(self, port: _Port, data, t_ns: int) -> None:
        with self._lock:
            if port.closed:
                return            # bytes that raced with an unplug: its notes are released
            port.last_ns = t_ns
            if ACTIVE_SENSING in data:
                port.sensing = True
            msgs = port.parser.feed(data)
            for msg in msgs:
                port.track(msg)
            self._dispatch(msgs, t_ns, port.name)

    def _dispatch(self, msgs: list[mido.Message], t_ns: int, name: str) -> None:
        for msg in msgs:
            self.messages += 1
            try:
                self.handler(msg, t_ns, name)
            except Exception:
                # A bad message must not kill the port's thread; say it once in a while.
                self.handler_errors += 1
                if self.handler_errors in (1, 10, 100, 1000) or self.handler_errors % 10000 == 0:
                    log.exception("midi: handling %s from %r failed (%d so far)", msg, name,
                                  self.handler_errors)

    # -- thread -----------------------------------------------------------------------------

    def start(self) -> None:
        """Scan now, then every rescan_s on a background thread."""
        self.rescan()
        self._thread = threading.Thread(target=self._run, name="ms20-midi-scan", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_scan = time.monotonic() + self.rescan_s
        while not self._stop.wait(min(SENSING_CHECK_S, self.rescan_s)):
            try:
                self.check_sensing(time.monotonic_ns())
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + self.rescan_s
                    self.rescan()
            except Exception:
                log.exception("midi: rescan failed")

    def check_sensing(self, now_ns: int) -> None:
        """Release the notes of every port whose Active Sensing stopped (a pulled DIN cable);
        the port stays open and plays again when bytes come back."""
        limit = int(ACTIVE_SENSING_TIMEOUT_S * 1e9)
        with self._lock:
            silent = [p for p in self._ports.values() if p.sensing and now_ns - p.last_ns > limit]
            for port in silent:
                port.sensing = False
                releases = port.releases()
                self._dispatch(releases, now_ns, port.name)
                log.warning("midi: %r went silent (Active Sensing stopped: a cable pulled?); released %d "
                            "held notes/controls", port.name, len(releases))

    def stop(self) -> None:
        """Stop scanning and close every port (held notes are released)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        self._drop_all()
