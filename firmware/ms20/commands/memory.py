"""`ms20 save NAME` and `ms20 recall NAME`: the running firmware's patch memory, through its
control channel (ms20.memory.channel), on the box and with `ms20 run --sim` alike.

    ms20 save "Bass 2"             # every knob, switch and cable, into the patch directory
    ms20 save "Bass 2" --cc        # ... with the CCs taught by MIDI learn
    ms20 recall "Bass 2"           # knobs and switches at once; prints the cables to move
    ms20 recall "Bass 2" --watch   # ... and keeps showing what differs until the panel matches
"""

from __future__ import annotations

import argparse
import time

from ms20.commands.cli import CommandError
from ms20.memory.channel import client_socket, request

WATCH_S = 0.25


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ms20 save` and `ms20 recall` to the command line."""
    p = sub.add_parser("save", help="save the running firmware's panel as a patch", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="patch name (any text without / or \\ and not starting with a dot)")
    p.add_argument("--cc", action="store_true", help="store the CCs MIDI learn taught in the patch too")
    p.add_argument("--socket", metavar="PATH", help="the firmware's control socket (default: found)")
    p.set_defaults(func=save)
    r = sub.add_parser("recall", help="recall a patch in the running firmware", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("name", help="a saved patch's name, or a shipped one (first-voice, 5a-esp-feedback, ...)")
    r.add_argument("--watch", action="store_true", help="show the cable guide until the panel matches")
    r.add_argument("--socket", metavar="PATH", help="the firmware's control socket (default: found)")
    r.set_defaults(func=recall)


def _ask(args: argparse.Namespace, message: dict) -> dict:
    reply = request(client_socket(args.socket), message)
    if not reply.get("ok"):
        raise CommandError(reply.get("error", "the firmware refused"))
    return reply


def save(args: argparse.Namespace) -> int:
    reply = _ask(args, {"cmd": "save", "name": args.name, "cc": args.cc})
    print(f"saved {reply['path']}")
    return 0


def recall(args: argparse.Namespace) -> int:
    reply = _ask(args, {"cmd": "recall", "name": args.name})
    print(f"recalled {reply['patch']}")
    print("\n".join(reply["lines"]))
    while args.watch and not reply["guide"]["matches"]:
        time.sleep(WATCH_S)
        reply = _ask(args, {"cmd": "guide"})
        print("\x1b[H\x1b[2J" + "\n".join(reply["lines"]), flush=True)
    return 0
