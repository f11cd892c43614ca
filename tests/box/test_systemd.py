"""The boot service: the unit file verifies, keeps the hardware reachable, the install script
takes its overlays from hw/board.toml, and the firmware speaks sd_notify: READY, a watchdog
it stops feeding when the audio thread stalls, STOPPING."""

from __future__ import annotations

import contextlib
import errno
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from boxkit import make_box, running, wait_until

from ms20.audio import NullSink
from ms20.box.systemd import SystemdNotifier

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "ms20.service"
INSTALL = ROOT / "systemd" / "install.sh"


def unit_settings() -> list[tuple[str, str]]:
    out = []
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze is missing: apt-get install systemd (.ci/run does)")


@needs_systemd_analyze
def test_the_unit_file_verifies(tmp_path):
    # verify insists that ExecStart's program exists; on this machine /opt/ms20 does not, so
    # check a copy whose ExecStart points at a stand-in (everything else is the real unit).
    stub = tmp_path / "ms20"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    unit = tmp_path / "ms20.service"
    unit.write_text(UNIT.read_text().replace("/opt/ms20/venv/bin/ms20", str(stub)))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "ms20.service" not in r.stderr, r.stderr     # no warnings about our unit either


def test_the_unit_runs_unprivileged_with_watchdog_realtime_and_the_hardware_reachable():
    s = unit_settings()
    d = dict(s)
    assert d["Type"] == "notify" and int(d["WatchdogSec"]) > 0 and d["Restart"] == "always"
    assert d["User"] == "ms20" and set(d["SupplementaryGroups"].split()) >= {"audio", "gpio", "spi"}
    assert d["LimitRTPRIO"] and d["LimitMEMLOCK"] == "infinity"
    allowed = [v for k, v in s if k == "DeviceAllow"]
    for dev in ("char-alsa", "char-gpiochip", "char-spi", "/dev/gpiomem"):
        assert any(a.startswith(dev + " ") for a in allowed), dev
    assert "PrivateDevices" not in d and "RestrictRealtime" not in d
    assert ("Environment", "MS20_PINS=rpi") in s        # the board by setting, never by guessing


def test_install_takes_the_overlays_from_the_board_file():
    r = subprocess.run(["bash", str(INSTALL), "--print-overlays"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert "dtparam=spi=on" in lines and any(x.startswith("dtoverlay=") for x in lines)
    try:
        from ms20.hardware.board_def import load_board
    except ImportError:
        return
    assert set(lines) == set(load_board(ROOT / "hw" / "board.toml").config_txt())   # the hardware layer agrees


def test_install_dry_run_changes_nothing(tmp_path):
    boot = tmp_path / "config.txt"
    boot.write_text("dtparam=audio=on\n")
    r = subprocess.run(["bash", str(INSTALL), "--dry-run", "--boot-config", str(boot)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "would add to" in r.stdout and "\ndtoverlay=" in r.stdout and "do_overlayfs 0" in r.stdout
    assert boot.read_text() == "dtparam=audio=on\n"


class NotifySocket:
    """systemd's end of $NOTIFY_SOCKET: receives on a thread, as systemd would."""

    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.got: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                self.got.append((time.monotonic(), self.sock.recv(4096).decode()))

    def close(self) -> list[tuple[float, str]]:
        time.sleep(0.1)
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.got


def test_the_watchdog_is_fed_only_while_audio_runs(tmp_path):
    listener = NotifySocket(tmp_path / "notify")
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "200000"})
    box, _, _ = make_box(notifier=notifier, **{"audio.stall_s": 0.15})
    with running(box):
        time.sleep(0.4)
        fed = box.watchdog_fed
        assert fed >= 4                               # every WatchdogSec/4
        box.audio.inject_stall(1.5)   # the audio thread hangs for 1.5 s (room for a slow machine below)
        assert wait_until(lambda: box.watchdog_withheld > 0, 1.0)
        during = box.watchdog_fed
        time.sleep(0.3)
        assert box.watchdog_fed == during             # not fed while stalled
        assert wait_until(lambda: box.watchdog_fed > during, 2.5)   # and fed again after
    msgs = [m for _, m in listener.close()]
    assert msgs[0].startswith("READY=1") and msgs[-1] == "STOPPING=1"
    times = [t for t, m in listener.got if m == "WATCHDOG=1"]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) > 0.5   # the gap systemd would see


class BrokenSink(NullSink):
    def open(self):
        raise RuntimeError("driver bug")


def test_a_dead_audio_thread_ends_the_firmware_with_failure_so_systemd_restarts_it():
    box, _, _ = make_box(sink=BrokenSink())
    box.start()
    t = time.monotonic()
    code = box.run(duration=3.0)
    box.stop()
    assert code == 1 and time.monotonic() - t < 1.5 and box.audio.state == "failed"


def test_a_card_refusing_a_call_mid_stream_ends_the_firmware_with_failure():
    box, _, _ = make_box()
    box.start()
    assert wait_until(lambda: box.audio.state == "running", 2.0)
    box.audio.inject_error(errno.EBADFD)           # the driver says our stream is in a bad state
    t = time.monotonic()
    code = box.run(duration=3.0)
    box.stop()
    assert code == 1 and time.monotonic() - t < 1.5 and box.audio.state == "failed"


def test_the_unit_never_stops_restarting_a_failing_box():
    # A box has nobody to restart it: no start rate limit, and any exit is restarted.
    d = dict(unit_settings())
    assert d["StartLimitIntervalSec"] == "0" and "StartLimitBurst" not in d
    assert d["Restart"] == "always" and 0 < float(d["RestartSec"]) <= 5


def test_the_unit_is_hardened_and_has_no_network_unless_the_web_drop_in_opens_it():
    d = dict(unit_settings())
    assert d["PrivateNetwork"] == "yes" and d["RestrictAddressFamilies"] == "AF_UNIX"
    assert d["RemoveIPC"] == "yes" and d["ProcSubset"] == "pid" and d["PrivateMounts"] == "yes"
    assert d["ProtectSystem"] == "strict"          # /opt/ms20 (patches) read-only to the service
    web = (ROOT / "systemd" / "web.conf").read_text()
    assert "PrivateNetwork=no" in web and "AF_INET" in web


@needs_systemd_analyze
def test_the_unit_with_the_web_drop_in_verifies(tmp_path):
    stub = tmp_path / "ms20"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    unit = tmp_path / "ms20.service"
    unit.write_text(UNIT.read_text().replace("/opt/ms20/venv/bin/ms20", str(stub)))
    (tmp_path / "ms20.service.d").mkdir()
    shutil.copy(ROOT / "systemd" / "web.conf", tmp_path / "ms20.service.d" / "web.conf")
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ms20.service" not in r.stderr, r.stderr


def test_under_systemd_log_lines_carry_journald_priorities():
    import io
    import logging

    from ms20.commands.cli import configure_logging

    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(stream=out, environ={"JOURNAL_STREAM": "8:12345"})
        log = logging.getLogger("ms20.test")
        log.info("running")
        log.warning("an xrun")
        log.error("a bad patch")
        assert out.getvalue().splitlines() == ["<6>ms20.test: running", "<4>ms20.test: an xrun",
                                               "<3>ms20.test: a bad patch"]
        out.truncate(0)
        out.seek(0)
        configure_logging(stream=out, environ={})       # at a terminal: the level spelt out
        log.warning("an xrun")
        assert out.getvalue() == "WARNING ms20.test: an xrun\n"
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
