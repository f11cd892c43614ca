"""Outputs that fail must say so and must not destroy: `ms20 run --wav` on a disk that will
not take the file, a FIFO or an unquotable name fails at once (no "wrote"), a disk that fills
up ends the run with an error instead of truncating the file again and again, SIGHUP stops
cleanly with a valid header; `ms20 render --out` is atomic and writes the format its name asks."""

from __future__ import annotations

import logging
import os
import resource
import signal
import stat
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from ms20.audio import AlsaSink
from ms20.audio.thread import AudioThread
from ms20.commands.cli import main
from ms20.model.engine import Engine

ROOT = Path(__file__).resolve().parents[2]


def ms20(*args: str, fsize: int | None = None, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "firmware"), "PYTHONUNBUFFERED": "1"}
    env.pop("MS20_PINS", None)
    env.pop("NOTIFY_SOCKET", None)
    env.setdefault("STATE_DIRECTORY", str(ROOT / "out" / "test-state"))

    def limit() -> None:         # a full disk, without a disk: writes past `fsize` bytes fail (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.Popen([sys.executable, "-m", "ms20.commands.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=limit if fsize is not None else None, **kw)


def unwritable_dir() -> Path:
    """A directory nobody may create files in, even root: sysfs."""
    try:
        (Path("/sys") / "ms20-probe").open("wb")
    except OSError:
        return Path("/sys")
    pytest.skip("no read-only directory to try")


@pytest.mark.parametrize("where", ["read-only", "fifo", "quote", "device"])
def test_run_refuses_a_wav_it_cannot_write_at_once(tmp_path, where):
    if where == "read-only":
        wav = unwritable_dir() / "ms20.wav"
    elif where == "fifo":
        wav = tmp_path / "pipe.wav"
        os.mkfifo(wav)
    elif where == "quote":
        wav = tmp_path / 'say "hi".wav'
    else:
        wav = Path("/dev/full")
    p = ms20("run", "--sim", "--duration", "1", "--wav", str(wav))
    out, err = p.communicate(timeout=30)
    assert p.returncode == 2, out + err
    assert "wrote" not in out and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "--wav" in err


def test_run_on_a_disk_that_fills_up_fails_without_flooding_the_log(tmp_path):
    wav = tmp_path / "full.wav"
    p = ms20("run", "--sim", "--duration", "2", "--wav", str(wav), fsize=20_000)
    out, err = p.communicate(timeout=30)
    assert p.returncode != 0, out + err
    assert "wrote" not in out and "incomplete" in err
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert 1 <= len(errors) <= 2, errors                      # said once, not 49 times a second
    assert wav.stat().st_size > 10_000                         # written up to the limit, not truncated again


def test_sighup_stops_cleanly_and_the_wav_header_has_its_length(tmp_path):
    wav = tmp_path / "hup.wav"
    p = ms20("run", "--sim", "--wav", str(wav))
    deadline = time.monotonic() + 20
    for line in p.stdout:
        if "box: running" in line or time.monotonic() > deadline:
            break
    time.sleep(0.6)
    p.send_signal(signal.SIGHUP)                                # the SSH session closed
    out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert "SIGHUP, stopping" in out and f"wrote {wav}" in out
    with wave.open(str(wav)) as w:
        frames = w.getnframes()
    assert frames > 48000 * 0.3                                 # the header says how long it is
    assert stat.S_IMODE(wav.stat().st_mode) == 0o644 & ~_umask()


def _umask() -> int:
    u = os.umask(0)
    os.umask(u)
    return u


def test_a_card_that_keeps_failing_is_reopened_with_backoff_and_logged_once(caplog):
    sink = AlsaSink('file:FILE="/dev/full",FORMAT=raw', "none", 48000, 64, 3, 1, "S16_LE", "yes")
    audio = AudioThread(Engine(48000), sink, realtime_priority=0, retry_s=0.2)
    opened = []
    real_open = sink.open
    sink.open = lambda: opened.append(time.monotonic()) or real_open()
    with caplog.at_level(logging.ERROR, logger="ms20.audio.thread"):
        audio.start()
        time.sleep(1.6)
        audio.stop()
    assert 2 <= len(opened) <= 5, len(opened)                   # 0.2, 0.4, 0.8 s apart: not 49 a second
    reopening = [r for r in caplog.records if "reopening" in r.message]
    assert len(reopening) == 1


def render(tmp_path: Path, out: Path, *extra: str) -> int:
    return main(["render", "first-voice", "--notes", "C3:0.3", "--out", str(out), "--quiet", *extra])


def test_render_on_a_full_disk_keeps_the_previous_file(tmp_path):
    out = tmp_path / "keep.wav"
    assert render(tmp_path, out) == 0
    before = out.read_bytes()
    p = ms20("render", "first-voice", "--notes", "C3:2", "--out", str(out), "--quiet", fsize=50_000)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "cannot write" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_bytes() == before                            # the old render is untouched
    assert [f.name for f in tmp_path.iterdir()] == ["keep.wav"]  # and no temp file left behind


def test_render_to_a_read_only_place_is_one_line(capsys):
    out = unwritable_dir() / "x.wav"
    assert main(["render", "first-voice", "--notes", "C3:0.1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot write" in err and str(out) in err


@pytest.mark.parametrize("name, fmt, subtype", [
    ("a.wav", "16", "PCM_16"), ("a.wav", "24", "PCM_24"), ("a.wav", "float", "FLOAT"),
    ("a.flac", "16", "PCM_16"), ("a.FLAC", "24", "PCM_24"),
])
def test_render_writes_the_format_its_name_and_option_ask_for(tmp_path, name, fmt, subtype):
    out = tmp_path / name
    assert render(tmp_path, out, "--format", fmt) == 0
    info = soundfile.info(str(out))
    assert info.format == ("FLAC" if name.lower().endswith("flac") else "WAV") and info.subtype == subtype
    assert stat.S_IMODE(out.stat().st_mode) == 0o644 & ~_umask()


@pytest.mark.parametrize("name", ["a.mp3", "a", "a.ogg"])
def test_render_refuses_a_format_it_cannot_write(tmp_path, capsys, name):
    assert render(tmp_path, tmp_path / name) == 2
    assert "can write .wav or .flac" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_a_trailing_rest_is_kept_and_the_gate_is_settable(tmp_path):
    out = tmp_path / "rest.wav"
    assert main(["render", "first-voice", "--notes", "A2:0.5 r:1.5", "--tail", "0", "--out", str(out),
                 "--quiet"]) == 0
    assert soundfile.info(str(out)).frames == 2 * 48000          # the whole score, rest included
    for gate, held in ((0.5, 0.25), (1.0, 0.5)):
        assert main(["render", "first-voice", "--notes", "A2:0.5 r:0.5", "--gate", str(gate), "--tail", "0",
                     "--out", str(out), "--quiet"]) == 0
        y, rate = soundfile.read(str(out))
        env = np.sqrt(np.convolve(y**2, np.ones(480) / 480, "same"))
        # the release starts at the gate: still loud just before it, decaying just after
        assert env[int((held - 0.03) * rate)] > 0.9 * env[int(0.1 * rate)]
    assert main(["render", "first-voice", "--notes", "A2:0.5", "--gate", "0", "--out", str(out), "--quiet"]) == 2


def test_an_output_that_is_a_device_or_a_directory_is_never_replaced(tmp_path, capsys):
    # Run as root, a rename over /dev/full would replace the device node itself: a FIFO stands in.
    full = tmp_path / "dev.wav"
    os.mkfifo(full)                                    # a special file we may create anywhere
    assert main(["render", "first-voice", "--notes", "C3:0.1", "--out", str(full), "--quiet"]) == 2
    assert "not a regular file" in capsys.readouterr().err and stat.S_ISFIFO(full.stat().st_mode)
    assert main(["calibrate", "--sim", "--file", str(full)]) == 2
    assert "not a regular file" in capsys.readouterr().err and stat.S_ISFIFO(full.stat().st_mode)
