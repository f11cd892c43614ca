"""Where every control source meets: physical pots and switches, the jack matrix, MIDI
controllers and patch files all change one PanelState here, and `flush` queues the
difference to the kernel.

Pickup: a knob last moved by MIDI or by a recalled patch keeps its value until the physical
pot passes through it (crosses it or comes within PICKUP_WINDOW), so nothing jumps when a
player reaches for a pot after turning the same knob from a controller. A recalled switch
likewise holds until the physical switch is turned to (or through) its position.

Recall: cables cannot move, so the cables that sound after a recall are the physical ones
(`cables="guide"`), or the physical ones plus each recalled cable whose input jack holds no
plug (`"virtual"`; a physical plug always wins at its jack); `guide()` lists what differs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ms20.memory.guide import Guide, cable_guide, merge_virtual
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
        self._awaiting_pickup: set[str] = set()    # knobs (moved by MIDI or a recall) waiting for their pot
        self._switches: dict[str, str] = {}        # switch -> last physical position
        self._held_switches: set[str] = set()      # recalled switches waiting for theirs
        self._physical: Routing | None = None      # cables the jack matrix reads (None: no matrix)
        self._target: PanelState | None = None     # the recalled patch, until the panel matches it
        self._cable_mode = "guide"
        self.problems: tuple[str, ...] = ()
        self._performance: dict[int, float] = {}   # kernel param -> value not yet flushed
        # Hooks for the momentary-switch gestures (save, recall, MIDI learn); called outside the lock.
        self.on_pot: Callable[[str], None] | None = None
        self.on_momentary: Callable[[bool], None] | None = None

    @property
    def state(self) -> PanelState:
        return self._state

    def load(self, state: PanelState) -> None:
        """Take a whole snapshot (a patch file): every knob follows it, pickup cleared."""
        with self._lock:
            self._state = state
            self._awaiting_pickup.clear()
            self._held_switches.clear()
            self._target = None
            self._note_problems(state.routing)

    def recall(self, state: PanelState, cables: str = "guide") -> None:
        """Take a recalled patch: its knobs and switches at once (each physical pot and switch
        picks its value up), its cables as `cables` says ("guide" or "virtual"); the whole
        change reaches the kernel with the next flush, as one set of events."""
        if cables not in ("guide", "virtual"):
            raise ValueError(f"recall cables must be 'guide' or 'virtual', not {cables!r}")
        with self._lock:
            self._target, self._cable_mode = state, cables
            self._awaiting_pickup = {k for k, v in state.knobs.items()
                                if k in self._pots and abs(self._pots[k] - v) > PICKUP_WINDOW}
            self._held_switches = {s for s, v in state.switches.items()
                                   if s in self._switches and self._switches[s] != v}
            self._state = state.with_routing(self._sounding(self._physical))
            self._note_problems(self._state.routing)

    def _sounding(self, physical: Routing | None) -> Routing:
        """The cables the kernel gets: the physical ones, merged with a recall's as the mode says."""
        target = self._target
        if target is None:
            return physical if physical is not None else self._state.routing
        if physical is None:
            return target.routing          # no jack matrix: the patch's cables are all there is
        return merge_virtual(target.routing, physical) if self._cable_mode == "virtual" else physical

    def guide(self) -> Guide:
        """What the player must still do for the panel to match the recalled patch (empty
        without a recall). Once everything matches the recall is over."""
        with self._lock:
            target = self._target
            if target is None:
                return Guide()
            plug, pull = cable_guide(target.routing, self._physical) if self._physical is not None else ((), ())
            knobs = {k: self._state.knobs[k] for k in self._awaiting_pickup}
            switches = {s: self._state.switches[s] for s in self._held_switches}
            result = Guide(plug, pull, knobs, switches)
            if result.matches:
                self._target = None
            return result

    def pot_moved(self, name: str, position: float) -> None:
        """A physical pot reading (already calibrated and de-noised) on the 0-10 scale."""
        knob = layout().knob(name).name
        with self._lock:
            last = self._pots.get(knob, position)
            self._pots[knob] = position
            takes_over = True
            if knob in self._awaiting_pickup:
                target = self._state.knobs[knob]
                crossed = (last - target) * (position - target) <= 0.0
                takes_over = crossed or abs(position - target) <= PICKUP_WINDOW
                if takes_over:
                    self._awaiting_pickup.discard(knob)
            if takes_over:
                self._state = self._state.with_knob(knob, position)
        if self.on_pot is not None:      # a touch, picked up or not (MIDI learn's gesture)
            self.on_pot(knob)

    def midi_knob(self, name: str, position: float, at: int | None = None) -> None:
        """A knob moved by a MIDI controller (a Performance knob sink); a physical pot on the
        same knob must pick the value up again before it takes over."""
        knob = layout().knob(name).name
        with self._lock:
            self._state = self._state.with_knob(knob, position)
            if knob in self._pots:
                self._awaiting_pickup.add(knob)

    def knob_sink(self, engine: Engine) -> Callable[[str, float, int | None], None]:
        """A Performance's knob sink: a CC-mapped knob moves and reaches the kernel at its time.
        The caller holds the kernel queue's producer side (the box's lock, or a render's loop)."""

        def sink(name: str, position: float, at: int | None) -> None:
            self.midi_knob(name, position, at)
            self.flush(engine, at)

        return sink

    def switch_moved(self, name: str, position: str | int) -> None:
        """A physical switch reading; a recalled position holds until the switch reaches or
        passes it."""
        sw = layout().switch(name)
        pos = sw.positions[sw.index(position)]
        with self._lock:
            last = self._switches.get(sw.name, pos)
            self._switches[sw.name] = pos
            if sw.name in self._held_switches:
                target = sw.index(self._state.switches[sw.name])
                if (sw.index(last) - target) * (sw.index(pos) - target) > 0:
                    return
                self._held_switches.discard(sw.name)
            self._state = self._state.with_switch(sw.name, pos)

    def cables_changed(self, routing: Routing) -> None:
        """The cables the jack matrix reads now."""
        with self._lock:
            self._physical = routing
            sounding = self._sounding(routing)
            self._state = self._state.with_routing(sounding)
            self._note_problems(sounding)

    def performance_moved(self, name: str, value: float) -> None:
        """A performance input that is not a panel knob, from the box's hardware: name is the
        kernel parameter without its prefix (WHEEL_V, MOMENTARY, CV_IN_1_V, CV_IN_2_V) and
        value is in the kernel's unit. Queued with the next flush."""
        param = PARAMS.get(name)
        if param is None:
            raise ValueError(f"unknown performance parameter {name!r}")
        with self._lock:
            self._performance[param] = float(value)
        if name == "MOMENTARY" and self.on_momentary is not None:
            self.on_momentary(value > 0.5)

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
