"""Modules whose outputs reach nothing are left out of the render loop: the audio stays the
same bit for bit, and a module starts again the moment a cable or a knob makes it heard.

The reference is the same engine with skipping turned off (every module runs every sample),
through the kernel's test probe (c_kernels/engine.probe.h).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ms20._kernel import lib

from measure import RATE
from ms20.control.controller import PanelController
from ms20.model.engine import Engine
from ms20.model.patch import parse_patch

ROOT = Path(__file__).resolve().parent.parent
PATCH_FILES = sorted((ROOT / "patches").glob("*.toml")) + [ROOT / "benchmarks" / "heavy.toml",
                                                           ROOT / "benchmarks" / "sweep.toml"]
FIRST_VOICE = (ROOT / "patches" / "first-voice.toml").read_text()
BLOCK = 64
ALL = lib.MS20_SKIP_ESP | lib.MS20_SKIP_MG | lib.MS20_SKIP_VCO2 | lib.MS20_SKIP_UTILITY


def with_cables(text: str, cables: list[tuple[str, str]]) -> str:
    """A patch file's text with `cables` added (the first voice has none)."""
    line = "cables = [" + ", ".join(f'["{a}", "{b}"]' for a, b in cables) + "]\n"
    return line + text


def with_knobs(text: str, knobs: dict[str, float]) -> str:
    """A patch file's text with `knobs` set (replacing the file's own settings of them)."""
    lines = [line for line in text.splitlines() if not any(line.startswith(f'"{k}"') for k in knobs)]
    at = lines.index("[knobs]") + 1
    return "\n".join(lines[:at] + [f'"{k}" = {v}' for k, v in knobs.items()] + lines[at:]) + "\n"


class Rig:
    """An engine playing a patch, with skipping on or off, rendered in blocks with LINE IN."""

    def __init__(self, text: str, skipping: bool, line_in_hz: float | tuple[float, float, float] = 220.0) -> None:
        self.engine = Engine(RATE)
        lib.ms20_probe_set_skipping(self.engine.handle, int(skipping))
        self.controller = PanelController(parse_patch(text).panel)
        self.controller.flush(self.engine, at=0)
        self.line_in_hz = line_in_hz
        self.phase = 0.0

    def line_in(self, n: int) -> np.ndarray:
        """The next n samples of LINE IN: a 0.3 V sine at line_in_hz, phase continuous."""
        t0 = self.engine.time
        if isinstance(self.line_in_hz, tuple):  # (before, after, switch time s): a new note
            before, after, at_s = self.line_in_hz
            hz = np.where(np.arange(t0, t0 + n) < at_s * RATE, before, after)
        else:
            hz = np.full(n, self.line_in_hz)
        phase = self.phase + np.cumsum(hz) / RATE
        self.phase = float(phase[-1])
        return (0.3 * np.sin(2 * np.pi * phase)).astype(np.float32)

    def render(self, seconds: float, watch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Audio, and the value of output jack `watch` at the end of each block."""
        n = int(round(seconds * RATE)) // BLOCK * BLOCK
        out = np.zeros(n, np.float32)
        seen = np.zeros(n // BLOCK)
        for b in range(n // BLOCK):
            self.engine.render_into(out[b * BLOCK:(b + 1) * BLOCK], self.line_in(BLOCK))
            if watch is not None:
                seen[b] = self.engine.jack(watch)
        return out, seen

    def load(self, text: str) -> None:
        self.controller.load(parse_patch(text).panel)
        self.controller.flush(self.engine, at=self.engine.time)

    def turn(self, knob: str, position: float) -> None:
        self.controller.pot_moved(knob, position)
        self.controller.flush(self.engine, at=self.engine.time)

    @property
    def skipped(self) -> int:
        return int(lib.ms20_probe_skipped(self.engine.handle))


def play(text: str, skipping: bool, *, changes: list[tuple[float, str, object]] = ()) -> np.ndarray:
    """A phrase of keys (with a retrigger, a rest and a glide-free jump) on `text`; `changes`
    are (time s, "knob"/"load", argument) applied at block boundaries."""
    rig = Rig(text, skipping)
    keys = [(0.0, 48, True), (0.25, 55, True), (0.5, 55, False), (0.6, 60, True), (0.9, 60, False)]
    todo = sorted([(t, "key", (n, g)) for t, n, g in keys] + list(changes), key=lambda c: c[0])
    audio = []
    now = 0.0
    for t, kind, arg in todo + [(1.2, "end", None)]:
        if t > now:
            audio.append(rig.render(t - now)[0])
            now = rig.engine.time / RATE
        if kind == "key":
            rig.engine.key(arg[0], arg[1], retrigger=arg[1], at=rig.engine.time)
        elif kind == "knob":
            rig.turn(*arg)
        elif kind == "load":
            rig.load(arg)
    return np.concatenate(audio)


@pytest.mark.parametrize("path", PATCH_FILES, ids=lambda p: p.stem)
def test_every_patch_sounds_the_same_bit_for_bit_with_silent_modules_skipped(path: Path) -> None:
    text = path.read_text()
    # Mid-note: a knob that changes nothing heard (MG rate), depth knobs to 0 that silence
    # the MG (where FM was its only way out) and VCO-2, and one that moves the sound (cutoff).
    changes = [(0.3, "knob", ("MG FREQUENCY", 8.0)), (0.4, "knob", ("FM MG/T.EXT", 0.0)),
               (0.45, "knob", ("VCO-2 LEVEL", 0.0)), (0.7, "knob", ("LPF CUTOFF", 6.0))]
    lean, full = play(text, True, changes=changes), play(text, False, changes=changes)
    assert lean.view(np.uint32).tolist() == full.view(np.uint32).tolist()


# One way out for a skippable module each: a cable into an input that reaches the sound, with
# its depth knob up where it has one (and VCO-2 heard where only it reads the input).
ONE_WAY_OUT = [
    ([("MG TRIANGLE OUT", "FREQ")], {"FM EG1/EXT": 5.0}),
    ([("MG TRIANGLE OUT", "HP CUTOFF FREQ")], {"HPF EG2/EXT": 5.0, "HPF CUTOFF": 3.0}),
    ([("MG RECTANGLE OUT", "LP CUTOFF FREQ")], {}),
    ([], {"FM MG/T.EXT": 3.0}),
    ([], {"HPF MG/T.EXT": 5.0, "HPF CUTOFF": 3.0}),
    ([], {"LPF MG/T.EXT": 5.0}),
    ([("PINK NOISE OUT", "EXT SIGNAL")], {}),
    ([("WHITE NOISE OUT", "INITIAL GAIN")], {}),
    ([("MG TRIANGLE OUT", "S/H IN"), ("S/H OUT", "VCO 1+2 CV IN")], {}),
    ([("MVCA OUT", "LP CUTOFF FREQ"), ("MG TRIANGLE OUT", "MVCA IN")], {}),
    ([("ESP TRIG OUT", "TRIG IN")], {}),
    ([("ESP TRIG OUT", "EG-1 TRIG IN"), ("EG-1 OUT", "LP CUTOFF FREQ")], {}),
    ([("ESP F-V CONV OUT", "VCO 2 CV IN")], {"VCO-2 LEVEL": 6.0}),
    ([("WHITE NOISE OUT", "ESP SIGNAL IN"), ("ESP AMP OUT", "EXT SIGNAL")], {}),
    ([("ESP ENV F OUT", "CV OUT 2")], {}),
    ([], {"VCO-2 LEVEL": 6.0}),
]


@pytest.mark.parametrize(("cables", "knobs"), ONE_WAY_OUT, ids=lambda x: str(x))
def test_a_module_with_one_way_to_the_sound_is_heard_as_if_every_module_ran(cables, knobs) -> None:
    text = with_knobs(with_cables(FIRST_VOICE, cables) if cables else FIRST_VOICE, knobs)
    lean, full = Rig(text, True), Rig(text, False)
    for rig in (lean, full):
        rig.engine.key(48, True, at=0)
    (a, _), (b, _) = lean.render(0.4), full.render(0.4)
    assert a.view(np.uint32).tolist() == b.view(np.uint32).tolist()
    cv = [np.zeros(2 * BLOCK, np.float32) for _ in range(2)]
    for rig, buf in zip((lean, full), cv, strict=True):
        rig.engine.render_into(np.zeros(BLOCK, np.float32), rig.line_in(BLOCK), buf)
    assert cv[0].view(np.uint32).tolist() == cv[1].view(np.uint32).tolist()  # CV OUT 1 and 2
    assert lean.skipped != ALL  # something woke


@pytest.mark.parametrize("cables", [
    [("MG RECTANGLE OUT", "LP CUTOFF FREQ")],
    [("OUTPUT", "ESP SIGNAL IN"), ("ESP ENV F OUT", "LP CUTOFF FREQ")],
    [("PINK NOISE OUT", "EXT SIGNAL")],
], ids=lambda c: c[-1][0])
def test_pulling_a_modules_only_cable_mid_note_is_bit_identical_through_the_fade(cables) -> None:
    # The module falls silent once the cable's 5 ms fade has run; until then it is heard.
    patched = with_cables(FIRST_VOICE, cables)
    changes = [(0.3, "load", FIRST_VOICE)]
    lean, full = play(patched, True, changes=changes), play(patched, False, changes=changes)
    assert lean.view(np.uint32).tolist() == full.view(np.uint32).tolist()


def test_the_first_voice_and_the_sweep_skip_every_skippable_module_and_the_heavy_patch_none() -> None:
    # The test above could not fail if nothing were skipped: check that the lean loops ran.
    for name, expected in (("patches/first-voice.toml", ALL), ("benchmarks/sweep.toml", ALL),
                           ("benchmarks/heavy.toml", 0)):
        rig = Rig((ROOT / name).read_text(), True)
        rig.render(0.1)
        assert rig.skipped == expected, name


def test_cables_and_depth_knobs_wake_and_silence_modules_as_they_change() -> None:
    rig = Rig(FIRST_VOICE, True)
    rig.render(0.1)
    assert rig.skipped == ALL
    steps = [
        # an MVCA fed by the MG, its output patched nowhere: still nothing heard
        ("load", with_cables(FIRST_VOICE, [("MG TRIANGLE OUT", "MVCA IN")]), ALL),
        # MVCA OUT into TOTAL, but every MG/T.EXT knob at 0: still nothing heard
        ("load", with_cables(FIRST_VOICE, [("MG TRIANGLE OUT", "MVCA IN"), ("MVCA OUT", "TOTAL")]), ALL),
        # LPF MG/T.EXT up: TOTAL moves the cutoff, so the MVCA and the MG behind it run
        ("knob", ("LPF MG/T.EXT", 3.0), lib.MS20_SKIP_ESP | lib.MS20_SKIP_VCO2),
        # and back to 0: silent again
        ("knob", ("LPF MG/T.EXT", 0.0), ALL),
        # VCO-2 LEVEL up: VCO-2 runs
        ("knob", ("VCO-2 LEVEL", 5.0), ALL & ~lib.MS20_SKIP_VCO2),
        # OUTPUT into the ESP alone feeds it, but its outputs reach nothing (and loading the
        # first voice's panel again puts VCO-2 LEVEL back to 0)
        ("load", with_cables(FIRST_VOICE, [("OUTPUT", "ESP SIGNAL IN")]), ALL),
        # its ENV F OUT into LP CUTOFF FREQ (LPF EG2/EXT is at 3): the ESP runs
        ("load", with_cables(FIRST_VOICE, [("OUTPUT", "ESP SIGNAL IN"), ("ESP ENV F OUT", "LP CUTOFF FREQ")]),
         ALL & ~lib.MS20_SKIP_ESP),
    ]
    for kind, arg, expected in steps:
        if kind == "load":
            rig.load(arg)  # type: ignore[arg-type]
        else:
            rig.turn(*arg)  # type: ignore[misc]
        rig.render(0.1)
        assert rig.skipped == expected, (kind, arg)


def test_a_meter_on_a_skipped_mg_holds_still_and_moves_once_a_knob_makes_it_heard() -> None:
    rig = Rig(FIRST_VOICE, True)
    rig.render(0.1)
    _, held = rig.render(0.2, watch=lib.MS20_OUT_MG_TRI)
    rig.turn("FM MG/T.EXT", 2.0)
    _, moving = rig.render(0.2, watch=lib.MS20_OUT_MG_TRI)
    assert np.ptp(held) == 0.0
    assert np.ptp(moving) > 1.0  # volts: the triangle swings +-2.5 V


def lock_ms(fv_v: np.ndarray, hz: float, since_s: float, start_s: float) -> float:
    """ms from since_s until the F-V (Hz/V, one value per block from start_s) stays within 10
    cents of hz."""
    t = start_s + (np.arange(len(fv_v)) + 1) * BLOCK / RATE
    off = np.abs(1200 * np.log2(fv_v * 261.6255653 / hz)) > 10.0
    last_off = t[np.nonzero(off)[0][-1]] if off.any() else since_s
    return round(1000 * (max(last_off, since_s) - since_s), 6)  # whole blocks: equal counts compare equal


PATCHED_FV = with_cables(FIRST_VOICE, [("ESP F-V CONV OUT", "LP CUTOFF FREQ")])


def running_esp_follows_a_new_note_ms() -> float:
    """How long an ESP that never sleeps takes to follow LINE IN from A3 to E4 (18.7 ms)."""
    ref = Rig(PATCHED_FV, False, line_in_hz=(220.0, 330.0, 0.3))
    ref.render(0.2)
    _, fv = ref.render(0.2, watch=lib.MS20_OUT_ESP_FV)
    return lock_ms(fv, 330.0, 0.3, 0.2)


def test_patching_an_esp_output_mid_note_is_bit_identical_before_and_locks_as_fast_as_on_a_new_note() -> None:
    rigs = [Rig(FIRST_VOICE, skipping) for skipping in (True, False)]
    for rig in rigs:
        rig.engine.key(48, True, at=0)
    before = [rig.render(0.5)[0] for rig in rigs]
    assert before[0].view(np.uint32).tolist() == before[1].view(np.uint32).tolist()
    assert rigs[0].skipped & lib.MS20_SKIP_ESP
    for rig in rigs:
        rig.load(PATCHED_FV)
    fv = [rig.render(0.1, watch=lib.MS20_OUT_ESP_FV)[1] for rig in rigs]
    assert not rigs[0].skipped & lib.MS20_SKIP_ESP
    # The ESP slept from the start: it wakes with a fresh one's F-V (C4) and locks on the
    # 220 Hz it hears: within 10 cents 18.7 ms after the cable.
    assert lock_ms(fv[0], 220.0, 0.5, 0.5) <= running_esp_follows_a_new_note_ms()
    assert np.allclose(fv[0][-20:], fv[1][-20:], rtol=1e-4)  # then the same voltage


def test_a_woken_esp_locks_on_a_new_note_no_slower_than_a_running_one_follows_it() -> None:
    # LINE IN moves from A3 to E4 at 0.3 s while the ESP sleeps; its output is patched at 0.5 s.
    rig = Rig(FIRST_VOICE, True, line_in_hz=(220.0, 330.0, 0.3))
    rig.engine.key(48, True, at=0)
    rig.render(0.5)
    rig.load(PATCHED_FV)
    _, woken = rig.render(0.1, watch=lib.MS20_OUT_ESP_FV)
    # Measured: 14.7 ms (two agreeing estimates of the tracker, the F-V steps to a new
    # note) against 18.7 ms for the running ESP.
    assert lock_ms(woken, 330.0, 0.5, 0.5) <= running_esp_follows_a_new_note_ms()
