"""`ms20 run` as a newcomer and as systemd run it: scripted to a WAV with the demo phrase,
stopped by SIGTERM, ALSA's file plugin as the sound card (full duplex: LINE IN from a file
reaches the kernel), and a bad config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
from boxkit import onset, pitch_hz

from measure import cents, note_hz

ROOT = Path(__file__).resolve().parents[2]


def ms20(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    e = dict(os.environ)
    e.update({"PYTHONPATH": str(ROOT / "firmware"), "PYTHONUNBUFFERED": "1"})
    e.pop("MS20_PINS", None)
    e.pop("NOTIFY_SOCKET", None)
    e.setdefault("STATE_DIRECTORY", str(ROOT / "out" / "test-state"))   # the last good copies
    e.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "ms20.commands.cli", *args], cwd=ROOT, env=e, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        raw = w.readframes(w.getnframes())
        x = np.frombuffer(raw, "<i2").reshape(-1, w.getnchannels())[:, 0] / 32768.0
        return x, w.getframerate()


def assert_demo_starts_with_c3(x: np.ndarray, rate: int) -> None:
    start = onset(x, 0, threshold=1e-2)
    assert start is not None, "no sound"
    seg = x[start + rate // 20:start + rate // 20 + rate // 5]
    assert abs(cents(pitch_hz(seg, rate), note_hz(48))) < 5


def test_run_sim_with_a_duration_writes_the_demo_to_a_wav(tmp_path):
    out = tmp_path / "run.wav"
    p = ms20("run", "--sim", "--duration", "2", "--wav", str(out))
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 0, stderr + stdout
    assert "playing the demo phrase" in stdout and f"wrote {out}" in stdout
    x, rate = read_wav(out)
    assert rate == 48000 and 1.8 < len(x) / rate < 2.3
    assert_demo_starts_with_c3(x, rate)


def test_sigterm_stops_cleanly_and_the_wav_is_complete(tmp_path):
    out = tmp_path / "term.wav"
    p = ms20("run", "--sim", "--wav", str(out))
    deadline = time.monotonic() + 15
    lines = []
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        lines.append(line)
        if "playing the demo phrase" in line:
            break
    time.sleep(0.5)
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=10)
    assert p.returncode == 0, stderr
    assert time.monotonic() - t < 3.0
    assert "SIGTERM, stopping" in "".join(lines) + stdout and "box: stopped" in stdout
    x, rate = read_wav(out)          # the header was patched on close: the length is right
    assert len(x) > rate * 0.4


def test_alsa_file_plugin_as_the_configured_sound_card_full_duplex(tmp_path):
    raw = tmp_path / "card.raw"
    # A user-level ALSA config, as a test box would have: a "card" that writes what it plays.
    (tmp_path / ".asoundrc").write_text(
        f'pcm.ms20card {{\n  type file\n  slave.pcm "null"\n  file "{raw}"\n  format "raw"\n}}\n')
    cfg = tmp_path / "ms20.toml"
    cfg.write_text('[audio]\ndevice = "ms20card"\ncapture = "null"\npaced = "yes"\nchannels = 2\n'
                   'lock_memory = false\n[board]\nbackend = "none"\n')
    p = ms20("run", "--config", str(cfg), "--duration", "1.5", "--demo", env={"HOME": str(tmp_path)})
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 0, stderr + stdout
    assert "LINE IN from null" in stdout and "ms20card: 48000 Hz, 64 frames x 3 periods" in stdout
    x = np.fromfile(raw, "<i2").reshape(-1, 2)
    assert (x[:, 0] == x[:, 1]).all()                       # the voice on both channels
    assert_demo_starts_with_c3(x[:, 0] / 32768.0, 48000)


def test_line_in_from_the_card_reaches_the_kernel(tmp_path):
    # The "card" captures from a file (the file plugin's infile): 220 Hz, then 330 Hz, into
    # LINE IN. Guide patch 2 sends LINE IN through the ESP, whose pitch plays the VCOs.
    t = np.arange(48000) / 48000
    tones = np.concatenate([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t), np.zeros(96000)])
    left = np.rint(0.5 * 32767 * tones).astype("<i2")
    np.stack([left, np.zeros_like(left)], 1).tofile(tmp_path / "in.raw")   # LINE IN is the left channel
    raw = tmp_path / "out.raw"
    (tmp_path / ".asoundrc").write_text(
        f'pcm.ms20card {{\n  type file\n  slave.pcm "null"\n  file "{raw}"\n  infile "{tmp_path / "in.raw"}"\n'
        f'  format "raw"\n}}\n')
    cfg = tmp_path / "ms20.toml"
    cfg.write_text('[audio]\ndevice = "ms20card"\npaced = "yes"\nlock_memory = false\n[board]\nbackend = "none"\n')
    p = ms20("run", "--config", str(cfg), "--patch", "patches/2-external-integration.toml", "--no-demo",
             "--duration", "2", env={"HOME": str(tmp_path)})
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 0, stderr + stdout
    assert "LINE IN from ms20card" in stdout
    x = np.fromfile(raw, "<i2").reshape(-1, 2)[:, 0] / 32768.0
    assert abs(cents(pitch_hz(x[12000:36000]), 220.0)) < 30     # the VCOs follow what comes in
    assert abs(cents(pitch_hz(x[60000:84000]), 330.0)) < 30


def test_a_bad_config_is_refused_naming_the_key_by_check(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[audio]\nperiods = 1\n")
    p = ms20("run", "--check", "--config", str(cfg))
    _, stderr = p.communicate(timeout=30)
    assert p.returncode == 2
    assert "audio.periods" in stderr and "bad.toml:2" in stderr and "Traceback" not in stderr
