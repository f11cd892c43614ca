"""Hardware in the loop: the real control path (simulated board -> drivers -> scanner ->
controller -> kernel) judged by the audio the kernel renders, as a player would hear it."""

from __future__ import annotations

import numpy as np
import pytest
from ms20._kernel import lib

from measure import band_db
from ms20.model.panel import layout
from ms20.sim.board import MockBoard

SR = 48000


def centroid_hz(x: np.ndarray) -> float:
    """Centroid with each frame's DC kept. measure.centroid_hz removes the mean, and on these
    1024-sample frames under a moving envelope that reads a still cutoff as moving 0.11
    octaves (0.04 with the DC kept), too close to the 0.1 x normal the test allows."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / SR)
    return float((freqs * spectrum).sum() / spectrum.sum())


def centroid_track(x: np.ndarray, frame: int = 1024, hop: int = 240) -> np.ndarray:
    """Spectral centroid every 5 ms: how the brightness moves."""
    return np.array([centroid_hz(x[i:i + frame]) for i in range(0, len(x) - frame, hop)])


def wobble(track: np.ndarray, hop_s: float = 240 / SR) -> tuple[float, float]:
    """(strongest modulation rate in Hz, its depth in octaves peak) of a centroid track."""
    octaves = np.log2(track / np.mean(track))
    spectrum = np.abs(np.fft.rfft((octaves - octaves.mean()) * np.hanning(len(octaves))))
    freqs = np.fft.rfftfreq(len(octaves), hop_s)
    k = int(np.argmax(spectrum[1:])) + 1
    return float(freqs[k]), float(np.percentile(octaves, 95) - np.percentile(octaves, 5)) / 2


def test_turning_the_lpf_cutoff_pot_brightens_the_sound(rig):
    rig.board.turn("LPF CUTOFF", 3.0)
    rig.engine.key(60, True)
    rig.run(0.2)
    dark = rig.run(0.3, audio=True)
    rig.board.turn("LPF CUTOFF", 7.5)
    rig.run(0.05)
    bright = rig.run(0.3, audio=True)
    assert centroid_hz(bright) > 2.0 * centroid_hz(dark)
    assert band_db(bright, 2000, 8000) - band_db(dark, 2000, 8000) > 20.0


def _wobble_rig(rig, mg_hz: float = 8.0):
    mg = layout().knob("MG FREQUENCY")
    position = 10.0 * np.log(mg_hz / mg.lo) / np.log(mg.hi / mg.lo)   # the exp taper, inverted
    rig.board.turn("MG FREQUENCY", position)
    rig.board.turn("LPF CUTOFF", 4.0)
    rig.board.turn("LPF EG2/EXT", 8.0)
    rig.engine.key(60, True)
    rig.run(0.3)
    return mg.value(rig.controller.state.knobs["MG FREQUENCY"])


def test_mg_triangle_into_lp_cutoff_freq_wobbles_the_cutoff_at_the_mg_rate_and_unplugging_restores_it(rig):
    mg_hz = _wobble_rig(rig)
    rate0, depth_before = wobble(centroid_track(rig.run(1.0, audio=True)))

    rig.board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    rig.run(0.1)
    assert rig.engine.route_of(lib.MS20_IN_LP_CUTOFF) == lib.MS20_OUT_MG_TRI
    rate, depth = wobble(centroid_track(rig.run(1.0, audio=True)))
    assert rate == pytest.approx(mg_hz, abs=1.0)
    assert depth > 0.5                                   # at least half an octave each way
    assert depth > 10 * depth_before

    rig.board.unplug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    rig.run(0.1)
    assert rig.engine.route_of(lib.MS20_IN_LP_CUTOFF) == lib.MS20_OUT_EG2_SUSREF   # its normal again
    _, depth_after = wobble(centroid_track(rig.run(1.0, audio=True)))
    assert depth_after < 2 * depth_before + 0.02


def test_a_noisy_resting_pot_changes_nothing_audible(make_rig):
    scanning, frozen = make_rig(MockBoard(seed=5)), make_rig(MockBoard(seed=5))   # noise: +-4 LSB
    for r in (scanning, frozen):
        r.engine.key(60, True)
        r.run(0.1)
    frozen.scanning = False                              # its panel never changes again
    events = scanning.engine.params
    a = scanning.run(1.0, audio=True)
    b = frozen.run(1.0, audio=True)
    assert scanning.engine.params == events              # 200 scans of 39 noisy channels: no event
    assert np.array_equal(a, b)                          # sample for sample the same sound


def test_a_bouncing_cable_goes_to_the_kernel_as_one_patch_within_50_ms(make_rig):
    r = make_rig(MockBoard(seed=6, bounce_s=0.009))
    r.engine.key(60, True)
    r.run(0.1)
    patches = r.engine.patches
    r.board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
    t0 = r.board.now()
    took = r.until(lambda: r.engine.route_of(lib.MS20_IN_LP_CUTOFF) == lib.MS20_OUT_MG_TRI, limit_s=0.1)
    r.run(0.3, audio=True)
    assert took <= 0.050, f"{(r.board.now() - t0) * 1000:.0f} ms"
    assert r.engine.patches - patches == 1


def test_a_knob_moved_by_midi_keeps_its_sound_until_the_pot_comes_through_it(rig):
    rig.board.turn("LPF CUTOFF", 7.5)
    rig.engine.key(60, True)
    rig.run(0.1)
    rig.controller.midi_knob("LPF CUTOFF", 2.0)
    rig.run(0.1)
    dark = centroid_hz(rig.run(0.3, audio=True))          # the pot still rests at 7.5
    rig.board.turn("LPF CUTOFF", 6.0)                      # moved, but not through 2.0
    rig.run(0.05)
    still_dark = centroid_hz(rig.run(0.3, audio=True))
    assert still_dark == pytest.approx(dark, rel=0.05)
    rig.board.turn("LPF CUTOFF", 1.5)                      # through 2.0 ...
    rig.run(0.01)
    rig.board.turn("LPF CUTOFF", 7.5)                      # ... and back up: the pot owns the knob
    rig.run(0.05)
    assert centroid_hz(rig.run(0.3, audio=True)) > 2.0 * dark


def test_a_dangling_cable_in_lp_cutoff_freq_breaks_the_eg2_normal_and_pulling_it_restores_it(rig):
    """The MS-20 player's trick: a cable that leads nowhere switches a normal off."""
    rig.board.turn("LPF CUTOFF", 3.0)
    rig.board.turn("LPF EG2/EXT", 9.0)
    rig.board.turn("EG-2 SUSTAIN", 2.0)
    rig.run(0.3)                                       # the pots reach the kernel

    def sweep() -> float:
        """How far the brightness moves over a note's attack and decay (octaves)."""
        rig.engine.key(60, True)
        track = centroid_track(rig.run(0.5, audio=True))
        rig.engine.key(60, False)
        rig.run(1.5)                                   # EG-2 released all the way
        return float(np.log2(track.max() / track.min()))

    normal = sweep()
    rig.board.plug("LP CUTOFF FREQ")                   # the other end hangs free
    rig.run(0.6)                                       # the cutoff's jump thumps (CV feedthrough): let it die
    assert rig.engine.route_of(lib.MS20_IN_LP_CUTOFF) == lib.MS20_OUT_ZERO
    assert not rig.controller.state.routing.problems   # deliberate, not a fault
    broken = sweep()
    rig.board.unplug("LP CUTOFF FREQ")
    rig.run(0.1)
    assert rig.engine.route_of(lib.MS20_IN_LP_CUTOFF) == lib.MS20_OUT_EG2_SUSREF
    assert normal > 0.5                                # the envelope sweeps the filter (0.86 oct)
    assert broken < 0.1 * normal                       # (0.04 oct)
    assert sweep() == pytest.approx(normal, rel=0.2)
