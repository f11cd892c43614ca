"""Every bad file or argument a user (or an adversarial tester) can hand the command line gets
one line naming the file (and line and key where there is one) and exit 2, never a
traceback, a hang or an unbounded allocation."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from ms20.commands.cli import main

ROOT = Path(__file__).resolve().parents[1]
KNOB = '[knobs]\n"VCO-1 LEVEL" = '


def render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["render", *args, "--quiet"])
    err = capsys.readouterr().err
    return code, err


def one_line_naming(err: str, name: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and name in lines[0], err


@pytest.mark.parametrize("text, says", [
    (KNOB + "[1, 2]\n", "p.toml:2: knob 'VCO-1 LEVEL'"),
    (KNOB + "{ a = 1 }\n", "p.toml:2: knob 'VCO-1 LEVEL'"),
    (KNOB + "1979-05-27\n", "p.toml:2: knob 'VCO-1 LEVEL'"),
    (KNOB + "12:30:00\n", "p.toml:2: knob 'VCO-1 LEVEL'"),
    (KNOB + "9" * 400 + "\n", "outside 0-10"),
    ("midi = 5\n", "p.toml:1: [midi] must be a table"),
    ("[midi]\nchannel = 1\n", "p.toml:2: unknown key 'channel' under [midi]"),
    ("[midi.cc]\n1 = 5\n", "p.toml:2: midi.cc 1: must be a knob name"),
    ("name = 5\n", "p.toml:1: name must be a string"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "p.toml: not valid TOML (arrays or tables nested too deeply)"),
    ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", "p.toml: not valid TOML"),
])
def test_a_bad_patch_value_is_one_line_naming_file_line_and_key(tmp_path, capsys, text, says):
    patch = tmp_path / "p.toml"
    patch.write_text(text)
    code, err = render(capsys, str(patch), "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"))
    assert code == 2
    one_line_naming(err, says)


def test_bad_utf8_names_the_file_and_line_and_a_bom_is_read(tmp_path, capsys):
    patch = tmp_path / "p.toml"
    patch.write_bytes(b'name = "x"\n[knobs]\n"VCO-1 LEVEL" = "\xff"\n')
    code, err = render(capsys, str(patch), "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"))
    assert code == 2
    one_line_naming(err, "p.toml:3: not UTF-8")
    patch.write_bytes(b'\xef\xbb\xbfname = "BOM"\n')            # as Notepad saves it
    assert main(["render", str(patch), "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"), "--quiet"]) == 0


def test_a_config_with_bad_types_or_nesting_is_one_line(tmp_path):
    from ms20.box.config import ConfigError, load_config

    for text, says in (("[midi]\ncc = { 1 = 5 }\n", "c.toml:2: midi.cc"),
                       ("[audio]\n" + "x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
                       ("midi = 5\n", "c.toml:1: [midi]: must be a [table]"),
                       ("[audio]\nrate = " + "9" * 400 + "\n", "c.toml:2: audio.rate")):
        cfg = tmp_path / "c.toml"
        cfg.write_text(text)
        with pytest.raises(ConfigError, match=None) as info:
            load_config(cfg)
        assert says in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "dir"])
def test_a_device_fifo_or_directory_as_patch_is_refused_at_once(tmp_path, capsys, special):
    if special == "fifo":
        special = str(tmp_path / "fifo.toml")
        os.mkfifo(special)
    elif special == "dir":
        special = str(tmp_path)
    code, err = render(capsys, special, "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"))
    assert code == 2
    one_line_naming(err, f"{special}: cannot read patch file")


def test_a_huge_patch_file_is_refused_without_reading_it_all(tmp_path, capsys):
    patch = tmp_path / "big.toml"
    with open(patch, "wb") as f:
        f.truncate(1 << 30)          # sparse: 1 GiB of zeros
    code, err = render(capsys, str(patch), "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"))
    assert code == 2
    one_line_naming(err, "larger than 1024 KiB")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack(">I", len(data)) + data


TRACK = _chunk(b"MTrk", b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00")


@pytest.mark.parametrize("data, says", [
    (_chunk(b"MThd", struct.pack(">HHH", 2, 1, 96)) + TRACK, "format 2"),
    (_chunk(b"MThd", struct.pack(">HHH", 0, 1, 0)) + TRACK, "time division 0"),
    (b"MThd" + struct.pack(">I", 0xFFFFFFF0) + struct.pack(">HHH", 0, 1, 96) + TRACK, "not a readable MIDI file"),
    (_chunk(b"MThd", struct.pack(">HHH", 0, 1, 1))
     + _chunk(b"MTrk", b"\x00\xff\x51\x03\xff\xff\xff\x00\x90\x3c\x40\xff\xff\xff\x7f\x80\x3c\x00\x00\xff\x2f\x00"),
     "asks for a render of"),
    (b"MThd\x00\x00", "not a readable MIDI file"),
])
def test_a_bad_midi_file_is_one_line(tmp_path, capsys, data, says):
    mid = tmp_path / "m.mid"
    mid.write_bytes(data)
    code, err = render(capsys, "first-voice", "--midi", str(mid), "--out", str(tmp_path / "o.wav"))
    assert code == 2
    one_line_naming(err, "m.mid")
    assert says in err


def test_a_very_long_midi_file_renders_when_the_length_is_given(tmp_path, capsys):
    mid = tmp_path / "long.mid"
    mid.write_bytes(_chunk(b"MThd", struct.pack(">HHH", 0, 1, 96))
                    + _chunk(b"MTrk", b"\x00\x90\x3c\x40\x8f\xff\xff\x7f\x80\x3c\x00\x00\xff\x2f\x00"))
    code, err = render(capsys, "first-voice", "--midi", str(mid), "--out", str(tmp_path / "o.wav"))
    assert code == 2 and "--max-seconds" in err             # the limit says how to lift it
    assert main(["render", "first-voice", "--midi", str(mid), "--out", str(tmp_path / "o.wav"), "--seconds", "0.5",
                 "--quiet"]) == 0


def test_thousands_of_midi_messages_in_one_block_all_play(tmp_path):
    from ms20.commands.render import read_audio

    # 6000 mod-wheel messages at time 0 (more than the kernel's 4096-event queue), then a note.
    body = b"".join(b"\x00\xb0\x01" + bytes([i % 128]) for i in range(6000))
    body += b"\x00\x90\x45\x64\x60\x80\x45\x00\x00\xff\x2f\x00"
    mid = tmp_path / "many.mid"
    mid.write_bytes(_chunk(b"MThd", struct.pack(">HHH", 0, 1, 96)) + _chunk(b"MTrk", body))
    out = tmp_path / "o.wav"
    assert main(["render", "first-voice", "--midi", str(mid), "--out", str(out), "--quiet"]) == 0
    y = read_audio(out, 48000)
    assert abs(y[4800:19200]).max() > 0.05                  # the note after them sounds


@pytest.mark.parametrize("args, says", [
    (["--seconds", "1e12"], "--max-seconds"),
    (["--tail", "1e12"], "--max-seconds"),
    (["--tail", "-5"], "--tail"),
    (["--seconds", "nan"], "--seconds"),
    (["--rate", "22050"], "--rate"),
])
def test_out_of_range_lengths_and_rates_are_refused(tmp_path, capsys, args, says):
    try:
        code = main(["render", "first-voice", "--notes", "C3:0.1", "--out", str(tmp_path / "o.wav"), "--quiet", *args])
    except SystemExit as exc:      # argparse's own refusal: usage and one error line, exit 2
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err
    assert not (tmp_path / "o.wav").exists()


def test_run_refuses_a_negative_duration(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--sim", "--duration", "-1"])
    assert info.value.code == 2 and "--duration" in capsys.readouterr().err


@pytest.mark.parametrize("at", ["board:", "audio: opened"])
def test_ctrl_c_during_start_up_is_a_quiet_exit(tmp_path, at):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "firmware"), "PYTHONUNBUFFERED": "1",
           "STATE_DIRECTORY": str(tmp_path)}
    p = subprocess.Popen([sys.executable, "-m", "ms20.commands.cli", "run", "--sim", "--no-demo",
                          "--device", "null", "--duration", "20"], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in p.stdout:
        seen.append(line)
        if at in line:
            p.send_signal(2)          # SIGINT, as Ctrl-C at the terminal
            break
    out, err = p.communicate(timeout=20)
    assert "Traceback" not in err + out, err
    assert p.returncode in (0, 130), err
    assert "SIGINT, stopping" in out
