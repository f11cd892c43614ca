"""Kernel cost: ns per sample and real-time factor (wall clock), and instructions per
output sample (valgrind callgrind, counting only inside ms20_render_rt) for the first-voice
patch, the worst case of the filter (its cutoff moving every sample: sweep.toml, and on the
OTA board sweep-ota.toml) and a heavy patch with every jack patched; then the same session's
aarch64 instructions per sample (the Pi 4/5's ISA), counted under qemu by qemu_count.py,
against each patch's absolute target.

    make bench   # or: python benchmarks/run.py [--seconds 10] [--no-callgrind] [--no-qemu]

Callgrind counts instructions, not time, so its figure repeats exactly whatever else the
machine is doing; the wall-clock figures are for orientation only. The aarch64 count needs
`apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user` and is skipped without them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qemu_count import QemuCountError, instr_per_sample, missing_tools
from session import BLOCK, PATCHES, RATE, playing_engine, render_blocks

# A Pi 4 core (Cortex-A72, 1.5 GHz) retires roughly 1.5e9 simple instructions a second: a
# rough scale for the aarch64 counts, not a measurement (the counts are instructions, not time).
PI4_INSTR_PER_S = 1.5e9
# aarch64 instructions per sample each patch may cost (issue 10); absolute limits, no ratio.
# The moving cutoff's limit holds for either filter revision. Checked on the aarch64 count
# only: the x86 figure is printed for comparison and has no limit.
TARGETS = {"first voice": 400, "cutoff moving every sample": 700, "cutoff moving, OTA filter": 700,
           "heavy (every jack patched)": 800}


def wall_clock(patch_path: Path, seconds: float) -> tuple[float, float]:
    engine, line_in = playing_engine(patch_path)
    render_blocks(engine, line_in, RATE // 10)  # warm up
    n = int(seconds * RATE)
    t0 = time.perf_counter()
    render_blocks(engine, line_in, n)
    elapsed = time.perf_counter() - t0
    return elapsed / n * 1e9, seconds / elapsed


# The ESP's block-rate work (decimation, F-V, level, trigger): esp_block_tick and what it
# calls. Its per-sample part (preamp and band-pass, esp_tick) is inlined into the engine's
# loop and counted with it (about 15 instructions).
ESP_BLOCK_FUNCTION = "esp_block_tick"


def callgrind(patch_path: Path, samples: int) -> tuple[float, float | None] | None:
    """(instructions per sample in ms20_render_rt, of which in ESP_BLOCK_FUNCTION)."""
    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--toggle-collect=ms20_render_rt",
               sys.executable, __file__, "--child", str(patch_path), str(samples)]
        subprocess.run(cmd, check=True, capture_output=True)
        total = None
        for line in out.read_text().splitlines():
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1]) / samples
                break
        if total is None:
            return None
        esp = None
        if shutil.which("callgrind_annotate"):
            ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(out)], capture_output=True, text=True)
            for line in ann.stdout.splitlines():
                if f":{ESP_BLOCK_FUNCTION} " in line or line.rstrip().endswith(f":{ESP_BLOCK_FUNCTION}"):
                    esp = int(line.split()[0].replace(",", "")) / samples
                    break
        return total, esp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="audio rendered for the wall-clock figures")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--no-qemu", action="store_true", help="skip the aarch64 count (about 10 s a patch)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:  # runs under valgrind: render only
        engine, line_in = playing_engine(Path(args.child[0]))
        render_blocks(engine, line_in, int(args.child[1]))
        return 0

    print(f"MS-20 kernel at {RATE} Hz, {BLOCK}-sample blocks, a note held")
    print(f"{'patch':30} {'ns/sample':>10} {'x real time':>12} {'x86 instr/sample':>17}")
    missing = [] if args.no_qemu else missing_tools("aarch64")
    qemu = not args.no_qemu and not missing
    failed = False
    for name, path in PATCHES.items():
        ns, rt = wall_clock(path, args.seconds)
        counted = None if args.no_callgrind else callgrind(path, RATE)
        ir, esp_ir = counted if counted else (None, None)
        ir_text = "n/a" if ir is None else f"{ir:.0f}"
        print(f"{name:30} {ns:10.1f} {rt:12.0f} {ir_text:>17}")
        if esp_ir is not None:
            print(f"  of which the ESP's block work ({ESP_BLOCK_FUNCTION}, F-V included): {esp_ir:.0f} instr/sample")
        if qemu:
            try:
                arm = instr_per_sample("aarch64", path, (0, RATE))
            except QemuCountError as e:  # say so rather than print a figure that may be wrong
                print(f"  aarch64 (qemu count) failed: {e}", file=sys.stderr)
                failed = True
                continue
            target = TARGETS.get(name)
            verdict = "" if target is None else f"; target <= {target}: {'met' if arm <= target else 'MISSED'}"
            share = 100.0 * arm * RATE / PI4_INSTR_PER_S
            print(f"  aarch64 (qemu count): {arm:.0f} instr/sample (~{share:.1f} % of a Pi 4 core{verdict})")
    if missing:
        print(f"aarch64 count skipped, so the targets were not checked: {', '.join(missing)} not found "
              "(apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)")
    elif args.no_qemu:
        print("aarch64 count skipped (--no-qemu), so the targets were not checked")
    print(f"a Pi 4 core taken as {PI4_INSTR_PER_S:.1e} simple instructions/s (a scale, not a timing)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
