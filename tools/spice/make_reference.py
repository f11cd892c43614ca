"""Regenerate the filters' SPICE reference data (tools/spice/data/{korg35,ota}.npz).

Runs ngspice (batch mode) on the four netlists in this folder (the Korg35 and the OTA
revisions, each as LPF and HPF) and keeps small measurements the tests compare the kernel
with (tests/dsp/test_filters_spice.py); CI reads the stored files and never runs ngspice.

    python tools/spice/make_reference.py          # ~1 min on 2 cores; needs ngspice
    python tools/spice/make_reference.py --extra  # only data/peaks.npz, data/whistle.npz (~1 min)

Cutoffs are the circuits' control inputs (the Korg35's CV in volts at V4, the OTA's bias
current in amps); each one's cutoff in Hz is measured from the circuit itself (natural_hz:
the natural frequency of the low-pass core at PEAK 0), and the HPF at the same control
input has the same cutoff (the same circuit). PEAK is the pot's travel (0..1, a linear
pot: knob position / 10). Gains are normalised by the revision's passband gain (the LPF's
gain at 50 Hz at the mid cutoff: the kernel's filters have unity passband gain).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from measures import oscillation, tone  # the tests measure the kernel with the same code

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

# The circuits' control inputs for the two reference cutoffs, CUTOFF 10, and the
# self-oscillation pitch sweep (100 Hz .. 5 kHz); the Hz each gives is measured.
REVISIONS = {
    "korg35": {"param": "CV", "node": "n3", "cv": [-1.6, 1.0], "top": 4.3, "mid": 0.0, "level_peak": 0.7,
               "sweep": [-3.5, -2.5, -1.0, 0.0, 1.0, 2.0]},
    "ota": {"param": "IABC", "node": "b2", "cv": [10e-6, 68e-6], "top": 680e-6, "mid": 34e-6, "level_peak": 0.8,
            "sweep": [3.4e-6, 10e-6, 34e-6, 68e-6, 120e-6, 170e-6]},
}
PEAKS = [0.0, 0.3, 0.5, 0.7, 0.9]
FREQS = np.logspace(np.log10(20.0), np.log10(20000.0), 121)
LEVELS_DBV = [-40.0, -30.0, -20.0, -10.0, 0.0]
HARM_F = 200.0
HARM_DRIVES_V = [0.3, 1.0, 3.0]  # sine peaks
HARM_PEAKS = [0.0, 0.7]
TRAN_STEP = 1e-6
KICK = "pwl(0 0 1u 1m 1m 1m 1.001m 0)"  # 1 mV for 1 ms: starts a ring, well below the diodes


def netlist(name: str, pot: float, param: str, cv: float, source: str, control: str) -> str:
    """The netlist `name`.cir with PEAK and cutoff set, an input source and a control block."""
    text = (HERE / f"{name}.cir").read_text().replace("\n.end\n", "\n")
    text = re.sub(r"^\.param .*$", f".param POT={pot:.6g} {param}={cv:.6g}", text, flags=re.M)
    text = text.replace(".include models.lib", f".include {HERE / 'models.lib'}")
    return text + f"VIN in 0 {source}\n.options method=gear\n.control\n{control}\n.endc\n.end\n"


def run(text: str, columns: int) -> np.ndarray:
    """Run ngspice on `text`; the rows of what its control block wrote with wrdata."""
    with tempfile.TemporaryDirectory() as tmp:
        cir = Path(tmp) / "run.cir"
        out = Path(tmp) / "out.txt"
        cir.write_text(text.replace("OUTFILE", str(out)))
        # ngspice exits with 1 after the warnings of a gmin-stepped operating point (the
        # Korg35's JFET/PNP follower): the data it wrote is what counts
        proc = subprocess.run(["nice", "ngspice", "-b", str(cir)], capture_output=True, text=True, cwd=tmp)
        if not out.exists():
            raise RuntimeError(f"ngspice wrote nothing:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        data = np.loadtxt(out)
    return data[:, :columns] if data.ndim == 2 else data


def ac(name: str, pot: float, param: str, cv: float, node: str = "out", freqs: np.ndarray = FREQS,
       per_decade: int = 40) -> np.ndarray:
    """Complex small-signal response of v(node) at freqs (simulated at per_decade points)."""
    control = (f"ac dec {per_decade} {freqs[0]:.6g} {freqs[-1] * 1.001:.6g}\n"
               f"wrdata OUTFILE real(v({node})) imag(v({node}))")
    d = run(netlist(name, pot, param, cv, "dc 0 ac 1", control), 4)
    f = d[:, 0]
    h = d[:, 1] + 1j * d[:, 3]
    return np.interp(freqs, f, h.real) + 1j * np.interp(freqs, f, h.imag)


def natural_hz(rev: str, cv: float) -> tuple[float, float, float]:
    """(cutoff Hz, damping a0, passband gain) of the LPF core at a control input.

    The response at the core's last capacitor (C13 / C5, no coupling capacitor in the way)
    at PEAK 0, fitted over two octaves either side of its -90 degree point with
    g / ((s / wc)^2 + a0 s / wc + 1): wc is the natural frequency, the cutoff whatever the
    damping (below ~20 Hz the Korg35's follower reaches its own bias network through C14,
    so the phase there is no guide). The gain is the output's at 50 Hz (or a fifth of the
    cutoff), where the coupling capacitors have settled: the passband gain both filters
    are normalised by (the HPF feeds the same forward path)."""
    cfg = REVISIONS[rev]
    wide = np.logspace(0.0, 5.0, 401)
    h = ac(f"{rev}_lpf", 0.0, cfg["param"], cv, cfg["node"], wide)
    h = h * np.sign(h[np.argmin(np.abs(wide - 30.0))].real)  # the OTA core inverts
    phase = np.unwrap(np.angle(h))
    f90 = float(np.exp(np.interp(np.pi / 2, -phase, np.log(wide))))
    band = (wide > f90 / 4) & (wide < min(f90 * 4, wide[-1]))

    def misfit(p: np.ndarray) -> float:
        s = 1j * wide[band] / p[0]
        model = p[2] / (s * s + p[1] * s + 1.0)
        return float(np.sum(np.abs(np.log(model / h[band])) ** 2))

    from scipy.optimize import minimize
    fit = minimize(misfit, np.array([f90, 2.5, abs(h[0])]), method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 4000})
    out = ac(f"{rev}_lpf", 0.0, cfg["param"], cv)
    gain = float(np.abs(out[np.argmin(np.abs(FREQS - min(50.0, 0.2 * fit.x[0])))]))
    return float(fit.x[0]), float(fit.x[1]), gain


def tran(name: str, pot: float, param: str, cv: float, source: str, t_end: float) -> np.ndarray:
    """v(out) on a uniform TRAN_STEP grid from 0 to t_end."""
    control = (f"tran {TRAN_STEP:.3g} {t_end:.6g} 0 {TRAN_STEP:.3g}\nlinearize v(out)\n"
               "wrdata OUTFILE v(out)")
    return run(netlist(name, pot, param, cv, source, control), 2)[:, 1]


def measure(rev: str) -> dict[str, np.ndarray]:
    cfg = REVISIONS[rev]
    param = cfg["param"]
    fs = 1.0 / TRAN_STEP
    _, a0_mid, passband = natural_hz(rev, cfg["mid"])
    out: dict[str, np.ndarray] = {"freqs": FREQS, "peaks": np.array(PEAKS), "cv": np.array(cfg["cv"]),
                                  "passband": np.array(passband)}
    out["mid_a0"] = np.array(a0_mid)
    with ThreadPoolExecutor(max_workers=2) as pool:
        nat = {cv: pool.submit(natural_hz, rev, cv) for cv in {*cfg["cv"], cfg["top"], cfg["mid"], *cfg["sweep"]}}
        fc_of = {cv: f.result()[0] for cv, f in nat.items()}
        out["fc"] = np.array([fc_of[cv] for cv in cfg["cv"]])
        out["sweep_a0"] = np.array([nat[cv].result()[1] for cv in cfg["sweep"]])
        out["top_fc"] = np.array(fc_of[cfg["top"]])
        out["mid_fc"] = np.array(fc_of[cfg["mid"]])
        for kind in ("lpf", "hpf"):
            name = f"{rev}_{kind}"
            jobs = {(c, p): pool.submit(ac, name, p, param, cv) for c, cv in enumerate(cfg["cv"]) for p in PEAKS}
            top = pool.submit(ac, name, 0.0, param, cfg["top"])
            out[f"{kind}_ac"] = np.array([[jobs[(c, p)].result() for p in PEAKS]
                                          for c in range(len(cfg["cv"]))]) / passband
            out[f"{kind}_top_ac"] = top.result() / passband

            # resonance against input level: a sine at the resonant peak, mid cutoff, PEAK
            # just below the whistle (7 on the Korg35, 8 on the OTA board)
            lp = cfg["level_peak"]
            out["level_peak"] = np.array(lp)
            mid = pool.submit(ac, name, lp, param, cfg["mid"]).result()
            f_pk = float(FREQS[np.argmax(np.abs(mid))])
            t_end = max(0.06, 40.0 / f_pk)
            runs = [pool.submit(tran, name, lp, param, cfg["mid"],
                                f"sin(0 {np.sqrt(2) * 10 ** (lv / 20):.6g} {f_pk:.6g})", t_end) for lv in LEVELS_DBV]
            gains = [20 * np.log10(abs(tone(r.result(), f_pk, fs)) / (np.sqrt(2) * 10 ** (lv / 20)) / passband)
                     for r, lv in zip(runs, LEVELS_DBV, strict=True)]
            out[f"{kind}_level_f"] = np.array(f_pk)
            out[f"{kind}_level_gain_db"] = np.array(gains)

            # harmonics of a 200 Hz sine at the mid cutoff (LPF: the tone in the passband)
            # or the low reference cutoff (HPF: the tone just above it)
            cv_h = cfg["mid"] if kind == "lpf" else cfg["cv"][0]
            runs = {(p, d): pool.submit(tran, name, p, param, cv_h, f"sin(0 {d:.6g} {HARM_F:.6g})", 0.1)
                    for p in HARM_PEAKS for d in HARM_DRIVES_V}
            harm = np.array([[[20 * np.log10(abs(tone(runs[(p, d)].result()[50000:], k * HARM_F, fs)) / passband)
                               for k in (1, 2, 3)] for d in HARM_DRIVES_V] for p in HARM_PEAKS])
            out[f"{kind}_harm_db"] = harm  # [peak, drive, harmonic] in dBV (peak) at unity gain
            out[f"{kind}_harm_fc"] = np.array(fc_of[cv_h])

            # self-oscillation: onset by bisection on PEAK (a 1 mV, 1 ms kick, then the ring
            # grows or dies away; grown to the diodes' level counts as oscillating), then
            # amplitude, pitch and THD at full PEAK
            def grows(p: float, name: str = name) -> bool:
                y = tran(name, p, param, cfg["mid"], KICK, 0.08)
                growth, amp, _, _ = oscillation(y, fs)
                return growth > 0.0 or amp > 0.05

            lo, hi = 0.5, 1.0
            for _ in range(7):
                m = 0.5 * (lo + hi)
                lo, hi = (lo, m) if grows(m) else (m, hi)
            out[f"{kind}_onset_peak"] = np.array(0.5 * (lo + hi))
            sweep = cfg["sweep"] if kind == "lpf" else [cfg["mid"]]
            runs = [pool.submit(tran, name, 1.0, param, cv, KICK, 0.25) for cv in sweep]
            osc = np.array([oscillation(r.result(), fs)[1:] for r in runs])
            out[f"{kind}_osc_fc"] = np.array([fc_of[cv] for cv in sweep])
            out[f"{kind}_osc_amp"] = osc[:, 0] / passband   # V peak at unity passband gain
            out[f"{kind}_osc_f"] = osc[:, 1]
            out[f"{kind}_osc_thd_db"] = osc[:, 2]
            y = tran(name, 1.0, param, cfg["mid"], KICK, 0.1)
            out[f"{kind}_osc_wave"] = (y[-5000:] / passband).astype(np.float32)  # last 5 ms at 1 MHz
    return out


def peak_of(name: str, param: str, cv: float, pot: float, passband: float) -> tuple[float, float]:
    """(dB at unity passband gain, Hz) of the response's peak, from a fine sweep around the
    coarse one's."""
    f0 = float(FREQS[np.argmax(np.abs(ac(name, pot, param, cv)))])
    fine = np.geomspace(f0 / 1.15, f0 * 1.15, 401)
    h = np.abs(ac(name, pot, param, cv, freqs=fine, per_decade=4000)) / passband
    return 20 * np.log10(h.max()), float(fine[np.argmax(h)])


def fine_peaks() -> dict[str, np.ndarray]:
    """Each resonant peak's height and frequency from a fine sweep: the stored 40-per-decade
    responses step 6 % and miss the top of a sharp peak by up to 3 dB (the Korg35 at PEAK 7,
    328 Hz: 21.8 dB on the grid, 24.8 dB at 326 Hz). Keys {rev}_{kind}_peak_db and _peak_hz,
    [cutoff, PEAK] as the responses (NaN at PEAK 0, which has no peak)."""
    out: dict[str, np.ndarray] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for rev, cfg in REVISIONS.items():
            passband = natural_hz(rev, cfg["mid"])[2]
            for kind in ("lpf", "hpf"):
                jobs = [[pool.submit(peak_of, f"{rev}_{kind}", cfg["param"], cv, p, passband) if p > 0 else None
                         for p in PEAKS] for cv in cfg["cv"]]
                res = np.array([[j.result() if j else (np.nan, np.nan) for j in row] for row in jobs])
                out[f"{rev}_{kind}_peak_db"] = res[..., 0]
                out[f"{rev}_{kind}_peak_hz"] = res[..., 1]
    return out


def settled_whistles() -> dict[str, np.ndarray]:
    """The full-PEAK whistle's (amplitude, Hz, THD dB) after 0.5 s, measured over its second
    quarter-second: {rev}_{kind}_osc as the stored sweeps' (the LPF over the sweep, the HPF at
    the mid cutoff). The stored 0.25 s runs catch the OTA board's 106 Hz whistle still
    settling (102.2 Hz; 100.8 from 0.5 s on)."""
    out: dict[str, np.ndarray] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for rev, cfg in REVISIONS.items():
            passband = natural_hz(rev, cfg["mid"])[2]
            for kind in ("lpf", "hpf"):
                sweep = cfg["sweep"] if kind == "lpf" else [cfg["mid"]]
                runs = [pool.submit(tran, f"{rev}_{kind}", 1.0, cfg["param"], cv, KICK, 0.5) for cv in sweep]
                osc = np.array([oscillation(r.result(), 1.0 / TRAN_STEP)[1:] for r in runs])
                osc[:, 0] /= passband
                out[f"{rev}_{kind}_osc"] = osc
    return out


def compact(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Single precision for the stored file (the simulation is not better than 1e-6)."""
    return {k: v.astype(np.complex64 if np.iscomplexobj(v) else np.float32) for k, v in data.items()}


def main() -> None:
    DATA.mkdir(exist_ok=True)
    np.savez_compressed(DATA / "peaks.npz", **compact(fine_peaks()))
    np.savez_compressed(DATA / "whistle.npz", **compact(settled_whistles()))
    if "--extra" in sys.argv:
        return
    for rev in REVISIONS:
        data = compact(measure(rev))
        np.savez_compressed(DATA / f"{rev}.npz", **data)
        print(rev, {k: np.round(v, 3).tolist() for k, v in data.items() if v.ndim == 0 or k.endswith("fc")})


if __name__ == "__main__":
    main()
