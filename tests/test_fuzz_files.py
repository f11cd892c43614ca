"""A seeded fuzz of every file a user hands the firmware (patch, config, calibration, MIDI):
mutations of the shipped files and of random bytes must end in the file's own error (one
message naming the file) or a clean load, never another exception. Bounded: a few seconds."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import pytest

from ms20.box.config import ConfigError, default_toml, load_config
from ms20.commands.render import RenderError, read_midi
from ms20.control.calibration import CalibrationError, PotCalibration, format_calibration, load_calibration
from ms20.model.patch import PatchError, load_patch

ROOT = Path(__file__).resolve().parents[1]
SEED = 14
BUDGET_S = 1.5          # per file kind
TOKENS = [b"[", b"]", b"{", b"}", b"=", b'"', b"'", b"\n", b"#", b".", b",", b"\xff", b"\xef\xbb\xbf",
          b"1979-05-27", b"12:00:00", b"9" * 400, b"nan", b"inf", b"-1", b"true", b"[[x]]", b"[midi]",
          b"[knobs]", b"[pots.x]", b"cc", b"min", b"\x00", b"[" * 2000]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four edits: replace, insert, delete a span, or splice a token."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(b) + 1)
        kind = rng.randrange(4)
        if kind == 0 and b:
            b[min(at, len(b) - 1)] = rng.randrange(256)
        elif kind == 1:
            b[at:at] = rng.choice(TOKENS)
        elif kind == 2:
            del b[at:at + rng.randint(1, 40)]
        else:
            b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(b)


def midi_seed() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return kind + struct.pack(">I", len(data)) + data
    track = (b"\x00\xff\x51\x03\x07\xa1\x20\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xb0\x01\x40"
             b"\x00\xe0\x00\x40\x10\x90\x40\x40\x30\x80\x40\x00\x00\xff\x2f\x00")
    return chunk(b"MThd", struct.pack(">HHH", 1, 1, 96)) + chunk(b"MTrk", track)


KINDS = {
    "patch": (lambda: (ROOT / "patches" / "first-voice.toml").read_bytes(), load_patch, PatchError),
    "config": (lambda: default_toml().encode(), load_config, ConfigError),
    "calibration": (lambda: format_calibration({"VCO-1 LEVEL": PotCalibration(30, 4060),
                                                "CONTROL WHEEL": PotCalibration(100, 4000)}).encode(),
                    load_calibration, CalibrationError),
    "midi": (midi_seed, read_midi, RenderError),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fuzzed_files_are_loaded_or_refused_by_name_never_crash(tmp_path, kind):
    seed_of, load, error = KINDS[kind]
    rng = random.Random(f"{SEED}-{kind}")
    seed = seed_of()
    path = tmp_path / f"fuzzed.{kind}"
    end = time.monotonic() + BUDGET_S
    tried = refused = 0
    while time.monotonic() < end:
        data = mutate(rng, seed) if rng.random() < 0.9 else bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        path.write_bytes(data)
        tried += 1
        try:
            load(path)
        except error as exc:
            refused += 1
            assert str(path) in str(exc), f"{exc!r} does not name the file; input {data[:200]!r}"
        except Exception as exc:  # noqa: BLE001 (that is what the test is for)
            pytest.fail(f"{kind}: {type(exc).__name__}: {exc} on input {data[:200]!r}")
    assert tried > 20 and refused > 0
