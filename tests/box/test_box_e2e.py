"""The whole firmware running: audio thread, MIDI ports, control loop and kernel, played
through a fake keyboard that sends real MIDI bytes, heard through the sink's tap."""

from __future__ import annotations

import random
import time
import wave

import numpy as np
from boxkit import RATE, make_box, onset, pitch_hz, rms_db, running, wait_until

from measure import cents, note_hz
from ms20.model.patchbay import resolve

KEYS = "Keystation 49:Keystation 49 MIDI 1 24:0"
SNAPPY = {"EG-2 ATTACK": 0.0, "EG-2 RELEASE": 0.0}   # notes start and stop at once


def plugged(box, midi_sys, name=KEYS):
    port = midi_sys.plug(name)
    assert wait_until(lambda: port.is_open, 1.0), "the keyboard was not opened"
    return port


def test_a_phrase_played_on_the_keyboard_sounds_at_the_right_pitches():
    box, midi_sys, tap = make_box(knobs=SNAPPY, sink="alsa-file")   # ALSA's file plugin is the card
    with running(box):
        port = plugged(box, midi_sys)
        marks = []
        # running status: one 0x90 status byte, then note/velocity pairs (velocity 0 = off)
        port.send([0x90, 48, 100])
        for prev, note in ((48, 52), (52, 55), (55, 60)):
            marks.append((tap.frames, prev))
            time.sleep(0.25)
            port.send([prev, 0, note, 100])
        marks.append((tap.frames, 60))
        time.sleep(0.25)
        port.send([60, 0])
        time.sleep(0.1)
    with wave.open(str(box.wav_path)) as w:       # what the "card" wrote, not the tap
        assert (w.getframerate(), w.getnchannels()) == (RATE, 1)
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0
    assert len(x) == tap.frames
    for start, note in marks:
        seg = x[start + 2400:start + 2400 + 7200]      # 50 ms in, 150 ms long
        err = cents(pitch_hz(seg), note_hz(note))
        assert abs(err) < 5, f"note {note}: {err:+.1f} cents"
        assert -30 < rms_db(seg) < -10
    assert not box.keyboard.gate


def test_note_on_to_sound_latency_is_constant_and_within_two_buffers():
    period, periods = 64, 3
    box, midi_sys, tap = make_box(knobs=SNAPPY, **{"audio.period": period, "audio.periods": periods})
    latencies, schedule = [], []
    with running(box):
        port = plugged(box, midi_sys)
        pacer = box.audio.sink.pacer
        for k in range(8):
            time.sleep(0.1 + 0.0137 * k)                 # land at different phases of a period
            t = time.monotonic_ns()
            port.send([0x90, 57, 100], at_ns=t)
            head = pacer.playhead_at(t)
            time.sleep(0.08)
            port.send([0x80, 57, 0])
            time.sleep(0.04)
            latencies.append(head)
        time.sleep(0.05)
    x = tap.recorded
    for head in latencies:
        start = onset(x, head - 16, threshold=1e-3)
        assert start is not None
        schedule.append(start - head)
    lat = np.array(schedule)
    buffer = period * periods
    print(f"\nnote-on to sound at the output: {lat.min()}..{lat.max()} samples "
          f"(median {np.median(lat):.0f} = {np.median(lat) / RATE * 1e3:.2f} ms) at {period} frames x "
          f"{periods} periods; scheduling adds {period}, the buffer holds {buffer}")
    assert lat.min() >= period                       # scheduled one period ahead, never early
    assert lat.max() <= period + buffer + 16          # plus at most the buffer (and onset slack)
    assert lat.max() - lat.min() <= 64                # jitter below one period


def test_turning_the_volume_pot_changes_the_level_by_its_taper():
    box, midi_sys, tap = make_box()
    with running(box):
        port = plugged(box, midi_sys)
        port.note_on(48)
        time.sleep(0.4)
        loud = tap.frames
        box.controller.pot_moved("VOLUME", 7.0)        # the pot where the patch has it
        time.sleep(0.1)
        box.controller.pot_moved("VOLUME", 3.5)        # turned down by half its travel
        time.sleep(0.3)
        quiet = tap.frames
        port.note_off(48)
    x = tap.recorded
    drop = rms_db(x[loud - 9600:loud]) - rms_db(x[quiet - 9600:quiet])
    expected = 20 * np.log10((7.0 / 3.5) ** 2)          # square taper: 12.0 dB
    assert abs(drop - expected) < 1.0, f"{drop:.2f} dB, expected {expected:.2f}"


def test_a_cable_from_mg_into_lp_cutoff_makes_the_filter_wobble():
    def centroid_spread(x):
        cs = []
        for i in range(0, len(x) - 2400, 2400):
            seg = x[i:i + 2400] * np.hanning(2400)
            mag = np.abs(np.fft.rfft(seg))
            cs.append((mag * np.fft.rfftfreq(2400, 1 / RATE)).sum() / mag.sum())
        return float(np.std(cs))

    box, midi_sys, tap = make_box()
    with running(box):
        port = plugged(box, midi_sys)
        port.note_on(48)
        time.sleep(0.5)
        a = tap.frames
        time.sleep(0.6)
        b = tap.frames
        box.controller.cables_changed(resolve([("MG TRIANGLE OUT", "LP CUTOFF FREQ")]))
        time.sleep(0.6)
        c = tap.frames
        port.note_off(48)
    x = tap.recorded
    assert centroid_spread(x[a:b]) < 10
    assert centroid_spread(x[b + 4800:c]) > 30


def test_unplugging_the_keyboard_mid_note_leaves_no_stuck_note():
    box, midi_sys, tap = make_box(knobs={"EG-2 RELEASE": 0.0})
    with running(box):
        port = plugged(box, midi_sys)
        port.send([0x90, 48, 100, 55, 100, 0xB0, 64, 127])   # two keys and the sustain pedal
        time.sleep(0.3)
        assert box.keyboard.gate
        midi_sys.unplug(KEYS)
        assert wait_until(lambda: not box.midi.ports, 1.0)
        time.sleep(0.3)
        end = tap.frames
        assert not box.keyboard.gate
    assert rms_db(tap.recorded[end - 4800:end]) < -70     # silence, not a held note


def test_malformed_midi_neither_crashes_nor_hangs_nor_sticks_a_note():
    # No CC map: random bytes decode as CCs that would rightly turn mapped knobs (the resonance).
    box, midi_sys, tap = make_box(knobs=SNAPPY, **{"midi.cc": {}})
    rng = random.Random(5)
    with running(box):
        port = plugged(box, midi_sys)
        port.send([0x80, 60, 0, 0x90, 61, 0])                         # note-offs without note-ons
        port.send([0xF0] + [rng.randrange(128) for _ in range(200_000)])  # an unterminated sysex flood
        port.send([0x90, 0xF8, 0xF4, 200, 0xF5, 0x7F])                # truncated, undefined, out of range
        port.send([0x3C, 0x40, 0xF7, 0xF7, 0xFD, 0xF9])               # stray data and stray EOX
        for _ in range(20):
            port.send([rng.randrange(256) for _ in range(500)])       # noise
        port.send([0xB0, 123, 0, 0xB0, 64, 0])                        # the noise may hold keys: all off
        time.sleep(0.1)
        periods = box.audio.periods
        port.send([0x90, 55, 100])                                    # and the keyboard still plays
        time.sleep(0.3)
        end = tap.frames
        port.send([0x80, 55, 0])
        time.sleep(0.1)
        assert box.audio.periods > periods and box.audio.state == "running"
        assert not box.keyboard.gate
        stats = box.midi.stats()
    assert abs(cents(pitch_hz(tap.recorded[end - 7200:end]), note_hz(55))) < 5
    print(f"\nmalformed MIDI: {stats['messages']} messages decoded, {stats['sysex_bytes']} sysex bytes "
          f"skipped, {stats['dropped_bytes']} stray bytes dropped, queue full {box.queue_full}")
    assert box.midi.handler_errors == 0


def test_velocity_is_ignored_like_the_original_unless_mapped():
    levels = {}
    for mapped in (False, True):
        settings = {"midi.velocity_knob": "VOLUME", "midi.velocity_range": [2.0, 8.0]} if mapped else {}
        box, midi_sys, tap = make_box(knobs=SNAPPY, **settings)
        with running(box):
            port = plugged(box, midi_sys)
            for vel in (30, 127):
                port.note_on(48, vel)
                time.sleep(0.2)
                levels[mapped, vel] = rms_db(tap.recorded[tap.frames - 4800:tap.frames])
                port.note_off(48)
                time.sleep(0.05)
    assert abs(levels[False, 30] - levels[False, 127]) < 0.5
    assert levels[True, 127] - levels[True, 30] > 10


def test_demo_plays_with_no_keyboard_and_stops_when_one_is_plugged_in():
    box, midi_sys, tap = make_box(demo=True)
    with running(box):
        assert wait_until(lambda: box.demo.notes_played >= 2, 2.0)
        plugged(box, midi_sys)
        assert wait_until(lambda: not box.demo.running, 1.0)
        time.sleep(0.1)
        assert not box.keyboard.gate          # the demo let go of its note


def test_the_simulated_board_pots_and_jacks_drive_the_sound():
    box, midi_sys, tap = make_box(surface="sim")
    with running(box, settle_s=0.2):
        mock = box.surface.board.sim                    # the hardware layer's MockBoard
        port = plugged(box, midi_sys)
        port.note_on(48)
        time.sleep(0.4)
        loud = tap.frames
        mock.turn("VOLUME", 3.5)                       # the player turns the physical pot
        time.sleep(0.3)
        quiet = tap.frames
        mock.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")  # and patches a cable
        assert wait_until(lambda: box.controller.state.routing.cables, 1.0)
        port.note_off(48)
        cables = box.controller.state.routing.cables
    x = tap.recorded
    drop = rms_db(x[loud - 9600:loud]) - rms_db(x[quiet - 9600:quiet])
    assert 10.5 < drop < 13.5, f"{drop:.2f} dB"         # square taper from ~7 to 3.5: ~12 dB
    assert ("MG TRIANGLE OUT", "LP CUTOFF FREQ") in cables


def test_a_stalled_period_is_one_xrun_shown_on_the_led_and_the_note_plays_on():
    box, midi_sys, tap = make_box(surface="sim", seconds=4.0)
    with running(box, settle_s=0.2):
        mock = box.surface.board.sim
        port = plugged(box, midi_sys)
        port.note_on(48)
        time.sleep(0.3)
        assert mock.led_is_lit
        before = box.audio.xruns
        box.audio.inject_stall(0.03)                         # a period comes 30 ms late
        assert wait_until(lambda: not mock.led_is_lit, 1.0)  # the status LED winks
        time.sleep(0.4)
        assert mock.led_is_lit
        end = tap.frames
        xruns = box.audio.xruns - before
    assert 1 <= xruns <= 3  # the stall's underrun, recovered (a VM pause may add one), not a storm
    assert abs(cents(pitch_hz(tap.recorded[end - 7200:end]), note_hz(48))) < 5
