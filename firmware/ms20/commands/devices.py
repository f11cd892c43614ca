"""`ms20 devices`: the sound devices this machine has, by the names audio.device (playback)
and audio.capture (LINE IN) accept, with the one the config uses marked.

    ms20 devices
    ms20 run --sim --device "hw:CARD=PCH,DEV=0"     # then pick one for a run
"""

from __future__ import annotations

import argparse

from ms20.audio.desktop import list_pcms
from ms20.box.config import load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list the sound devices by the names audio.device accepts",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE", help="config file (default: $MS20_CONFIG, /etc/ms20/ms20.toml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    for capture, key, current in ((False, "audio.device", config.audio.device),
                                  (True, "audio.capture", config.audio.capture)):
        pcms = list_pcms(capture)
        print(f"{'capture' if capture else 'playback'} ({key} = \"{current}\" now):")
        if not pcms:
            print("  none")
        width = max((len(p.name) for p in pcms), default=0)
        for p in pcms:
            mark = "*" if p.name == current else " "
            print(f" {mark}{p.name:<{width}}  {p.description}")
    print('("same" for audio.capture reads LINE IN from the playback device; "none" opens no capture)')
    return 0
