"""`ms20`: the firmware's command line. Each subcommand lives in its own module, which
provides `register(subparsers)` and sets `func` on its parser."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# One line per subcommand module.
COMMANDS = [
    "ms20.commands.render",
    "ms20.commands.run",
    "ms20.commands.hwtest",
    "ms20.commands.calibrate",
    "ms20.commands.web_passphrase",
    "ms20.commands.devices",
    "ms20.commands.memory",
    "ms20.commands.draw",
]


class CommandError(Exception):
    """An error the user can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """The `ms20` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="ms20", description="Korg MS-20 firmware for Raspberry Pi")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one `ms20` subcommand; a user-fixable error is one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, OSError) as exc:  # PatchError, RenderError, PanelError are ValueErrors
        print(f"ms20 {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
