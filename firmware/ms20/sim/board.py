"""The simulated box: the board's electronics behind the mock pin layer, so the real drivers,
scanner and controller run unchanged in tests, benchmarks and `--sim`.

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
from dataclasses import dataclass

from ms20.hardware.board import Board, BoardDef, load_board
from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.drivers.switches import ladder_tap_fraction
from ms20.hardware.pins.mock import MockFactory, MockPin
from ms20.model.jacks import jack_table
from ms20.model.panel import PanelState, layout, parse_position

BOUNCE_S = 0.006             # how long a plug's contacts chatter going in or out
BOUNCE_SLOT_S = 0.0003       # contacts hold each bounce state this long
SWITCH_BREAK_S = 0.002       # a rotary switch's wiper touches nothing between detents
MOMENTARY_BOUNCE_S = 0.002
NOISE_LSB = 4


def _unit_hash(*values: int) -> float:
    """A deterministic number in [0, 1) from integers (splitmix64), for repeatable bounce."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return ((x ^ (x >> 29)) >> 11) / float(1 << 53)


class SimClock:
    """Simulated seconds that only move when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.t += seconds
        return self.t


# -- chips on the SPI bus ----------------------------------------------------------------------

class MockMCP3208:
    """An MCP3208 that decodes each frame bit by bit (see drivers/mcp3208.py for the table).

    DOUT is high-impedance until the null bit; the mock reads those bits as ones, so a driver
    that does not mask them gets a wrong value. After B0 the chip repeats the result LSB
    first (B1..B11), then sends zeros. Clocked faster than the 3.3 V limit, the sample
    capacitor does not settle and the low bits are garbage. In SPI modes 1 and 2 the master
    samples on the wrong edge and reads every bit one place early.
    """

    def __init__(self, name: str, vref_v: float, volts: Callable[[int], float], noise: Callable[[], int],
                 max_clock_hz: int = mcp3208.MAX_CLOCK_HZ_3V3) -> None:
        self.name, self.vref_v = name, vref_v
        self.volts, self.noise, self.max_clock_hz = volts, noise, max_clock_hz
        self.conversions = 0

    def convert(self, config: int) -> int:
        sgl, ch = config >> 3 & 1, config & 0b111
        if sgl:
            v = self.volts(ch)
        else:                       # pseudo-differential pairs (datasheet table 5-2)
            plus, minus = (ch & 0b110, ch | 1) if ch % 2 == 0 else (ch | 1, ch & 0b110)
            v = self.volts(plus) - self.volts(minus)
        code = int(v / self.vref_v * (mcp3208.FULL_SCALE + 1)) + self.noise()
        self.conversions += 1
        return min(max(code, 0), mcp3208.FULL_SCALE)

    def __call__(self, mosi: bytes, clock_hz: int, mode: int) -> bytes:
        n = len(mosi) * 8
        word = int.from_bytes(mosi, "big")
        out = (1 << n) - 1                       # high-impedance everywhere by default
        start = n - word.bit_length()            # index of the first 1 bit: the start bit
        if word and start + 6 < n:
            code = self.convert(word >> (n - start - 5) & 0b1111)
            if clock_hz > self.max_clock_hz:
                code = code & ~0xF | int(_unit_hash(code, self.conversions) * 16)
            tail = n - (start + 6)               # bits from the null bit to the frame's end
            # null bit, B11..B0, then B1..B11 (LSB first): 24 bits, then zeros
            seq = code << 11 | int(format(code >> 1, "011b")[::-1], 2) if tail > 13 else code << 11
            bits = seq >> (24 - tail) if tail <= 24 else seq << (tail - 24)
            out = ((1 << (start + 6)) - 1) << tail | bits
        if mode in (1, 2):
            out = (out << 1 | 1) & ((1 << n) - 1)
        return out.to_bytes(len(mosi), "big")


class MockMCP4822:
    """An MCP4822 with LDAC tied low: a complete 16-bit frame updates its output at CS rise;
    a frame of any other length is ignored (the datasheet asks for exactly 16 clocks)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pin_volts: dict[str, float | None] = {"A": None, "B": None}   # None: shut down
        self.writes = 0

    def __call__(self, mosi: bytes, clock_hz: int, mode: int) -> bytes:
        if len(mosi) == 2 and mode in (0, 3) and clock_hz <= 20_000_000:
            word = mosi[0] << 8 | mosi[1]
            channel = "B" if word >> 15 else "A"
            gain = 1 if word >> 13 & 1 else 2
            active = word >> 12 & 1
            code = word & mcp4822.FULL_SCALE
            self.pin_volts[channel] = mcp4822.VREF_V * gain * code / (mcp4822.FULL_SCALE + 1) if active else None
            self.writes += 1
        return b"\xff" * len(mosi)               # no SDO pin: MISO floats


class Mock74HC138:
    """The chip-select decoder: a CE frame goes to the chip on the output its address picks."""

    def __init__(self, address: list[MockPin]) -> None:
        self.address = address
        self.outputs: dict[int, Callable[[bytes, int, int], bytes]] = {}
        # The decoder follows its address inputs as they change (no need to look per frame).
        self.y = sum(1 << i for i, pin in enumerate(address) if pin.state)
        for i, pin in enumerate(address):
            pin.listen(lambda level, bit=1 << i: self._address_edge(bit, level))

    def _address_edge(self, bit: int, level: bool) -> None:
        self.y = self.y | bit if level else self.y & ~bit

    def __call__(self, mosi: bytes, clock_hz: int, mode: int) -> bytes:
        chip = self.outputs.get(self.y)
        return chip(mosi, clock_hz, mode) if chip else b"\xff" * len(mosi)


# -- the shift-register chains ---------------------------------------------------------------

class Mock74HC595Chain:
    """Stages move on SRCLK rising edges and reach the outputs on RCLK rising edges."""

    def __init__(self, ser: MockPin, srclk: MockPin, rclk: MockPin, chips: int) -> None:
        self.length = 8 * chips
        self.mask = (1 << self.length) - 1
        self.stages = 0
        self.outputs = 0             # power-up: every output low (every jack driven)
        self._ser = ser
        srclk.listen(self._clock)
        rclk.listen(self._latch)

    def _clock(self, level: bool) -> None:
        if level:
            self.stages = (self.stages << 1 | self._ser.state) & self.mask

    def _latch(self, level: bool) -> None:
        if level:
            self.outputs = self.stages


class Mock74HC165Chain:
    """SH/LD low loads the inputs (the last level before it rises is kept); CLK rising edges
    shift towards chip 0's QH; the last chip's SER is tied to GND."""

    def __init__(self, load: MockPin, clk: MockPin, qh: MockPin, chips: int, inputs: Callable[[], int]) -> None:
        self.chips = chips
        self.length = 8 * chips
        self.mask = (1 << self.length) - 1
        self.reg = 0                 # MSB is the bit on QH
        self._inputs = inputs
        self._load_pin = load
        self._loading = False
        load.listen(self._on_load)
        clk.listen(self._on_clock)
        qh.wire("74HC165 chip 0 QH", self._qh)

    def _load(self) -> None:
        # Chip 0's H comes out first: the register is the input bytes, chip 0 first, each MSB first.
        self.reg = int.from_bytes((self._inputs() & self.mask).to_bytes(self.chips, "little"), "big")

    def _on_load(self, level: bool) -> None:
        self._loading = not level
        if level:
            self._load()

    def _on_clock(self, level: bool) -> None:
        if level and not self._loading:
            self.reg = self.reg << 1 & self.mask

    def _qh(self) -> bool:
        if self._loading:
            self._load()
        return bool(self.reg >> (self.length - 1) & 1)


# -- jacks and cables -----------------------------------------------------------------------------

CONNECTED, OPEN, GROUNDED = 0, 1, 2


@dataclass
class _Cable:
    ends: tuple[int, int | None]     # matrix positions; None: a dangling end
    t_in: float
    t_out: float | None
    seed: int


class JackField:
    """The jacks' contacts: which tips are joined, grounded by their lug, or floating."""

    def __init__(self, count: int, clock: Callable[[], float], bounce_s: float, seed: int) -> None:
        self.count = count
        self.clock = clock
        self.bounce_s = bounce_s
        self.cables: list[_Cable] = []
        self._seed = seed
        self._version = 0
        self._cache: tuple[int, list[tuple[int, bool]]] | None = None

    def plug(self, a: int, b: int | None) -> None:
        self._seed += 1
        self.cables.append(_Cable((a, b), self.clock(), None, self._seed))
        self._version += 1

    def unplug(self, cable: _Cable) -> None:
        cable.t_out = self.clock()
        self._version += 1

    def live_cables(self) -> list[_Cable]:
        return [c for c in self.cables if c.t_out is None]

    def _end_state(self, cable: _Cable, end: int, t: float) -> int | None:
        b = self.bounce_s
        if t < cable.t_in or (cable.t_out is not None and t >= cable.t_out + b):
            return None
        if t < cable.t_in + b:
            start, seated = cable.t_in, (t - cable.t_in) / b
        elif cable.t_out is not None and t >= cable.t_out:
            start, seated = cable.t_out, 1.0 - (t - cable.t_out) / b
        else:
            return CONNECTED
        r = _unit_hash(cable.seed, end, int((t - start) / BOUNCE_SLOT_S))
        if r < 0.12:
            return GROUNDED          # the tip grazes the jack's grounded sleeve
        if r < 0.12 + 0.6 * (1.0 - seated):
            return OPEN
        return CONNECTED

    def _bouncing(self, t: float) -> bool:
        b = self.bounce_s
        return any(t < c.t_in + b or (c.t_out is not None and t < c.t_out + b) for c in self.cables)

    def _nets(self, t: float) -> list[tuple[int, bool]]:
        """(mask of tips, pulled low by a lug or the sleeve) for every net holding a tip."""
        self.cables = [c for c in self.cables if c.t_out is None or t < c.t_out + self.bounce_s]
        n = self.count
        parent = list(range(n + len(self.cables)))
        low = [False] * len(parent)
        seated = [False] * n

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for ci, cable in enumerate(self.cables):
            node = n + ci
            for e, jack in enumerate(cable.ends):
                if jack is None:
                    continue
                state = self._end_state(cable, e, t)
                if state == CONNECTED:
                    parent[root(jack)] = root(node)
                    seated[jack] = True
                elif state == GROUNDED:
                    low[node] = True
                    seated[jack] = True
                elif state == OPEN and _unit_hash(cable.seed, e, 7, int(t / BOUNCE_SLOT_S)) < 0.5:
                    seated[jack] = True  # half the time the plug already holds the lug off
        for p in range(n):
            if not seated[p]:
                low[p] = True            # the lug rests on the tip: GND
        nets: dict[int, list] = {}
        for i in range(len(parent)):
            r = root(i)
            entry = nets.setdefault(r, [0, False])
            if i < n:
                entry[0] |= 1 << i
            entry[1] = entry[1] or low[i]
        return [(mask, is_low) for mask, is_low in nets.values() if mask]

    def levels(self, driven_low: int) -> int:
        """Bit p set when jack p's tip is high, with the jacks in `driven_low` pulled low."""
        t = self.clock()
        if self._bouncing(t):
            nets = self._nets(t)
        else:
            if self._cache is None or self._cache[0] != self._version:
                self._cache = (self._version, self._nets(t))
            nets = self._cache[1]
        high = 0
        for mask, is_low in nets:
            if not is_low and not mask & driven_low:
                high |= mask
        return high


# -- the box ----------------------------------------------------------------------------------------

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
            return _unit_hash(int(since * 1e6), int(t / BOUNCE_SLOT_S)) < 0.5
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
