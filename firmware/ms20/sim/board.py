"""The simulated box: the board's electronics behind the mock pin layer, so the real drivers,
scanner and controller run unchanged in tests, benchmarks and `--sim`. The chips are in
chips.py, the jacks and cables in jack_field.py; this file places them as hw/board.toml says.

What it models (from hw/board.toml, so a changed board file changes the simulation):
- MCP3208 ADCs answering SPI frames bit by bit (a misframed request reads garbage, as on
  the chip), fed by volts: pots as dividers with per-pot end offsets, ADC noise of a few
  LSB, rotary switches as resistor ladders that open between detents, the control wheel,
  and the CV inputs through their input stage.
- A 74HC138 that routes CE0 frames to the chip its address lines pick.
- An MCP4822 whose two outputs (after the op-amp stage) are the CV OUT jack volts.
- The jack matrix: 74HC595 and 74HC165 chains clocked by GPIO edges, and jacks as contacts:
  a tip, a switch lug to GND while empty, cables joining tips (one output may feed several
  inputs; stacked plugs join at one jack). Plugging and unplugging bounce for a few ms:
  contacts open, close, and graze the grounded sleeve, as a 3.5 mm plug does on its way in.
- The momentary switch (a contact to GND on a GPIO) and the status LED.

Time comes from `clock` (a SimClock the test advances, or time.monotonic for a live sim).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from ms20.hardware.board import Board
from ms20.hardware.board_def import BoardDef, load_board
from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.drivers.switches import ladder_tap_fraction
from ms20.hardware.pins.mock import MockFactory
from ms20.model.jacks import jack_table
from ms20.model.panel import PanelState, layout, parse_position
from ms20.sim.chips import Mock74HC138, Mock74HC165Chain, Mock74HC595Chain, MockMCP3208, MockMCP4822
from ms20.sim.clock import SimClock, unit_hash
from ms20.sim.jack_field import BOUNCE_SLOT_S, JackField

BOUNCE_S = 0.006             # how long a plug's contacts chatter going in or out
SWITCH_BREAK_S = 0.002       # a rotary switch's wiper touches nothing between detents
MOMENTARY_BOUNCE_S = 0.002
NOISE_LSB = 4


class MockBoard:
    """The simulated box. Act on it as a player would; read it as the firmware does.

        board = MockBoard()
        board.turn("LPF CUTOFF", 7.5)
        board.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
        board.advance(0.05)
        board.hardware      # the real drivers (ms20.hardware.board.Board) on the mock pins
    """

    def __init__(self, definition: BoardDef | None = None, *, seed: int = 0, noise_lsb: int = NOISE_LSB,
                 bounce_s: float = BOUNCE_S, clock: Callable[[], float] | None = None, record: bool = False,
                 knobs: Mapping[str, float] | None = None, panel: PanelState | None = None) -> None:
        d = self.definition = definition or load_board()
        self.clock = clock or SimClock()
        self.factory = MockFactory(clock=self.clock, record=record)
        self._rng = random.Random(seed)
        self._noise = [self._rng.randint(-noise_lsb, noise_lsb) for _ in range(4093)] if noise_lsb else [0]
        self._noise_i = 0
        self._analog: dict[tuple[str, int], float] = {}
        self._open_until: dict[tuple[str, int], float] = {}
        self._vref = {a.id: a.vref_v for a in d.adcs}

        # SPI: CE0 -> 74HC138 -> chips; a chip on a hardware CE is wired straight to it.
        lines = self.factory.line
        decoder = Mock74HC138([lines(p) for p in d.decoder_address]) if d.decoder_part else None
        if decoder is not None and d.decoder_enable is not None:
            self.factory.wire_spi(d.spi_bus, int(d.decoder_enable[2:]), decoder)
        self.adcs: dict[str, MockMCP3208] = {}
        self.dacs: dict[str, MockMCP4822] = {}
        for a in d.adcs:
            self.adcs[a.id] = self._place(a.select, decoder, MockMCP3208(
                a.id, a.vref_v, self._channel_reader(a.id), self._next_noise))
        for a in d.dacs:
            self.dacs[a.id] = self._place(a.select, decoder, MockMCP4822(a.id))

        # Pots: a little travel lost at each end, different for every pot (why calibration exists).
        self._pot_ends: dict[str, tuple[float, float]] = {
            name: (0.002 + 0.008 * self._rng.random(), 0.990 + 0.008 * self._rng.random()) for name in d.pots}
        self._pot_ends["CONTROL WHEEL"] = (0.002 + 0.008 * self._rng.random(), 0.990 + 0.008 * self._rng.random())
        self.knobs: dict[str, float] = {}
        start = PanelState.default()
        for name in d.pots:
            self.turn(name, (knobs or {}).get(name, start.knobs[name]))
        self.switch_positions: dict[str, str] = {}
        for name in d.switches:
            self._set_switch_now(name, start.switches[name])
        self.wheel = 0.0
        self.turn_wheel(0.0)
        self.cv_in_volts: dict[str, float] = {}
        for jack in d.cv_ins:
            self.set_cv_in(jack, 0.0)

        # The jack matrix.
        m = d.matrix
        self._positions = {name: p for p, name in enumerate(m.jacks)}
        self.jacks = JackField(len(m.jacks), self.clock, bounce_s, seed * 7919 + 1)
        self.drive_chain = Mock74HC595Chain(lines(m.drive.pins["data"]), lines(m.drive.pins["clock"]),
                                            lines(m.drive.pins["latch"]), m.drive.chips)
        everyone = (1 << len(m.jacks)) - 1
        self.sense_chain = Mock74HC165Chain(
            lines(m.sense.pins["load"]), lines(m.sense.pins["clock"]), lines(m.sense.pins["data"]), m.sense.chips,
            lambda: self.jacks.levels(~self.drive_chain.outputs & everyone))

        # The momentary switch: a contact to GND that bounces when pressed or let go.
        self._momentary: tuple[bool, float] = (False, -1.0)   # (pressed, since)
        lines(d.momentary_pin).connect_switch(self._momentary_closed)

        self.hardware = Board(d, self.factory, sim=self)
        if panel is not None:
            self.set_panel(panel)

    # -- wiring helpers ----------------------------------------------------------------------

    def _place(self, select: str, decoder: Mock74HC138 | None, chip):  # type: ignore[no-untyped-def]
        if select.startswith("Y"):
            assert decoder is not None
            decoder.outputs[int(select[1:])] = chip
        else:
            self.factory.wire_spi(self.definition.spi_bus, int(select[2:]), chip)
        return chip

    def _next_noise(self) -> int:
        self._noise_i = (self._noise_i + 1) % len(self._noise)
        return self._noise[self._noise_i]

    def _channel_reader(self, adc_id: str) -> Callable[[int], float]:
        def volts(ch: int) -> float:
            key = (adc_id, ch)
            until = self._open_until.get(key)
            if until is not None and self.clock() < until:
                return 0.0                       # wiper between detents: the pull-down wins
            return self._analog.get(key, 0.0)
        return volts

    def _momentary_closed(self) -> bool:
        pressed, since = self._momentary
        t = self.clock() - since
        if 0.0 <= t < MOMENTARY_BOUNCE_S:
            return unit_hash(int(since * 1e6), int(t / BOUNCE_SLOT_S)) < 0.5
        return pressed

    def _jack(self, name: str) -> int:
        jack = jack_table().find(name)
        try:
            return self._positions[jack.name]
        except KeyError:
            raise ValueError(f"{jack.name} is not wired to the jack matrix in {self.definition.source}") from None

    # -- time --------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def advance(self, seconds: float) -> float:
        """Move simulated time on (only with the default SimClock)."""
        if not isinstance(self.clock, SimClock):
            raise RuntimeError("this MockBoard follows a real clock; it cannot be advanced")
        return self.clock.advance(seconds)

    # -- a player's hands ------------------------------------------------------------------------

    def turn(self, name: str, position: float | str) -> None:
        """Turn a knob's pot to a panel position (0-10 or "2 o'clock")."""
        knob = layout().knob(name).name
        pos = parse_position(position)
        ref = self.definition.pots[knob]
        lo, hi = self._pot_ends[knob]
        self._analog[(ref.adc, ref.channel)] = self._vref[ref.adc] * (lo + (hi - lo) * pos / 10.0)
        self.knobs[knob] = pos

    def set_switch(self, name: str, position: str | int) -> None:
        """Turn a rotary switch to a position (by name or index); the wiper breaks on the way."""
        sw = layout().switch(name)
        self._set_switch_now(sw.name, position)
        ref = self.definition.switches[sw.name]
        self._open_until[(ref.adc, ref.channel)] = self.clock() + SWITCH_BREAK_S

    def _set_switch_now(self, name: str, position: str | int) -> None:
        sw = layout().switch(name)
        k = sw.index(position)
        ref = self.definition.switches[sw.name]
        self._analog[(ref.adc, ref.channel)] = self._vref[ref.adc] * ladder_tap_fraction(k, len(sw.positions))
        self.switch_positions[sw.name] = sw.positions[k]

    def turn_wheel(self, fraction: float) -> None:
        """Move the control wheel: 0 at rest, 1 at its end stop."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        ref = self.definition.wheel
        lo, hi = self._pot_ends["CONTROL WHEEL"]
        self._analog[(ref.adc, ref.channel)] = self._vref[ref.adc] * (lo + (hi - lo) * fraction)
        self.wheel = fraction

    def set_cv_in(self, jack: str, volts: float) -> None:
        """Apply `volts` to a CV input jack (clamped by the input stage to the ADC's range)."""
        cv = self.definition.cv_ins[jack_table().find(jack).name]
        t = (volts - cv.volts_at_0) / (cv.volts_at_full - cv.volts_at_0)
        self._analog[(cv.ref.adc, cv.ref.channel)] = self._vref[cv.ref.adc] * min(max(t, 0.0), 1.0)
        self.cv_in_volts[cv.jack] = volts

    def press_momentary(self) -> None:
        self._momentary = (True, self.clock())

    def release_momentary(self) -> None:
        self._momentary = (False, self.clock())

    def plug(self, a: str, b: str | None = None) -> None:
        """Plug a cable from jack `a` into jack `b` (b None: the other end dangles). A jack that
        already holds a plug takes the new one stacked on it."""
        pa = self._jack(a)
        pb = self._jack(b) if b is not None else None
        if pa == pb:
            raise ValueError(f"a cable needs two different jacks, not {a!r} twice")
        self.jacks.plug(pa, pb)

    def unplug(self, a: str, b: str | None = None) -> int:
        """Pull the cable(s) between `a` and `b`, or every cable in `a` when b is None.
        Returns how many cables came out."""
        pa = self._jack(a)
        pb = self._jack(b) if b is not None else None
        gone = 0
        for cable in self.jacks.live_cables():
            if pa in cable.ends and (pb is None or pb in cable.ends):
                self.jacks.unplug(cable)
                gone += 1
        if not gone:
            raise ValueError(f"no cable between {a!r} and {b!r}" if b else f"no cable in {a!r}")
        return gone

    def set_panel(self, panel: PanelState) -> None:
        """Set every pot and switch as in `panel` and plug its cables (a patch made physical:
        what `ms20 run --sim` starts from)."""
        for name, position in panel.knobs.items():
            if layout().knob(name).name in self.definition.pots:
                self.turn(name, position)
        for name, position in panel.switches.items():
            if layout().switch(name).name in self.definition.switches:
                self._set_switch_now(name, position)
        if self.jacks.live_cables():
            self.unplug_all()
        for out, inp in panel.routing.cables:
            self.plug(out, inp)

    def unplug_all(self) -> None:
        for cable in self.jacks.live_cables():
            self.jacks.unplug(cable)

    # -- what a meter would show ------------------------------------------------------------------

    @property
    def cables(self) -> list[tuple[str, str | None]]:
        """The cables in, by jack name."""
        names = self.definition.matrix.jacks
        return [(names[c.ends[0]], names[c.ends[1]] if c.ends[1] is not None else None)
                for c in self.jacks.live_cables()]

    def cv_out_volts(self, jack: str) -> float | None:
        """The voltage at a CV OUT jack (None while its DAC channel is shut down or unwritten)."""
        cv = self.definition.cv_outs[jack_table().find(jack).name]
        pin_v = self.dacs[cv.dac].pin_volts[cv.channel]
        if pin_v is None:
            return None
        full = mcp4822.VREF_V * self.definition.dacs[[x.id for x in self.definition.dacs].index(cv.dac)].gain
        full *= mcp4822.FULL_SCALE / (mcp4822.FULL_SCALE + 1)
        return cv.volts_at_0 + (cv.volts_at_full - cv.volts_at_0) * pin_v / full

    @property
    def led_is_lit(self) -> bool:
        return self.factory.line(self.definition.status_led_pin).state

    def pot_counts(self, name: str) -> tuple[int, int]:
        """The ideal ADC counts of a pot at its two end stops (what calibration should find)."""
        lo, hi = self._pot_ends[layout().knob(name).name if name != "CONTROL WHEEL" else name]
        return int(lo * (mcp3208.FULL_SCALE + 1)), int(hi * (mcp3208.FULL_SCALE + 1))


def live_mock_board(**options: object) -> MockBoard:
    """A MockBoard on the wall clock, for `--sim` runs (time.monotonic)."""
    return MockBoard(clock=time.monotonic, **options)  # type: ignore[arg-type]
