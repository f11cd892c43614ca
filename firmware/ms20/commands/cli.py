"""`ms20`: the firmware's command line. Each subcommand lives in its own module, which
provides `register(subparsers)` and sets `func` on its parser."""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import os
import sys
from importlib import metadata

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


def seconds_arg(text: str) -> float:
    """An argparse type: a finite number of seconds, zero or more (no -1, no 1e400)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number of seconds, 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `ms20` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="ms20", description="Korg MS-20 firmware for Raspberry Pi")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


# syslog priorities (sd-daemon(3)): journald reads a "<N>" prefix on each line it is given.
JOURNAL_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


class JournalFormatter(logging.Formatter):
    """Lines for journald: "<4>ms20.audio: ..." so that `journalctl -p warning` finds warnings
    (the level is the prefix; journald shows it as colour and filters by it)."""

    def format(self, record: logging.LogRecord) -> str:
        prio = JOURNAL_PRIORITY.get(record.levelno, 3 if record.levelno > logging.ERROR else 6)
        text = super().format(record)
        return "\n".join(f"<{prio}>{line}" for line in text.splitlines() or [""])


def configure_logging(verbose: bool = False, stream=None, environ: dict[str, str] | None = None) -> None:
    """Log lines to stdout: "LEVEL name: message" at a terminal, with journald's priority
    prefix when systemd connected stdout to the journal ($JOURNAL_STREAM is set)."""
    env = os.environ if environ is None else environ
    handler = logging.StreamHandler(stream or sys.stdout)
    if env.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def version() -> str:
    """The installed package's version (pyproject.toml's), or "unknown" from a bare tree."""
    try:
        return metadata.version("ms20")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run one `ms20` subcommand; a user-fixable error is one line on stderr and exit 2."""
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:       # Ctrl-C while the commands load
        return 130
    configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, OSError) as exc:  # PatchError, RenderError, PanelError are ValueErrors
        print(f"ms20 {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # `python -m ms20.commands.cli`: run the imported module's main, so that its CommandError
    # is the one the subcommands raise (this file as __main__ is a second copy of the module).
    from ms20.commands.cli import main as _main

    sys.exit(_main())
