"""`ms20 run --sim` on a laptop: the default device through the sound server, a period a
normal-priority thread can keep, no capture unless LINE IN is patched; and `ms20 devices`."""

from __future__ import annotations

import subprocess
import sys

from ms20.audio.desktop import DESKTOP_PERIOD, desktop_audio, is_desktop_device, parse_pcm_list
from ms20.box.config import default_config
from ms20.commands.run import desktop_config
from ms20.model.patch import parse_patch

LAPTOP_APLAY_L = """null
    Discard all samples (playback) or generate zero samples (capture)
pipewire
    PipeWire Sound Server
default
    Default ALSA Output (currently PipeWire Media Server)
hw:CARD=PCH,DEV=0
    HDA Intel PCH, ALC3246 Analog
    Direct hardware device without any conversions
"""


def test_the_devices_are_listed_by_the_names_audio_device_takes():
    pcms = parse_pcm_list(LAPTOP_APLAY_L)
    assert [p.name for p in pcms] == ["null", "pipewire", "default", "hw:CARD=PCH,DEV=0"]
    assert pcms[3].description == "HDA Intel PCH, ALC3246 Analog / Direct hardware device without any conversions"


def test_a_sound_server_device_is_desktop_and_a_card_opened_directly_is_not():
    assert is_desktop_device("default") and is_desktop_device("pipewire") and is_desktop_device("sysdefault:CARD=PCH")
    for device in ("hw:CARD=sndrpihifiberry", "plughw:1,0", "null", 'file:FILE="x.wav"'):
        assert not is_desktop_device(device)


def test_without_realtime_priority_the_period_grows_so_a_busy_desktop_does_not_click():
    d = desktop_audio("default", 64, 3, "none", realtime=False, line_in_used=False)
    assert (d.period, d.periods) == (DESKTOP_PERIOD, 3)
    assert desktop_audio("default", 64, 3, "none", realtime=True, line_in_used=False) is None
    assert desktop_audio("hw:CARD=sndrpihifiberry", 64, 3, "same", realtime=False, line_in_used=False) is None


def test_capture_is_opened_only_when_the_patch_uses_line_in():
    cfg = default_config()
    plain = parse_patch('name = "x"\n')
    direct = parse_patch('name = "y"\ncables = [["LINE IN", "EXT SIGNAL"]]\n')
    esp = parse_patch('name = "z"\ncables = [["ESP AMP OUT", "EXT SIGNAL"]]\n')    # the ESP reads LINE IN (its normal)
    esp_fed = parse_patch('name = "w"\ncables = [["ESP AMP OUT", "EXT SIGNAL"], ["OUTPUT", "ESP SIGNAL IN"]]\n')
    assert desktop_config(cfg, "default", plain).audio.capture == "none"
    assert desktop_config(cfg, "default", direct).audio.capture == cfg.audio.capture == "same"
    assert desktop_config(cfg, "default", esp).audio.capture == "same"
    assert desktop_config(cfg, "default", esp_fed).audio.capture == "none"     # the ESP hears OUTPUT, not LINE IN
    assert desktop_config(cfg, "hw:CARD=sndrpihifiberry", plain) is cfg      # the box is left alone


def test_ms20_devices_lists_what_alsa_knows_and_marks_the_configured_one():
    r = subprocess.run([sys.executable, "-m", "ms20.commands.cli", "devices"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('playback (audio.device = "default" now):')
    assert "\n  null " in r.stdout or "\n *null " in r.stdout            # every ALSA install has the null PCM
    assert 'capture (audio.capture = "same" now):' in r.stdout


def test_plugging_line_in_opens_the_capture_stream_and_pulling_it_closes_it():
    import threading

    from boxkit import make_box, wait_until

    from ms20.audio import AlsaSink, Tap
    from ms20.audio.desktop import CaptureOnDemand

    tap = Tap(6.0, 48000)
    # ALSA's null PCM stands in for a laptop's default device (no sound card here); capture is
    # named explicitly, as a desktop's "same" would name the default device.
    sink = AlsaSink("null", "none", 48000, 256, 3, 2, "S16_LE", "yes", tap=tap)
    box, _midi, _tap = make_box(sink=sink, surface="sim")
    capture = CaptureOnDemand(box.audio, "null")
    box.start()
    loop = threading.Thread(target=box.run, kwargs={"on_tick": capture.on_tick}, daemon=True)
    loop.start()
    try:
        assert wait_until(lambda: box.audio.state == "running", 3.0)
        assert box.audio.granted.capture == ""                        # no LINE IN patched: no capture
        mock = box.surface.board.sim
        mock.plug("LINE IN", "EXT SIGNAL")
        assert wait_until(lambda: box.audio.granted.capture == "null" and box.audio.state == "running", 3.0)
        mock.unplug("LINE IN")
        assert wait_until(lambda: box.audio.granted.capture == "" and box.audio.state == "running", 3.0)
        frames = tap.frames
        assert wait_until(lambda: tap.frames > frames + 4800, 2.0)   # and it plays on
        assert capture.reopened == 2
    finally:
        box.request_stop()
        loop.join(3.0)
        box.stop()
