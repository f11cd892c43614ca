"""The filters' control-voltage reference: cutoff law and CV feedthrough (tools/spice/data/cv_*.npz).

Runs ngspice on the netlists with a cutoff CV path, with no audio input:
- korg35: korg35_lpf.cir / korg35_hpf.cir as they are (their CV network R1, R2, R55, R58,
  R89, C14 and the Korg35's Q1 are drawn; V4 is the CV in volts);
- ota: ota_cv_lpf.cir, ota_lpf.cir with the KLM-307's expo converter and CV summing drawn
  from the study's figure 2 (its header says what and from where).
and stores, per revision:
- the DC operating point against the CV (-4 .. 3 V): the output node before the coupling
  capacitor (Korg35: X1's output xo and its input np, the follower's output; OTA: the second
  buffer's output b2 and the first's b1) and the OTAs' bias current;
- the cutoff law: the LPF core's natural frequency at each CV (make_reference.natural_hz;
  for the OTA board the bias current times the Hz per amp of the reference ota.npz, as the
  fit fails under 40 Hz where the OTAs' leak is as large as their transconductance);
- the feedthrough: the CV swept like an envelope (-3 V, up to +2 V over 2 ms, held, back
  down over 100 ms) at PEAK 0 and 5, the output node before and after the coupling
  capacitor on a 10 us grid; the Korg35 also with a 10 ms rise (a check on the model's
  scaling with the sweep rate) and as a high-pass.

    python tools/spice/make_cv_reference.py     # ~15 s; needs ngspice (make filter-reference)

Levels are circuit volts; the tests divide by the revision's signed passband gain (stored),
as the kernel's filters have unity passband gain.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import make_reference as mr  # the same netlist handling and ngspice runner
import numpy as np

CVS = np.arange(-4.0, 3.001, 0.25)
LAW_CVS = np.arange(-4.0, 3.001, 0.5)
STEP = 10e-6
KEEP_EVERY = 2    # stored at 20 us (50 kHz): the feedthrough has nothing above a few kHz
T_END = 0.3
PEAKS = [0.0, 0.5]
SWEEP = "pwl(0 -3 5m -3 7m 2 60m 2 160m -3)"       # an EG-2 attack of 2 ms, a 100 ms release
SLOW = "pwl(0 -3 5m -3 15m 2 60m 2 160m -3)"       # the same with a 10 ms attack
REVS = {
    "korg35": {"lpf": "korg35_lpf", "hpf": "korg35_hpf", "pre": "xo",
               "dc_nodes": ["xo", "np", "nt"], "mid": 0.0},
    "ota": {"lpf": "ota_cv_lpf", "pre": "b2", "dc_nodes": ["b2", "b1", "x1.nm1"], "mid": 0.5},
}
mr.REVISIONS["ota_cv"] = {"param": "CV", "node": "b2"}  # for natural_hz on the CV netlist


def netlist(name: str, pot: float, cv: float, control: str, cv_source: str | None = None) -> str:
    text = mr.netlist(name, pot, "CV", cv, "dc 0", control)
    if cv_source:
        text, n = re.subn(r"^V4 cv 0 \{CV\}$", f"V4 cv 0 {cv_source}", text, flags=re.M)
        assert n == 1, name
    return text


def dc_sweep(rev: str) -> np.ndarray:
    """[CV, node...] rows; the OTA's last column is one OTA's bias current (amps)."""
    cfg = REVS[rev]
    nodes = " ".join(f"v({n})" if n != "x1.nm1" else "i(v.x1.vabc)" for n in cfg["dc_nodes"])
    control = f"dc V4 {CVS[0]} {CVS[-1] + 1e-3} 0.25\nwrdata OUTFILE {nodes}"
    d = mr.run(netlist(cfg["lpf"], 0.0, 0.0, control), 2 * len(cfg["dc_nodes"]))
    return np.column_stack([d[:, 0]] + [d[:, 2 * i + 1] for i in range(len(cfg["dc_nodes"]))])


def sweep(name: str, pre: str, pot: float, source: str) -> np.ndarray:
    """[v(pre), v(out)] on a KEEP grid (simulated on the STEP grid)."""
    control = (f"tran {STEP} {T_END} 0 {STEP}\nlinearize v({pre}) v(out) v(cv)\n"
               f"wrdata OUTFILE v({pre}) v(out) v(cv)")
    d = mr.run(netlist(name, pot, -3.0, control, source), 6)
    return np.vstack([d[::KEEP_EVERY, 1], d[::KEEP_EVERY, 3]])


def signed_passband(name: str, cv: float) -> float:
    """The output's gain at 50 Hz with its sign (the OTA board inverts)."""
    h = mr.ac(name, 0.0, "CV", cv, "out", np.array([40.0, 50.0, 60.0]))[1]
    return float(np.sign(h.real) * abs(h))


def measure(rev: str) -> dict[str, np.ndarray]:
    cfg = REVS[rev]
    out: dict[str, np.ndarray] = {"dc": dc_sweep(rev), "dc_nodes": np.array(cfg["dc_nodes"]),
                                  "sweep_dt": np.array(STEP * KEEP_EVERY)}
    out["passband"] = np.array(signed_passband(cfg["lpf"], cfg["mid"]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        if rev == "korg35":
            fc = list(pool.map(lambda cv: mr.natural_hz("korg35", cv)[0], LAW_CVS))
        else:
            # fc per amp of bias current, from the reference the other tests use (34 uA)
            with np.load(mr.DATA / "ota.npz") as ref:
                hz_per_a = float(ref["mid_fc"]) / 34e-6
            fc = list(np.interp(LAW_CVS, out["dc"][:, 0], out["dc"][:, -1]) * hz_per_a)
            out["hz_per_a"] = np.array(hz_per_a)
            # the fit on the CV netlist itself, where it works (from 40 Hz up): a check
            out["law_fit_hz"] = np.array(list(pool.map(lambda cv: mr.natural_hz("ota_cv", cv)[0], LAW_CVS)))
        out["law_cv"] = LAW_CVS
        out["law_hz"] = np.array(fc)
        runs = {(kind, p, src): pool.submit(sweep, cfg[kind], cfg["pre"], p, s)
                for kind in ("lpf", "hpf") if kind in cfg for p in PEAKS
                for src, s in (("fast", SWEEP), ("slow", SLOW))
                if (kind, src) == ("lpf", "fast") or (rev == "korg35" and p == 0.0 and (kind, src) != ("hpf", "slow"))}
        for (kind, p, src), r in runs.items():
            out[f"{kind}_{src}_peak{int(round(10 * p))}"] = r.result()
    return out


def main() -> None:
    for rev in REVS:
        data = measure(rev)
        np.savez_compressed(mr.DATA / f"cv_{rev}.npz",
                            **{k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in data.items()})
        pb = float(data["passband"])
        print(rev, "passband", round(pb, 4), "law", np.round(data["law_hz"], 1).tolist())
        for k, v in data.items():
            if k.startswith(("lpf_", "hpf_")):
                y = v[1] / pb
                print(f"  {k}: after the coupling {y.max() * 1e3:+.1f} / {y.min() * 1e3:+.1f} mV (at unity gain)")


if __name__ == "__main__":
    main()
