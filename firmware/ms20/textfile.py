"""Reading the project's text files (patches, board, config) with one kind of error message."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path, what: str, error: type[Exception]) -> str:
    """The file's text, or `error("<path>: cannot read <what> (<reason>)")`."""
    try:
        return path.read_text()
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
