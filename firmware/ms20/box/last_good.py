"""The last good copy of the box's config and patch, kept in its state directory, so that a
bad edit (a typo, a wrong type, a half-copied file) falls back to what played before instead
of silencing the box: a box has nobody to read a traceback, and must come up playing.

Each file that loads is copied to `<state dir>/last-good-<kind>.toml`; a file that does not
is logged once, naming the file, line and key, and the copy is loaded instead (the defaults
when there is no copy either). Every fallback is remembered for the status LED and line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ms20.textfile import write_atomically

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Fallback:
    """One file the box could not use: which kind, why (file, line, key), what it used."""

    kind: str
    reason: str
    using: str


class LastGood:
    """Loads files with a fallback to their last good copy under `directory` (None: no copies)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.fallbacks: list[Fallback] = []

    def copy_of(self, kind: str) -> Path | None:
        """Where the last good `kind` ("config", "patch") is kept."""
        return self.directory / f"last-good-{kind}.toml" if self.directory is not None else None

    def load(self, kind: str, path: Path, load: Callable[[Path], T]) -> T | None:
        """`load(path)`; if it raises a ValueError or OSError (every file error here is one),
        log it once and `load` the last good copy instead; None when there is none either
        (the caller then uses the defaults)."""
        copy = self.copy_of(kind)
        try:
            value = load(path)
        except (ValueError, OSError) as exc:
            return self._fall_back(kind, str(exc), copy, load)
        if copy is not None:
            self._keep(path, copy)
        return value

    def _keep(self, path: Path, copy: Path) -> None:
        try:
            data = path.read_bytes()
            if not copy.exists() or copy.read_bytes() != data:
                write_atomically(copy, data)
        except (OSError, ValueError) as exc:   # a read-only state dir must not stop the box either
            log.debug("last good: cannot keep %s (%s)", copy, exc)

    def _fall_back(self, kind: str, reason: str, copy: Path | None, load: Callable[[Path], T]) -> T | None:
        if copy is not None and copy.exists():
            try:
                value = load(copy)
            except (ValueError, OSError):
                value = None
            if value is not None:
                log.error("%s: %s; playing on with the last good copy (%s)", kind, reason, copy)
                self.fallbacks.append(Fallback(kind, reason, str(copy)))
                return value
        log.error("%s: %s; playing on with the defaults", kind, reason)
        self.fallbacks.append(Fallback(kind, reason, "defaults"))
        return None
