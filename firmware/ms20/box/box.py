"""The running firmware: the board, the panel controller, the audio thread, MIDI and the
control loop, wired together the way plaits.cc wires its drivers and DSP.

Threads and who feeds the kernel. The kernel's event queue has one producer side; every
producer here (MIDI ports, the demo, the control loop) takes `_producer` first, and the
audio thread, the consumer, never takes it. MIDI events are scheduled one period after
their arrival on the audio clock (the audio thread's sample time at the start of its
latest period), so they land sample-accurately with a constant latency. The control loop
scans the board, flushes panel changes to the kernel, feeds the systemd watchdog only while
the audio thread is alive, and logs a status line.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import mido

from ms20.audio import AudioThread, Sink
from ms20.audio.rt import (
    current_policy,
    lock_memory,
    restore_policy,
    set_realtime,
    tune_switch_interval,
    unlock_memory,
)
from ms20.box.config import Config
from ms20.box.systemd import SystemdNotifier
from ms20.control.controller import PanelController
from ms20.memory.channel import ControlServer
from ms20.memory.service import Memory, MemorySettings
from ms20.memory.store import default_directory
from ms20.midi import DEMO_PORT, DemoPlayer, MidiInput, PortBackend
from ms20.midi.note_priority import MonoKeyboard
from ms20.midi.notes import note_name
from ms20.midi.performance import Performance
from ms20.model.engine import Engine, QueueFull
from ms20.model.panel import send
from ms20.model.patch import FILTERS, Patch

log = logging.getLogger(__name__)

# -- the panel as the control loop sees it -------------------------------------------------

class ControlSurface(Protocol):
    """Whatever reads the physical panel: `poll` reads what is due and reports changes to
    the PanelController (pot_moved, switch_moved, cables_changed)."""

    def poll(self, now: float) -> None: ...

    def close(self) -> None: ...


class NullSurface:
    """No panel (board.backend = "none", or the hardware layer is missing)."""

    def poll(self, now: float) -> None:
        pass

    def close(self) -> None:
        pass


class ScannerSurface:
    """The hardware layer's Scanner over a board (real or simulated) as a ControlSurface."""

    XRUN_WINK_S = 0.25   # the status LED goes dark this long after an underrun

    def __init__(self, scanner, board) -> None:
        self.scanner = scanner
        self.board = board
        self._cv_sent = (float("nan"), float("nan"))
        self._wink_until = 0.0
        self.led_pattern: Callable[[float], bool | None] | None = None   # patch memory's blinks

    def poll(self, now: float) -> None:
        self.scanner.poll(now)
        lit = self.led_pattern(now) if self.led_pattern is not None else None
        if lit is not None:
            self.board.led.on() if lit else self.board.led.off()
        if now < self._wink_until:
            self.board.led.off()   # after the scanner set it: dark until the wink ends

    def show_file_problems(self, problems: tuple[str, ...]) -> None:
        """The box fell back from a bad config or patch: the LED blinks fast (Scanner)."""
        self.scanner.file_problems = (*self.scanner.file_problems, *problems)

    def show_xrun(self, now: float) -> None:
        """An underrun happened: wink the status LED (it is otherwise lit, or blinking for a
        patch problem)."""
        self._wink_until = now + self.XRUN_WINK_S

    def write_cv_out(self, v1: float, v2: float) -> None:
        """Kernel volts at CV OUT 1/2 to the DAC, only when they moved (an SPI write each)."""
        old1, old2 = self._cv_sent
        if not (abs(v1 - old1) < 1e-3 and abs(v2 - old2) < 1e-3):
            self._cv_sent = (v1, v2)
            self.scanner.write_cv_outs(v1, v2)

    def close(self) -> None:
        self.board.close()


def cv_convention(config: Config):
    """The [cv] settings as the hardware layer's CvConvention (None without the layer)."""
    try:
        from ms20.control.cv import CvConvention
    except ImportError:
        return None
    c = config.cv
    return CvConvention(c.pitch, c.trigger, c.in_gain, c.in_offset_v, c.out_gain, c.out_offset_v)


# -- the box ----------------------------------------------------------------------------------

class Box:
    """The whole firmware. `start`, then `run` the control loop (blocks), then `stop`."""

    def __init__(
        self,
        config: Config,
        sink: Sink,
        midi_backend: PortBackend,
        patch: Patch | None = None,
        surface: ControlSurface | Callable[[PanelController], ControlSurface] | None = None,
        demo: bool = False,
        notifier: SystemdNotifier | None = None,
        problems: tuple[str, ...] = (),
        control_socket: Path | None = None,
    ) -> None:
        self.config = config
        self.problems = problems          # files the box fell back from (LastGood), for LED and status
        self.patch = patch
        self.engine = Engine(config.audio.rate)
        revision = (patch.filter if patch else None) or config.patch.filter
        self.engine.set_filter(FILTERS.index(revision), at=0)   # a patch's [settings] wins
        self.controller = PanelController(patch.panel if patch else None)
        self._knob_sink = self.controller.knob_sink(self.engine)   # called with _producer held
        self.keyboard = MonoKeyboard(config.midi.priority, config.midi.multi_trigger)
        cc_map = {**config.midi.cc, **(patch.cc_map if patch else {})}
        self.performance = Performance(self.engine, self._knob_sink, cc_map, config.midi.bend_range,
                                       self.keyboard, cc_span=patch.cc_span if patch else None)
        self.audio = AudioThread(self.engine, sink, config.audio.realtime_priority, config.audio.retry_s)
        self.midi = MidiInput(midi_backend, self._on_midi, config.midi.ignore_ports, config.midi.rescan_s)
        if surface is None:
            surface = NullSurface()
        elif not hasattr(surface, "poll"):
            surface = surface(self.controller)
        self.surface: ControlSurface = surface
        show = getattr(surface, "show_file_problems", None)
        if show is not None and problems:
            show(problems)
        self.notifier = notifier or SystemdNotifier()
        p = config.patch
        self.memory = Memory(MemorySettings(Path(p.dir) if p.dir else default_directory(), p.bank, p.channel,
                                            config.recall.cables, config.midi.cc, p.key_slots),
                             self.controller, self.performance, self.keyboard, self._apply_at_once, patch)
        if hasattr(self.surface, "led_pattern"):
            self.surface.led_pattern = self.memory.led
        self.control = ControlServer(control_socket, self.memory.handle) if control_socket else None
        self.demo = DemoPlayer(self._on_midi) if demo else None
        self._producer = threading.Lock()    # the kernel queue's single producer side
        self._stop = threading.Event()
        self._last_at = 0
        self._resync = False                 # a push was refused: resend keys and panel
        self._old_switch = sys.getswitchinterval()
        self._locked = False
        self._saved_policy: tuple[int, int] | None = None
        self._started = False
        # Counters for the status line and tests.
        self.queue_full = 0
        self.midi_events = 0
        self.ticks = 0
        self.worst_tick_s = 0.0
        self.watchdog_fed = 0
        self.watchdog_withheld = 0
        self.exit_code = 0

    # -- producers ------------------------------------------------------------------------

    def _schedule(self, t_ns: int) -> int | None:
        """Sample time for an event that arrived at t_ns: one period after its arrival on the
        audio clock (the render of the next period), never earlier than the last event."""
        sample = self.audio.sample_at(t_ns)
        if sample is None:
            return None   # no audio clock yet: apply when the kernel next renders
        granted = self.audio.granted
        at = sample + (granted.period if granted else self.config.audio.period)
        if at < self._last_at:
            at = self._last_at   # keep queue order = time order (the queue is FIFO)
        self._last_at = at
        return at

    def _on_midi(self, msg: mido.Message, t_ns: int, port: str) -> None:
        with self._producer:
            at = self._schedule(t_ns)
            self.midi_events += 1
            if msg.type == "program_change":
                self.memory.program_change(msg.channel, msg.program)
            elif msg.type == "control_change":
                self.memory.cc_seen(msg.control)
            try:
                vel_knob = self.config.midi.velocity_knob
                if vel_knob and msg.type == "note_on" and msg.velocity > 0:
                    lo, hi = self.config.midi.velocity_range
                    self._knob_sink(vel_knob, lo + (hi - lo) * (msg.velocity - 1) / 126.0, at)
                self.performance.handle(msg, at)
            except QueueFull:
                self.queue_full += 1
                self._resync = True

    def _flush_to_kernel(self) -> None:
        """Control loop: queue panel changes; after a refused push, resend everything."""
        with self._producer:
            try:
                if self._resync:
                    send(self.engine, self.controller.state)
                    kb = self.keyboard
                    self.engine.key(kb.note, kb.gate, False)
                    self._resync = False
                self.controller.flush(self.engine)
            except QueueFull:
                self.queue_full += 1
                self._resync = True

    def _apply_at_once(self) -> None:
        """A recall: every change queued at one sample time, so one block hears all of it."""
        with self._producer:
            at = self._schedule(time.monotonic_ns())
            try:
                self.controller.flush(self.engine, self.engine.time if at is None else at)
            except QueueFull:
                self.queue_full += 1
                self._resync = True

    def _cv_out(self) -> None:
        # CV OUT 1/2 as the kernel left them at the end of the last period, to the board's DAC.
        write = getattr(self.surface, "write_cv_out", None)
        if write is not None:
            write(*self.audio.cv_out_v)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start audio and MIDI; the panel is queued to the kernel before the first period."""
        cfg = self.config.audio
        tune_switch_interval(cfg.switch_interval_ms)
        if cfg.lock_memory:
            self._locked = lock_memory()
        # The audio thread is C and never takes the GIL, but MIDI shares it with this loop: if
        # a thread holding it is starved by another program, a note waits too. So every thread
        # that runs Python here (this one and the MIDI and demo threads it starts, which
        # inherit it) gets SCHED_FIFO, below the audio thread's priority so it never delays a
        # period.
        self._saved_policy = current_policy()
        if 0 < cfg.control_priority < cfg.realtime_priority:
            set_realtime(cfg.control_priority, "box: control loop and MIDI threads")
        elif cfg.control_priority:
            log.warning("box: audio.control_priority %d must be below audio.realtime_priority %d; "
                        "control threads keep normal priority", cfg.control_priority, cfg.realtime_priority)
        try:
            self.surface.poll(time.monotonic())   # the physical panel, before the first period
        except Exception:
            log.exception("board: first scan failed")
        with self._producer:
            self.controller.flush(self.engine, at=0)
            if self.patch:
                self.engine.set_esp(self.patch.esp.fv, self.patch.esp.pitch_triggers, at=0)
        self.audio.start()
        self.midi.start()
        if self.control is not None:
            try:
                self.control.start()
            except OSError as exc:   # the box plays on; only `ms20 save/recall` cannot reach it
                log.error("memory: no control channel on %s (%s)", self.control.path, exc)
                self.control = None
        self._started = True
        name = self.patch.name if self.patch else "panel defaults"
        log.info("box: running %r; MIDI ports: %s", name, ", ".join(self.midi.ports) or "none")
        self.notifier.notify("READY=1\nSTATUS=running")

    def request_stop(self) -> None:
        """Ask the control loop to end (signal handlers call this)."""
        self._stop.set()

    def run(self, duration: float | None = None, on_tick: Callable[[Box, float], None] | None = None) -> int:
        """The control loop, in the calling thread, until request_stop or `duration` seconds.

        Returns the exit code: 0, or 1 if the audio thread failed (so systemd restarts us)."""
        if not self._started:
            self.start()
        interval = 1.0 / self.config.board.scan_hz
        start = time.monotonic()
        end = start + duration if duration is not None else None
        next_tick = start
        status_every = self.config.status.interval_s
        self._next_status = start + status_every if status_every else None
        self._next_feed = start
        self._status_mark = (start, time.process_time(), self.audio.busy_ns)
        self._stalled = False
        self._seen_xruns = self._logged_xruns = self.audio.xruns
        self._logged_xrun_at = float("-inf")
        while not self._stop.is_set():
            now = time.monotonic()
            if end is not None and now >= end:
                break
            if not self.tick(now, on_tick):
                break
            took = time.monotonic() - now
            self.ticks += 1
            if took > self.worst_tick_s:
                self.worst_tick_s = took
            next_tick += interval
            if next_tick < now:
                next_tick = now + interval     # fell behind: skip, do not burst
            self._stop.wait(max(0.0, next_tick - time.monotonic()))
        return self.exit_code

    def tick(self, now: float, on_tick: Callable[[Box, float], None] | None = None) -> bool:
        """One pass of the control loop; False when the audio thread has failed for good."""
        self._scan_panel(now)
        self.memory.tick(now)
        self._flush_to_kernel()
        self._cv_out()
        self._watch_xruns(now)
        if on_tick is not None:
            on_tick(self, now)
        self._demo_check()
        if not self._watch_audio(now):
            return False
        if self._next_status is not None and now >= self._next_status:
            self._log_status(now)
            self._next_status = now + self.config.status.interval_s
        return True

    def _scan_panel(self, now: float) -> None:
        try:
            self.surface.poll(now)
        except Exception:
            log.exception("board: scan failed")

    def _watch_xruns(self, now: float) -> None:
        """Wink the LED at each underrun; log a burst as one line a second, not a flood."""
        xruns = self.audio.xruns
        if xruns == self._seen_xruns:
            return
        show = getattr(self.surface, "show_xrun", None)
        if show is not None:
            show(now)
        if now - self._logged_xrun_at >= 1.0:
            log.warning("audio: %d xrun(s) (%d in all)", xruns - self._logged_xruns, xruns)
            self._logged_xrun_at, self._logged_xruns = now, xruns
        self._seen_xruns = xruns

    def _watch_audio(self, now: float) -> bool:
        """Feed the systemd watchdog only while the audio thread finishes periods (or retries a
        card); False once the thread has failed (exit code 1)."""
        alive = self.audio.alive(self.config.audio.stall_s)
        if alive and now >= self._next_feed and self.notifier.enabled:
            self.notifier.notify("WATCHDOG=1")
            self.watchdog_fed += 1
            self._next_feed = now + (self.notifier.watchdog_s / 4 if self.notifier.watchdog_s else 1.0)
        if alive:
            if self._stalled:
                log.warning("audio: thread is running again")
                self._stalled = False
            return True
        self.watchdog_withheld += 1
        if not self._stalled:
            log.error("audio: thread %s (no period for %.1f s); not feeding the watchdog",
                      self.audio.state, self.config.audio.stall_s)
            self._stalled = True
        if self.audio.state == "failed":
            self.exit_code = 1
            return False
        return True

    def stop(self) -> None:
        """Stop cleanly: demo and keyboards released, audio stopped, the card closed."""
        self.notifier.notify("STOPPING=1")
        if self.demo is not None:
            self.demo.stop()
        if self.control is not None:
            self.control.stop()
        self.memory.close()
        self.midi.stop()
        self.audio.stop()
        try:
            self.surface.close()
        except Exception:
            log.exception("board: close failed")
        sys.setswitchinterval(self._old_switch)
        if self._saved_policy is not None:
            restore_policy(self._saved_policy)
        if self._locked:
            unlock_memory()
            self._locked = False
        self.notifier.close()
        log.info("box: stopped (%s)", self.summary())

    def _demo_check(self) -> None:
        demo = self.demo
        if demo is None:
            return
        keyboards = [p for p in self.midi.ports if p != DEMO_PORT]
        if keyboards and demo.running:
            log.info("demo: a keyboard is here (%s); stopping the demo", keyboards[0])
            demo.stop()
        elif not keyboards and not demo.running and self.audio.state == "running":
            log.info("demo: no keyboard plugged in; playing the demo phrase")
            demo.start()

    # -- status ---------------------------------------------------------------------------

    def summary(self) -> str:
        """One line for logs: audio state, xruns, the note, the patch, MIDI and queue counts."""
        a = self.audio
        kb = self.keyboard
        note = f"{note_name(kb.note)}{' held' if kb.gate else ''}"
        current = self.memory.patch    # the recalled one, after a recall
        patch = current.name if current else "panel defaults"
        state = a.state if a.state != "waiting" else f"waiting ({a.error})"
        fell_back = f" | fell back: {len(self.problems)} bad file(s)" if self.problems else ""
        return (f"audio {state} | xruns {a.xruns} | periods {a.periods} | note {note} | patch {patch} | "
                f"midi {len(self.midi.ports)} port(s), {self.midi_events} events | queue full {self.queue_full}"
                f"{fell_back}")

    def _log_status(self, now: float) -> None:
        t0, cpu0, busy0 = self._status_mark
        cpu1, busy1 = time.process_time(), self.audio.busy_ns
        wall = max(now - t0, 1e-9)
        self._status_mark = (now, cpu1, busy1)
        dsp = (busy1 - busy0) / 1e9 / wall * 100.0
        cpu = (cpu1 - cpu0) / wall * 100.0
        line = f"{self.summary()} | dsp {dsp:.1f}% cpu {cpu:.1f}%"
        log.info("status: %s", line)
        self.notifier.notify(f"STATUS={line}")
