"""The guide's five patches, rendered end to end and checked for what a player would hear."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mido
import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from measure import centroid_hz, cents, note_hz
from ms20.commands.render import TimedMessage, note_number, render_patch
from ms20.model.patch import load_patch, parse_patch

RATE = 48000
PATCHES = Path(__file__).resolve().parent.parent / "patches"


def play(name: str, notes: list[tuple[float, float, str]], seconds: float, line_in: np.ndarray | None = None,
         extra: list[TimedMessage] | None = None) -> np.ndarray:
    events = list(extra or [])
    for start, length, note in notes:
        n = note_number(note)
        events.append(TimedMessage(start, mido.Message("note_on", note=n, velocity=100)))
        events.append(TimedMessage(start + length, mido.Message("note_off", note=n)))
    return render_patch(load_patch(PATCHES / name), events, RATE, seconds=seconds, line_in=line_in)


def seg(y: np.ndarray, t0: float, t1: float) -> np.ndarray:
    return y[int(t0 * RATE):int(t1 * RATE)].astype(np.float64)


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / RATE), mag


def dominant(x: np.ndarray, lo: float = 20.0) -> float:
    f, m = spectrum(x)
    m[f < lo] = 0
    k = int(np.argmax(m))
    # parabolic interpolation on the log magnitude for sub-bin accuracy
    a, b, c = np.log(m[k - 1:k + 2] + 1e-30)
    return float(f[k] + 0.5 * (a - c) / (a - 2 * b + c) * (f[1] - f[0]))


def pitch(x: np.ndarray, lo_hz: float = 60.0, hi_hz: float = 1200.0) -> float:
    """The pitch a listener hears: the shortest lag whose autocorrelation is near the best
    (so a loud second harmonic cannot pull it an octave up)."""
    x = x - x.mean()
    spec = np.fft.rfft(x, 2 * len(x))
    acf = np.fft.irfft(spec * np.conj(spec))[: len(x)]
    lags = np.arange(len(acf))
    valid = (lags >= RATE / hi_hz) & (lags <= RATE / lo_hz)
    best = acf[valid].max()
    k = int(np.flatnonzero(valid & (acf >= 0.9 * best))[0])
    while acf[k + 1] > acf[k]:
        k += 1
    a, b, c = acf[k - 1:k + 2]
    return RATE / (k + 0.5 * (a - c) / (a - 2 * b + c))


def band_db(x: np.ndarray, lo: float, hi: float) -> float:
    f, m = spectrum(x)
    return 10 * np.log10(np.sum(m[(f >= lo) & (f < hi)] ** 2) + 1e-30)


def tones(freqs: list[float], note_s: float, gap_s: float, level: float = 0.5) -> np.ndarray:
    """A melody of clean tones with short attacks and gaps, like a played instrument."""
    out = []
    for f in freqs:
        t = np.arange(int(note_s * RATE)) / RATE
        env = np.minimum(1, t / 0.005) * np.exp(-t / (note_s * 2))
        out += [level * env * np.sin(2 * np.pi * f * t), np.zeros(int(gap_s * RATE))]
    return np.concatenate(out).astype(np.float32)


def test_1_internal_voice_swells_open_with_eg1_on_the_filter() -> None:
    y = play("1-internal-voice.toml", [(0.0, 1.5, "A2")], 2.0)
    early, late = centroid_hz(seg(y, 0.01, 0.06)), centroid_hz(seg(y, 0.8, 1.3))
    assert late > 1.5 * early  # EG-1's attack opens the low-pass filter over the note
    assert cents(dominant(seg(y, 0.8, 1.3)), 55.0) == pytest.approx(0, abs=60)  # 16': A1


def test_1_internal_voice_has_a_gentle_vibrato_at_the_mg_rate() -> None:
    # the comment promises a gentle MG vibrato at about 2.4 Hz (Praat as the pitch truth)
    y = play("1-internal-voice.toml", [(0.0, 3.0, "A2")], 3.1)
    t, f = praat_pitch(y, 40.0, 400.0)
    c = 1200 * np.log2(f / 55.0)   # A2 at 16'
    held = c[(t > 0.8) & (t < 2.9)]
    depth = (np.nanpercentile(held, 97) - np.nanpercentile(held, 3)) / 2
    assert 8.0 < depth < 30.0       # heard as vibrato, well inside a quarter tone
    wobble = np.nan_to_num(held - np.nanmean(held))
    spec = np.abs(np.fft.rfft(wobble * np.hanning(len(wobble)), 8 * len(wobble)))
    assert np.fft.rfftfreq(8 * len(wobble), 0.005)[np.argmax(spec)] == pytest.approx(2.4, abs=0.4)


def test_2_external_integration_makes_the_vcos_follow_the_input_melody() -> None:
    melody = [220.0, 261.63, 329.63, 196.0]
    y = play("2-external-integration.toml", [], 4.0, line_in=tones(melody, 0.8, 0.2))
    for i, f in enumerate(melody):
        heard = pitch(seg(y, i * 1.0 + 0.25, i * 1.0 + 0.75))
        assert cents(heard, f) == pytest.approx(0, abs=30), f"note {i}: heard {heard:.1f} Hz for {f} Hz"


def test_2_external_integration_fires_the_envelopes_on_every_input_note() -> None:
    y = play("2-external-integration.toml", [], 4.0, line_in=tones([220.0] * 4, 0.5, 0.5))
    for i in range(4):
        during = np.sqrt(np.mean(seg(y, i + 0.1, i + 0.4) ** 2))
        after = np.sqrt(np.mean(seg(y, i + 0.85, i + 0.98) ** 2))
        assert during > 3 * after  # TRIG OUT -> TRIG IN gates each note; the gap falls quiet


def kick_loop(seconds: float, period: float = 0.5) -> np.ndarray:
    """A synthetic kick drum (pitch-dropping sine) every `period` seconds."""
    out = np.zeros(int(seconds * RATE))
    t = np.arange(int(0.25 * RATE)) / RATE
    phase = 2 * np.pi * (50 * t + (150 - 50) * 0.03 * (1 - np.exp(-t / 0.03)))
    kick = 0.9 * np.exp(-t / 0.08) * np.sin(phase)
    for start in np.arange(0, seconds, period):
        i = int(start * RATE)
        n = min(len(kick), len(out) - i)
        out[i:i + n] += kick[:n]
    return out.astype(np.float32)


def test_3_studio_template_drums_pump_the_filter_over_the_sequenced_voice() -> None:
    y = play("3-studio-template.toml", [(0.0, 3.9, "C2")], 4.0, line_in=kick_loop(4.0))
    # 2-5 kHz holds only the VCO's upper partials (the kick has none there): louder right
    # after each hit than just before the next one, because ENV F opens the cutoff.
    after = [band_db(seg(y, t + 0.03, t + 0.13), 2000, 5000) for t in (1.0, 1.5, 2.0, 2.5, 3.0)]
    before = [band_db(seg(y, t + 0.36, t + 0.46), 2000, 5000) for t in (1.0, 1.5, 2.0, 2.5, 3.0)]
    assert np.mean(after) > np.mean(before) + 6.0


def cc(t: float, control: int, value: int) -> TimedMessage:
    return TimedMessage(t, mido.Message("control_change", control=control, value=value))


def test_4_live_performance_mod_wheel_raises_resonance_and_pedal_sets_level() -> None:
    y = play("4-live-performance.toml", [(0.0, 3.9, "C2")], 4.0,
             extra=[cc(0.0, 1, 0), cc(0.0, 11, 127), cc(1.0, 1, 127), cc(2.0, 11, 64)])
    # resonance: the band around the cutoff (about 450 Hz) stands out once the wheel is up
    def peakiness(x: np.ndarray) -> float:
        return band_db(x, 350, 600) - band_db(x, 60, 8000)

    assert peakiness(seg(y, 1.5, 1.9)) > peakiness(seg(y, 0.5, 0.9)) + 4.0
    # expression pedal: CC 11 = 64 is VOLUME 5.04 on the square taper, 20*log10((5.04/10)^2) = -11.9 dB
    full, half = np.sqrt(np.mean(seg(y, 1.5, 1.9) ** 2)), np.sqrt(np.mean(seg(y, 2.5, 2.9) ** 2))
    assert 20 * np.log10(half / full) == pytest.approx(-11.9, abs=2.0)


def frame_pitches(y: np.ndarray, t0: float, t1: float, step: float = 0.2, lo: float = 30.0) -> list[float]:
    return [dominant(seg(y, t, t + step), lo=lo) for t in np.arange(t0, t1 - step + 1e-9, step)]


def praat_pitch(y: np.ndarray, floor_hz: float, ceiling_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Praat's pitch track (parselmouth) every 5 ms: times (s) and Hz (nan where unvoiced)."""
    parselmouth = pytest.importorskip("parselmouth")
    p = parselmouth.Sound(y.astype(np.float64), sampling_frequency=RATE).to_pitch_ac(
        time_step=0.005, pitch_floor=floor_hz, pitch_ceiling=ceiling_hz)
    f = p.selected_array["frequency"]
    return p.xs(), np.where(f > 0, f, np.nan)


def test_4_live_performance_vibrato_comes_in_after_a_delay_on_a_held_note() -> None:
    # no controller touched: the comment promises nothing for ~0.3 s, then +-25 cents at ~5.3 Hz
    y = play("4-live-performance.toml", [(0.0, 2.5, "C3")], 2.6)
    t, f = praat_pitch(y, 40.0, 400.0)
    c = 1200 * np.log2(f / 65.41)  # C3 at 16'
    early = c[(t > 0.08) & (t < 0.3)]
    late = c[(t > 1.0) & (t < 2.4)]
    assert np.nanmax(early) - np.nanmin(early) < 10.0
    depth = (np.nanpercentile(late, 97) - np.nanpercentile(late, 3)) / 2
    assert depth == pytest.approx(25.0, abs=8.0)
    wobble = np.nan_to_num(late - np.nanmean(late))
    spec = np.abs(np.fft.rfft(wobble * np.hanning(len(wobble)), 8 * len(wobble)))
    rate_hz = np.fft.rfftfreq(8 * len(wobble), 0.005)[np.argmax(spec)]
    assert rate_hz == pytest.approx(5.3, abs=0.5)


def test_4_live_performance_mod_wheel_does_not_move_the_pitch() -> None:
    # the wheel is the resonance's now: with the wheel up the vibrato is still only EG-1's
    y = play("4-live-performance.toml", [(0.0, 0.3, "C3")], 0.4, extra=[cc(0.0, 1, 127)])
    t, f = praat_pitch(y, 40.0, 400.0)
    c = 1200 * np.log2(f[(t > 0.08) & (t < 0.28)])
    assert np.nanmax(c) - np.nanmin(c) < 10.0


def test_5a_esp_feedback_drifts_by_itself_without_pinning_at_the_limiter() -> None:
    y = play("5a-esp-feedback.toml", [(0.0, 7.0, "C3")], 7.5)
    held = seg(y, 1.0, 7.0)
    assert np.sqrt(np.mean(held**2)) > 0.05  # the loop sings by itself
    # the comment: the pitch wanders over some nine semitones (about 135-210 Hz)
    pitches = frame_pitches(y, 1.0, 7.0)
    assert cents(max(pitches), min(pitches)) > 500.0, np.round(pitches)
    assert len({round(12 * np.log2(f / 100.0)) for f in pitches}) >= 5
    # not a square pinned at full scale (it was: crest factor 1.37, peaks at the limiter)
    assert np.max(np.abs(held)) / np.sqrt(np.mean(held**2)) > 1.5
    assert np.max(np.abs(y)) < LIMITER_KNEE


def test_5a_esp_feedback_is_bounded_at_the_extremes() -> None:
    state_knobs = {"ESP SIGNAL LEVEL": 10.0, "LPF PEAK": 10.0, "HPF PEAK": 10.0, "VOLUME": 10.0}
    patch = load_patch(PATCHES / "5a-esp-feedback.toml")
    panel = patch.panel
    for k, v in state_knobs.items():
        panel = panel.with_knob(k, v)
    events = [TimedMessage(0.0, mido.Message("note_on", note=48, velocity=100)),
              TimedMessage(1.5, mido.Message("note_off", note=48))]
    y = render_patch(dataclasses.replace(patch, panel=panel), events, RATE, seconds=3.0)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    assert abs(np.mean(seg(y, 2.0, 2.5))) < 0.01  # no DC held after the loop has been driven hard


FILTER_OSC_NOTES = list(range(46, 62))  # A#2 .. C#4


def filter_oscillator_cents() -> dict[int, float]:
    """Each note from A#2 to C#4 played on 5b: the whistle's pitch against the note, cents."""
    events = []
    for i, n in enumerate(FILTER_OSC_NOTES):
        events.append(TimedMessage(i * 0.4, mido.Message("note_on", note=n, velocity=100)))
        events.append(TimedMessage(i * 0.4 + 0.35, mido.Message("note_off", note=n)))
    y = render_patch(load_patch(PATCHES / "5b-filter-oscillator.toml"), events, RATE,
                     seconds=len(FILTER_OSC_NOTES) * 0.4 + 0.1)
    return {n: cents(dominant(seg(y, i * 0.4 + 0.15, i * 0.4 + 0.35)), note_hz(n))
            for i, n in enumerate(FILTER_OSC_NOTES)}


def test_5b_filter_oscillator_plays_in_tune_from_the_keyboard() -> None:
    errors = filter_oscillator_cents()
    octave = [errors[n] for n in range(48, 61)]  # C3 .. C4: the comment promises +-15 cents
    assert max(abs(e) for e in octave) < 15.0, np.round(octave)
    assert max(abs(e) for e in errors.values()) < 50.0, {n: round(e) for n, e in errors.items()}  # A#2 .. C#4


def onset_click_db(y: np.ndarray, onsets_s: list[float]) -> float:
    """The loudest burst above 6 kHz in the 10 ms after any onset, dB re the output's peak
    (the whistle itself has nothing there: about -120 dB)."""
    hf = sosfilt(butter(4, 6000, "hp", fs=RATE, output="sos"), y.astype(np.float64))
    peak = np.max(np.abs(y))
    return max(20 * np.log10(np.max(np.abs(seg(hf, t, t + 0.01))) / peak) for t in onsets_s)


def test_5b_filter_oscillator_fades_in_without_a_click() -> None:
    notes = [(0.0, 0.3, "C3"), (0.4, 0.3, "E3"), (0.8, 0.3, "G3"), (1.2, 0.3, "C4"), (1.6, 0.3, "G3")]
    y = play("5b-filter-oscillator.toml", notes, 2.2)
    assert onset_click_db(y, [s for s, _, _ in notes[1:]]) < -55.0  # it was -42 dB with EG-2 ATTACK at 1


def test_5b_filter_oscillator_still_follows_the_cutoff_knob() -> None:
    patch = load_patch(PATCHES / "5b-filter-oscillator.toml")
    pitches = []
    for position in (1.28, 2.28):
        p = dataclasses.replace(patch, panel=patch.panel.with_knob("LPF CUTOFF", position))  # keeps [settings]
        y = render_patch(p, [TimedMessage(0.0, mido.Message("note_on", note=60, velocity=100))], RATE, seconds=1.5)
        tone = seg(y, 0.5, 1.5)
        f, m = spectrum(tone)
        assert m.max() > 30 * np.median(m)  # a pitched tone, not noise
        pitches.append(dominant(tone))
    # one knob unit is a factor 1000**0.1 on the exponential cutoff taper
    assert cents(pitches[1] / pitches[0], 1000**0.1) == pytest.approx(0, abs=50)


def test_5c_audio_rate_fm_makes_sidebands_at_the_modulator_spacing() -> None:
    t = np.arange(3 * RATE) / RATE
    sine = (0.5 * np.sin(2 * np.pi * 300.0 * t)).astype(np.float32)
    y = play("5c-audio-rate-fm.toml", [(0.0, 2.9, "A3")], 3.0, line_in=sine)
    f, m = spectrum(seg(y, 0.5, 2.5))

    def level(hz: float) -> float:
        return 20 * np.log10(m[np.argmin(np.abs(f - hz))] + 1e-30)

    carrier = level(220.0)
    for sideband in (520.0, 80.0):  # 220 +- 300 Hz
        assert level(sideband) > carrier - 30.0
    dry = play("5c-audio-rate-fm.toml", [(0.0, 2.9, "A3")], 3.0, line_in=np.zeros_like(sine))
    fd, md = spectrum(seg(dry, 0.5, 2.5))
    # the dry output there is noise (the cutoff's, and what its movement feeds through): its
    # power over +-40 Hz, not one bin, whose level is a random draw of a few dB
    near = np.abs(fd - 520.0) <= 40.0
    assert 10 * np.log10(np.mean(md[near] ** 2)) < level(520.0) - 20.0


def test_5d_cross_modulation_steps_the_pitch_and_stays_bounded() -> None:
    y = play("5d-cross-modulation.toml", [(0.0, 4.0, "C3")], 4.5)
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    frames = [dominant(seg(y, t, t + 0.1), lo=60) for t in np.arange(0.2, 3.8, 0.1)]
    distinct = len({round(12 * np.log2(f / 100.0)) for f in frames})
    assert distinct >= 4  # the S/H's random steps move the pitch around


# -- levels: every shipped patch, played as its comment says -----------------------------

LIMITER_KNEE = 0.8  # the output's soft limiter acts above this (-1.9 dBFS): c_kernels/vca.h


def as_played(name: str) -> tuple[np.ndarray, float]:
    """The patch played as its comment suggests, hot: the output and the last note's end (s).
    LINE IN material peaks at -1 dBFS; controllers go full up."""
    line = [(0.0, 0.4, "C3"), (0.5, 0.4, "E3"), (1.0, 0.4, "G3"), (1.5, 1.0, "C4")]
    t = np.arange(int(3.0 * RATE)) / RATE
    if name == "2-external-integration.toml":
        line_in = tones([220.0, 261.63, 329.63, 196.0], 0.6, 0.1, level=0.89)
        return play(name, [], 4.5, line_in=line_in), len(line_in) / RATE
    if name == "3-studio-template.toml":
        return play(name, [(0.0, 3.0, "C2")], 4.5, line_in=kick_loop(3.0)), 3.0
    if name == "4-live-performance.toml":
        extra = [cc(0.0, 1, 127), cc(0.0, 11, 127)]
        return play(name, [(0.0, 1.5, "C2"), (1.6, 1.4, "C3")], 4.5, extra=extra), 3.0
    if name == "5a-esp-feedback.toml":
        return play(name, [(0.0, 3.0, "C3")], 4.5), 3.0
    if name == "5c-audio-rate-fm.toml":
        sine = (0.89 * np.sin(2 * np.pi * 300.0 * t)).astype(np.float32)
        return play(name, [(0.0, 3.0, "A3")], 4.5, line_in=sine), 3.0
    if name == "5d-cross-modulation.toml":
        return play(name, [(0.0, 3.0, "C3")], 4.5), 3.0
    return play(name, line, 4.5), 2.5


SHIPPED = sorted(p.name for p in PATCHES.glob("*.toml"))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_patch_peaks_below_the_limiter_and_leaves_no_dc(name: str) -> None:
    y, last = as_played(name)
    peak = float(np.max(np.abs(y)))
    assert peak < LIMITER_KNEE, f"peak {20 * np.log10(peak):.2f} dBFS: the limiter acts"  # also <= -1 dBFS
    assert abs(np.mean(seg(y, last + 0.5, last + 1.0))) < 0.01  # DC under 1 % of full scale


def test_2_external_integration_with_the_vintage_fv_glides_into_each_note() -> None:
    # the patch file's [esp] table reaches the kernel through ms20 render: the tachometer
    # F-V lags, so 30-60 ms into a new note the VCOs are still on their way up
    text = (PATCHES / "2-external-integration.toml").read_text() + '\n[esp]\nfv = "vintage"\n'
    patch = parse_patch(text)
    line_in = tones([220.0, 440.0], 0.5, 0.0)
    heard = {}
    for name, p in (("accurate", load_patch(PATCHES / "2-external-integration.toml")), ("vintage", patch)):
        y = render_patch(p, [], RATE, seconds=1.0, line_in=line_in)
        heard[name] = pitch(seg(y, 0.53, 0.56))
    assert abs(cents(heard["accurate"], 440.0)) < 30.0
    assert cents(heard["vintage"], 440.0) < -40.0
