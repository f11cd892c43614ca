"""`ms20 hwtest`: a live view of every pot, switch, the wheel, the momentary switch, the CV
inputs and the detected cables, for a builder checking the wiring. `--sim` (or
MS20_PINS=sim) runs it on the simulated board; `--once` prints one snapshot (after the
scanner has settled) and exits."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from ms20.commands.board_args import add_board_arguments, builder_backend, open_board_from_args
from ms20.control.calibration import load_calibration
from ms20.control.controller import PanelController
from ms20.control.scanner import MATRIX_INTERVAL_S, Scanner, Snapshot
from ms20.sim.clock import SimClock

SETTLE_S = 0.1            # long enough for a full matrix decision and the switch debounce
POLL_S = 0.002
REFRESH_S = 0.1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ms20 hwtest` to the command line."""
    p = subparsers.add_parser("hwtest", help="live view of the panel hardware (pots, switches, cables)",
                              description=__doc__)
    add_board_arguments(p, "use the simulated board instead of the GPIO/SPI pins")
    p.add_argument("--once", action="store_true", help="print one snapshot and exit")
    p.add_argument("--calibration", metavar="FILE", help="pot calibration (default: what ms20 calibrate wrote)")
    p.set_defaults(func=run)


def format_snapshot(snap: Snapshot, title: str = "") -> str:
    """The snapshot as a screenful of text."""
    out = [title] if title else []
    pots = [f"{name:<17}{count if count is not None else '-':>5} {pos if pos is not None else 0:6.2f}"
            for name, (count, pos) in snap.pots.items()]
    half = (len(pots) + 1) // 2
    out.append(f"{'POT':<17}{'count':>5} {'0-10':>6}    {'POT':<17}{'count':>5} {'0-10':>6}")
    for i in range(half):
        right = pots[half + i] if half + i < len(pots) else ""
        out.append(f"{pots[i]}    {right}")
    out.append("")
    out.append(f"{'SWITCH':<17}{'detent':>6}  position")
    for name, (detent, pos) in snap.switches.items():
        out.append(f"{name:<17}{detent if detent is not None else 'open':>6}  {pos or '-'}")
    count, volts = snap.wheel
    out.append(f"{'CONTROL WHEEL':<17}{count if count is not None else '-':>6}  {volts or 0.0:.2f} V")
    out.append(f"{'MOMENTARY':<17}{'':>6}  {'pressed' if snap.momentary else 'released'}")
    for jack, (count, volts) in snap.cv_in.items():
        out.append(f"{jack:<17}{count if count is not None else '-':>6}  {volts or 0.0:+.2f} V")
    out.append("")
    out.append(f"CABLES ({len(snap.plugged)} jacks hold a plug)")
    for net in snap.nets:
        out.append("  " + " = ".join(net) + ("  (a cable leading nowhere)" if len(net) == 1 else ""))
    if not snap.nets:
        out.append("  none")
    for a, b in snap.routing.cables:
        out.append(f"  signal: {a} -> {b}")
    out.append("PROBLEMS")
    out += [f"  {p}" for p in snap.problems + snap.faults] or ["  none"]
    return "\n".join(out)


def _settle(scanner: Scanner, clock: Callable[[], float], wait: Callable[[float], None]) -> None:
    start = clock()
    while clock() - start < SETTLE_S or scanner.settling:
        scanner.poll(clock())
        wait(POLL_S)
        if clock() - start > SETTLE_S + 10 * MATRIX_INTERVAL_S:
            break       # a matrix that never settles is itself worth showing


def run(args: argparse.Namespace) -> int:
    # A live simulation follows the wall clock; a snapshot runs on simulated time (no waiting).
    """`ms20 hwtest`: show every pot, switch and cable as the scanner reads them."""
    backend = builder_backend(args)
    board = open_board_from_args(args, backend, **({"clock": SimClock()} if backend == "sim" and args.once else {}))
    try:
        sim = board.sim
        if sim is not None and args.once:
            clock, wait = sim.now, sim.advance
        else:
            clock, wait = time.monotonic, time.sleep
        cal = load_calibration(args.calibration) if args.calibration else None
        scanner = Scanner(board, PanelController(), calibration=cal)
        where = "the simulated board" if sim is not None else "the GPIO/SPI pins"
        title = f"ms20 hwtest: {board.definition.name} ({board.definition.source}) on {where}"
        _settle(scanner, clock, wait)
        if args.once:
            print(format_snapshot(scanner.snapshot(clock()), title))
            return 0
        next_draw = clock()
        try:
            while True:
                now = clock()
                scanner.poll(now)
                if now >= next_draw:
                    sys.stdout.write("\x1b[H\x1b[2J" + format_snapshot(scanner.snapshot(now), title)
                                     + "\n\n(Ctrl-C to quit)\n")
                    sys.stdout.flush()
                    next_draw = now + REFRESH_S
                wait(POLL_S)
        except KeyboardInterrupt:
            return 0
    finally:
        board.close()
