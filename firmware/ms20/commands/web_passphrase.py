"""`ms20 web-passphrase`: the line to put in the config so that a browser on the network may
play the panel. Only the PBKDF2 hash is printed and stored, never the passphrase.

    ms20 web-passphrase            # asks twice, prints: passphrase = "pbkdf2_sha256$..."
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ms20.web.guard import hash_passphrase

MIN_LENGTH = 8


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web-passphrase", help="hash a passphrase for the browser panel's [web] config",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stdin", action="store_true", help="read the passphrase from standard input (scripts)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.stdin:
        phrase = sys.stdin.readline().rstrip("\n")
    else:
        phrase = getpass.getpass("passphrase: ")
        if getpass.getpass("again: ") != phrase:
            print("ms20 web-passphrase: the two differ", file=sys.stderr)
            return 2
    if len(phrase) < MIN_LENGTH:
        print(f"ms20 web-passphrase: use at least {MIN_LENGTH} characters", file=sys.stderr)
        return 2
    print("[web]")
    print(f'passphrase = "{hash_passphrase(phrase)}"')
    return 0
