"""`ms20 hwtest`: a live view of every pot, switch, the wheel, the momentary switch, the CV
inputs and the detected cables, for a builder checking the wiring. `--sim` (or
MS20_PINS=sim) runs it on the simulated board; `--once` prints one snapshot (after the
scanner has settled) and exits. `--patch NAME` adds the recall guide: the cables to plug or
pull, the switches to set and the pots to turn for the panel to match a patch (saved or
shipped, or a patch file)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ms20.box.config import load_config
from ms20.commands.board_args import add_board_arguments, builder_backend, open_board_from_args
from ms20.control.calibration import load_calibration
from ms20.control.controller import PanelController
from ms20.control.scanner import MATRIX_INTERVAL_S, Scanner, Snapshot
from ms20.memory.guide import Guide
from ms20.memory.store import PatchStore, default_directory
from ms20.model.patch import Patch, load_patch
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
    p.add_argument("--patch", metavar="NAME", help="show what to change for the panel to match this patch")
    p.add_argument("--calibration", metavar="FILE", help="pot calibration (default: what ms20 calibrate wrote)")
    p.set_defaults(func=run)


def format_guide(guide: Guide, patch: str) -> str:
    """The recall guide under the snapshot."""
    return "\n".join([f"GUIDE to {patch}", *("  " + line for line in guide.lines())])


def _patch_for(name: str) -> Patch:
    path = Path(name)
    if path.suffix == ".toml" and path.exists():
        return load_patch(path)
    return PatchStore(Path(load_config().patch.dir or default_directory())).load(name)


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
        controller = PanelController()
        scanner = Scanner(board, controller, calibration=cal)
        patch = _patch_for(args.patch) if args.patch else None
        where = "the simulated board" if sim is not None else "the GPIO/SPI pins"
        title = f"ms20 hwtest: {board.definition.name} ({board.definition.source}) on {where}"
        _settle(scanner, clock, wait)
        if patch is not None:
            controller.recall(patch.panel)

        def screen(now: float) -> str:
            text = format_snapshot(scanner.snapshot(now), title)
            return text + "\n\n" + format_guide(controller.guide(), patch.name) if patch is not None else text

        if args.once:
            print(screen(clock()))
            return 0
        next_draw = clock()
        try:
            while True:
                now = clock()
                scanner.poll(now)
                if now >= next_draw:
                    sys.stdout.write("\x1b[H\x1b[2J" + screen(now)
                                     + "\n\n(Ctrl-C to quit)\n")
                    sys.stdout.flush()
                    next_draw = now + REFRESH_S
                wait(POLL_S)
        except KeyboardInterrupt:
            return 0
    finally:
        board.close()
