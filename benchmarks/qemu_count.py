"""Kernel instructions per output sample on another ISA (aarch64: the Pi 4/5), counted under qemu.

valgrind runs only native code, so the benchmark session (session.py) is recorded as the
ms20_event records it pushes and replayed by replay.c, built with the engine's c_kernels/*.c under
build_kernel.py's flags for that ISA (cflags), static, and run under qemu-user. qemu logs each
translated block's instructions once (-d in_asm) and every block execution (-d exec, with chaining off so none
is skipped); their product, summed, is the guest instruction count. Two runs differing only in
samples rendered (0 and 1 s: the window callgrind counts in run.py) cancel process start-up and
engine setup.

    PYTHONPATH=firmware python benchmarks/qemu_count.py [--isa aarch64 x86_64] [--validate]

Needs `apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user` (the libc for -static
is only a Recommends). Not for CI: benchmarks are not tests.

--compare-skipping runs each patch's session twice under qemu, module skipping on and off
(c_kernels/engine.probe.h), and fails if a single output bit differs: the test suite checks
this on the host's ISA only, and floating-point contraction (FMA) differs between ISAs.

--isa x86_64 --validate checks the method: qemu-x86_64 and callgrind count the same native
binary. run.py's figure is the cffi .so's, built with Python's -fPIC -fwrapv besides: about
0.8 % more; MS20_EXTRA_CFLAGS="-fPIC -fwrapv" (added here as in build_kernel.py) mirrors it.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from ms20._kernel import ffi

from ms20.model.engine import Engine
from session import BLOCK, PATCHES, RATE, ROOT, playing_engine

sys.path.insert(0, str(ROOT / "c_kernels"))
from build_kernel import cflags  # noqa: E402

KERNEL = ROOT / "c_kernels"
REPLAY_C = Path(__file__).resolve().parent / "replay.c"
ISAS = {"aarch64": ("aarch64-linux-gnu-gcc", "qemu-aarch64"), "x86_64": ("gcc", "qemu-x86_64")}
MAGIC = b"MS20EVT1"


class QemuCountError(RuntimeError):
    """The count could not be made; never replaced by a guessed figure."""


class RecordingEngine(Engine):
    """An Engine that keeps the bytes of every event it pushes, for replay.c to push again."""

    def __init__(self, sample_rate: float) -> None:
        super().__init__(sample_rate)
        self.records: list[bytes] = []

    def _push(self, kind: int, index: int = 0, value: float = 0.0, at: int | None = None) -> None:
        super()._push(kind, index, value, at)
        self.records.append(bytes(ffi.buffer(self._event)))


def record_session(patch_path: Path) -> bytes:
    """The events file (format in replay.c) for session.py's playing engine on this patch."""
    engine, line_in = playing_engine(patch_path, RecordingEngine(RATE))
    assert isinstance(engine, RecordingEngine)
    # "=": native order, as replay.c reads the struct bytes as they are (little-endian on both ISAs).
    header = MAGIC + struct.pack("=IIfI", ffi.sizeof("ms20_event"), len(engine.records), RATE, BLOCK)
    return header + line_in.astype("=f4").tobytes() + b"".join(engine.records)


def missing_tools(isa: str) -> list[str]:
    return [tool for tool in ISAS[isa] if shutil.which(tool) is None]


def build_replay(isa: str, directory: Path) -> Path:
    """replay.c and the kernel for `isa`, with the flags the firmware's kernel gets."""
    cc = ISAS[isa][0]
    out = directory / f"replay-{isa}"
    flags = cflags(isa)
    # The engine only: the box's audio thread (c_kernels/audio) links libasound and plays no
    # part in the instruments counted here.
    engine = (p for p in KERNEL.rglob("*.c") if "audio" not in p.relative_to(KERNEL).parts)
    sources = [str(REPLAY_C)] + sorted(str(p) for p in engine)
    # -static: qemu-user then needs no guest sysroot.
    cmd = [cc, *flags, "-static", "-I", str(KERNEL), *sources, "-lm", "-o", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise QemuCountError(f"{cc} failed:\n{result.stderr}")
    return out


def count_instructions(isa: str, binary: Path, events: Path, samples: int) -> int:
    """Guest instructions executed by one run of replay rendering `samples`."""
    cmd = [ISAS[isa][1], "-d", "in_asm,exec,nochain", "-D", "/dev/stdout", str(binary), str(events), str(samples)]
    sizes: dict[bytes, int] = {}  # host code address of a block -> its guest instructions
    pending: tuple[bytes, int] | None = None  # the block just translated: guest pc, instructions
    block_pc, block_len = b"", 0
    total = executions = 0
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, bufsize=1 << 20)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b"Trace"):
                # "Trace 0: 0x7f..0100 [cs_base/0000000000400800/flags/cflags] symbol"
                _, _, host, rest = line.split(b" ", 3)
                if pending is not None:
                    # qemu executes a block right after translating it: learn its host address.
                    pc = rest[1:].split(b"/", 2)[1]
                    if int(pc, 16) != int(pending[0], 16):
                        raise QemuCountError(f"block at {pc!r} ran after {pending[0]!r} was translated")
                    sizes[host] = pending[1]
                    pending = None
                size = sizes.get(host)
                if size is None:
                    raise QemuCountError(f"block at host {host!r} ran with no in_asm record")
                total += size
                executions += 1
            elif line.startswith(b"0x"):
                # "0x00402723:  f3 41 0f 11 a6 e0 01 00  movss ..." and, for x86 instructions
                # over 8 bytes, a continuation line of bytes alone: count only lines with a mnemonic.
                address, text = line.split(b":", 1)
                if len([field for field in text.split(b"  ") if field.strip()]) < 2:
                    continue
                if not block_len:
                    block_pc = address
                block_len += 1
            elif line.startswith(b"IN:"):
                block_len = 0
            elif not line.strip() and block_len:  # a blank line closes an in_asm block
                pending, block_len = (block_pc, block_len), 0
        proc.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0 or "replay: rendered" not in stderr:
        raise QemuCountError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    if not sizes or not executions:
        raise QemuCountError(f"no blocks parsed from qemu's log of {' '.join(cmd)}: has its format changed?")
    return total


def _rendered(samples: int) -> int:
    return samples // BLOCK * BLOCK


def instr_per_sample(isa: str, patch_path: Path, samples: tuple[int, int] = (0, RATE)) -> float:
    """Kernel instructions per output sample for `isa`, from runs rendering samples[0] and [1]."""
    missing = missing_tools(isa)
    if missing:
        raise QemuCountError(f"{', '.join(missing)} not found")
    with tempfile.TemporaryDirectory() as tmp:  # a fresh build: the kernel sources change often
        binary = build_replay(isa, Path(tmp))
        events = Path(tmp) / "session.events"
        events.write_bytes(record_session(patch_path))
        short, long = (count_instructions(isa, binary, events, n) for n in samples)
    rendered = _rendered(samples[1]) - _rendered(samples[0])
    if rendered <= 0 or long <= short:
        raise QemuCountError(f"runs of {samples} samples counted {short} and {long} instructions")
    return (long - short) / rendered


def skipping_differs(isa: str, patch_path: Path, samples: int = 2 * RATE) -> str:
    """replay --compare-skipping's report for `isa` (raises if the audio differs)."""
    missing = missing_tools(isa)
    if missing:
        raise QemuCountError(f"{', '.join(missing)} not found")
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_replay(isa, Path(tmp))
        events = Path(tmp) / "session.events"
        events.write_bytes(record_session(patch_path))
        result = subprocess.run([ISAS[isa][1], str(binary), str(events), str(samples), "--compare-skipping"],
                                capture_output=True, text=True)
    report = result.stdout.strip()
    if result.returncode != 0 or not report.endswith(" 0"):
        raise QemuCountError(f"skipping changed the audio on {isa}: {report} {result.stderr.strip()}")
    return report


def callgrind_per_sample(patch_path: Path, samples: int = RATE) -> float:
    """The native replay binary's instructions in ms20_render_rt per sample, by callgrind: the
    method's check, as qemu-x86_64 should count that same binary exactly alike."""
    if platform.machine() != "x86_64" or shutil.which("valgrind") is None:
        raise QemuCountError("validation needs an x86_64 host with valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_replay("x86_64", Path(tmp))
        events = Path(tmp) / "session.events"
        events.write_bytes(record_session(patch_path))
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--toggle-collect=ms20_render_rt", str(binary), str(events), str(samples)],
                       check=True, capture_output=True)
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
    if not totals:
        raise QemuCountError("no totals line in callgrind's output")
    return int(totals[0].split()[1]) / _rendered(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--isa", nargs="+", choices=sorted(ISAS), default=["aarch64"])
    ap.add_argument("--patch", type=Path, action="append", help="default: run.py's patches")
    ap.add_argument("--samples", type=int, nargs=2, default=[0, RATE], metavar=("SHORT", "LONG"),
                    help="samples rendered by the two runs (default 0 and 1 s, as callgrind counts)")
    ap.add_argument("--compare-skipping", action="store_true",
                    help="check instead that skipping silent modules leaves the audio bit-identical on each ISA")
    ap.add_argument("--validate", action="store_true",
                    help="also count the native replay binary with callgrind (LONG samples from the start)")
    args = ap.parse_args()
    patches = {str(p): p for p in args.patch} if args.patch else PATCHES
    try:
        for name, path in patches.items():
            for isa in args.isa:
                if args.compare_skipping:
                    print(f"{name:30} {isa:8} {skipping_differs(isa, path)}")
                    continue
                ir = instr_per_sample(isa, path, tuple(args.samples))
                print(f"{name:30} {isa:8} {ir:8.1f} instr/sample (qemu count)")
            if args.validate:
                print(f"{name:30} {'x86_64':8} {callgrind_per_sample(path, args.samples[1]):8.1f} "
                      "instr/sample (callgrind, same binary)")
    except QemuCountError as e:
        print(f"qemu_count: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
