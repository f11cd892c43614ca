"""The audio thread: one period at a time, read LINE IN, render through the kernel (which
releases the GIL), write to the sink. Everything it touches per period is allocated in
`_prepare`, before the loop, in the Bela manner (setup may allocate and fail; render only
renders). An underrun is counted and recovered once, without a click storm: the dropped
period is replayed after a re-primed buffer of silence, faded in over one period.

Counters are plain attributes written only by this thread and read by the control loop
(status line, watchdog); the control side never takes a lock the audio side waits on.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from ms20.audio.clock import SampleClock
from ms20.audio.rt import set_realtime
from ms20.audio.sinks import DeviceLost, DeviceUnavailable, Granted, Sink
from ms20.engine import Engine

log = logging.getLogger(__name__)

STATES = ("starting", "waiting", "running", "stopped", "failed")
WARM_UP_PERIODS = 16    # rendered and thrown away before the first period reaches the card


class AudioThread:
    """Runs `engine` into `sink` on its own (real-time) thread until `stop`."""

    def __init__(self, engine: Engine, sink: Sink, clock: SampleClock | None = None,
                 realtime_priority: int = 70, retry_s: float = 2.0) -> None:
        self.engine = engine
        self.sink = sink
        self.clock = clock or SampleClock(int(engine.sample_rate))
        self.realtime_priority = realtime_priority
        self.retry_s = retry_s
        self.state = "starting"
        self.granted: Granted | None = None
        self.error = ""                     # why the card is not open, while waiting
        self.realtime = False
        # Counters: written by the audio thread only.
        self.periods = 0
        self.xruns = 0
        self.capture_xruns = 0
        self.busy_ns = 0                    # time spent rendering, summed
        self.worst_busy_ns = 0
        self.heartbeat_ns = time.monotonic_ns()
        self.cv_out_v = np.zeros(2, np.float32)   # CV OUT 1/2 at the end of the last period
        self._stopping = False
        self._wake = threading.Event()
        self._stall_s = 0.0
        self._thread: threading.Thread | None = None
        self._bufs: tuple[np.ndarray, ...] = ()

    # -- control side -------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="ms20-audio", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("audio: thread did not stop within %.1f s", timeout)

    def alive(self, stall_s: float) -> bool:
        """True unless the thread died or has not finished a period (or retry) for stall_s."""
        if self.state in ("failed", "stopped"):
            return False
        return time.monotonic_ns() - self.heartbeat_ns < stall_s * 1e9

    def inject_stall(self, seconds: float) -> None:
        """Test hook: the next period sleeps `seconds` after rendering (a stalled render)."""
        self._stall_s = seconds

    # -- audio thread ---------------------------------------------------------------------

    def _main(self) -> None:
        self.realtime = set_realtime(self.realtime_priority)
        last_error = ""
        try:
            while not self._stopping:
                try:
                    granted = self.sink.open()
                except DeviceUnavailable as exc:
                    self.error = str(exc)
                    if self.error != last_error:   # say it once, not every retry
                        log.error("audio: %s; retrying every %.1f s", exc, self.retry_s)
                        last_error = self.error
                    self.state = "waiting"
                    self._wait_retry()
                    continue
                if granted.rate != int(self.engine.sample_rate):
                    self.sink.close()
                    self.error = (f"sound card {granted.device!r} granted {granted.rate} Hz, the kernel runs at "
                                  f"{self.engine.sample_rate:g} Hz: set audio.rate = {granted.rate}")
                    if self.error != last_error:
                        log.error("audio: %s; retrying every %.1f s", self.error, self.retry_s)
                        last_error = self.error
                    self.state = "waiting"
                    self._wait_retry()
                    continue
                last_error, self.error = "", ""
                self.granted = granted
                log.info("audio: opened %s", granted.describe())
                self._prepare(granted)
                self.state = "running"
                try:
                    self._loop_rt(granted)
                except DeviceLost as exc:
                    log.error("audio: %s; reopening", exc)
                    self.state = "waiting"
                finally:
                    self.clock.invalidate()
                    self.sink.close()
            self.state = "stopped"
        except Exception:
            log.exception("audio: thread failed")
            self.state = "failed"

    def _wait_retry(self) -> None:
        """Sleep until the next attempt, beating the heart meanwhile: waiting for a card is
        not a stall (a hung open() would be, and stops the beat)."""
        end = time.monotonic() + self.retry_s
        while not self._stopping:
            self.heartbeat_ns = time.monotonic_ns()
            left = end - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(left, 0.1))

    def _prepare(self, granted: Granted) -> None:
        n = granted.period
        out = np.zeros(n, np.float32)
        line_in = np.zeros(n, np.float32)
        cv = np.zeros(2 * n, np.float32)
        silence = np.zeros(n, np.float32)
        fade_in = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
        self._bufs = (out, line_in, cv, silence, fade_in)
        self.clock.set_rate(granted.rate)
        # Warm up before the card starts: the first renders pay for first-touch page faults and
        # the queued panel, which would otherwise land in the first real periods as underruns.
        for _ in range(WARM_UP_PERIODS):
            self.engine.render_into(out, line_in, cv)

    def _prime_rt(self, silence: np.ndarray, periods: int) -> None:
        """Queue `periods` periods of silence so the next one has a full buffer behind it."""
        for _ in range(periods):
            if self.sink.write_rt(silence) < 0:
                self.xruns += 1

    def _loop_rt(self, granted: Granted) -> None:
        out, line_in, cv, silence, fade_in = self._bufs
        engine, sink, clock = self.engine, self.sink, self.clock
        render, read, write = engine.render_into, sink.read_rt, sink.write_rt
        now_ns = time.monotonic_ns
        lin = line_in if granted.capture else None
        cv_out = self.cv_out_v
        self._prime_rt(silence, granted.periods - 1)
        while not self._stopping:
            if lin is not None and read(line_in) < 0:
                self.capture_xruns += 1          # line_in was zeroed: one silent period of LINE IN
            t = now_ns()
            clock.publish_rt(engine.time, t)
            render(out, lin, cv)
            cv_out[0] = cv[-2]
            cv_out[1] = cv[-1]
            if self._stall_s:
                time.sleep(self._stall_s)
                self._stall_s = 0.0
            busy = now_ns() - t
            self.busy_ns += busy
            if busy > self.worst_busy_ns:
                self.worst_busy_ns = busy
            if write(out) < 0:
                # Underrun: the card played silence and this period was dropped. Re-prime the
                # buffer, then replay the period faded in: one soft gap, not a run of clicks.
                self.xruns += 1
                self._prime_rt(silence, granted.periods - 1)
                np.multiply(out, fade_in, out=out)
                if write(out) < 0:
                    self.xruns += 1
            self.periods += 1
            self.heartbeat_ns = t
