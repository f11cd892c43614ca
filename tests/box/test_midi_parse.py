"""Raw MIDI bytes as keyboards really send them, and as broken ones do."""

from __future__ import annotations

import random
import time

from ms20.midi import MidiByteParser


def kinds(msgs):
    return [(m.type, getattr(m, "note", None)) for m in msgs]


def test_running_status_keeps_every_note():
    msgs = MidiByteParser().feed([0x90, 60, 100, 64, 100, 67, 100, 60, 0])
    assert kinds(msgs) == [("note_on", 60), ("note_on", 64), ("note_on", 67), ("note_on", 60)]
    assert msgs[-1].velocity == 0   # note-on with velocity 0 is a note-off


def test_a_clock_byte_inside_a_message_does_not_lose_the_note():
    msgs = MidiByteParser().feed([0x90, 0xF8, 60, 0xFA, 100])
    assert kinds(msgs) == [("start", None), ("note_on", 60)]


def test_messages_split_across_reads_are_joined():
    p = MidiByteParser()
    assert p.feed([0x90, 60]) == []
    assert kinds(p.feed([100, 62])) == [("note_on", 60)]
    assert kinds(p.feed([100])) == [("note_on", 62)]


def test_a_sysex_flood_costs_no_memory_and_no_time():
    p = MidiByteParser()
    flood = bytes([0xF0]) + bytes(range(128)) * 8192 + bytes([0xF8])   # 1 MB, never terminated
    t = time.perf_counter()
    assert p.feed(flood) == []
    assert kinds(p.feed([0x90, 48, 90])) == [("note_on", 48)]         # a status byte ends it
    assert time.perf_counter() - t < 2.0
    assert p.sysex_bytes == 128 * 8192 and len(p._buf) <= 3


def test_garbage_never_raises_and_only_yields_valid_messages():
    rng = random.Random(20)
    p = MidiByteParser()
    data = [rng.randrange(256) for _ in range(50_000)] + [-1, 300, "x"]  # out-of-range too
    msgs = p.feed(data)
    assert msgs, "random bytes contain some complete messages"
    for m in msgs:
        m.bytes()   # mido validated every field
    assert p.dropped > 0


def test_undefined_and_system_common_bytes_clear_running_status():
    msgs = MidiByteParser().feed([0x90, 60, 100, 0xF4, 62, 100, 0xF2, 1, 2, 0x80, 60, 0])
    assert kinds(msgs) == [("note_on", 60), ("note_off", 60)]
