"""The browser panel's safety rules, as pure functions and small records (no web library in
here, so each rule is tested alone):

1. Where it listens: loopback unless the config names another address (`parse_address`).
2. Who may change things: on loopback, any page the machine itself serves; on the network,
   only a connection that gave the passphrase whose hash the config holds (`check_passphrase`;
   PBKDF2-SHA256, never the passphrase itself). With no hash set, the network sees a
   read-only panel.
3. Which pages may talk to it: the WebSocket's Origin must be the page's own (`origin_ok`),
   and on loopback the Host must be a loopback name, so a web site that points its own name
   at 127.0.0.1 (DNS rebinding) is refused.
4. How fast: each connection has a token bucket (`RateLimit`); messages beyond it are
   answered with an error and change nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_ADDRESS = "127.0.0.1:8020"
PBKDF2_ITERATIONS = 200_000
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class AddressError(ValueError):
    """An address that is not HOST:PORT."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False   # a host name: treat as the network

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """HOST:PORT, [V6]:PORT, or :PORT (loopback), as `ms20 run --web` and web.address take it."""
    text = text.strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        raise AddressError(f"web address {text!r}: use HOST:PORT, e.g. {DEFAULT_ADDRESS}")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise AddressError(f"web address {text!r}: port {port!r} is not a number") from None
    if not 0 <= number <= 65535:
        raise AddressError(f"web address {text!r}: port {number} is outside 0-65535")
    return Address(host, number)


def hash_passphrase(passphrase: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The line web.passphrase stores: pbkdf2_sha256$ITERATIONS$SALT$HASH (hex)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def is_passphrase_hash(stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        return False
    try:
        bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return False
    return True


def check_passphrase(passphrase: str, stored: str) -> bool:
    """True when `passphrase` hashes to `stored` (constant-time compare)."""
    if not is_passphrase_hash(stored):
        return False
    _, iterations, salt, digest = stored.split("$")
    got = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(got.hex(), digest)


def _host_name(host_header: str) -> str:
    """The name in a Host header (no port, no brackets), lower case."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def host_ok(host_header: str | None, bound: Address) -> bool:
    """On loopback, only loopback names (DNS rebinding); on the network, any name."""
    if not bound.loopback:
        return True
    return host_header is not None and _host_name(host_header) in LOOPBACK_NAMES


def origin_ok(origin: str | None, host_header: str | None) -> bool:
    """A browser's WebSocket must come from a page this server served: its Origin's host:port
    is the Host it connected to. No Origin: not a browser (a script), which no web page can
    make; allowed."""
    if origin is None:
        return True
    if host_header is None:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc.lower() == host_header.strip().lower()


class RateLimit:
    """A token bucket: `rate` messages per second on average, bursts of `burst`."""

    def __init__(self, rate: float = 100.0, burst: float = 100.0) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last: float | None = None
        self.refused = 0

    def allow(self, now: float) -> bool:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.refused += 1
        return False
