"""Per-pot calibration: the ADC counts at each pot's two end stops, and the file that keeps
them (written by `ms20 calibrate`, atomically: temp file, fsync, rename, fsync directory).

A pot never reaches the rails exactly (wiper and end resistance), and each pot stops at
different counts. The position on the 0-10 scale is linear in counts between the stops, with
END_MARGIN_LSB shaved off each end so the stops read exactly 0 and 10 despite noise. The
panel's tapers (panel.py) then turn the position into kernel units: this file is linear.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ms20.hardware.drivers.mcp3208 import FULL_SCALE
from ms20.textfile import parse_toml, read_text, short_repr, state_dir, write_atomically

END_MARGIN_LSB = 6.0            # more than the ADC noise, so the end stops read 0 and 10 exactly
MIN_SPAN_LSB = 2000             # a pot whose stops are closer than this was not turned end to end
# Uncalibrated: stops a typical pot reaches (about 1 % of travel lost at each end).
DEFAULT_MIN = 40.0
DEFAULT_MAX = 4055.0
CALIBRATION_ENV = "MS20_CALIBRATION"
WHEEL = "CONTROL WHEEL"


class CalibrationError(ValueError):
    """A calibration file or measurement that cannot be used; names the file and key."""


@dataclass(frozen=True)
class PotCalibration:
    """Counts at the counter-clockwise (min) and clockwise (max) end stops."""

    min_count: float = DEFAULT_MIN
    max_count: float = DEFAULT_MAX

    def position(self, count: float) -> float:
        """The panel position 0-10 for a count."""
        lo = self.min_count + END_MARGIN_LSB
        hi = self.max_count - END_MARGIN_LSB
        x = (count - lo) * 10.0 / (hi - lo)
        return 0.0 if x < 0.0 else 10.0 if x > 10.0 else x

    def count(self, position: float) -> float:
        """The count a position reads at (the inverse of `position`)."""
        lo = self.min_count + END_MARGIN_LSB
        hi = self.max_count - END_MARGIN_LSB
        return lo + (hi - lo) * position / 10.0


DEFAULT = PotCalibration()


@dataclass(frozen=True)
class Calibration:
    """Every pot's end stops (knob name, or "CONTROL WHEEL"); a missing pot uses DEFAULT."""

    pots: Mapping[str, PotCalibration] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""

    def of(self, name: str) -> PotCalibration:
        return self.pots.get(name, DEFAULT)


def default_calibration_path() -> Path:
    """$MS20_CALIBRATION, else calibration.toml in the box's state directory: the service's
    /var/lib/ms20 ($STATE_DIRECTORY) on the box, ~/.local/state/ms20 elsewhere (textfile.state_dir)."""
    env = os.environ.get(CALIBRATION_ENV)
    if env:
        return Path(env)
    return state_dir() / "calibration.toml"


def check_span(name: str, min_count: float, max_count: float, source: str = "calibration") -> PotCalibration:
    """Refuse end stops too close together to be a pot's travel."""
    if not (0 <= min_count <= FULL_SCALE and 0 <= max_count <= FULL_SCALE):
        raise CalibrationError(f"{source}: {name}: counts must be 0-{FULL_SCALE}, got {min_count}..{max_count}")
    if max_count - min_count < MIN_SPAN_LSB:
        raise CalibrationError(f"{source}: {name}: the end stops read {min_count:.0f} and {max_count:.0f}, "
                               f"less than {MIN_SPAN_LSB} counts apart: was the pot turned end to end?")
    return PotCalibration(float(min_count), float(max_count))


def load_calibration(path: str | Path | None = None, missing_ok: bool = True) -> Calibration:
    """Read a calibration file; with missing_ok, a missing file is an empty calibration.
    CalibrationError names the file and the pot for anything else."""
    path = Path(path) if path is not None else default_calibration_path()
    if missing_ok and not path.exists():
        return Calibration(source=str(path))
    if not path.exists():
        raise CalibrationError(f"{path}: no calibration file (run `ms20 calibrate`)")
    data = parse_toml(read_text(path, "calibration", CalibrationError), str(path), CalibrationError)
    table = data.get("pots", {})
    if not isinstance(table, dict):
        raise CalibrationError(f"{path}: pots: must be a table of [pots.\"NAME\"]; run `ms20 calibrate` again")
    pots: dict[str, PotCalibration] = {}
    for name, t in table.items():
        if not isinstance(t, dict) or not {"min", "max"} <= t.keys():
            raise CalibrationError(f'{path}: pots."{name}": needs min and max counts')
        for key in ("min", "max"):
            v = t[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise CalibrationError(f'{path}: pots."{name}".{key}: must be a count, got {short_repr(v)}')
        pots[name] = check_span(f'pots."{name}"', t["min"], t["max"], str(path))
    return Calibration(MappingProxyType(pots), str(path))


def format_calibration(cal: Mapping[str, PotCalibration]) -> str:
    """The calibration file's text (TOML)."""
    lines = ["# Pot end stops in MCP3208 counts, written by `ms20 calibrate`: do not edit by hand.",
             "version = 1", ""]
    for name in sorted(cal):
        c = cal[name]
        lines += [f'[pots."{name}"]', f"min = {c.min_count:.1f}", f"max = {c.max_count:.1f}", ""]
    return "\n".join(lines)


def save_calibration(cal: Mapping[str, PotCalibration], path: str | Path | None = None) -> Path:
    """Write atomically (textfile.write_atomically: a power cut leaves the old or the new
    file), mode 0644 so the service's user reads what a builder wrote with sudo."""
    path = Path(path) if path is not None else default_calibration_path()
    return write_atomically(path, format_calibration(cal).encode())
