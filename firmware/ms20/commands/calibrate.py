"""`ms20 calibrate`: measure every pot's end stops and store them for the scanner.

The builder turns every pot (and the control wheel) fully counter-clockwise, presses Enter,
then fully clockwise and presses Enter again; each stop is the mean of SAMPLES readings. The
file is written atomically (temp file, fsync, rename) so a power cut never leaves half of
it. `--sim` calibrates the mock board, turning its pots itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ms20.commands.board_args import add_board_arguments, open_board_from_args
from ms20.control.calibration import (
    WHEEL,
    CalibrationError,
    PotCalibration,
    check_span,
    default_calibration_path,
    save_calibration,
)
from ms20.hardware.board import Board
from ms20.hardware.drivers.mcp3208 import AnalogIn

SAMPLES = 16
BOX_STATE = Path("/var/lib/ms20")     # the service's state directory on a box


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ms20 calibrate` to the command line."""
    p = subparsers.add_parser("calibrate", help="measure the pots' end stops and store them",
                              description=__doc__)
    add_board_arguments(p, "calibrate the simulated board")
    p.add_argument("--file", metavar="PATH", help=f"where to store it (default: {default_calibration_path()})")
    p.set_defaults(func=run)


def _controls(board: Board) -> dict[str, AnalogIn]:
    controls = dict(board.pots)
    controls[WHEEL] = board.wheel.adc
    return controls


def measure(controls: dict[str, AnalogIn], samples: int = SAMPLES) -> dict[str, float]:
    """The mean count of every control over `samples` readings."""
    return {name: sum(ain.read() for _ in range(samples)) / samples for name, ain in controls.items()}


def calibrate(board: Board, ask: Callable[[str], object]) -> dict[str, PotCalibration]:
    """Both stops of every pot; raises CalibrationError naming every pot that was not turned."""
    controls = _controls(board)
    ask("Turn every pot and the control wheel fully counter-clockwise, then press Enter.")
    lows = measure(controls)
    ask("Now turn every pot and the control wheel fully clockwise, then press Enter.")
    highs = measure(controls)
    result, errors = {}, []
    for name in controls:
        try:
            result[name] = check_span(name, lows[name], highs[name])
        except CalibrationError as exc:
            errors.append(str(exc))
    if errors:
        raise CalibrationError("nothing stored:\n  " + "\n  ".join(errors))
    return result


def run(args: argparse.Namespace) -> int:
    """`ms20 calibrate`: read each pot's end stops and store them."""
    board = open_board_from_args(args)
    try:
        sim = board.sim
        if sim is not None:
            steps = iter((0.0, 10.0))

            def ask(prompt: str) -> None:       # the simulated builder turns every pot
                end = next(steps)
                print(f"{prompt}\n  (simulated: every pot to {end:g})")
                for name in board.pots:
                    sim.turn(name, end)
                sim.turn_wheel(end / 10.0)
        else:
            ask = input
        before = {name: sim.knobs[name] for name in board.pots} if sim is not None else {}
        result = calibrate(board, ask)
        for name, pos in before.items():
            sim.turn(name, pos)
        path = save_calibration(result, args.file)
        worst = max(result.items(), key=lambda kv: kv[1].min_count)
        print(f"calibrated {len(result)} pots; stored in {path} "
              f"(highest counter-clockwise stop: {worst[0]} at {worst[1].min_count:.0f} counts)")
        if args.file is None and BOX_STATE.is_dir() and BOX_STATE not in path.parents:
            print(f"note: the service reads {BOX_STATE / path.name}; run `sudo ms20 calibrate` so it finds this")
        return 0
    finally:
        board.close()
