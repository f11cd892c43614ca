"""The board's chips as the SPI bus and GPIO lines see them: MCP3208 ADCs decoding each frame
bit by bit and answering with counts computed from volts, the MCP4822 DAC, the 74HC138
chip-select decoder, and the 74HC595/74HC165 chains of the jack matrix clocked by pin edges."""

from __future__ import annotations

from collections.abc import Callable

from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.pins.mock import MockPin
from ms20.sim.clock import unit_hash


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
                code = code & ~0xF | int(unit_hash(code, self.conversions) * 16)
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
