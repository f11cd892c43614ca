"""Where every control source meets: physical pots and switches, the jack matrix, MIDI
controllers and patch files all change one PanelState here, and `flush` queues the
difference to the kernel.

Pickup: a knob last moved by MIDI keeps its value until the physical pot passes through
it (crosses it or comes within PICKUP_WINDOW), so nothing jumps when a player reaches
for a pot after turning the same knob from a controller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ms20.model.kernel_ids import PARAMS
from ms20.model.panel import PanelState, layout, send
from ms20.model.patchbay import Routing

if TYPE_CHECKING:
    from ms20.model.engine import Engine

log = logging.getLogger(__name__)

PICKUP_WINDOW = 0.15  # panel units (0-10 scale)


class PanelController:
    """The one PanelState every control source changes; `flush` queues its changes to the kernel."""

    def __init__(self, initial: PanelState | None = None) -> None:
        self._lock = threading.Lock()
        self._state = initial or PanelState.default()
        self._sent: PanelState | None = None
        self._pots: dict[str, float] = {}          # knob -> last physical pot reading
        self._midi_owned: set[str] = set()         # knobs waiting for their pot to pick up
        self.problems: tuple[str, ...] = ()
        self._performance: dict[int, float] = {}   # kernel param -> value not yet flushed

    @property
    def state(self) -> PanelState:
        return self._state

    def load(self, state: PanelState) -> None:
        """Take a whole snapshot (a patch file): every knob follows it, pickup cleared."""
        with self._lock:
            self._state = state
            self._midi_owned.clear()
            self._note_problems(state.routing)

    def pot_moved(self, name: str, position: float) -> None:
        """A physical pot reading (already calibrated and de-noised) on the 0-10 scale."""
        knob = layout().knob(name).name
        with self._lock:
            last = self._pots.get(knob, position)
            self._pots[knob] = position
            if knob in self._midi_owned:
                target = self._state.knobs[knob]
                crossed = (last - target) * (position - target) <= 0.0
                if not crossed and abs(position - target) > PICKUP_WINDOW:
                    return
                self._midi_owned.discard(knob)
            self._state = self._state.with_knob(knob, position)

    def midi_knob(self, name: str, position: float, at: int | None = None) -> None:
        """A knob moved by a MIDI controller (a Performance knob sink); a physical pot on the
        same knob must pick the value up again before it takes over."""
        knob = layout().knob(name).name
        with self._lock:
            self._state = self._state.with_knob(knob, position)
            if knob in self._pots:
                self._midi_owned.add(knob)

    def knob_sink(self, engine: Engine) -> Callable[[str, float, int | None], None]:
        """A Performance's knob sink: a CC-mapped knob moves and reaches the kernel at its time.
        The caller holds the kernel queue's producer side (the box's lock, or a render's loop)."""

        def sink(name: str, position: float, at: int | None) -> None:
            self.midi_knob(name, position, at)
            self.flush(engine, at)

        return sink

    def switch_moved(self, name: str, position: str | int) -> None:
        with self._lock:
            self._state = self._state.with_switch(name, position)

    def cables_changed(self, routing: Routing) -> None:
        with self._lock:
            self._state = self._state.with_routing(routing)
            self._note_problems(routing)

    def performance_moved(self, name: str, value: float) -> None:
        """A performance input that is not a panel knob, from the box's hardware: name is the
        kernel parameter without its prefix (WHEEL_V, MOMENTARY, CV_IN_1_V, CV_IN_2_V) and
        value is in the kernel's unit. Queued with the next flush."""
        param = PARAMS.get(name)
        if param is None:
            raise ValueError(f"unknown performance parameter {name!r}")
        with self._lock:
            self._performance[param] = float(value)

    def _note_problems(self, routing: Routing) -> None:
        if routing.problems != self.problems:
            for p in routing.problems:
                log.warning("patch: %s", p)
        self.problems = routing.problems

    def flush(self, engine: Engine, at: int | None = None) -> int:
        """Queue every change since the last flush to the kernel; returns events queued."""
        with self._lock:
            state, previous = self._state, self._sent
            self._sent = state
            performance, self._performance = self._performance, {}
        for param, value in performance.items():
            engine.set_param(param, value, at)
        if state is previous:
            return len(performance)
        return len(performance) + send(engine, state, previous, at)
