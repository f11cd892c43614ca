"""Patch memory in the running firmware: `ms20 save`/`ms20 recall` over the control channel,
Program Change on the right channel only, floods, a recall while a note is held, a broken
patch in the bank, a save onto a full disk and names that try to leave the directory."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from boxkit import RATE, make_box, rms_db, running, wait_until

from measure import centroid_hz
from ms20.commands.cli import main
from ms20.memory.channel import ControlServer
from ms20.memory.store import format_patch
from ms20.model.patch import load_patch

KEYS = "Keystation 49:Keystation 49 MIDI 1 24:0"
SNAPPY = {"EG-2 ATTACK": 0.0, "EG-2 RELEASE": 0.0}


def write_variants(directory: Path, **cutoffs: float) -> None:
    """Patches named after the keys, the first voice with LPF CUTOFF at each value."""
    base = load_patch("patches/first-voice.toml").panel
    for knob, pos in SNAPPY.items():
        base = base.with_knob(knob, pos)
    for name, cutoff in cutoffs.items():
        (directory / f"{name}.toml").write_text(format_patch(name, base.with_knob("LPF CUTOFF", cutoff)))


@pytest.fixture
def sock():
    """A control socket path short enough for AF_UNIX (pytest's tmp_path may be too long)."""
    folder = Path(tempfile.mkdtemp(prefix="ms20-"))
    yield folder / "c.sock"
    shutil.rmtree(folder, ignore_errors=True)


def record_event_times(engine) -> list:
    """From now on, the sample time of every knob, switch and patch event queued to `engine`."""
    times: list = []
    for name, at_index in (("set_param", 2), ("set_switch", 2), ("patch", 1)):
        queue = getattr(engine, name)

        def recorded(*args, _queue=queue, _i=at_index, **kwargs):
            times.append(args[_i] if len(args) > _i else kwargs.get("at"))
            return _queue(*args, **kwargs)

        setattr(engine, name, recorded)
    return times


def memory_box(tmp_path: Path, **settings):
    box, midi_sys, tap = make_box(knobs=SNAPPY, **{"patch.dir": str(tmp_path), **settings})
    return box, midi_sys, tap


def plugged(midi_sys):
    port = midi_sys.plug(KEYS)
    assert wait_until(lambda: port.is_open, 1.0)
    return port


def test_ms20_save_and_recall_talk_to_the_running_firmware(tmp_path, capsys, sock):
    box, _, _ = memory_box(tmp_path)
    box.control = ControlServer(sock, box.memory.handle)
    with running(box):
        assert main(["save", "Fläche ü", "--socket", str(sock)]) == 0
        assert (tmp_path / "Fläche ü.toml").exists()
        assert load_patch(tmp_path / "Fläche ü.toml").name == "Fläche ü"
        assert main(["save", "../x", "--socket", str(sock)]) == 2
        assert main(["save", "a/b", "--socket", str(sock)]) == 2
        assert "must not contain" in capsys.readouterr().err
        assert not (tmp_path.parent / "x.toml").exists() and not (tmp_path / "a").exists()
        assert main(["recall", "5a-esp-feedback", "--socket", str(sock)]) == 0
        out = capsys.readouterr().out
        assert "recalled ESP feedback" in out and "the panel matches the patch" in out
        assert box.memory.patch.name == "ESP feedback"
        # No jack matrix on this box: the patch's cables are all there is, and they sound.
        assert ("OUTPUT", "ESP SIGNAL IN") in box.controller.state.routing.cables
        assert main(["recall", "no such patch", "--socket", str(sock)]) == 2
    assert main(["save", "x", "--socket", str(sock)]) == 2   # nobody listens any more
    assert "is `ms20 run` running?" in capsys.readouterr().err


@pytest.mark.parametrize(("channel", "sent_on", "selects"), [(3, 2, True), (3, 0, False), (0, 9, True)])
def test_program_change_selects_the_bank_patch_on_the_configured_channel_only(tmp_path, channel, sent_on, selects):
    write_variants(tmp_path, dark=1.0, bright=9.0)
    box, midi_sys, _ = memory_box(tmp_path, **{"patch.bank": ["dark", "bright"], "patch.channel": channel})
    with running(box):
        port = plugged(midi_sys)
        port.send([0xC0 | sent_on, 1])                     # program 2 (MIDI counts from 0)
        time.sleep(0.2)
        name = box.memory.patch.name
    assert (name == "bright") is selects


def test_a_program_change_flood_of_100_per_second_ends_on_the_last_and_never_stops_the_audio(tmp_path):
    write_variants(tmp_path, p1=1.0, p2=4.0, p3=9.0)
    box, midi_sys, _ = memory_box(tmp_path, **{"patch.bank": ["p1", "p2", "p3"]})
    with running(box):
        port = plugged(midi_sys)
        periods = box.audio.periods
        for k in range(100):
            port.send([0xC0, k % 3])
            time.sleep(0.01)
        port.send([0xC0, 2])
        assert wait_until(lambda: box.memory.patch is not None and box.memory.patch.name == "p3", 1.0)
        time.sleep(0.1)
        assert box.audio.state == "running"
        played_s = (box.audio.periods - periods) * box.config.audio.period / RATE
    assert box.queue_full == 0
    assert box.memory.recalls <= 60                      # floods are thinned, the newest wins
    assert played_s > 0.9                                # the audio went on through all of it
    assert box.controller.state.knobs["LPF CUTOFF"] == pytest.approx(9.0)


def test_a_recall_during_a_held_note_keeps_it_sounding_and_leaves_no_stuck_note(tmp_path):
    write_variants(tmp_path, bright=9.0)
    bright = load_patch(tmp_path / "bright.toml").panel.with_switch("VCO-1 WAVE FORM", "rectangle")
    (tmp_path / "bright.toml").write_text(format_patch("bright", bright.with_knob("LPF PEAK", 2.0)))
    box, midi_sys, tap = memory_box(tmp_path)
    with running(box):
        port = plugged(midi_sys)
        port.note_on(48)
        time.sleep(0.4)
        at = tap.frames
        times = record_event_times(box.engine)
        kernel_now = box.engine.time
        assert box.memory.handle({"cmd": "recall", "name": "bright"})["ok"]
        recall_times = list(times)
        time.sleep(0.4)
        port.note_off(48)
        off = tap.frames
        time.sleep(0.3)
        end = tap.frames
    assert len(recall_times) >= 2 and len(set(recall_times)) == 1      # one sample time: one block
    assert recall_times[0] > kernel_now                                 # scheduled ahead, never late
    x = tap.recorded
    windows = [rms_db(x[i:i + 480]) for i in range(at - 9600, at + 9600, 480)]
    assert min(windows) > -40                          # no gap: the note sounds through the recall
    assert centroid_hz(x[at + 4800:at + 14400]) > 1.5 * centroid_hz(x[at - 14400:at - 4800])   # brighter
    assert rms_db(x[off + 4800:end]) < -60               # and it stops when the key is let go (held: ~-20)
    assert not box.keyboard.gate


def test_a_broken_patch_in_the_bank_is_skipped_with_a_log_line_and_the_error_blink_and_the_box_plays_on(
        tmp_path, caplog):
    write_variants(tmp_path, good=5.0)
    (tmp_path / "broken.toml").write_text("name = 'broken'\n[knobs]\n'LPF CUTOFF' = 'loud'\n")
    box, midi_sys, tap = memory_box(tmp_path, **{"patch.bank": ["good", "broken", "missing"]})
    with running(box), caplog.at_level(logging.ERROR, logger="ms20.memory"):
        port = plugged(midi_sys)
        port.send([0xC0, 0])
        assert wait_until(lambda: box.memory.patch.name == "good", 1.0)
        port.note_on(48)
        port.send([0xC0, 1])
        time.sleep(0.2)
        assert box.memory.patch.name == "good"
        blink = {box.memory.led(time.monotonic() + k * 0.01) for k in range(50)}
        port.send([0xC0, 2])
        time.sleep(0.2)
        a = tap.frames
        time.sleep(0.2)
        x = tap.recorded[a:tap.frames]
        port.note_off(48)
    assert "broken.toml" in caplog.text and "keeping the current patch" in caplog.text
    assert "'missing'" in caplog.text
    assert blink == {True, False}
    assert rms_db(x) > -30


def test_a_save_onto_a_full_disk_keeps_the_old_file_and_reports_the_error(tmp_path):
    old = load_patch("patches/first-voice.toml")
    (tmp_path / "mine.toml").write_text(format_patch("mine", old.panel))
    before = (tmp_path / "mine.toml").read_bytes()
    # A process allowed to write files of 300 bytes at most: the disk is "full" mid-write.
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from ms20.memory.store import PatchStore, SaveError
        from ms20.model.patch import load_patch
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))
        try:
            PatchStore(Path({str(tmp_path)!r})).save("mine", load_patch("patches/5a-esp-feedback.toml").panel)
        except SaveError as exc:
            print(exc)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "the old file is unchanged" in done.stdout and "too large" in done.stdout
    assert (tmp_path / "mine.toml").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]     # no temporary file left


def test_on_the_board_the_status_led_flickers_when_a_bank_patch_is_broken(tmp_path):
    (tmp_path / "broken.toml").write_text("[knobs]\n'LPF CUTOFF' = 'loud'\n")
    box, midi_sys, _ = make_box(surface="sim", **{"patch.dir": str(tmp_path), "patch.bank": ["broken"]})
    with running(box):
        sim = box.surface.board.sim

        def led_over(seconds: float) -> set[bool]:
            seen, end = set(), time.monotonic() + seconds
            while time.monotonic() < end:
                seen.add(sim.led_is_lit)
                time.sleep(0.004)
            return seen

        steady = led_over(0.3)
        plugged(midi_sys).send([0xC0, 0])
        time.sleep(0.05)
        flicker = led_over(0.5)
        assert box.audio.state == "running"
    assert steady == {True} and flicker == {True, False}


def test_recall_watch_follows_the_player_plugging_the_cables_until_the_panel_matches(tmp_path, capsys, sock):
    import threading
    box, _, _ = make_box(surface="sim", **{"patch.dir": str(tmp_path)})
    box.control = ControlServer(sock, box.memory.handle)
    codes = []
    with running(box):
        sim = box.surface.board.sim
        watch = threading.Thread(target=lambda: codes.append(
            main(["recall", "5a-esp-feedback", "--watch", "--socket", str(sock)])))
        watch.start()
        time.sleep(0.5)
        assert watch.is_alive()                               # two cables still to plug
        sim.plug("OUTPUT", "ESP SIGNAL IN")
        sim.plug("ESP AMP OUT", "EXT SIGNAL")
        for knob, pos in box.memory.patch.panel.knobs.items():   # every pot through its stored value
            sim.turn(knob, min(pos + 0.4, 10.0))
            time.sleep(0.01)
            sim.turn(knob, max(pos - 0.4, 0.0))
        for switch, pos in box.memory.patch.panel.switches.items():
            sim.set_switch(switch, pos)
        watch.join(5.0)
        assert not watch.is_alive()
    assert codes == [0]
    # The box's own log lines share stdout in this one process (main() set logging up): skip them.
    shown = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(("INFO ", "WARNING "))]
    assert shown[-1].endswith("the panel matches the patch")


def test_a_second_firmware_does_not_take_the_first_ones_control_socket(tmp_path, sock):
    first, _, _ = memory_box(tmp_path / "a")
    second, _, _ = memory_box(tmp_path / "b")
    first.control = ControlServer(sock, first.memory.handle)
    second.control = ControlServer(sock, second.memory.handle)
    with running(first), running(second):
        assert second.control is None                       # it plays on, without a channel
        assert main(["save", "mine", "--socket", str(sock)]) == 0
    assert (tmp_path / "a" / "mine.toml").exists() and not (tmp_path / "b").exists()
