"""`ms20 hwtest` and `ms20 calibrate` as a builder uses them."""

from __future__ import annotations

import os

import pytest

from ms20.commands.cli import main
from ms20.control import calibration as calmod
from ms20.control.calibration import CalibrationError, PotCalibration, load_calibration, save_calibration


def test_hwtest_once_on_the_simulated_board_shows_every_control(capsys):
    assert main(["hwtest", "--sim", "--once"]) == 0
    out = capsys.readouterr().out
    for name in ("LPF CUTOFF", "VOLUME", "VCO-2 WAVE FORM", "CONTROL WHEEL", "MOMENTARY", "CV IN 2", "CABLES"):
        assert name in out
    assert "sawtooth" in out and "on the simulated board" in out


def test_hwtest_without_the_gpio_library_says_what_to_do(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "RPi", None)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    monkeypatch.setenv("MS20_PINS", "rpi")          # as on the box (the unit sets it)
    assert main(["hwtest", "--once"]) == 2
    assert "--sim" in capsys.readouterr().err


def test_calibrate_on_the_simulated_board_stores_every_pot(tmp_path, capsys):
    path = tmp_path / "cal.toml"
    assert main(["calibrate", "--sim", "--file", str(path)]) == 0
    cal = load_calibration(path, missing_ok=False)
    assert len(cal.pots) == 33                       # 32 knobs and the control wheel
    assert all(0 < c.min_count < 60 and 4030 < c.max_count < 4095 for c in cal.pots.values())
    assert [p.name for p in tmp_path.iterdir()] == ["cal.toml"]   # no temp file left behind


def test_a_pot_not_turned_end_to_end_stores_nothing(tmp_path):
    from ms20.commands.calibrate import calibrate
    from ms20.sim.board import MockBoard

    board = MockBoard()
    steps = iter((0.0, 10.0))

    def lazy_builder(prompt: str) -> None:           # forgets the VOLUME pot
        end = next(steps)
        for name in board.hardware.pots:
            if name != "VOLUME":
                board.turn(name, end)
        board.turn_wheel(end / 10)

    with pytest.raises(CalibrationError, match="VOLUME.*turned end to end"):
        calibrate(board.hardware, lazy_builder)


def test_a_power_cut_while_storing_leaves_the_old_calibration(tmp_path, monkeypatch):
    path = tmp_path / "cal.toml"
    save_calibration({"VOLUME": PotCalibration(20, 4070)}, path)
    before = path.read_text()

    def power_cut(fd: int) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(calmod.os, "fsync", power_cut)
    with pytest.raises(OSError, match="power cut"):
        save_calibration({"VOLUME": PotCalibration(30, 4000)}, path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["cal.toml"]


def test_a_corrupt_calibration_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "cal.toml"
    path.write_text('[pots."VOLUME"]\nmin = 4000\nmax = 100\n')
    with pytest.raises(CalibrationError, match=f"{path}.*VOLUME.*turned end to end"):
        load_calibration(path)


def test_calibrate_stores_in_the_services_state_dir_readable_and_cleans_stale_temp_files(
        tmp_path, monkeypatch, capsys):
    import os
    import stat

    state = tmp_path / "state"                    # systemd's StateDirectory=ms20 (/var/lib/ms20)
    state.mkdir()
    stale = state / ".calibration.toml.k2j4h.tmp"  # a calibration killed mid-write
    stale.write_text("half")
    monkeypatch.delenv("MS20_CALIBRATION", raising=False)
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    old = os.umask(0o077)                          # the unit's UMask: still readable by the service
    try:
        assert main(["calibrate", "--sim"]) == 0
    finally:
        os.umask(old)
    path = state / "calibration.toml"
    assert f"stored in {path}" in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and not stale.exists()
    assert len(load_calibration().pots) == 33      # and the service's default path finds it
