"""Choosing the board: the real one on GPIO/SPI or the simulated one, for the builder's
commands (`--sim`, `--board`) and for the running box. The choice lives here, above the
hardware layer and the simulation, so neither has to know the other."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from ms20.box.box import ControlSurface, NullSurface, ScannerSurface
from ms20.box.config import board_backend, load_config
from ms20.commands.cli import CommandError
from ms20.control.controller import PanelController
from ms20.control.scanner import Scanner
from ms20.hardware.board import Board
from ms20.hardware.board_def import load_board
from ms20.hardware.pins import PinError, backend_name, make_factory
from ms20.model.patch import Patch

log = logging.getLogger(__name__)


def open_board(kind: str | None = None, board_file: str | Path | None = None, **mock_options: Any) -> Board:
    """The box's drivers on the chosen backend: `kind` "mock" or "rpi", else $MS20_PINS.

    With "mock" (or "sim"), a MockBoard simulates the electronics (reachable as `board.sim`)
    on the wall clock, as a live box would be; `mock_options` go to it (seed, noise_lsb,
    bounce_s, panel: a PanelState to start from, clock: e.g. a SimClock for tests).
    """
    definition = load_board(board_file)
    if backend_name(kind) == "mock":
        from ms20.sim.board import MockBoard
        mock_options.setdefault("clock", time.monotonic)
        return MockBoard(definition, **mock_options).hardware
    return Board(definition, make_factory("rpi"))


def open_surface(backend: str, controller: PanelController, patch: Patch | None = None,
                 board_file: str = "", cv=None) -> ControlSurface:
    """The board named by `backend` ("rpi", "sim" or "none") behind a Scanner.

    The simulated board runs on the wall clock with the patch set on its pots, switches and
    jacks, so the patch is what sounds (the scanner takes the physical panel). A board that
    cannot be opened is logged and the box runs without a panel: MIDI still plays it."""
    if backend == "none":
        return NullSurface()
    try:
        if backend == "sim":
            board = open_board("mock", board_file or None, clock=time.monotonic,
                               panel=patch.panel if patch else None)
        else:
            board = open_board("rpi", board_file or None)
    except (OSError, ValueError, ImportError) as exc:   # BoardError, PinError, no spidev/RPi.GPIO
        log.error("board: cannot open the %s board (%s); running without a panel, MIDI still plays",
                  backend, exc)
        return NullSurface()
    log.info("board: %s (%s)", board.definition.name, "simulated" if backend == "sim" else "GPIO/SPI")
    return ScannerSurface(Scanner(board, controller, cv=cv), board)


def add_board_arguments(parser: argparse.ArgumentParser, sim_help: str) -> None:
    """`--sim` and `--board FILE`, as every builder's command takes them."""
    parser.add_argument("--sim", action="store_true",
                        help=sim_help + " (default: $MS20_PINS, rpi or sim, else the config's board.backend)")
    parser.add_argument("--board", metavar="FILE", help="board definition (default: $MS20_BOARD or hw/board.toml)")


def builder_backend(args: argparse.Namespace) -> str:
    """The board a builder's command opens, chosen as `ms20 run` chooses it: --sim, else
    $MS20_PINS (rpi or sim), else board.backend in the config (install.sh writes "rpi" into
    /etc/ms20/ms20.toml on a box; without a config file, the simulated board)."""
    backend = board_backend(load_config(), sim=args.sim)
    if backend == "none":
        raise CommandError("the config says board.backend = \"none\": no board to open; pass --sim "
                           "or set MS20_PINS=rpi")
    return backend


def open_board_from_args(args: argparse.Namespace, backend: str | None = None, **options: object) -> Board:
    """The board `--sim`/`--board`/$MS20_PINS/the config name; a missing GPIO library or SPI
    device is a CommandError."""
    backend = backend or builder_backend(args)
    try:
        return open_board("mock" if backend == "sim" else "rpi", args.board, **options)
    except PinError as exc:
        raise CommandError(str(exc)) from None
