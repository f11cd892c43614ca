"""Note names as players and `ms20 render --notes` spell them: scientific pitch, C4 = 60 =
middle C, sharps with '#', flats with 'b'."""

from __future__ import annotations

import re

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d+)$")


class NoteError(ValueError):
    """A note name that is not one, or a note outside MIDI's 0-127."""


def note_name(note: int) -> str:
    """60 -> 'C4' (sharps for the black keys)."""
    return f"{SHARP_NAMES[note % 12]}{note // 12 - 1}"


def note_number(name: str) -> int:
    """'C4' -> 60, 'F#4' -> 66, 'Bb2' -> 46."""
    m = _NOTE.match(name.strip())
    if not m:
        raise NoteError(f"{name!r} is not a note name (e.g. C3, F#4, Bb2)")
    letter, accidental, octave = m.groups()
    n = _LETTERS[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental] + 12 * (int(octave) + 1)
    if not 0 <= n <= 127:
        raise NoteError(f"{name!r} is outside the MIDI note range")
    return n
