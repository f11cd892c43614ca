"""`ms20 render`, as a newcomer runs it: a WAV that plays the notes, clear errors otherwise."""

from __future__ import annotations

import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from ms20.commands.cli import main
from ms20.commands.render import read_wav

PATCHES = Path(__file__).resolve().parent.parent / "patches"


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spectrum[5:])) + 5
    return k * rate / len(x)


def test_render_notes_plays_them_at_their_times(tmp_path: Path) -> None:
    out = tmp_path / "v.wav"
    assert main(["render", str(PATCHES / "first-voice.toml"), "--notes", "A2:0.5 r:0.5 A3:0.5", "--out", str(out),
                 "--quiet"]) == 0
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 1, 2)
    y = read_wav(out, 48000)
    assert len(y) == pytest.approx(48000 * (1.5 + 1.0), abs=2)  # the notes' 1.5 s plus the 1 s tail
    first, rest, second = y[4800:19200], y[int(0.6 * 48000):int(0.95 * 48000)], y[52800:67200]
    assert dominant_hz(first, 48000) == pytest.approx(110.0, rel=0.02)
    assert dominant_hz(second, 48000) == pytest.approx(220.0, rel=0.02)
    assert np.sqrt(np.mean(rest**2)) < 0.1 * np.sqrt(np.mean(first**2))  # released during the rest


def test_render_a_midi_file(tmp_path: Path) -> None:
    mid = mido.MidiFile()
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("note_on", note=57, velocity=90, time=0))
    track.append(mido.Message("note_off", note=57, time=mid.ticks_per_beat))  # one beat at 120 bpm
    path = tmp_path / "a.mid"
    mid.save(str(path))
    out = tmp_path / "m.wav"
    assert main(["render", str(PATCHES / "first-voice.toml"), "--midi", str(path), "--out", str(out), "--quiet"]) == 0
    y = read_wav(out, 48000)
    assert dominant_hz(y[2400:21600], 48000) == pytest.approx(220.0, rel=0.02)


def test_a_bad_midi_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    args = ["render", str(PATCHES / "first-voice.toml"), "--midi", str(bad), "--out", str(tmp_path / "x.wav")]
    assert main(args) == 2
    assert "bad.mid: not a readable MIDI file" in capsys.readouterr().err


def test_a_bad_patch_file_names_file_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    patch = tmp_path / "oops.toml"
    patch.write_text('[knobs]\n"LPF CUTOF" = 5\n')
    assert main(["render", str(patch), "--notes", "C3:0.1", "--out", str(tmp_path / "x.wav")]) == 2
    assert "oops.toml:2: knob 'LPF CUTOF'" in capsys.readouterr().err


def test_a_bad_note_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(PATCHES / "first-voice.toml"), "--notes", "H2:1", "--out", str(tmp_path / "x.wav")]) == 2
    assert "'H2' is not a note name" in capsys.readouterr().err


def test_render_filter_chooses_the_revision(tmp_path: Path) -> None:
    """--filter ota plays the later board: the same patch and notes sound different (the
    Korg35's forward-path diodes distort a loud saw the OTA board passes clean)."""
    outs = {}
    for revision in ("korg35", "ota"):
        out = tmp_path / f"{revision}.wav"
        assert main(["render", str(PATCHES / "first-voice.toml"), "--notes", "A2:0.5", "--out", str(out),
                     "--filter", revision, "--quiet"]) == 0
        outs[revision] = read_wav(out, 48000)
    a, b = outs["korg35"][4800:19200], outs["ota"][4800:19200]
    assert dominant_hz(a, 48000) == pytest.approx(dominant_hz(b, 48000), rel=0.02)  # the same note
    assert np.sqrt(np.mean((a - b) ** 2)) > 0.05 * np.sqrt(np.mean(a**2))


def test_render_rejects_an_unknown_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["render", str(PATCHES / "first-voice.toml"), "--notes", "A2:0.5", "--out", str(tmp_path / "x.wav"),
              "--filter", "moog"])
    assert "korg35" in capsys.readouterr().err
