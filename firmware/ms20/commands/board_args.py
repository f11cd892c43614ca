"""The board options the builder's commands share (`--sim`, `--board`) and opening the board
they name, with a missing GPIO library or SPI device reported as a user-fixable error."""

from __future__ import annotations

import argparse

from ms20.commands.cli import CommandError
from ms20.hardware.board import Board, open_board
from ms20.hardware.pins import PinError


def add_board_arguments(parser: argparse.ArgumentParser, sim_help: str) -> None:
    parser.add_argument("--sim", action="store_true", help=sim_help)
    parser.add_argument("--board", metavar="FILE", help="board definition (default: $MS20_BOARD or hw/board.toml)")


def open_board_from_args(args: argparse.Namespace, **options: object) -> Board:
    try:
        return open_board("mock" if args.sim else None, args.board, **options)
    except PinError as exc:
        raise CommandError(str(exc)) from None
