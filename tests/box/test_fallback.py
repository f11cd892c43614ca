"""One bad file must not silence the box: `ms20 run` comes up playing on the last good copy
of a broken config or patch (or the defaults), says once which file, line and key, and blinks
the status LED fast; a corrupt calibration falls back to typical end stops the same way."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from ms20.box.last_good import LastGood
from ms20.control.calibration import CalibrationError, load_calibration
from ms20.control.controller import PanelController
from ms20.control.scanner import FILE_PROBLEM_BLINK_HZ, Scanner
from ms20.model.patch import load_patch
from ms20.sim.board import MockBoard

ROOT = Path(__file__).resolve().parents[2]
GOOD = 'name = "Good one"\n[knobs]\n"VCO-1 LEVEL" = 8\n'
BAD = 'name = "Broken"\n[knobs]\n"VCO-1 LEVEL" = [8]\n'


def run_box(tmp_path: Path, config: Path, seconds: float = 1.5) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "firmware"), "STATE_DIRECTORY": str(tmp_path / "state")}
    env.pop("MS20_PINS", None)
    return subprocess.run([sys.executable, "-m", "ms20.commands.cli", "run", "--config", str(config), "--sim",
                           "--duration", str(seconds), "--wav", str(tmp_path / "o.wav")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def rms_of(path: Path) -> float:
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


def test_a_broken_patch_plays_its_last_good_copy_and_says_so_once(tmp_path):
    patch = tmp_path / "mine.toml"
    config = tmp_path / "ms20.toml"
    config.write_text(f'[patch]\nfile = "{patch}"\n')
    patch.write_text(GOOD)
    first = run_box(tmp_path, config)
    assert first.returncode == 0 and "running 'Good one'" in first.stdout, first.stderr

    patch.write_text(BAD)                          # a typo made while the box was off
    r = run_box(tmp_path, config)
    assert r.returncode == 0, r.stderr
    errors = [line for line in r.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "mine.toml:3: knob 'VCO-1 LEVEL'" in errors[0] and "last good copy" in errors[0]
    assert "running 'Good one'" in r.stdout and "Traceback" not in r.stderr
    assert rms_of(tmp_path / "o.wav") > 0.01       # and it plays


@pytest.mark.parametrize("bad_config", ["[audio]\nperiods = 1\n", "[midi]\ncc = 5\n", "\xff"])
def test_a_broken_config_without_a_good_copy_runs_on_the_defaults(tmp_path, bad_config):
    config = tmp_path / "ms20.toml"
    config.write_bytes(bad_config.encode("latin-1"))
    r = run_box(tmp_path, config)
    assert r.returncode == 0, r.stderr
    errors = [line for line in r.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "ms20.toml" in errors[0] and "playing on with the defaults" in errors[0]
    assert rms_of(tmp_path / "o.wav") > 0.01


def test_the_last_good_copy_is_kept_only_from_a_file_that_loaded(tmp_path, caplog):
    keeper = LastGood(tmp_path / "state")
    patch = tmp_path / "p.toml"
    patch.write_text(GOOD)
    assert keeper.load("patch", patch, load_patch).name == "Good one"
    patch.write_text(BAD)
    with caplog.at_level(logging.ERROR):
        assert keeper.load("patch", patch, load_patch).name == "Good one"
    assert (tmp_path / "state" / "last-good-patch.toml").read_text() == GOOD
    assert [f.kind for f in keeper.fallbacks] == ["patch"] and "p.toml:3" in keeper.fallbacks[0].reason
    assert LastGood(tmp_path / "empty").load("patch", patch, load_patch) is None      # nothing to fall back on


@pytest.mark.parametrize("text, says", [
    ("pots = 5\n", "pots: must be a table"),
    ('[pots."VCO-1 LEVEL"]\nmin = "a"\nmax = 4000\n', 'pots."VCO-1 LEVEL".min: must be a count'),
    ('[pots."VCO-1 LEVEL"]\nmin = [1]\nmax = 4000\n', 'pots."VCO-1 LEVEL".min: must be a count'),
    ('[pots."VCO-1 LEVEL"]\nmin = nan\nmax = 4000\n', 'pots."VCO-1 LEVEL".min: must be a count'),
    ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("\ufeff\xff", "not UTF-8"),
])
def test_a_corrupt_calibration_names_the_file_and_pot(tmp_path, text, says):
    cal = tmp_path / "calibration.toml"
    cal.write_bytes(text.encode("utf-8") if "\xff" not in text else b"\xff\xfe")
    with pytest.raises(CalibrationError) as info:
        load_calibration(cal)
    assert str(cal) in str(info.value)
    if "\xff" not in text:
        assert says in str(info.value)


def test_a_corrupt_calibration_plays_on_typical_stops_and_blinks_the_led_fast(tmp_path, monkeypatch, caplog):
    cal = tmp_path / "calibration.toml"
    cal.write_text('[pots."VCO-1 LEVEL"]\nmin = "a"\nmax = 4000\n')
    monkeypatch.setenv("MS20_CALIBRATION", str(cal))
    board = MockBoard(seed=1)
    with caplog.at_level(logging.ERROR):
        scanner = Scanner(board.hardware, PanelController())
    assert any("calibration.toml" in r.message for r in caplog.records if r.levelno == logging.ERROR)
    lit = []
    for _ in range(200):                            # 1 s of the control loop, every 5 ms
        board.advance(0.005)
        scanner.poll(board.now())
        lit.append(board.led_is_lit)
    changes = sum(a != b for a, b in zip(lit, lit[1:], strict=False))
    assert abs(changes - 2 * FILE_PROBLEM_BLINK_HZ) <= 2       # fast: not the patch problem's 2 Hz


def test_a_box_on_a_fallback_blinks_its_status_led_fast_and_says_so_in_its_status(monkeypatch, tmp_path):
    from ms20.audio import NullSink
    from ms20.box.box import Box
    from ms20.box.config import default_config
    from ms20.commands.board_args import open_surface
    from ms20.midi import FakeMidiBackend

    monkeypatch.setenv("MS20_CALIBRATION", str(tmp_path / "none.toml"))
    box = Box(default_config(), NullSink(), FakeMidiBackend(), None,
              surface=lambda controller: open_surface("sim", controller), problems=("ms20.toml:2: audio.periods",))
    lit = []
    for k in range(200):                           # 1 s of the control loop's LED updates
        box.surface.poll(100.0 + k * 0.005)
        lit.append(box.surface.board.led.is_lit)
    changes = sum(a != b for a, b in zip(lit, lit[1:], strict=False))
    assert abs(changes - 2 * FILE_PROBLEM_BLINK_HZ) <= 2
    assert "fell back: 1 bad file(s)" in box.summary()
    box.surface.close()
