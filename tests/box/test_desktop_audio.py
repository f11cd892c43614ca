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
    esp = parse_patch('name = "y"\ncables = [["LINE IN", "ESP SIGNAL IN"]]\n')
    assert desktop_config(cfg, "default", plain).audio.capture == "none"
    assert desktop_config(cfg, "default", esp).audio.capture == cfg.audio.capture == "same"
    assert desktop_config(cfg, "hw:CARD=sndrpihifiberry", plain) is cfg      # the box is left alone


def test_ms20_devices_lists_what_alsa_knows_and_marks_the_configured_one():
    r = subprocess.run([sys.executable, "-m", "ms20.commands.cli", "devices"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('playback (audio.device = "default" now):')
    assert "\n  null " in r.stdout or "\n *null " in r.stdout            # every ALSA install has the null PCM
    assert 'capture (audio.capture = "same" now):' in r.stdout
