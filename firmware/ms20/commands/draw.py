"""`ms20 draw`: a patch sheet, the panel in the owner's manual's chart style with each knob's
position and each cable, as SVG or PNG.

    ms20 draw patches/first-voice.toml --out sheet.svg
    ms20 draw "Bass 2" --out bass.png              # a saved patch, by name
    ms20 draw --all patches --out docs/patches      # every patch of a folder (make docs)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ms20.box.config import load_config
from ms20.memory.sheet import write_sheet
from ms20.memory.store import PatchStore, default_directory
from ms20.model.patch import load_patch


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ms20 draw` to the command line."""
    p = sub.add_parser("draw", help="draw a patch sheet (SVG or PNG)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("patch", help="a patch file, a saved patch's name, or with --all a folder of patches")
    p.add_argument("--out", required=True, metavar="FILE", help="sheet.svg or sheet.png (with --all: a folder)")
    p.add_argument("--all", action="store_true", help="draw every *.toml of the folder PATCH into the folder OUT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.all:
        out = Path(args.out)
        for path in sorted(Path(args.patch).glob("*.toml")):
            print(write_sheet(load_patch(path), out / f"{path.stem}.svg", f"patches/{path.name}"))
        return 0
    path = Path(args.patch)
    if path.suffix == ".toml" and path.exists():
        patch = load_patch(path)
    else:
        patch = PatchStore(Path(load_config().patch.dir or default_directory())).load(args.patch)
    print(write_sheet(patch, Path(args.out)))
    return 0
