"""Patch memory's cost on the control loop: what a save, a recall, the guide and the memory
tick take, in thread CPU microseconds (wall time for the save, which waits for fsync).

    PYTHONPATH=firmware python benchmarks/bench_memory.py

- save: the whole panel formatted and written atomically (temp file, fsync, rename, fsync of
  the directory) into a temporary patch directory; wall milliseconds, since the disk decides;
- recall: a cached patch file taken by the controller and flushed to the kernel (~40 events);
- guide: the cables compared per input jack, knobs and switches awaiting pickup;
- tick: the memory's share of every control-loop pass with nothing to do (at 500 Hz).
Target: a recall well under one 1.3 ms audio period, the idle tick under 1 % of a core.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench_control import cpu_us
from ms20.control.controller import PanelController
from ms20.memory.service import Memory, MemorySettings
from ms20.midi.note_priority import MonoKeyboard
from ms20.midi.performance import Performance
from ms20.model.engine import Engine
from ms20.model.patchbay import resolve

TICK_HZ = 500.0


def main() -> None:
    logging.disable(logging.INFO)
    engine = Engine(48000)
    ctl = PanelController()
    ctl.cables_changed(resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("EG-1 OUT", "FREQ")]))
    keyboard = MonoKeyboard()
    perf = Performance(engine, ctl.knob_sink(engine), {}, 2.0, keyboard)
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory(MemorySettings(Path(tmp)), ctl, perf, keyboard, lambda: ctl.flush(engine, engine.time))
        walls = []
        for k in range(20):
            t = time.perf_counter()
            memory.save(f"bench {k}")
            walls.append((time.perf_counter() - t) * 1e3)
        names = ["5a-esp-feedback", "first-voice"]
        flip = iter(range(10**9))

        def recall() -> None:
            memory.recall(names[next(flip) % 2])
            engine.render(64)            # the kernel consumes the events, as the audio thread would

        recall_us = cpu_us(recall, 200)
        guide_us = cpu_us(ctl.guide, 2000)
        memory.recall("5a-esp-feedback")
        now = [0.0]

        def tick() -> None:
            now[0] += 1.0 / TICK_HZ
            memory.tick(now[0])

        tick_us = cpu_us(tick, 5000)
    print(f"save (atomic, fsync):     {statistics.median(walls):7.2f} ms wall (median of 20)")
    print(f"recall (cached file):     {recall_us:7.1f} us CPU")
    print(f"guide:                    {guide_us:7.1f} us CPU")
    share = tick_us * TICK_HZ / 1e4
    print(f"memory tick, idle:        {tick_us:7.1f} us CPU = {share:.2f} % of a core at {TICK_HZ:g} Hz")


if __name__ == "__main__":
    main()
