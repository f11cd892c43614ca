"""Reading the project's text files (patches, board, config, calibration) with one kind of
error message: the file, the line where the key is written, the key, and a close match for a
misspelled name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([\w-]+))\s*=""")


def read_text(path: Path, what: str, error: type[Exception]) -> str:
    """The file's text, or `error("<path>: cannot read <what> (<reason>)")`."""
    try:
        return path.read_text()
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None


def _defines(line: str, part: str) -> bool:
    """Whether `line` is the table header or the key assignment that names `part`."""
    if line.lstrip().startswith("#"):
        return False
    header = _HEADER.match(line)
    if header:
        return [p.strip().strip("\"'") for p in header.group(1).split(".")][-1] == part
    key = _KEY.match(line)
    return key is not None and next(g for g in key.groups() if g is not None) == part


def line_of(text: str, path: Sequence[str]) -> int | None:
    """Best effort: the 1-based line where the key `path` (section, ..., key) is written.

    Each part is looked for after the line of the one before: first as a table header or a
    key (`[audio]`, `period = 64`), else anywhere in a line (a chip's id, a jack in a list).
    Array indices (digits) are skipped. None when even the first part is nowhere."""
    lines = text.splitlines()
    start, found = 0, None
    for part in path:
        if part.isdigit():
            continue
        n = next((i for i in range(start, len(lines)) if _defines(lines[i], part)), None)
        if n is None:
            n = next((i for i in range(start, len(lines)) if part in lines[i]), None)
        if n is None:
            return found
        start, found = n, n + 1
    return found


def where(source: str, text: str, path: Sequence[str]) -> str:
    """`source:line` for the key `path`, or just `source` when the line is not found."""
    line = line_of(text, path)
    return f"{source}:{line}" if line else source


def did_you_mean(name: str, known: Iterable[str], show: str = "{}") -> str:
    """' (did you mean X?)' for the closest known name, formatted by `show`; else ''."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {show.format(close[0])}?)" if close else ""
