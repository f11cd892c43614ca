"""Control-side cost: CPU microseconds per scan through the real drivers on the mock bus.

    PYTHONPATH=firmware python benchmarks/bench_control.py [--quick]

Measures, with thread CPU time (not wall time, so other load on the machine matters less):
- a full pot scan: 32 pots, 4 switch ladders, the wheel, 2 CV inputs (39 MCP3208 frames
  through the 74HC138) and the momentary switch, through Scanner.scan_pots;
- a resting matrix scan (one 74HC165 read of all 40 jacks) and a settling one (the presence
  read plus a probe of every plugged jack), through Scanner.scan_matrix;
- the same with the chips answering instantly (no electrical simulation), which is closer to
  the firmware's own share on a Pi, where the bus time is spidev's and the GPIO library's;
- detection and response latencies in simulated time.
Target: pots at 200 Hz plus the matrix at 50 Hz within 10 % of one core.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from ms20.control.calibration import Calibration
from ms20.control.controller import PanelController
from ms20.control.scanner import Scanner
from ms20.sim.board import MockBoard

POT_HZ, MATRIX_HZ, BUDGET = 200.0, 50.0, 0.10
CABLES = [("MG TRIANGLE OUT", "LP CUTOFF FREQ"), ("MG TRIANGLE OUT", "HP CUTOFF FREQ"), ("EG-1 OUT", "FREQ"),
          ("PINK NOISE OUT", "S/H IN"), ("S/H OUT", "TOTAL"), ("KBD CV OUT", "CV OUT 1")]


def cpu_us(fn, n: int) -> float:
    """Median over 5 rounds of the thread CPU time per call, in microseconds."""
    rounds = []
    for _ in range(5):
        t = time.thread_time_ns()
        for _ in range(n):
            fn()
        rounds.append((time.thread_time_ns() - t) / n / 1e3)
    return statistics.median(rounds)


def rig(cables=CABLES, seed: int = 1) -> tuple[MockBoard, Scanner, PanelController]:
    board = MockBoard(seed=seed)
    ctl = PanelController()
    scanner = Scanner(board.hardware, ctl, calibration=Calibration())
    for a, b in cables:
        board.plug(a, b)
    for _ in range(100):
        board.advance(0.001)
        scanner.poll(board.now())
    return board, scanner, ctl


def instant_chips(board: MockBoard) -> None:
    """Replace every simulated chip by one that answers at once (a fixed mid-scale reading)."""
    reply = bytes([0xFF, 0xE8, 0x00])       # null bit 0, count 0x800
    for (bus, dev), _ in list(board.factory._spi_handlers.items()):
        board.factory.wire_spi(bus, dev, lambda mosi, hz, mode: reply if len(mosi) == 3 else b"\xff\xff")
    board.sense_chain._load = lambda: None   # 165 loads nothing to compute


def measure(n: int) -> dict[str, float]:
    board, scanner, _ = rig()
    now = board.now()
    r = {"pots": cpu_us(lambda: scanner.scan_pots(now), n)}
    r["matrix_resting"] = cpu_us(lambda: scanner.scan_matrix(now), n)

    def settling() -> None:
        scanner._present = -1                 # as right after a plug moved: probe every plugged jack
        scanner._debouncer.pending = True
        scanner.scan_matrix(now)
    r["matrix_settling"] = cpu_us(settling, max(n // 10, 20))
    full_board, full_scanner, _ = rig([(full_board_jack, other) for full_board_jack, other in zip(
        MockBoard().definition.matrix.jacks[0::2], MockBoard().definition.matrix.jacks[1::2], strict=True)])

    def settling_full() -> None:
        full_scanner._present = -1
        full_scanner._debouncer.pending = True
        full_scanner.scan_matrix(now)
    r["matrix_settling_40_plugged"] = cpu_us(settling_full, max(n // 20, 10))

    # The same paths with chips that answer at once: the firmware's own share.
    fast_board, fast_scanner, _ = rig()
    instant_chips(fast_board)
    r["pots_instant_chips"] = cpu_us(lambda: fast_scanner.scan_pots(now), n)
    r["matrix_resting_instant_chips"] = cpu_us(lambda: fast_scanner.scan_matrix(now), n)
    return r


def latencies(trials: int) -> dict[str, float]:
    detect, pot = [], []
    for k in range(trials):
        board, scanner, ctl = rig(cables=[], seed=10 + k)
        for _ in range(k % 20):               # a different phase of the 20 ms matrix scan each time
            board.advance(0.001)
            scanner.poll(board.now())
        board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
        t0 = board.now()
        while not ctl.state.routing.cables:
            board.advance(0.0005)
            scanner.poll(board.now())
        detect.append(board.now() - t0)
        board.turn("LPF CUTOFF", 2.0 + (k % 7))
        before = ctl.state.knobs["LPF CUTOFF"]
        t0 = board.now()
        while ctl.state.knobs["LPF CUTOFF"] == before:
            board.advance(0.0005)
            scanner.poll(board.now())
        pot.append(board.now() - t0)
    return {"detect_ms_max": max(detect) * 1e3, "detect_ms_median": statistics.median(detect) * 1e3,
            "pot_ms_max": max(pot) * 1e3, "pot_ms_median": statistics.median(pot) * 1e3}


def loop_cpu(seconds: float) -> float:
    """CPU fraction of Scanner.poll called every 2 ms (as the box's 500 Hz loop) for `seconds`
    of simulated time with six cables resting in the matrix."""
    board, scanner, _ = rig()
    t = time.thread_time_ns()
    for _ in range(int(seconds / 0.002)):
        board.advance(0.002)
        scanner.poll(board.now())
    return (time.thread_time_ns() - t) / 1e9 / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)     # the 40-plug worst case joins outputs: patch warnings
    n = 100 if args.quick else 1000
    r = measure(n)
    print("control-side CPU per scan (thread CPU time, median of 5 rounds), real drivers on the mock bus:")
    for key, us in r.items():
        print(f"  {key:<30} {us:9.1f} us")
    steady = (r["pots"] * POT_HZ + r["matrix_resting"] * MATRIX_HZ) / 1e6
    worst = (r["pots"] * POT_HZ + r["matrix_settling_40_plugged"] * MATRIX_HZ) / 1e6
    own = (r["pots_instant_chips"] * POT_HZ + r["matrix_resting_instant_chips"] * MATRIX_HZ) / 1e6
    print(f"pots at {POT_HZ:.0f} Hz + matrix at {MATRIX_HZ:.0f} Hz, one core:")
    print(f"  resting cables        {steady * 100:6.2f} %   ratio to the 10 % budget {steady / BUDGET:5.2f}")
    print(f"  every scan settling   {worst * 100:6.2f} %   ratio {worst / BUDGET:5.2f}   "
          "(40 jacks plugged, all probed)")
    print(f"  firmware's own share  {own * 100:6.2f} %   ratio {own / BUDGET:5.2f}   (chips answering at once)")
    print(f"  max pot scan rate within 10 % of a core (matrix at 50 Hz): "
          f"{(BUDGET - r['matrix_resting'] * MATRIX_HZ / 1e6) / (r['pots'] / 1e6):6.0f} Hz")
    seconds = 2.0 if args.quick else 10.0
    print(f"Scanner.poll every 2 ms for {seconds:g} s (simulated), six cables: "
          f"{loop_cpu(seconds) * 100:.2f} % of a core")
    lat = latencies(10 if args.quick else 40)
    print("latencies (simulated time; bounce 6 ms):")
    print(f"  cable plugged -> new routing at the controller: median {lat['detect_ms_median']:.1f} ms, "
          f"max {lat['detect_ms_max']:.1f} ms (target 50 ms)")
    print(f"  pot turned -> new value at the controller:      median {lat['pot_ms_median']:.1f} ms, "
          f"max {lat['pot_ms_max']:.1f} ms (target 10 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
