"""The boot service and the browser panel: the unit alone reaches no network; the web
drop-ins add IP sockets for the page's one port, to loopback (or the private LAN) only,
and the unit still verifies with them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ms20.web.guard import parse_address

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "ms20.service"
DROP_INS = {"loopback": ROOT / "systemd" / "web-loopback.conf", "lan": ROOT / "systemd" / "web-lan.conf"}


def settings(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def test_without_the_page_the_service_has_no_network_at_all():
    assert settings(UNIT.read_text())["RestrictAddressFamilies"] == "AF_UNIX"


@pytest.mark.parametrize("mode", sorted(DROP_INS))
def test_with_the_page_the_service_may_bind_only_the_page_port_and_talk_only_nearby(mode):
    s = settings(DROP_INS[mode].read_text())
    assert set(s["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert s["IPAddressDeny"] == "any"
    assert s["SocketBindDeny"] == "any"
    assert s["SocketBindAllow"] == f"tcp:{parse_address('127.0.0.1:8020').port}"
    allowed = s["IPAddressAllow"].split()
    assert "localhost" in allowed
    if mode == "loopback":
        assert allowed == ["localhost"]
    assert "any" not in allowed and "0.0.0.0/0" not in allowed


@pytest.mark.parametrize("mode", sorted(DROP_INS))
def test_the_unit_with_a_web_drop_in_verifies(tmp_path, mode):
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: apt-get install systemd (.ci/run does)"
    stub = tmp_path / "ms20"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    unit = tmp_path / "ms20.service"
    # A drop-in's [Service] lines apply as if appended to the unit: verify exactly that.
    unit.write_text(UNIT.read_text().replace("/opt/ms20/venv/bin/ms20", str(stub)) + "\n"
                    + DROP_INS[mode].read_text())
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "ms20.service" not in r.stderr, r.stderr
