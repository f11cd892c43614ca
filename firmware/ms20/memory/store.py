"""The box's patch directory: patch files written from the panel, atomically, and found again
by name (the directory first, then the patches the firmware ships).

A save writes a temporary file beside the target, fsyncs it, renames it over the target and
fsyncs the directory: a power cut or a full disk leaves either the old file or the new one,
never half of one. Names are what a player types or a key gives ("Bass 2", "Fläche", "key-C4"):
any Unicode, but no path separators, no leading dot and no control characters, so a name can
never leave the directory.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ms20.memory.guide import links
from ms20.model.panel import PanelState
from ms20.model.patch import Patch, PatchError, load_patch
from ms20.textfile import write_atomically

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "patches"
MAX_NAME = 80


class BadName(ValueError):
    """A patch name that cannot be a file name in the patch directory."""


class SaveError(OSError):
    """A save that did not happen (the old file, if any, is intact)."""


def check_name(name: str) -> str:
    """The name, stripped, if it can name a patch file; BadName says why not."""
    clean = name.strip()
    if not clean:
        raise BadName("a patch needs a name")
    if len(clean) > MAX_NAME:
        raise BadName(f"patch name is longer than {MAX_NAME} characters")
    if "/" in clean or "\\" in clean or clean.startswith(".") or clean in (".", ".."):
        raise BadName(f"patch name {name!r} must not contain / or \\ or start with a dot")
    if any(ord(c) < 32 or ord(c) == 127 for c in clean):
        raise BadName(f"patch name {name!r} contains control characters")
    return clean


def firmware_version() -> str:
    try:
        return metadata.version("ms20")
    except metadata.PackageNotFoundError:
        return "unknown"


def _q(s: str) -> str:
    # A TOML basic string: JSON's escapes are TOML's (names carry no control characters).
    return json.dumps(s, ensure_ascii=False)


def format_patch(name: str, state: PanelState, cc_map: Mapping[int, str] | None = None,
                 comment: str = "") -> str:
    """A patch file holding every knob, switch and cable of `state` (loads back to the same
    panel: a plug leading nowhere is written as a one-jack cable)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime())
    lines = [f"# {name}: saved {stamp} by ms20 {firmware_version()}."]
    if comment:
        lines += [f"# {c}" for c in comment.splitlines()]
    lines.append(f"name = {_q(name)}")
    cables = [f"[{_q(o)}, {_q(i)}]" if o is not None else f"[{_q(i)}]"
              for o, i in sorted(links(state.routing), key=lambda x: (x[1], x[0] or ""))]
    if cables:
        lines.append("cables = [\n" + "".join(f"    {c},\n" for c in cables) + "]")
    else:
        lines.append("cables = []")
    lines += ["", "[knobs]"]
    lines += [f"{_q(k)} = {round(v, 3)}" for k, v in state.knobs.items()]
    lines += ["", "[switches]"]
    lines += [f"{_q(k)} = {_q(v)}" for k, v in state.switches.items()]
    if cc_map:
        lines += ["", "[midi.cc]"]
        lines += [f"{cc} = {_q(knob)}" for cc, knob in sorted(cc_map.items())]
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by a file holding `text`, or leave it as it was (SaveError).
    Mode 0600, as the store has always written (textfile.write_atomically does the work)."""
    try:
        write_atomically(path, text.encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise SaveError(exc.errno, f"cannot write {path} ({exc.strerror or exc}); the old file is unchanged") from None
    except ValueError as exc:   # not a regular file where the patch would go
        raise SaveError(errno.EINVAL, str(exc)) from None


@dataclass
class PatchStore:
    """The patch directory, and the shipped patches behind it."""

    directory: Path

    def path_of(self, name: str) -> Path:
        return self.directory / f"{check_name(name)}.toml"

    def save(self, name: str, state: PanelState, cc_map: Mapping[int, str] | None = None) -> Path:
        """Write the panel as patch `name`; SaveError (old file intact) or BadName."""
        path = self.path_of(name)
        write_atomic(path, format_patch(check_name(name), state, cc_map))
        log.info("memory: saved %r to %s", name, path)
        return path

    def find(self, name: str) -> Path | None:
        """The file of patch `name`: the patch directory's, else a shipped one."""
        clean = check_name(name)
        for base in (self.directory, SHIPPED):
            path = base / f"{clean}.toml"
            if path.is_file():
                return path
        return None

    def load(self, name: str) -> Patch:
        """Patch `name`; PatchError if it is missing or broken."""
        path = self.find(name)
        if path is None:
            raise PatchError(f"no patch named {name!r} in {self.directory} or the shipped patches")
        return load_patch(path)

    def names(self) -> list[str]:
        """Every patch name: the directory's, then the shipped ones, each sorted."""
        # Hidden files are the firmware's own (MIDI learn's); names never start with a dot.
        own = sorted(p.stem for p in self.directory.glob("*.toml")
                     if not p.name.startswith(".")) if self.directory.is_dir() else []
        shipped = sorted(p.stem for p in SHIPPED.glob("*.toml") if p.stem not in own)
        return own + shipped


def default_directory() -> Path:
    """Where saved patches go when the config does not say: systemd's StateDirectory
    ($STATE_DIRECTORY, /var/lib/ms20 on the box), else $XDG_DATA_HOME/ms20 (~/.local/share)."""
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        return Path(state.split(":")[0]) / "patches"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "ms20" / "patches"
