"""The control side's scan loop: board readings in, PanelController changes out.

Runs in the box's control loop (not the audio thread): `poll(now)` as often as the loop
likes; it reads all pots, switches, wheel, CV inputs and the momentary switch every
POT_INTERVAL_S (200 Hz) and the jack matrix every MATRIX_INTERVAL_S (50 Hz, 200 Hz while a
change settles). Only changes reach the controller, which queues them for the kernel on its
next flush; a new set of cables reaches it as one routing (one atomic patch event).

    board (drivers) --counts, masks--> Scanner --pot_moved, switch_moved, cables_changed,
                                                  performance_moved--> PanelController --flush--> kernel
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from ms20.control.calibration import WHEEL, Calibration, CalibrationError, PotCalibration, load_calibration
from ms20.control.controller import PanelController
from ms20.control.cv import CvConvention, CvPorts
from ms20.control.jack_sense import ContactDebouncer, Nets, Observation, bits, decide_nets, routing_of
from ms20.control.pot_filter import PotFilter
from ms20.control.settle import Debouncer
from ms20.hardware.board_def import CvInDef
from ms20.hardware.drivers.mcp3208 import FULL_SCALE, AdcError, AnalogIn
from ms20.hardware.drivers.switches import RotarySwitch
from ms20.model.panel import layout
from ms20.model.patchbay import Routing

log = logging.getLogger(__name__)

POT_INTERVAL_S = 0.005          # 200 Hz: a turn reaches the controller within 5 ms
MATRIX_INTERVAL_S = 0.020       # 50 Hz while the cables rest
CONFIRM_INTERVAL_S = 0.005      # while a cable change settles
PRESENCE_QUIET_S = 0.015       # keep probing until no plug has moved for this long
VERIFY_INTERVAL_S = 0.25        # full probe even without a presence change (stack-on-stack cables)
SWITCH_SETTLE_S = 0.004         # a detent must read the same on two scans
MOMENTARY_SETTLE_S = 0.004
PROBLEM_BLINK_HZ = 2.0          # the status LED blinks while the patch has a problem
FILE_PROBLEM_BLINK_HZ = 6.0     # and fast while the box runs on a fallback (a bad config, patch or calibration)
CV_IN_PARAMS = {"CV IN 1": "CV_IN_1_V", "CV IN 2": "CV_IN_2_V"}


class Reading(NamedTuple):
    """One control as last read: the raw reading and what it was taken to mean."""

    raw: int | None              # ADC count (a switch: the detent read)
    value: float | str | None    # pot: position 0-10; switch: accepted position; wheel, CV: volts


@dataclass(frozen=True)
class Snapshot:
    """What the scanner last saw, for `ms20 hwtest` and logs."""

    time: float
    pots: Mapping[str, Reading]
    switches: Mapping[str, Reading]
    wheel: Reading
    momentary: bool
    cv_in: Mapping[str, Reading]
    plugged: tuple[str, ...]
    nets: tuple[tuple[str, ...], ...]
    routing: Routing
    problems: tuple[str, ...]
    faults: tuple[str, ...]


@dataclass(frozen=True)
class _Pot:
    name: str
    slot: int                    # index into the scan's readings
    filter: PotFilter
    calibration: PotCalibration


@dataclass(frozen=True)
class _Switch:
    name: str
    slot: int
    driver: RotarySwitch
    detent: Debouncer[int]
    positions: tuple[str, ...]


@dataclass(frozen=True)
class _Wheel:
    slot: int
    filter: PotFilter
    calibration: PotCalibration
    volts_at_max: float


@dataclass(frozen=True)
class _CvIn:
    jack: str
    slot: int
    stage: CvInDef
    filter: PotFilter


class Scanner:
    """Reads a Board and tells a PanelController what changed.

    calibration: pot end stops (default: the file `ms20 calibrate` wrote, if any, else typical
    stops); cv: the CV jacks' conventions; take_panel:
    the first scan reports every pot and the first settled matrix its cables (the physical
    panel wins over whatever the controller held).
    """

    def __init__(self, board: Any, controller: PanelController, calibration: Calibration | None = None,
                 cv: CvConvention | None = None, take_panel: bool = True) -> None:
        self.board = board
        self.controller = controller
        self.file_problems: tuple[str, ...] = ()   # files the box fell back from: the LED blinks fast
        if calibration is None:
            try:
                calibration = load_calibration()
            except CalibrationError as exc:
                log.error("board: %s; using typical pot end stops", exc)
                calibration = Calibration()
                self.file_problems = (str(exc),)
        self.calibration = calibration
        self.cv_ports = CvPorts(cv)
        # Every analog input gets a slot; each ADC's channels are read in one batch per scan.
        inputs: list[AnalogIn] = [*board.pots.values(), *(d.adc for d in board.switches.values()),
                                  board.wheel.adc, *(ain for ain, _ in board.cv_ins.values())]
        slot = {(ain.adc.name, ain.channel): k for k, ain in enumerate(inputs)}
        batches: dict[str, tuple[Any, list[int], list[int]]] = {}
        for ain in inputs:
            adc, chans, slots = batches.setdefault(ain.adc.name, (ain.adc, [], []))
            chans.append(ain.channel)
            slots.append(slot[(ain.adc.name, ain.channel)])
        self._batches = list(batches.values())
        self._readings: list[int | None] = [None] * len(inputs)

        def at(ain: AnalogIn) -> int:
            return slot[(ain.adc.name, ain.channel)]

        self._pots = [_Pot(name, at(ain), PotFilter(), self.calibration.of(name)) for name, ain in board.pots.items()]
        self._switches = [_Switch(name, at(drv.adc), drv, Debouncer(SWITCH_SETTLE_S), layout().switch(name).positions)
                          for name, drv in board.switches.items()]
        self._wheel = _Wheel(at(board.wheel.adc), PotFilter(), self.calibration.of(WHEEL),
                             board.definition.wheel_volts_at_max)
        self._cv_ins = [_CvIn(jack, at(ain), d, PotFilter()) for jack, (ain, d) in board.cv_ins.items()]
        self._momentary: Debouncer[bool] = Debouncer(MOMENTARY_SETTLE_S)
        self._names = board.matrix.jacks
        self._debouncer = ContactDebouncer(accepted=frozenset() if not take_panel else None)
        self._first = take_panel
        self._present = -1
        self._present_since = float("-inf")
        self._last_scan = float("-inf")
        self._obs: Observation | None = None
        self._next_pots = self._next_matrix = self._next_verify = float("-inf")
        self._routing: Routing = controller.state.routing
        self._cv_in_sent: dict[str, float] = {}
        # The last readings, for snapshots.
        self.counts: dict[str, int] = {}
        self.positions: dict[str, float] = {}
        self.detents: dict[str, int | None] = {}
        self.faults: set[str] = set()
        self.stats = {"pot_scans": 0, "matrix_scans": 0, "probes": 0, "routing_changes": 0, "pot_changes": 0}

    # -- pots, switches, wheel, CV in, momentary -------------------------------------------------

    def scan_pots(self, now: float) -> int:
        """Read every analog control and the momentary switch; returns how many changed."""
        ctl = self.controller
        first = self._first and self.stats["pot_scans"] == 0
        changed = 0
        readings = self._readings
        for adc, chans, slots in self._batches:
            try:
                for k, count in zip(slots, adc.read_many(chans), strict=True):
                    readings[k] = count
            except AdcError as exc:
                self._fault(str(exc))
                for k in slots:
                    readings[k] = None
        counts, positions = self.counts, self.positions
        for pot in self._pots:
            count = readings[pot.slot]
            if count is None:
                continue
            counts[pot.name] = count
            held = pot.filter.update(count)
            if held is not None:
                pos = pot.calibration.position(held)
                if pos != positions.get(pot.name):
                    positions[pot.name] = pos
                    ctl.pot_moved(pot.name, pos)
                    changed += 1
        for sw in self._switches:
            count = readings[sw.slot]
            if count is None:
                continue
            detent = self.detents[sw.name] = sw.driver.decode(count)
            if sw.detent.update(now, detent, first):
                ctl.switch_moved(sw.name, sw.positions[detent])
                changed += 1
        wheel = self._wheel
        count = readings[wheel.slot]
        if count is not None:
            counts[WHEEL] = count
            held = wheel.filter.update(count)
            if held is not None:
                positions[WHEEL] = wheel.calibration.position(held)
                ctl.performance_moved("WHEEL_V", positions[WHEEL] / 10.0 * wheel.volts_at_max)
                changed += 1
        routing = ctl.state.routing
        for cv in self._cv_ins:
            jack, count = cv.jack, readings[cv.slot]
            if count is None:
                continue
            counts[jack] = count
            held = cv.filter.update(count)
            if held is not None:
                d = cv.stage
                positions[jack] = d.volts_at_0 + (d.volts_at_full - d.volts_at_0) * held / FULL_SCALE
            if jack in positions:
                v = self.cv_ports.to_kernel(jack, positions[jack], routing)
                if v != self._cv_in_sent.get(jack):
                    self._cv_in_sent[jack] = v
                    ctl.performance_moved(CV_IN_PARAMS[jack], v)
                    changed += 1
        if self._momentary.update(now, self.board.momentary.is_pressed, first):
            ctl.performance_moved("MOMENTARY", 1.0 if self._momentary.accepted else 0.0)
            changed += 1
        self.stats["pot_scans"] += 1
        self.stats["pot_changes"] += changed
        return changed

    # -- the jack matrix ---------------------------------------------------------------------------------

    def scan_matrix(self, now: float) -> bool:
        """Read which jacks hold plugs; probe the nets while plugs move (and PRESENCE_QUIET_S
        after), while a change settles, and every VERIFY_INTERVAL_S. True when a new routing
        went to the controller."""
        matrix = self.board.matrix
        present = matrix.read_presence()
        if present != self._present:
            self._present, self._present_since = present, now
        self._last_scan = now
        if self.settling or self._obs is None or now >= self._next_verify:
            # A probe taken while a contact bounces can look settled (a plug in, its tip not
            # yet touching): only a quiet presence plus the debouncer's window decide.
            self._obs = decide_nets(present, matrix.probe(present))
            self.stats["probes"] += 1
            if now >= self._next_verify:
                self._next_verify = now + VERIFY_INTERVAL_S
        deb = self._debouncer
        self.stats["matrix_scans"] += 1
        accepted = deb.observe(now, self._obs)
        if accepted is None:
            return False
        routing = routing_of(accepted, self._names)
        self._routing = routing
        self.controller.cables_changed(routing)
        self.stats["routing_changes"] += 1
        log.debug("matrix: %s", ", ".join(f"{a} -> {b}" for a, b in routing.cables) or "no cables")
        return True

    @property
    def routing(self) -> Routing:
        """The routing last sent to the controller from the matrix."""
        return self._routing

    @property
    def settling(self) -> bool:
        """True while plugs move or a cable change has been seen but not yet accepted."""
        return self._debouncer.pending or self._last_scan - self._present_since < PRESENCE_QUIET_S

    # -- the loop --------------------------------------------------------------------------------------

    def poll(self, now: float) -> bool:
        """Run whatever scan is due at `now` (seconds, monotonic). True when anything changed."""
        changed = False
        if now >= self._next_pots:
            changed = self.scan_pots(now) > 0
            self._next_pots = _next(self._next_pots, POT_INTERVAL_S, now)
        if now >= self._next_matrix:
            changed = self.scan_matrix(now) or changed
            interval = CONFIRM_INTERVAL_S if self.settling else MATRIX_INTERVAL_S
            self._next_matrix = _next(self._next_matrix, interval, now)
            if self.settling:
                self._next_matrix = min(self._next_matrix, now + CONFIRM_INTERVAL_S)
        led = self.board.led
        if self.file_problems or self.controller.problems:
            led.blink(FILE_PROBLEM_BLINK_HZ if self.file_problems else PROBLEM_BLINK_HZ)
            led.update(now)
        elif not led.is_lit or led.is_blinking:
            led.on()
        return changed

    # -- CV outputs ------------------------------------------------------------------------------------

    def write_cv_outs(self, kernel_volts_1: float, kernel_volts_2: float) -> None:
        """Send the kernel's CV OUT 1 and 2 (its own volts: cv_out of Engine.render_into) to the
        DAC, converted by the CV convention for what is patched into each jack."""
        routing = self.controller.state.routing
        for jack, v in (("CV OUT 1", kernel_volts_1), ("CV OUT 2", kernel_volts_2)):
            out = self.board.cv_outs.get(jack)
            if out is not None:
                out.write(self.cv_ports.to_jack(jack, v, routing))

    @property
    def cv(self) -> CvConvention:
        """The CV jacks' convention (a setting: assigning it takes effect at the next scan)."""
        return self.cv_ports.convention

    @cv.setter
    def cv(self, convention: CvConvention) -> None:
        self.cv_ports.convention = convention

    # -- reporting -----------------------------------------------------------------------------------------

    def _fault(self, message: str) -> None:
        if message not in self.faults:
            self.faults.add(message)
            log.warning("board: %s", message)

    def snapshot(self, now: float = 0.0) -> Snapshot:
        """The scanner's last view of the board."""
        names = self._names
        accepted: Nets = self._debouncer.accepted or frozenset()
        wheel_v = self.positions.get(WHEEL)
        return Snapshot(
            time=now,
            pots=MappingProxyType({p.name: Reading(self.counts.get(p.name), self.positions.get(p.name))
                                   for p in self._pots}),
            switches=MappingProxyType({
                s.name: Reading(self.detents.get(s.name),
                                s.positions[s.detent.accepted] if s.detent.accepted is not None else None)
                for s in self._switches}),
            wheel=Reading(self.counts.get(WHEEL),
                          wheel_v / 10.0 * self._wheel.volts_at_max if wheel_v is not None else None),
            momentary=bool(self._momentary.accepted),
            cv_in=MappingProxyType({c.jack: Reading(self.counts.get(c.jack), self.positions.get(c.jack))
                                    for c in self._cv_ins}),
            plugged=tuple(names[p] for p in bits(max(self._present, 0))),
            nets=tuple(tuple(names[p] for p in bits(net)) for net in sorted(accepted)),
            routing=self._routing,
            problems=self.controller.problems,
            faults=tuple(sorted(self.faults)),
        )

    def close(self) -> None:
        """Nothing of its own to release (the board closes itself)."""


def _next(due: float, interval: float, now: float) -> float:
    """The next due time on a fixed grid; a late loop skips missed slots instead of bursting."""
    due += interval
    return due if due > now else now + interval
