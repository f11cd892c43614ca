"""The audio thread: a C thread in the kernel (c_kernels/audio/audio_rt.c) renders the engine
period by period into the sink, reads LINE IN, recovers underruns with a fade-in and keeps
the counters; it never takes the GIL, so nothing the Python side does can make it late.

This module is its supervisor, a plain Python thread: it opens the sink (retrying a missing
or busy card, explaining why), starts the C thread on it, and reopens the card when the
thread reports it lost. The counters are read from C without a lock.

    audio = AudioThread(engine, AlsaSink("hw:CARD=sndrpihifiberry"))
    audio.start(); ...; audio.xruns, audio.alive(1.0), audio.sample_at(t_ns); audio.stop()
"""

from __future__ import annotations

import logging
import os
import threading
import time

from ms20._kernel import ffi, lib
from ms20.audio.rt import report_realtime
from ms20.audio.sinks import DeviceUnavailable, Granted, Sink
from ms20.model.engine import Engine

log = logging.getLogger(__name__)

STATES = ("starting", "waiting", "running", "stopped", "failed")
POLL_S = 0.02   # how often the supervisor looks at the C thread


def _audio_handle(engine: Engine):
    ptr = lib.ms20_audio_create(engine.handle)
    if ptr == ffi.NULL:
        raise MemoryError("no memory for the audio thread")
    engine_ptr = engine.handle

    def destroy(p, _engine=engine_ptr) -> None:   # holds the engine until the thread is joined
        lib.ms20_audio_destroy(p)

    return ffi.gc(ptr, destroy)


class AudioThread:
    """Runs `engine` into `sink` on a real-time C thread until `stop`."""

    def __init__(self, engine: Engine, sink: Sink, realtime_priority: int = 70, retry_s: float = 2.0) -> None:
        self.engine = engine
        self.sink = sink
        self.realtime_priority = realtime_priority
        self.retry_s = retry_s
        self.state = "starting"
        self.granted: Granted | None = None
        self.error = ""                     # why the card is not open, while waiting
        self.realtime = False
        self._rt = _audio_handle(engine)
        self._beat_ns = time.monotonic_ns()  # the supervisor's heartbeat while waiting for a card
        self._stopping = False
        self._reopen = False                 # close and reopen the sink (its settings changed)
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported_rt: bool | None = None

    # -- counters (written by the C thread only) ---------------------------------------------

    def _counter(self, which: int) -> int:
        return int(lib.ms20_audio_counter(self._rt, which))

    @property
    def periods(self) -> int:
        return self._counter(lib.MS20_AUDIO_PERIODS)

    @property
    def xruns(self) -> int:
        """Playback underruns, each recovered with a fade-in."""
        return self._counter(lib.MS20_AUDIO_XRUNS)

    @property
    def capture_xruns(self) -> int:
        return self._counter(lib.MS20_AUDIO_CAPTURE_XRUNS)

    @property
    def busy_ns(self) -> int:
        """Time spent rendering, summed over all periods."""
        return self._counter(lib.MS20_AUDIO_BUSY_NS)

    @property
    def worst_busy_ns(self) -> int:
        return self._counter(lib.MS20_AUDIO_WORST_BUSY_NS)

    @property
    def heartbeat_ns(self) -> int:
        """When the last period started, or the supervisor last waited for a card."""
        return max(self._counter(lib.MS20_AUDIO_HEARTBEAT_NS), self._beat_ns)

    @property
    def cv_out_v(self) -> tuple[float, float]:
        """CV OUT 1/2 in volts at the end of the last period."""
        return float(lib.ms20_audio_cv_out(self._rt, 0)), float(lib.ms20_audio_cv_out(self._rt, 1))

    def sample_at(self, ns: int) -> int | None:
        """The engine sample time that corresponds to monotonic time `ns` (None: no audio)."""
        sample = ffi.new("int64_t *")
        return int(sample[0]) if lib.ms20_audio_sample_at(self._rt, ns, sample) else None

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

    def reopen(self) -> None:
        """Close the sink after the current period and open it again with its current settings
        (a laptop's capture stream, opened only while LINE IN is patched): a gap of a few periods."""
        self._reopen = True
        self._wake.set()

    def alive(self, stall_s: float) -> bool:
        """True unless the thread died or has not finished a period (or retry) for stall_s."""
        if self.state in ("failed", "stopped"):
            return False
        return time.monotonic_ns() - self.heartbeat_ns < stall_s * 1e9

    def inject_stall(self, seconds: float) -> None:
        """Test hook: the next period sleeps `seconds` after rendering (a stalled render)."""
        lib.ms20_audio_inject_stall(self._rt, int(seconds * 1e9))

    def inject_error(self, errno_: int) -> None:
        """Test hook: the next write fails with `errno_`, as a card that went away (ENODEV)
        or a driver refusing a call (EBADFD) would."""
        lib.ms20_audio_inject_error(self._rt, errno_)

    # -- supervisor ---------------------------------------------------------------------

    def _main(self) -> None:
        try:
            last_error = ""
            while not self._stopping:
                problem = self._open()
                if problem:
                    if problem != last_error:   # say it once, not every retry
                        log.error("audio: %s; retrying every %.1f s", problem, self.retry_s)
                        last_error = problem
                    self.error, self.state = problem, "waiting"
                    self._wait_retry()
                    continue
                last_error, self.error = "", ""
                try:
                    lost = self._run()
                finally:
                    self.sink.close()
                if lost:
                    log.error("audio: %s; reopening", lost)
                    self.state = "waiting"
            self.state = "stopped"
        except Exception:
            log.exception("audio: thread failed")
            self.state = "failed"

    def _open(self) -> str:
        """Open the sink; '' when it is ready, else why not."""
        self._reopen = False    # this open takes the sink's settings as they are now
        try:
            granted = self.sink.open()
        except DeviceUnavailable as exc:
            return str(exc)
        if granted.rate != int(self.engine.sample_rate):
            self.sink.close()
            return (f"sound card {granted.device!r} granted {granted.rate} Hz, the kernel runs at "
                    f"{self.engine.sample_rate:g} Hz: set audio.rate = {granted.rate}")
        self.granted = granted
        log.info("audio: opened %s", granted.describe())
        return ""

    def _run(self) -> str:
        """Run the C thread until stop (returns '') or until the card is lost (returns why)."""
        realtime = ffi.new("int32_t *")
        r = lib.ms20_audio_start(self._rt, self.sink.handle, self.realtime_priority, realtime)
        if r < 0:
            raise OSError(-r, f"cannot start the audio thread: {os.strerror(-r)}")
        self.realtime = bool(realtime[0])
        if self._reported_rt != self.realtime:
            report_realtime(self.realtime_priority, self.realtime, "audio: audio thread (C)")
            self._reported_rt = self.realtime
        self.state = "running"
        while not self._stopping and not self._reopen and lib.ms20_audio_state(self._rt) == lib.MS20_AUDIO_RUNNING:
            self._wake.wait(POLL_S)
            self._wake.clear()
        self._reopen = False
        lib.ms20_audio_stop(self._rt)
        state = lib.ms20_audio_state(self._rt)
        capture = ffi.new("int32_t *")
        err = lib.ms20_audio_error(self._rt, capture)
        what = f"{'capture' if capture[0] else 'playback'} on {self.sink.name!r}"
        if state == lib.MS20_AUDIO_FAILED:
            raise OSError(err, f"{what} refused a call: {os.strerror(err)}")
        return f"{what} failed: {os.strerror(err)}" if state == lib.MS20_AUDIO_LOST else ""

    def _wait_retry(self) -> None:
        """Sleep until the next attempt, beating the heart meanwhile: waiting for a card is
        not a stall (a hung open() would be, and stops the beat)."""
        end = time.monotonic() + self.retry_s
        while not self._stopping:
            self._beat_ns = time.monotonic_ns()
            left = end - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(left, 0.1))
