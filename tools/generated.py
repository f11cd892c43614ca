"""Write or check generated files: the one ending of every generator in tools/.

`python tools/gen_X.py` writes its files; `--check` writes nothing and exits 1 when any is
stale (the tests run the checks, so a hand edit or a forgotten regeneration fails CI).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_or_check(outputs: dict[Path, str], argv: list[str], command: str) -> int:
    stale = []
    for path, text in outputs.items():
        if path.exists() and path.read_text() == text:
            continue
        if "--check" in argv:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale generated files (run python {command}):", *stale, sep="\n  ")
        return 1
    return 0
