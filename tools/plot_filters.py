"""Draw docs/filters/*.png: both filter revisions in the kernel against their circuits.

    python tools/plot_filters.py        # make filter-plots

Reads the stored simulation (tools/spice/data/*.npz, made by tools/spice/make_reference.py)
and runs the kernel's filters through the probe the tests use (c_kernels/vcf.probe.h), so it
needs the built kernel and matplotlib (the test extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "dsp"))
from test_filters_spice import RATE, db, kick, response, run_filter, spice, tone  # noqa: E402

OUT = ROOT / "docs" / "filters"
NAMES = {"korg35": "Korg35 (early MS-20)", "ota": "OTA board KLM-307 (late MS-20)"}
COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]


def save(fig: plt.Figure, name: str) -> None:
    """docs/filters/NAME.png at the size every plot here uses."""
    fig.tight_layout()
    fig.savefig(OUT / f"{name}.png", dpi=90)
    plt.close(fig)


def responses() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True, sharey=True)
    for col, rev in enumerate(("korg35", "ota")):
        d = spice(rev)
        for row, kind in enumerate(("lpf", "hpf")):
            ax = axes[row, col]
            fc = float(d["fc"][1])
            for i, peak in enumerate(d["peaks"]):
                if peak > float(d[f"{kind}_onset_peak"]) - 0.03:
                    continue
                ax.semilogx(d["freqs"], db(d[f"{kind}_ac"][1, i]), color=COLOURS[i], lw=3, alpha=0.35)
                f, h = response(rev, kind, fc, float(peak), d["freqs"])
                ax.semilogx(f, db(h), color=COLOURS[i], lw=1, label=f"PEAK {10 * peak:g}")
            ax.set_title(f"{NAMES[rev]}: {kind.upper()} at {fc:.0f} Hz")
            ax.set_ylim(-40, 30)
            ax.grid(True, which="both", alpha=0.3)
            if row == 1:
                ax.set_xlabel("Hz")
            if col == 0:
                ax.set_ylabel("dB")
            ax.legend(loc="lower center" if kind == "lpf" else "lower right", fontsize=8)
    fig.suptitle("Small-signal response: kernel (thin) over the transistor-level simulation (wide)")
    save(fig, "responses")


def resonance_against_level() -> None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for rev, style in (("korg35", "-"), ("ota", "--")):
        d = spice(rev)
        for kind, colour in (("lpf", COLOURS[0]), ("hpf", COLOURS[1])):
            levels = np.arange(-40.0, 0.1, 2.5)
            f = float(d[f"{kind}_level_f"])
            got = []
            for level in levels:
                amp = np.sqrt(2.0) * 10 ** (level / 20)
                t = np.arange(int(max(0.06, 40.0 / f) * RATE)) / RATE
                y = run_filter(amp * np.sin(2 * np.pi * f * t), rev, kind, float(d["mid_fc"]), float(d["level_peak"]))
                got.append(db(tone(y, f)) - db(amp))
            label = f"{rev} {kind.upper()} (PEAK {10 * float(d['level_peak']):g})"
            ax.plot(levels, got, style, color=colour, label=label)
            ax.plot([-40, -30, -20, -10, 0], d[f"{kind}_level_gain_db"], "o", color=colour, mfc="none")
    ax.set_xlabel("input, dBV (a sine at the resonant peak)")
    ax.set_ylabel("gain at the peak, dB")
    ax.set_title("Resonance against input level: kernel (lines), simulation (circles)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, "resonance-vs-level")


def _from_rising_zero(y: np.ndarray, fs: float) -> np.ndarray:
    """y from its first upward zero crossing, so that two whistles start in phase."""
    y = y - y.mean()
    i = int(np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))[0])
    return y[i:i + int(0.003 * fs)]


def whistles() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, rev in zip(axes, ("korg35", "ota"), strict=True):
        d = spice(rev)
        fc = float(d["mid_fc"])
        y = _from_rising_zero(run_filter(kick(0.3), rev, "lpf", fc, 1.0)[-int(0.005 * RATE):], RATE)
        ax.plot(np.arange(len(y)) / RATE * 1000, y, label="kernel")
        w = _from_rising_zero(d["lpf_osc_wave"].astype(np.float64), 1e6)
        ax.plot(np.arange(len(w)) / 1e6 * 1000, w, alpha=0.7, label="simulation")
        ax.set_title(f"{rev}: LPF whistle, PEAK 10, cutoff {fc:.0f} Hz")
        ax.set_xlabel("ms")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("V")
    save(fig, "whistle")


def drive() -> None:
    """Stinchcombe's test: cutoff high, a low sine turned up."""
    fig, ax = plt.subplots(figsize=(7, 4))
    t = np.arange(int(0.02 * RATE)) / RATE
    for rev, colour in (("korg35", COLOURS[0]), ("ota", COLOURS[1])):
        for amp, style in ((0.3, ":"), (3.0, "-")):
            y = run_filter(amp * np.sin(2 * np.pi * 200.0 * t), rev, "lpf", 5000.0, 0.0)
            ax.plot(t[-RATE // 200:] * 1000, y[-RATE // 200:] / amp, style, color=colour, label=f"{rev}, {amp:g} V")
    ax.set_title("A 200 Hz sine through the LPF at 5 kHz, PEAK 0 (output / input peak)")
    ax.set_xlabel("ms")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, "drive")


def feedthrough() -> None:
    """The thump of an envelope-like cutoff sweep with no input (tests/dsp/test_cv_feedthrough.py)."""
    import test_cv_feedthrough as cvft

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, rev in zip(axes, ("korg35", "ota"), strict=True):
        for key, src, peak, colour in (("lpf_fast_peak0", cvft._ref.SWEEP, 0.0, COLOURS[0]),
                                       ("lpf_fast_peak5", cvft._ref.SWEEP, 0.5, COLOURS[1])):
            y, ref = cvft.sweep_pair(rev, key, src, peak, "lpf")
            n = int(0.04 * RATE)
            t = np.arange(n) / RATE * 1000
            ax.plot(t, ref[:n] * 1000, color=colour, lw=3, alpha=0.35, label=f"circuit, PEAK {10 * peak:g}")
            ax.plot(t, y[:n] * 1000, color=colour, lw=1, label=f"kernel, PEAK {10 * peak:g}")
        ax.set_title(f"{NAMES[rev].split(' (')[0]}: CV -3 to +2 V over 2 ms", fontsize=10)
        ax.set_xlabel("ms")
        ax.set_ylabel("mV at unity gain, after the coupling")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, "feedthrough")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    responses()
    resonance_against_level()
    whistles()
    drive()
    feedthrough()
    print(f"wrote {OUT.relative_to(ROOT)}/*.png")


if __name__ == "__main__":
    main()
