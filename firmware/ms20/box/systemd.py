"""Telling systemd how the box is: READY, STATUS, WATCHDOG and STOPPING through sd_notify(3)."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class SystemdNotifier:
    """sd_notify(3) in a few lines: a datagram to $NOTIFY_SOCKET. No dependency to install on
    the Pi, and nothing happens when not run by systemd (no NOTIFY_SOCKET)."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        addr = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + addr[1:] if addr.startswith("@") else addr   # abstract namespace
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        self.watchdog_s = (int(usec) / 1e6 if usec.isdigit() and (not pid or pid == str(os.getpid()))
                           else 0.0)
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, state: str) -> bool:
        if not self.address:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            # Never block the control loop on a busy systemd: drop the datagram instead.
            self._sock.sendto(state.encode(), socket.MSG_DONTWAIT, self.address)
            return True
        except OSError as exc:
            log.debug("systemd: notify failed: %s", exc)
            return False

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
