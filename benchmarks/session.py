"""The benchmarked session, shared by run.py and qemu_count.py so both measure the same
thing: a patch loaded at sample 0, C3 held, LINE IN fed a 0.3 V 220 Hz sine, rendered at
48 kHz in 64-sample blocks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ms20.control.controller import PanelController
from ms20.model.engine import Engine
from ms20.model.patch import FILTERS, load_patch

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000
BLOCK = 64
PATCHES = {
    "first voice": ROOT / "patches" / "first-voice.toml",
    "cutoff moving every sample": ROOT / "benchmarks" / "sweep.toml",
    "cutoff moving, OTA filter": ROOT / "benchmarks" / "sweep-ota.toml",
    "heavy (every jack patched)": ROOT / "benchmarks" / "heavy.toml",
}


def playing_engine(patch_path: Path, engine: Engine | None = None) -> tuple[Engine, np.ndarray]:
    """The engine (a new one, or `engine`, e.g. a recorder) with the patch and note queued,
    and the LINE IN block to feed it."""
    engine = Engine(RATE) if engine is None else engine
    patch = load_patch(patch_path)
    if patch.filter is not None:  # the patch's [settings] filter, as the renderer plays it
        engine.set_filter(FILTERS.index(patch.filter), at=0)
    PanelController(patch.panel).flush(engine, at=0)
    engine.key(48, True, at=0)
    line_in = (0.3 * np.sin(2 * np.pi * 220 * np.arange(BLOCK) / RATE)).astype(np.float32)
    return engine, line_in


def render_blocks(engine: Engine, line_in: np.ndarray, samples: int) -> None:
    out = np.zeros(BLOCK, np.float32)
    for _ in range(samples // BLOCK):
        engine.render_into(out, line_in)
