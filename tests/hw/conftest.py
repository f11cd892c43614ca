"""Fixtures for the hardware layer: a fresh simulated board per test, the backends to run the
hardware tests on, and a rig that runs the firmware's real control path into the kernel."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np
import pytest

from ms20.commands.board_args import open_board
from ms20.control.calibration import Calibration
from ms20.control.controller import PanelController
from ms20.control.scanner import Scanner
from ms20.hardware.board import Board
from ms20.hardware.board_def import load_board
from ms20.model.engine import Engine
from ms20.sim.board import MockBoard

SR = 48000
BLOCK = 240                  # 5 ms: the kernel gets the panel every 5 ms, as in the box
STEP_S = 0.001               # the control loop polls every millisecond


@pytest.fixture(autouse=True)
def _no_stored_calibration(tmp_path, monkeypatch):
    """Tests never read a calibration a developer stored with `ms20 calibrate`."""
    monkeypatch.setenv("MS20_CALIBRATION", str(tmp_path / "no-calibration.toml"))


@pytest.fixture
def mock_board() -> MockBoard:
    """A fresh simulated box (hw/board.toml), knobs at the panel's defaults, nothing plugged."""
    return MockBoard(seed=1)


def _on_a_pi() -> bool:
    return importlib.util.find_spec("RPi") is not None and importlib.util.find_spec("spidev") is not None


@pytest.fixture(params=["mock", "rpi"])
def board(request) -> Iterator[Board]:
    """The box's drivers on each backend; the real one only on a Pi (the only legitimate skip)."""
    if request.param == "rpi" and not _on_a_pi():
        pytest.skip("real pins: RPi.GPIO and spidev are only on a Raspberry Pi (MS20_PINS=rpi)")
    hw = open_board(request.param, load_board().source) if request.param == "rpi" else MockBoard(seed=2).hardware
    yield hw
    hw.close()


class CountingEngine(Engine):
    """The kernel, counting what the control side sends it."""

    def __init__(self) -> None:
        super().__init__(SR)
        self.patches = 0
        self.params = 0

    def patch(self, route, at=None) -> None:  # noqa: ANN001
        self.patches += 1
        super().patch(route, at)

    def set_param(self, param, value, at=None) -> None:  # noqa: ANN001
        self.params += 1
        super().set_param(param, value, at)


class Rig:
    """The firmware's control path on a simulated box:
    MockBoard -> drivers -> Scanner -> PanelController -> flush -> Engine -> audio."""

    def __init__(self, board: MockBoard, calibration: Calibration | None = None) -> None:
        self.board = board
        self.controller = PanelController()
        self.scanner = Scanner(board.hardware, self.controller, calibration=calibration or Calibration())
        self.engine = CountingEngine()
        self.scanning = True
        self._since_block = 0.0
        self.routings = [self.controller.state.routing]

    def run(self, seconds: float, audio: bool = False) -> np.ndarray:
        """Advance the box: poll every ms, flush and render every 5 ms. Returns the audio."""
        out = []
        for _ in range(round(seconds / STEP_S)):
            self.board.advance(STEP_S)
            if self.scanning:
                self.scanner.poll(self.board.now())
            if self.controller.state.routing is not self.routings[-1]:
                self.routings.append(self.controller.state.routing)
            self._since_block += STEP_S
            if self._since_block >= BLOCK / SR - 1e-9:
                self._since_block = 0.0
                self.controller.flush(self.engine)
                block = self.engine.render(BLOCK)
                if audio:
                    out.append(block)
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def until(self, condition, limit_s: float = 0.2) -> float:  # noqa: ANN001
        """Run until `condition()` holds; the simulated seconds it took."""
        start = self.board.now()
        while not condition():
            if self.board.now() - start > limit_s:
                raise AssertionError(f"not within {limit_s * 1000:.0f} ms")
            self.run(STEP_S)
        return self.board.now() - start


@pytest.fixture
def make_rig():
    """Build a Rig on a board of the test's own making: make_rig(MockBoard(seed=3))."""
    return Rig


@pytest.fixture
def rig(mock_board) -> Rig:
    """The control path on a fresh board, settled (the panel taken, the matrix decided)."""
    r = Rig(mock_board)
    r.run(0.06)
    return r
