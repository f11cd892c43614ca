"""Keyboards come and go: every port is opened, found again after an unplug, and a keyboard
pulled out mid-note leaves nothing held."""

from __future__ import annotations

import logging
import time

from boxkit import wait_until

from ms20.midi import FakeMidiBackend, MidiInput

KEYS = "Keystation 49:Keystation 49 MIDI 1 24:0"


class Recorder:
    def __init__(self):
        self.got = []

    def __call__(self, msg, t_ns, port):
        self.got.append((msg, t_ns, port))

    def types(self):
        return [m.type for m, _, _ in self.got]


def test_a_keyboard_plugged_in_later_is_played_within_a_second():
    midi_sys, rec = FakeMidiBackend(), Recorder()
    midi = MidiInput(midi_sys, rec, rescan_s=0.05)
    midi.start()
    try:
        assert midi.ports == []
        t = time.monotonic()
        port = midi_sys.plug(KEYS)
        assert wait_until(lambda: port.is_open, 1.0)
        found_s = time.monotonic() - t
        port.note_on(60)
        assert rec.types() == ["note_on"] and rec.got[0][2] == KEYS
        # unplug and plug back: found again
        midi_sys.unplug(KEYS)
        assert wait_until(lambda: midi.ports == [], 1.0)
        port = midi_sys.plug(KEYS)
        assert wait_until(lambda: port.is_open, 1.0)
        print(f"\nkeyboard found {found_s * 1e3:.0f} ms after plugging in (rescan every 50 ms)")
    finally:
        midi.stop()


def test_every_input_port_is_opened_but_midi_through():
    midi_sys, rec = FakeMidiBackend(), Recorder()
    a, b = midi_sys.plug("A:A 20:0"), midi_sys.plug("B:B 24:0")
    midi_sys.plug("Midi Through:Midi Through Port-0 14:0")
    midi = MidiInput(midi_sys, rec)
    midi.rescan()
    assert midi.ports == ["A:A 20:0", "B:B 24:0"]
    # running status is per port: B's data bytes do not borrow A's status
    a.send([0x90, 60])
    b.send([62, 100])
    a.send([100])
    assert [(m.note, p) for m, _, p in rec.got] == [(60, "A:A 20:0")]
    midi.stop()


def test_unplugging_mid_note_releases_its_notes_pedal_and_bend():
    midi_sys, rec = FakeMidiBackend(), Recorder()
    port = midi_sys.plug(KEYS)
    midi = MidiInput(midi_sys, rec)
    midi.rescan()
    port.send([0x90, 48, 100, 52, 100, 0xB0, 64, 127, 0xE0, 0, 80])
    rec.got.clear()
    midi_sys.unplug(KEYS)
    midi.rescan()
    released = sorted((m.type, getattr(m, "note", None)) for m, _, _ in rec.got)
    assert released == [("control_change", None), ("note_off", 48), ("note_off", 52), ("pitchwheel", None)]
    assert not port.send([0x90, 50, 100])    # nothing arrives from a pulled cable


def test_no_midi_system_is_a_warning_and_it_is_found_when_it_appears(caplog):
    midi_sys, rec = FakeMidiBackend(available=False), Recorder()
    midi = MidiInput(midi_sys, rec, rescan_s=0.02, unavailable_retry_s=0.05)
    with caplog.at_level(logging.WARNING):
        midi.start()
    try:
        assert midi.available is False and midi.ports == []
        assert "firmware keeps running" in caplog.text
        midi_sys.plug(KEYS)
        midi_sys.available = True
        assert wait_until(lambda: midi.ports == [KEYS], 1.0)
    finally:
        midi.stop()


def test_a_failing_handler_does_not_kill_the_port():
    midi_sys = FakeMidiBackend()
    port = midi_sys.plug(KEYS)
    calls = []

    def handler(msg, t_ns, name):
        calls.append(msg)
        raise RuntimeError("boom")

    midi = MidiInput(midi_sys, handler)
    midi.rescan()
    port.note_on(60)
    port.note_on(62)
    assert len(calls) == 2 and midi.handler_errors == 2
    midi.stop()


def test_a_pulled_din_cable_releases_held_notes_after_active_sensing_stops():
    midi_sys, rec = FakeMidiBackend(), Recorder()
    midi = MidiInput(midi_sys, rec, rescan_s=0.05)
    midi.start()
    try:
        port = midi_sys.plug(KEYS)
        assert wait_until(lambda: port.is_open, 1.0)
        port.send([0xFE])                       # the interface says it is alive...
        port.note_on(60)
        for _ in range(4):                      # ...every 200 ms while the note is held
            time.sleep(0.2)
            port.send([0xFE])
        assert rec.types() == ["note_on"]       # alive: the note holds
        t = time.monotonic()
        assert wait_until(lambda: "note_off" in rec.types(), 1.0)   # the cable is pulled: silence
        assert 0.25 < time.monotonic() - t < 0.5
        assert port.is_open                     # the port stays; the next note plays
        port.note_on(62)
        assert rec.types()[-1] == "note_on"
        time.sleep(0.5)                         # no Active Sensing since: a long note is not cut
        assert rec.types()[-1] == "note_on"
    finally:
        midi.stop()
