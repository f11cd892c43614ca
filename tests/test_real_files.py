"""Real files and real installs: LINE IN from the WAVs and FLACs people have (24-bit
extensible, float), resampled without aliasing; the board and the patches found from any
directory in an installed package; the simulated board by the same name everywhere; the
README's commands run as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from ms20.commands.cli import main
from ms20.commands.render import read_audio
from ms20.hardware import board_def

ROOT = Path(__file__).resolve().parents[1]


def tone(rate: int, hz: float, seconds: float = 0.5) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum)) * rate / len(x)


@pytest.mark.parametrize("name, subtype, fmt", [
    ("a.wav", "PCM_24", "WAVEX"),          # sox's and most DAWs' 24-bit default
    ("a.wav", "FLOAT", "WAV"),
    ("a.wav", "PCM_32", "WAV"),
    ("a.flac", "PCM_24", "FLAC"),
])
def test_line_in_reads_the_files_people_have(tmp_path, name, subtype, fmt):
    path = tmp_path / name
    soundfile.write(path, np.stack([tone(44100, 440.0), tone(44100, 440.0)], axis=1), 44100,
                    subtype=subtype, format=fmt)
    x = read_audio(path, 48000)
    assert len(x) == pytest.approx(24000, abs=2)
    assert dominant_hz(x, 48000) == pytest.approx(440.0, abs=3)
    assert np.max(np.abs(x)) == pytest.approx(0.5, abs=0.01)


def test_resampling_line_in_does_not_alias(tmp_path):
    # A 30 kHz tone in a 96 kHz file is above 48 kHz's Nyquist: it must vanish, not fold to 18 kHz.
    path = tmp_path / "hi.wav"
    soundfile.write(path, tone(96000, 30000.0), 96000, subtype="FLOAT")
    x = read_audio(path, 48000)[2000:-2000]
    assert 20 * np.log10(np.sqrt(np.mean(x**2)) / (0.5 / np.sqrt(2))) < -60


def test_an_unreadable_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert main(["render", "first-voice", "--input", str(bad), "--out", str(tmp_path / "o.wav"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bad.wav: not a readable audio file" in err


def test_the_package_carries_the_board_and_uses_it_without_a_source_tree(monkeypatch, tmp_path):
    packaged = ROOT / "firmware" / "ms20" / "data" / "board.toml"
    assert packaged.read_text() == (ROOT / "hw" / "board.toml").read_text()
    monkeypatch.delenv("MS20_BOARD", raising=False)
    monkeypatch.setattr(board_def, "REPO_BOARD", tmp_path / "no-tree" / "board.toml")
    monkeypatch.setattr(board_def, "SYSTEM_BOARD", tmp_path / "no-etc" / "board.toml")
    assert board_def.load_board().source == str(board_def.PACKAGED_BOARD)


def ms20(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": str(ROOT / "firmware"), "MS20_CONFIG": str(cwd / "no-config.toml")}
    e.pop("MS20_PINS", None)
    e.update(env or {})
    (cwd / "no-config.toml").write_text("")
    return subprocess.run([sys.executable, "-m", "ms20.commands.cli", *args], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=120)


def test_a_shipped_patch_renders_by_name_from_any_directory(tmp_path):
    r = ms20("render", "first-voice", "--notes", "C3:0.2", "--out", "o.wav", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o.wav").exists()


@pytest.mark.parametrize("pins", ["mock", "sim"])
def test_hwtest_once_on_the_simulated_board_named_by_the_environment(tmp_path, pins):
    r = ms20("hwtest", "--once", cwd=tmp_path, env={"MS20_PINS": pins})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "on the simulated board" in r.stdout and "VCO-1 LEVEL" in r.stdout


def test_hwtest_calibrate_and_run_choose_the_board_the_same_way(tmp_path):
    # No flag, no $MS20_PINS, a config without [board]: every command takes the simulated board.
    r = ms20("hwtest", "--once", cwd=tmp_path)
    assert r.returncode == 0 and "on the simulated board" in r.stdout, r.stderr
    r = ms20("calibrate", "--file", str(tmp_path / "cal.toml"), cwd=tmp_path)
    assert r.returncode == 0 and "simulated" in r.stdout, r.stderr
    from ms20.box.config import board_backend, default_config
    assert board_backend(default_config()) == "sim"
    # The config's word for it: "mock" (the pin layer's) is the same as "sim".
    (tmp_path / "c.toml").write_text('[board]\nbackend = "rpi"\n')
    r = ms20("hwtest", "--once", cwd=tmp_path, env={"MS20_CONFIG": str(tmp_path / "c.toml")})
    assert r.returncode == 2 and "RPi.GPIO" in r.stderr and "MS20_PINS=sim" in r.stderr


def test_run_help_names_the_pins_variable():
    text = subprocess.run([sys.executable, "-m", "ms20.commands.cli", "run", "--help"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "firmware")}).stdout
    assert "$MS20_PINS" in text and "$MS20_BOARD" not in text


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert re.fullmatch(r"ms20 \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def readme_commands(prefix: str) -> list[list[str]]:
    lines = [line.strip() for line in (ROOT / "README.md").read_text().splitlines()]
    return [shlex.split(line.split("#")[0])[1:] for line in lines if line.startswith(prefix)]


def test_the_readme_render_examples_work_as_written(tmp_path):
    commands = readme_commands(".venv/bin/ms20 render")
    assert len(commands) >= 3
    for args in commands:
        args[args.index("--out") + 1] = str(tmp_path / Path(args[args.index("--out") + 1]).name)
        cwd = os.getcwd()
        try:
            os.chdir(ROOT)
            assert main([*args, "--quiet"]) == 0, args
        finally:
            os.chdir(cwd)


def test_a_line_in_file_longer_than_the_limit_is_refused_before_it_is_read(tmp_path, capsys):
    long = tmp_path / "long.wav"
    soundfile.write(long, np.zeros(8000 * 5, dtype=np.float32), 8000)
    out = tmp_path / "o.wav"
    assert main(["render", "first-voice", "--input", str(long), "--out", str(out), "--max-seconds", "2",
                 "--quiet"]) == 2
    assert "long.wav: 5 s of LINE IN is longer than --max-seconds 2" in capsys.readouterr().err
