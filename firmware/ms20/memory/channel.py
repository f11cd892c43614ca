"""The control channel: how `ms20 save` and `ms20 recall` reach the running firmware.

A Unix stream socket (`control.sock` in the runtime directory; only the box's user and
group may connect). One request per connection, one JSON object per line each way:

    -> {"cmd": "save", "name": "Bass 2"}            <- {"ok": true, "path": "/var/lib/ms20/patches/Bass 2.toml"}
    -> {"cmd": "recall", "name": "Bass 2"}          <- {"ok": true, "guide": {...}, "lines": ["plug ..."]}
    -> {"cmd": "guide"}                             <- {"ok": true, "guide": {...}, "lines": [...]}
    -> {"cmd": "list"}                              <- {"ok": true, "names": [...], "bank": [...]}
    anything wrong                                  <- {"ok": false, "error": "why"}

The server thread only parses and waits: each command runs in the box's control loop (the
only thread that changes the panel), never on the audio thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SOCKET_ENV = "MS20_SOCKET"
SOCKET_NAME = "control.sock"
SYSTEM_SOCKET = Path("/run/ms20") / SOCKET_NAME
MAX_REQUEST = 4096
TIMEOUT_S = 5.0

Handler = Callable[[dict], dict]


class ChannelError(OSError):
    """The firmware cannot be reached, or refused the request."""


def user_socket() -> Path:
    """The socket of a firmware run by this user (not under systemd)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return Path(base) / "ms20" / SOCKET_NAME if base else Path(f"/tmp/ms20-{os.getuid()}") / SOCKET_NAME


def server_socket(explicit: str | None = None) -> Path:
    """Where the firmware listens: --socket, $MS20_SOCKET, systemd's $RUNTIME_DIRECTORY, else
    the user's runtime directory."""
    if explicit:
        return Path(explicit)
    if os.environ.get(SOCKET_ENV):
        return Path(os.environ[SOCKET_ENV])
    runtime = os.environ.get("RUNTIME_DIRECTORY")
    if runtime:
        return Path(runtime.split(":")[0]) / SOCKET_NAME
    return user_socket()


def client_socket(explicit: str | None = None) -> Path:
    """Where a command looks: --socket, $MS20_SOCKET, the service's /run/ms20, else the user's."""
    if explicit:
        return Path(explicit)
    if os.environ.get(SOCKET_ENV):
        return Path(os.environ[SOCKET_ENV])
    return SYSTEM_SOCKET if SYSTEM_SOCKET.exists() else user_socket()


class ControlServer:
    """Serves the channel on its own thread; `handler` (the box's) answers each request."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.requests = 0

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.path.exists():
            if _answers(self.path):
                raise OSError(f"another firmware is listening on {self.path}")
            self.path.unlink()          # a socket left by a killed firmware
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o660)
        sock.listen(8)
        sock.settimeout(0.2)            # so stop() is noticed
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="ms20-control-channel", daemon=True)
        self._thread.start()
        log.info("memory: control channel on %s", self.path)

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with conn:
                conn.settimeout(TIMEOUT_S)
                try:
                    reply = self._answer(_read_line(conn))
                except (OSError, ValueError) as exc:
                    reply = {"ok": False, "error": str(exc)}
                with contextlib.suppress(OSError):      # the client went away
                    conn.sendall(json.dumps(reply, ensure_ascii=False).encode() + b"\n")

    def _answer(self, line: bytes) -> dict:
        self.requests += 1
        try:
            request = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {"ok": False, "error": "not a JSON request"}
        if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
            return {"ok": False, "error": 'a request is {"cmd": ...}'}
        try:
            return self.handler(request)
        except Exception as exc:   # a bad request must not end the channel
            log.exception("memory: control request %r failed", request.get("cmd"))
            return {"ok": False, "error": str(exc)}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        if self._sock is not None:
            self._sock.close()
            with contextlib.suppress(OSError):
                self.path.unlink()


def _answers(path: Path) -> bool:
    """Whether a live server accepts connections on `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("request too long")
    return data.split(b"\n", 1)[0]


def request(path: Path, message: dict, timeout_s: float = TIMEOUT_S) -> dict:
    """Send one request to the firmware and return its answer; ChannelError if nobody listens."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            sock.connect(str(path))
            sock.sendall(json.dumps(message, ensure_ascii=False).encode() + b"\n")
            reply = _read_line(sock)
    except FileNotFoundError:
        raise ChannelError(f"no firmware is running here ({path} does not exist; is `ms20 run` running?)") from None
    except ConnectionRefusedError:
        raise ChannelError(f"no firmware answers on {path} (is `ms20 run` running?)") from None
    except OSError as exc:
        raise ChannelError(f"cannot talk to the firmware on {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(reply)
    except json.JSONDecodeError:
        raise ChannelError(f"the firmware's answer was not JSON: {reply[:80]!r}") from None
