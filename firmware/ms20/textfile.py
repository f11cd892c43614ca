"""Reading the project's text files (patches, board, config, calibration) with one kind of
error message: the file, the line where the key is written, the key, and a close match for a
misspelled name."""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([\w-]+))\s*=""")


MAX_TEXT_BYTES = 1 << 20     # a patch, config, board or calibration file is a few kB
BOM = "\ufeff"


def read_bytes(path: str | Path, what: str, error: type[Exception], limit: int = MAX_TEXT_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them; else `error` naming the file.

    Opened non-blocking so a FIFO or a device cannot hang us (it is refused: only a regular
    file is a patch or a config), and read no further than `limit` so /proc or a huge file
    cannot fill the memory."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
            raise error(f"{path}: cannot read {what} ({kind}; give a file)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise error(f"{path}: cannot read {what} (larger than {limit // 1024} KiB: not a {what})")
    return b"".join(chunks)


def read_text(path: str | Path, what: str, error: type[Exception]) -> str:
    """The file's UTF-8 text (a leading byte-order mark dropped, as editors on Windows write
    one), or `error("<path>: cannot read <what> (<reason>)")`; see `read_bytes`."""
    data = read_bytes(path, what, error)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the {what} as UTF-8") from None
    return text[1:] if text.startswith(BOM) else text


def parse_toml(text: str, source: str, error: type[Exception]) -> dict[str, Any]:
    """The TOML document in `text`, or `error("<source>: not valid TOML (<reason, line>)")`;
    nesting too deep for the parser is an error too, not a RecursionError."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:
        raise error(f"{source}: not valid TOML (arrays or tables nested too deeply)") from None


def short_repr(value: object, limit: int = 40) -> str:
    """repr(value), cut to `limit` characters, for error messages about odd values."""
    try:
        text = repr(value)
    except ValueError:          # an int too long for str()
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def state_dir() -> Path:
    """Where the box keeps what it writes (calibration, the last good config and patch):
    systemd's $STATE_DIRECTORY (/var/lib/ms20 for the service), else /var/lib/ms20 when this
    user may write there (a builder with sudo on the box), else $XDG_STATE_HOME/ms20
    (~/.local/state/ms20) on a development machine."""
    env = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if env:
        return Path(env)
    box = Path("/var/lib/ms20")
    if box.is_dir() and os.access(box, os.W_OK):
        return box
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ms20"


def refuse_special(path: Path, error: type[Exception]) -> None:
    """`error` if `path` exists and is not a regular file: renaming a file over a device, a
    FIFO or a directory (/dev/full as an output, run as root) must never happen."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise error(f"{path}: cannot write ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise error(f"{path}: not a regular file; give the name of a file to write")


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write `data` to `path` so a power cut or a kill leaves the old file or the new one,
    never half of one: a temp file in the same directory, fsynced, given `mode` (readable by
    the service whoever wrote it), renamed over the old file, the directory fsynced. Temp
    files a killed writer left behind are removed first."""
    refuse_special(path, ValueError)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)          # the rename itself must reach the disk
    finally:
        os.close(dir_fd)
    return path
