"""The board definition (hw/board.toml) checked and turned into drivers.

`load_board` reads the file and refuses anything a builder could get wrong: a GPIO line used
twice (including the SPI bus's and the codec's lines), an ADC channel out of range, a chip
select used twice, a panel control or jack missing from the file or unknown to the panel.
Every error names the file, the line and the key. `Board` builds the drivers from a checked
definition on any pin factory (commands/board_args.py chooses which).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.drivers.chip_select import ChipSelectDecoder
from ms20.hardware.drivers.jack_matrix import JackMatrix
from ms20.hardware.drivers.led import StatusLed
from ms20.hardware.drivers.mcp3208 import MCP3208, AnalogIn
from ms20.hardware.drivers.mcp4822 import MCP4822, CvOut
from ms20.hardware.drivers.shift_register import ShiftRegister74HC165, ShiftRegister74HC595
from ms20.hardware.drivers.switches import ControlWheel, MomentarySwitch, RotarySwitch
from ms20.hardware.pins import SPI_BUSES, Factory
from ms20.hardware.pins.base import GPIO_LINES, SPI
from ms20.model.jacks import UnknownJack, jack_table
from ms20.model.panel import layout
from ms20.textfile import read_text

BOARD_ENV = "MS20_BOARD"
ADC_PARTS = {"MCP3208": (mcp3208.CHANNELS, mcp3208.MAX_CLOCK_HZ_3V3)}
DAC_PARTS = {"MCP4822": (mcp4822.CHANNELS, 20_000_000)}
DECODER_OUTPUTS = {"74HC138": 8}
CV_IN_JACKS = ("CV IN 1", "CV IN 2")
CV_OUT_JACKS = ("CV OUT 1", "CV OUT 2")
SECTIONS = {"board", "reserved", "audio", "spi", "adc", "dac", "pots", "switches", "ladder", "wheel",
            "cv_in", "cv_out", "momentary", "status_led", "matrix"}


class BoardError(ValueError):
    """A board file that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class ChannelRef:
    """An ADC input: chip id and channel."""

    adc: str
    channel: int


@dataclass(frozen=True)
class ChipDef:
    """An SPI chip: an MCP3208 ADC or an MCP4822 DAC, its chip select and analog reference."""

    id: str
    part: str
    select: str           # "CE0"/"CE1" (hardware chip select) or "Y0".."Y7" (decoder output)
    vref_v: float = 3.3   # ADCs
    gain: int = 2         # DACs


@dataclass(frozen=True)
class CvInDef:
    jack: str
    ref: ChannelRef
    volts_at_0: float
    volts_at_full: float


@dataclass(frozen=True)
class CvOutDef:
    jack: str
    dac: str
    channel: str
    volts_at_0: float
    volts_at_full: float


@dataclass(frozen=True)
class ChainDef:
    """A shift-register chain: part, chip count and its GPIO lines by role."""

    part: str
    chips: int
    pins: Mapping[str, int]


@dataclass(frozen=True)
class MatrixDef:
    drive: ChainDef
    sense: ChainDef
    jacks: tuple[str, ...]
    pullup_ohms: int
    series_ohms: int
    diode: str


@dataclass(frozen=True)
class BoardDef:
    """A checked hw/board.toml."""

    source: str
    name: str
    logic_v: float
    reserved: Mapping[str, tuple[int, ...]]
    audio_codec: str
    audio_config: tuple[str, ...]
    spi_bus: int
    spi_clock_hz: int
    spi_mode: int
    decoder_part: str | None
    decoder_enable: str | None
    decoder_address: tuple[int, ...]
    adcs: tuple[ChipDef, ...]
    dacs: tuple[ChipDef, ...]
    pots: Mapping[str, ChannelRef]
    switches: Mapping[str, ChannelRef]
    ladder_ohms: int
    wiper_pulldown_ohms: int
    wheel: ChannelRef
    wheel_volts_at_max: float
    cv_ins: Mapping[str, CvInDef]
    cv_outs: Mapping[str, CvOutDef]
    momentary_pin: int
    status_led_pin: int
    matrix: MatrixDef

    def pin_uses(self) -> list[tuple[int, str]]:
        """Every GPIO line the board takes, with what takes it, in line order."""
        return sorted(_pin_uses(self))

    def config_txt(self) -> list[str]:
        """The lines /boot/firmware/config.txt needs for this board."""
        spi = "dtparam=spi=on" if self.spi_bus == 0 else "dtoverlay=spi1-3cs"
        return [spi, *self.audio_config]

    def adc(self, adc_id: str) -> ChipDef:
        return next(a for a in self.adcs if a.id == adc_id)


def _pin_uses(d: BoardDef) -> list[tuple[int, str]]:
    uses: list[tuple[int, str]] = []
    for what, pins in d.reserved.items():
        uses += [(p, what) for p in pins]
    bus = SPI_BUSES[d.spi_bus]
    uses += [(p, f"SPI{d.spi_bus} {role}") for role, p in bus.data_pins.items()]
    uses += [(p, f"SPI{d.spi_bus} CE{i}") for i, p in enumerate(bus.ce)]
    uses += [(p, f"{d.decoder_part} A{i}") for i, p in enumerate(d.decoder_address)]
    for chain, name in ((d.matrix.drive, "drive"), (d.matrix.sense, "sense")):
        uses += [(p, f"matrix {name} {role} ({chain.part})") for role, p in chain.pins.items()]
    uses.append((d.momentary_pin, "momentary switch"))
    uses.append((d.status_led_pin, "status LED"))
    return uses


# -- loading and checking -----------------------------------------------------------------

class _Checker:
    """Collects every problem in a board file, each with its file, line and key."""

    def __init__(self, source: str, text: str) -> None:
        self.source, self.lines = source, text.splitlines()
        self.errors: list[str] = []

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """Best effort: the line where the key `path` is written (its section, then the name)."""
        start, found = 0, None
        for part in path:
            if part.isdigit():          # an index into an array of tables: the n-th header
                continue
            for n in range(start, len(self.lines)):
                if part in self.lines[n]:
                    start, found = n, n + 1
                    break
            else:
                return found
        return found

    def fail(self, path: tuple[str, ...], message: str) -> None:
        key = ".".join(p if p.replace("_", "").isalnum() else f'"{p}"' for p in path)
        line = self.line_of(path)
        where = f"{self.source}:{line}" if line else self.source
        self.errors.append(f"{where}: {key}: {message}")

    def get(self, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: tuple[str, ...],
            default: Any = None, required: bool = True) -> Any:
        if key not in table:
            if required:
                self.fail(path, f"missing key {key!r}")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail((*path, key), f"must be {names}, not {value!r}")
            return default
        return value

    def gpio(self, table: Mapping[str, Any], key: str, path: tuple[str, ...]) -> int:
        n = self.get(table, key, int, path, default=-1)
        if n != -1 and n not in GPIO_LINES:
            self.fail((*path, key), f"GPIO {n} is not on the 40-pin header (GPIO 0-27)")
        return n


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def default_board_file() -> Path:
    """$MS20_BOARD, else the repository's hw/board.toml, else /etc/ms20/board.toml."""
    env = os.environ.get(BOARD_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3] / "hw" / "board.toml"
    return repo if repo.exists() else Path("/etc/ms20/board.toml")


def load_board(path: str | Path | None = None) -> BoardDef:
    """Read and check a board file (default: `default_board_file()`). Raises BoardError."""
    path = Path(path) if path is not None else default_board_file()
    return parse_board(read_text(path, "board file", BoardError), str(path))


def parse_board(text: str, source: str = "<board>") -> BoardDef:
    """Check the text of a board file; BoardError lists every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{source}: not valid TOML ({exc})") from None
    c = _Checker(source, text)
    for key in data:
        if key not in SECTIONS:
            c.fail((key,), f"unknown section{_suggest(key, sorted(SECTIONS))}")
    d = _read(c, data)
    if not c.errors:
        _check_pins(c, d)
    if c.errors:
        raise BoardError("\n".join(c.errors))
    assert d is not None
    return d


def _table(c: _Checker, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = c.get(data, key, dict, (), default={})
    return value


def _read(c: _Checker, data: Mapping[str, Any]) -> BoardDef | None:
    board = _table(c, data, "board")
    reserved_raw = c.get(data, "reserved", dict, (), default={}, required=False)
    reserved: dict[str, tuple[int, ...]] = {}
    for what, pins in reserved_raw.items():
        if not isinstance(pins, list) or not all(isinstance(p, int) and p in GPIO_LINES for p in pins):
            c.fail(("reserved", what), "must be a list of GPIO numbers 0-27")
            continue
        reserved[what] = tuple(pins)
    audio = _table(c, data, "audio")

    spi = _table(c, data, "spi")
    bus = c.get(spi, "bus", int, ("spi",), default=0)
    if bus not in SPI_BUSES:
        c.fail(("spi", "bus"), f"SPI{bus} is not on the header (0 or 1)")
        bus = 0
    clock_hz = c.get(spi, "clock_hz", int, ("spi",), default=1_000_000)
    mode = c.get(spi, "mode", int, ("spi",), default=0)
    if mode not in (0, 3):
        c.fail(("spi", "mode"), f"the MCP3208 and MCP4822 speak SPI mode 0 or 3, not {mode}")
    ces = [f"CE{i}" for i in range(len(SPI_BUSES[bus].ce))]

    decoder = c.get(spi, "decoder", dict, ("spi",), default=None, required=False)
    dec_part = dec_enable = None
    dec_address: tuple[int, ...] = ()
    outputs: list[str] = []
    if decoder is not None:
        dec_part = c.get(decoder, "part", str, ("spi", "decoder"), default="74HC138")
        if dec_part not in DECODER_OUTPUTS:
            c.fail(("spi", "decoder", "part"), f"unknown decoder {dec_part!r} (known: 74HC138)")
        dec_enable = c.get(decoder, "enable", str, ("spi", "decoder"), default="CE0")
        if dec_enable not in ces:
            c.fail(("spi", "decoder", "enable"), f"SPI{bus} has chip selects {', '.join(ces)}, not {dec_enable}")
        addr = c.get(decoder, "address", list, ("spi", "decoder"), default=[])
        if len(addr) != 3 or not all(isinstance(p, int) and p in GPIO_LINES for p in addr):
            c.fail(("spi", "decoder", "address"), "must be three GPIO numbers (A0, A1, A2)")
        else:
            dec_address = tuple(addr)
        outputs = [f"Y{i}" for i in range(DECODER_OUTPUTS.get(dec_part, 8))]

    selects: dict[str, str] = {}
    max_clock = [("the bus", 125_000_000)]

    def chip(section: str, parts: Mapping[str, tuple[Any, int]], k: int, t: Any) -> ChipDef | None:
        path = (section, str(k))
        if not isinstance(t, dict):
            c.fail(path, "must be a table")
            return None
        cid = c.get(t, "id", str, path, default=f"{section}{k}")
        part = c.get(t, "part", str, path, default="")
        if part not in parts:
            c.fail((section, cid, "part"), f"unknown part {part!r} (known: {', '.join(parts)})")
            return None
        max_clock.append((f"{cid} ({part})", parts[part][1]))
        select = c.get(t, "select", str, path, default="")
        allowed = [s for s in ces if s != dec_enable] + outputs
        if select not in allowed:
            c.fail((section, cid, "select"), f"chip select {select!r} does not exist on this board "
                   f"(free: {', '.join(allowed)})")
        elif select in selects:
            c.fail((section, cid, "select"), f"chip select {select} is used twice: {selects[select]} and {cid}")
        else:
            selects[select] = cid
        vref = float(c.get(t, "vref_v", (int, float), path, default=3.3, required=section == "adc"))
        gain = c.get(t, "gain", int, path, default=2, required=False)
        if section == "dac" and gain not in (1, 2):
            c.fail((section, cid, "gain"), f"an MCP4822's gain is 1 or 2, not {gain}")
        return ChipDef(cid, part, select, vref, gain)

    adc_list = c.get(data, "adc", list, (), default=[])
    adcs = tuple(a for k, t in enumerate(adc_list) if (a := chip("adc", ADC_PARTS, k, t)) is not None)
    dac_list = c.get(data, "dac", list, (), default=[])
    dacs = tuple(a for k, t in enumerate(dac_list) if (a := chip("dac", DAC_PARTS, k, t)) is not None)
    ids = [a.id for a in adcs + dacs]
    for cid in {i for i in ids if ids.count(i) > 1}:
        c.fail(("id", cid), f"chip id {cid!r} is used twice")
    for who, limit in max_clock:
        if clock_hz > limit:
            c.fail(("spi", "clock_hz"), f"{clock_hz} Hz is too fast for {who}: at most {limit} Hz at 3.3 V")

    adc_by_id = {a.id: a for a in adcs}
    channel_users: dict[tuple[str, int], str] = {}

    def channel(t: Any, path: tuple[str, ...], user: str) -> ChannelRef:
        if not isinstance(t, dict):
            c.fail(path, 'must be a table like { adc = "ADC0", channel = 3 }')
            return ChannelRef("", -1)
        adc_id = c.get(t, "adc", str, path, default="")
        ch = c.get(t, "channel", int, path, default=-1)
        chip_def = adc_by_id.get(adc_id)
        if chip_def is None:
            c.fail((*path, "adc"), f"no ADC called {adc_id!r}{_suggest(adc_id, list(adc_by_id))}")
            return ChannelRef(adc_id, ch)
        n = ADC_PARTS[chip_def.part][0]
        if not 0 <= ch < n:
            c.fail((*path, "channel"), f"channel {ch} is out of range for {adc_id} ({chip_def.part}: 0-{n - 1})")
        elif (adc_id, ch) in channel_users:
            c.fail((*path, "channel"), f"{adc_id} channel {ch} is used twice: "
                   f"{channel_users[(adc_id, ch)]} and {user}")
        else:
            channel_users[(adc_id, ch)] = user
        return ChannelRef(adc_id, ch)

    lay = layout()
    knob_names = [k.name for k in lay.knobs.values()]
    switch_names = [s.name for s in lay.switches.values()]

    def controls(section: str, known: list[str], what: str) -> dict[str, ChannelRef]:
        table = _table(c, data, section)
        out: dict[str, ChannelRef] = {}
        for name, t in table.items():
            if name not in known:
                c.fail((section, name), f"unknown {what}{_suggest(name, known)}")
                continue
            out[name] = channel(t, (section, name), f"{what} {name!r}")
        for name in known:
            if name not in table:
                c.fail((section,), f"{what} {name!r} is missing: every panel {what} needs an ADC channel")
        return out

    pots = controls("pots", knob_names, "knob")
    switches = controls("switches", switch_names, "switch")
    ladder = c.get(data, "ladder", dict, (), default={}, required=False)
    wheel_t = _table(c, data, "wheel")
    wheel = channel(wheel_t, ("wheel",), "control wheel")
    wheel_max = float(c.get(wheel_t, "volts_at_max", (int, float), ("wheel",), default=5.0))

    def stage(t: dict[str, Any], path: tuple[str, ...]) -> tuple[float, float]:
        v0 = float(c.get(t, "jack_volts_at_0", (int, float), path, default=0.0))
        v1 = float(c.get(t, "jack_volts_at_full", (int, float), path, default=10.0))
        if v0 == v1:
            c.fail((*path, "jack_volts_at_full"), "must differ from jack_volts_at_0")
        return v0, v1

    cv_ins: dict[str, CvInDef] = {}
    for name, t in _table(c, data, "cv_in").items():
        if name not in CV_IN_JACKS:
            c.fail(("cv_in", name), f"unknown CV input jack{_suggest(name, list(CV_IN_JACKS))}")
            continue
        if not isinstance(t, dict):
            c.fail(("cv_in", name), "must be a table")
            continue
        cv_ins[name] = CvInDef(name, channel(t, ("cv_in", name), name), *stage(t, ("cv_in", name)))
    dac_by_id = {d.id: d for d in dacs}
    cv_outs: dict[str, CvOutDef] = {}
    dac_users: dict[tuple[str, str], str] = {}
    for name, t in _table(c, data, "cv_out").items():
        path = ("cv_out", name)
        if name not in CV_OUT_JACKS:
            c.fail(path, f"unknown CV output jack{_suggest(name, list(CV_OUT_JACKS))}")
            continue
        if not isinstance(t, dict):
            c.fail(path, "must be a table")
            continue
        dac_id = c.get(t, "dac", str, path, default="")
        ch = c.get(t, "channel", str, path, default="")
        if dac_id not in dac_by_id:
            c.fail((*path, "dac"), f"no DAC called {dac_id!r}")
        elif ch not in DAC_PARTS[dac_by_id[dac_id].part][0]:
            c.fail((*path, "channel"), f"{dac_id} has channels A and B, not {ch!r}")
        elif (dac_id, ch) in dac_users:
            c.fail((*path, "channel"), f"{dac_id} channel {ch} is used twice: {dac_users[(dac_id, ch)]} and {name}")
        else:
            dac_users[(dac_id, ch)] = name
        cv_outs[name] = CvOutDef(name, dac_id, ch, *stage(t, path))

    momentary = c.gpio(_table(c, data, "momentary"), "pin", ("momentary",))
    led = c.gpio(_table(c, data, "status_led"), "pin", ("status_led",))

    m = _table(c, data, "matrix")
    roles = {"drive": ("74HC595", ("data", "clock", "latch")), "sense": ("74HC165", ("load", "clock", "data"))}
    chains: dict[str, ChainDef] = {}
    for key, (part, pin_roles) in roles.items():
        t = c.get(m, key, dict, ("matrix",), default={})
        got = c.get(t, "part", str, ("matrix", key), default=part)
        if got != part:
            c.fail(("matrix", key, "part"), f"the matrix {key} chain is built from {part}, not {got!r}")
        chips = c.get(t, "chips", int, ("matrix", key), default=0)
        if chips < 1:
            c.fail(("matrix", key, "chips"), "needs at least one chip")
        chains[key] = ChainDef(part, chips, MappingProxyType({r: c.gpio(t, r, ("matrix", key)) for r in pin_roles}))
    jacks = c.get(m, "jacks", list, ("matrix",), default=[])
    table = jack_table()
    matrix_jacks: list[str] = []
    for n, name in enumerate(jacks):
        try:
            jack = table.find(str(name))
        except UnknownJack:
            c.fail(("matrix", "jacks", str(name)), f"position {n}: unknown jack"
                   f"{_suggest(str(name), [j.name for j in table.patchable()])}")
            continue
        if jack.name in matrix_jacks:
            c.fail(("matrix", "jacks", str(name)), f"jack {jack.name!r} is listed twice (positions "
                   f"{matrix_jacks.index(jack.name)} and {n})")
        matrix_jacks.append(jack.name)
    for jack in table.patchable():
        if jack.where == "panel" and jack.name not in matrix_jacks:
            c.fail(("matrix", "jacks"), f"panel jack {jack.name!r} is missing: every panel jack needs a "
                   "matrix position")
    stages = min(8 * ch.chips for ch in chains.values())
    if len(jacks) > stages:
        c.fail(("matrix", "jacks"), f"{len(jacks)} jacks do not fit {stages} shift-register positions")

    if c.errors:
        return None
    return BoardDef(
        source=c.source, name=str(board.get("name", "")), logic_v=float(board.get("logic_v", 3.3)),
        reserved=MappingProxyType(reserved), audio_codec=str(audio.get("codec", "")),
        audio_config=tuple(audio.get("config_txt", ())), spi_bus=bus, spi_clock_hz=clock_hz, spi_mode=mode,
        decoder_part=dec_part, decoder_enable=dec_enable, decoder_address=dec_address, adcs=adcs, dacs=dacs,
        pots=MappingProxyType(pots), switches=MappingProxyType(switches),
        ladder_ohms=int(ladder.get("resistor_ohms", 10_000)),
        wiper_pulldown_ohms=int(ladder.get("wiper_pulldown_ohms", 1_000_000)),
        wheel=wheel, wheel_volts_at_max=wheel_max, cv_ins=MappingProxyType(cv_ins),
        cv_outs=MappingProxyType(cv_outs), momentary_pin=momentary, status_led_pin=led,
        matrix=MatrixDef(chains["drive"], chains["sense"], tuple(matrix_jacks), int(m.get("pullup_ohms", 10_000)),
                         int(m.get("series_ohms", 1_000)), str(m.get("diode", "BAT54"))),
    )


def _check_pins(c: _Checker, d: BoardDef | None) -> None:
    if d is None:
        return
    first: dict[int, str] = {}
    for pin, use in _pin_uses(d):
        if pin in first and first[pin] != use:
            path = _pin_key(d, pin, use)
            c.fail(path, f"GPIO {pin} is used twice: by {first[pin]} and by {use}")
        else:
            first.setdefault(pin, use)


def _pin_key(d: BoardDef, pin: int, use: str) -> tuple[str, ...]:
    """The key in the file that gives `pin` to `use` (for the error message)."""
    if use == "momentary switch":
        return ("momentary", "pin")
    if use == "status LED":
        return ("status_led", "pin")
    if use.startswith("matrix "):
        _, chain, role = use.split(" ")[:3]
        return ("matrix", chain, role)
    if use.startswith(f"{d.decoder_part} A"):
        return ("spi", "decoder", "address")
    if use.startswith("SPI"):
        return ("spi", "bus")
    return ("reserved", use)


# -- the drivers ----------------------------------------------------------------------------

class Board:
    """Every driver of the box, built from a checked definition on a pin factory.

    pots, switches: panel name -> driver; wheel; cv_ins: jack -> (AnalogIn, CvInDef);
    cv_outs: jack -> CvOut; momentary; led; matrix. `sim` is the MockBoard when simulated.
    """

    def __init__(self, definition: BoardDef, factory: Factory, sim: Any = None) -> None:
        d = self.definition = definition
        self.factory = factory
        self.sim = sim
        for what, pins in d.reserved.items():
            for p in pins:
                factory.reserve(p, what)
        kw = {"clock_hz": d.spi_clock_hz, "mode": d.spi_mode}
        decoder: ChipSelectDecoder | None = None
        if d.decoder_part is not None and d.decoder_enable is not None:
            ce = int(d.decoder_enable[2:])
            spi = factory.spi(d.spi_bus, ce, f"{d.decoder_part} chip-select decoder", **kw)
            address = [factory.pin(p, f"{d.decoder_part} A{i}") for i, p in enumerate(d.decoder_address)]
            decoder = ChipSelectDecoder(spi, address)

        def device(chip: ChipDef) -> SPI:
            if chip.select.startswith("Y"):
                assert decoder is not None
                return decoder.device(int(chip.select[1:]))
            return factory.spi(d.spi_bus, int(chip.select[2:]), chip.id, **kw)

        self.adcs = {a.id: MCP3208(device(a), a.vref_v, name=a.id) for a in d.adcs}
        self.dacs = {a.id: MCP4822(device(a), a.gain, name=a.id) for a in d.dacs}
        lay = layout()

        def analog(ref: ChannelRef) -> AnalogIn:
            return self.adcs[ref.adc].channel(ref.channel)

        self.pots: dict[str, AnalogIn] = {name: analog(ref) for name, ref in d.pots.items()}
        self.switches: dict[str, RotarySwitch] = {
            name: RotarySwitch(analog(ref), len(lay.switch(name).positions)) for name, ref in d.switches.items()}
        self.wheel = ControlWheel(analog(d.wheel))
        self.cv_ins: dict[str, tuple[AnalogIn, CvInDef]] = {j: (analog(v.ref), v) for j, v in d.cv_ins.items()}
        self.cv_outs: dict[str, CvOut] = {
            j: CvOut(self.dacs[v.dac], v.channel, v.volts_at_0, v.volts_at_full) for j, v in d.cv_outs.items()}
        self.momentary = MomentarySwitch(factory.pin(d.momentary_pin, "momentary switch"))
        self.led = StatusLed(factory.pin(d.status_led_pin, "status LED"))
        mdrive, msense = d.matrix.drive, d.matrix.sense
        drive = ShiftRegister74HC595(
            factory.pin(mdrive.pins["data"], "matrix drive data (74HC595 SER)"),
            factory.pin(mdrive.pins["clock"], "matrix drive clock (74HC595 SRCLK)"),
            factory.pin(mdrive.pins["latch"], "matrix drive latch (74HC595 RCLK)"), mdrive.chips)
        sense = ShiftRegister74HC165(
            factory.pin(msense.pins["load"], "matrix sense load (74HC165 SH/LD)"),
            factory.pin(msense.pins["clock"], "matrix sense clock (74HC165 CLK)"),
            factory.pin(msense.pins["data"], "matrix sense data (74HC165 QH)"), msense.chips)
        self.matrix = JackMatrix(drive, sense, d.matrix.jacks)
        for i, p in enumerate(SPI_BUSES[d.spi_bus].ce):   # dtparam=spi=on claims every CE line
            if factory.owner(p) is None:
                factory.reserve(p, f"SPI{d.spi_bus} CE{i} (unused)")

    def close(self) -> None:
        """Leave the hardware quiet (matrix released, LED off) and free every line."""
        self.matrix.idle()
        self.led.off()
        self.factory.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
