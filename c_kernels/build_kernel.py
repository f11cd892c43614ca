"""cffi build script for the MS-20 kernel (API mode, out of line).

`pip install .` runs this through setup.py's cffi_modules; `make kernel` runs it in place
for development. The cdef is the public headers (the engine, and the audio thread with its
sinks in audio/) with preprocessor lines stripped, plus
any `*.cdef` files beside them (probe functions that tests call on single modules).
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
PUBLIC_HEADERS = ["jacks.h", "params.h", "engine.h", "audio/pacer.h", "audio/audio_rt.h"]
CFLAGS = ["-std=c99", "-O3", "-fno-math-errno", "-ffp-contract=fast", "-Wall", "-Wextra", "-Wno-unused-parameter"]
# -O3 rather than -O2: the same arithmetic (no -ffast-math: nothing is reassociated, the audio is
# bit-identical) in 9 to 18 fewer aarch64 instructions a sample (benchmarks/qemu_count.py).
# Per target ISA (platform.machine() names), after CFLAGS. aarch64 (the Pi): GCC loads each
# vector constant with two instructions (adrp + ldr from .rodata); with the literal pool after
# each function, one pc-relative ldr (functions stay far below its 1 MB reach). Bit-identical
# audio, 20 instructions a sample fewer on the first voice (benchmarks/qemu_count.py).
ISA_CFLAGS = {"aarch64": ["-mpc-relative-literal-loads"]}


def cflags(isa: str = platform.machine()) -> list[str]:
    """The kernel's compiler flags for `isa`, MS20_EXTRA_CFLAGS last."""
    return CFLAGS + ISA_CFLAGS.get(isa, []) + os.environ.get("MS20_EXTRA_CFLAGS", "").split()


def _cdef_text() -> str:
    parts = []
    for name in PUBLIC_HEADERS:
        # Table definitions sit in #ifdef MS20_..._TABLES blocks: C only, not for cffi.
        text = re.sub(r"#ifdef MS20_\w+_TABLES.*?#endif", "", (HERE / name).read_text(), flags=re.S)
        parts.append("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    for extra in sorted(HERE.rglob("*.cdef")):
        parts.append(extra.read_text())
    return "\n".join(parts)


def make_builder(absolute: bool) -> cffi.FFI:
    # setuptools wants paths relative to the project; the in-place build runs elsewhere.
    def path(p: Path) -> str:
        return str(p if absolute else p.relative_to(HERE.parent))

    builder = cffi.FFI()
    builder.cdef(_cdef_text())
    builder.set_source(
        "ms20._kernel",
        "".join(f'#include "{h}"\n' for h in PUBLIC_HEADERS)
        + "".join(f'#include "{p.relative_to(HERE)}"\n' for p in sorted(HERE.rglob("*.probe.h"))),
        sources=sorted(path(p) for p in HERE.rglob("*.c")),
        include_dirs=[path(HERE)],
        extra_compile_args=cflags(),
        libraries=["m", "asound", "pthread"],   # asound and pthread: the audio thread (audio/)
    )
    return builder


ffibuilder = make_builder(absolute=False)

if __name__ == "__main__":
    # In-place build for development: writes firmware/ms20/_kernel*.so
    import shutil

    build = HERE.parent / "build" / "cffi"
    so = Path(make_builder(absolute=True).compile(tmpdir=str(build)))
    package = HERE.parent / "firmware" / "ms20"
    for stale in package.glob("_kernel*.so"):  # e.g. a cpython-311 build from an older `make kernel`
        stale.unlink()
    # The name `pip install -e .` gives it (cffi's module uses the limited API either way): a
    # build of one kind never shadows the other's, as a more specific suffix would.
    shutil.copy(so, package / "_kernel.abi3.so")
    print("built firmware/ms20/_kernel.abi3.so")
