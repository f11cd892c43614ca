"""The ESP F-V converter's figures on real recordings (tests/recordings.py), in cents and ms.

Shared by tests/dsp/test_esp_recordings.py and by hand: `python tests/dsp/esp_figures.py`
prints every figure the issue asks for (run from the repository with the venv's python).

Definitions:
- error: 1200 log2(F-V Hz / Praat's Hz), Praat's track delayed by LATENCY_S (the F-V's
  window centre plus its glide: a fixed latency a player does not hear as pitch);
- voiced time: where Praat hears voicing, from ACQUIRE_S after each voiced run starts and
  after each note change (the settling time the issue allows; judged on its own);
- a note's onset: for plucked notes the first sample at 10 % of the note's peak (the
  SoundFont's samples start 15-20 ms after the key), for legato notes the bend;
- a blip: a run of voiced samples with |error| > 300 cents, its length in ms;
- for instrument lines, samples where Praat itself strays more than a semitone from the
  note played (its own octave slips in a note's release) are left out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from recordings import CHOIR_AAHS, SPOKEN, TestSignal, bass_line, speech, sung_line  # noqa: E402
from signals import C4_HZ, cents  # noqa: E402

RATE = 48000
LATENCY_S = 0.010
ACQUIRE_S = 0.050
SUNG = ((57, 0.8), (60, 0.8), (64, 0.6), (62, 0.7), (55, 0.9), (59, 0.6), (67, 0.8), (72, 0.9))
SUNG_HIGH = ((76, 0.7), (79, 0.7), (84, 0.7), (81, 0.7), (88, 0.8), (86, 0.7), (91, 0.8))
BASS = ((28, 0.7), (33, 0.6), (31, 0.6), (36, 0.6), (38, 0.5), (40, 0.5), (35, 0.6), (28, 0.8))


def fv_probe(x: np.ndarray, fs: float = RATE, threshold_v: float = 0.05, options: dict | None = None
             ) -> dict[str, np.ndarray]:
    """One fresh ESP at unity gain, band wide open: F-V (Hz) and TRIG OUT per sample."""
    from test_esp import esp

    out = esp(x, fs=fs, threshold_v=threshold_v, **(options or {}))
    return {"hz": out["fv"].astype(np.float64) * C4_HZ, "trig": out["trig"]}


def _delayed(f: np.ndarray, fs: float) -> np.ndarray:
    lag = int(round(LATENCY_S * fs))
    return np.concatenate([np.zeros(lag), f[:len(f) - lag]])


def _judged(sig: TestSignal, played: bool) -> np.ndarray:
    """Voiced samples to judge: Praat voiced, past ACQUIRE_S in its run, agreeing with the note."""
    truth = sig.f0_hz
    v = truth > 0
    mask = v.copy()
    starts = np.nonzero(np.diff(np.concatenate([[0], v.astype(int)])) == 1)[0]
    for a in starts:
        mask[a:a + int(ACQUIRE_S * sig.fs_hz)] = False
    if played:
        for n in sig.notes:
            a = onset(sig, n)
            mask[a:a + int(ACQUIRE_S * sig.fs_hz)] = False
        nominal = np.zeros(len(truth))
        for n in sig.notes:
            nominal[sig.index(n.start_s):sig.index(n.end_s)] = n.f0_hz
        with np.errstate(invalid="ignore"):
            mask &= np.abs(cents(truth, nominal)) < 100
    return mask


def onset(sig: TestSignal, note) -> int:  # noqa: ANN001 (signals.Note)
    """Sample index where the note is first heard: 10 % of its peak."""
    i0, i1 = sig.index(note.start_s), sig.index(note.end_s)
    x = np.abs(sig.samples[i0:i1])
    return i0 + int(np.argmax(x >= 0.1 * x.max()))


def error_cents(sig: TestSignal, hz: np.ndarray) -> np.ndarray:
    return cents(hz, _delayed(sig.f0_hz, sig.fs_hz))


def blips_ms(sig: TestSignal, hz: np.ndarray, played: bool) -> list[float]:
    """Lengths (ms) of the runs of judged samples more than 300 cents off."""
    mask = _judged(sig, played) & _delayed(sig.f0_hz > 0, sig.fs_hz).astype(bool)
    err = error_cents(sig, hz)
    bad = np.concatenate([[0], (mask & (np.abs(np.nan_to_num(err)) > 300)).astype(int), [0]])
    a, b = np.nonzero(np.diff(bad) == 1)[0], np.nonzero(np.diff(bad) == -1)[0]
    return [(e - s) / sig.fs_hz * 1000 for s, e in zip(a, b, strict=True)]


@dataclass(frozen=True)
class SungFigures:
    within_25: float  # fraction of voiced time after each note's first 60 ms within 25 cents
    worst_blip_ms: float
    blips_over_10ms: int
    octave_time: float  # fraction of judged time > 600 cents off


def sung_figures(sig: TestSignal, hz: np.ndarray) -> SungFigures:
    judged = _judged(sig, played=True)
    for n in sig.notes:
        judged[sig.index(n.start_s):onset(sig, n) + int(0.06 * sig.fs_hz)] = False
    err = np.abs(error_cents(sig, hz))[judged]
    blips = blips_ms(sig, hz, played=True)
    return SungFigures(float(np.mean(err < 25)), max(blips, default=0.0), sum(b > 10 for b in blips),
                       float(np.mean(err > 600)))


@dataclass(frozen=True)
class SpeechFigures:
    median_cents: float
    within_50: float
    worst_blip_ms: float
    blips_over_10ms: int


def speech_figures(hz_by_name: dict[str, np.ndarray]) -> SpeechFigures:
    errs, blips = [], []
    for name, hz in hz_by_name.items():
        sig = speech(name)
        mask = _judged(sig, played=False) & _delayed(sig.f0_hz > 0, sig.fs_hz).astype(bool)
        errs.append(np.abs(error_cents(sig, hz))[mask])
        blips += blips_ms(sig, hz, played=False)
    e = np.concatenate(errs)
    return SpeechFigures(float(np.median(e)), float(np.mean(e < 50)), max(blips, default=0.0),
                         sum(b > 10 for b in blips))


def bass_worst_cents(sig: TestSignal, hz: np.ndarray) -> list[float]:
    """Per note: the worst error against the note played, from 60 ms after its onset
    (100 ms below 45 Hz) to 20 ms before its end."""
    worst = []
    for n in sig.notes:
        settle = 0.1 if n.f0_hz < 45 else 0.06
        seg = hz[onset(sig, n) + int(settle * sig.fs_hz):sig.index(n.end_s - 0.02)]
        worst.append(float(np.max(np.abs(cents(seg, n.f0_hz)))))
    return worst


def main() -> None:
    opts = {}
    for arg in sys.argv[1:]:
        k, v = arg.split("=")
        opts[k] = float(v)
    for name, line in (("sung (Voice Oohs)", SUNG), ("sung high", SUNG_HIGH)):
        sig = sung_line(line)
        print(name, sung_figures(sig, fv_probe(sig.samples, options=opts)["hz"]))
    sig = sung_line(SUNG, program=CHOIR_AAHS)
    print("choir (Choir Aahs)", sung_figures(sig, fv_probe(sig.samples, options=opts)["hz"]))
    print("speech", speech_figures({n: fv_probe(speech(n).samples, options=opts)["hz"] for n in SPOKEN}))
    for legato in (False, True):
        sig = bass_line(BASS, legato=legato)
        print("bass legato" if legato else "bass", np.round(bass_worst_cents(sig, fv_probe(sig.samples, options=opts)
                                                                             ["hz"]), 1))


if __name__ == "__main__":
    main()
