"""The board definition (hw/board.toml), read and checked.

`load_board` reads the file and refuses anything a builder could get wrong: a GPIO line used
twice (including the SPI bus's and the codec's lines), an ADC channel out of range, a chip
select used twice, a panel control or jack missing from the file or unknown to the panel.
Every error names the file, the line and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ms20.hardware.drivers import mcp3208, mcp4822
from ms20.hardware.pins import SPI_BUSES
from ms20.hardware.pins.base import GPIO_LINES
from ms20.model.jacks import UnknownJack, jack_table
from ms20.model.panel import layout
from ms20.textfile import did_you_mean, parse_toml, read_text, where

BOARD_ENV = "MS20_BOARD"
ADC_PARTS = {"MCP3208": (mcp3208.CHANNELS, mcp3208.MAX_CLOCK_HZ_3V3)}
DAC_PARTS = {"MCP4822": (mcp4822.CHANNELS, 20_000_000)}
DECODER_OUTPUTS = {"74HC138": 8}
CV_IN_JACKS = ("CV IN 1", "CV IN 2")     # the box's CV inputs: outputs into the patch bay
CV_OUT_JACKS = ("CV OUT 1", "CV OUT 2")  # the box's CV outputs: inputs of the patch bay
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
    """A CV input jack: its ADC channel and the jack volts at count 0 and full scale."""

    jack: str
    ref: ChannelRef
    volts_at_0: float
    volts_at_full: float


@dataclass(frozen=True)
class CvOutDef:
    """A CV output jack: its DAC channel and the jack volts at code 0 and full scale."""

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
    """The jack-sense matrix: drive and sense chains, the jacks in shift-register order, parts."""

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
        self.source, self.text = source, text
        self.errors: list[str] = []

    def fail(self, path: tuple[str, ...], message: str) -> None:
        key = ".".join(p if p.replace("_", "").isalnum() else f'"{p}"' for p in path)
        self.errors.append(f"{where(self.source, self.text, path)}: {key}: {message}")

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
    return did_you_mean(name, known, "{!r}")


REPO_BOARD = Path(__file__).resolve().parents[3] / "hw" / "board.toml"   # a source tree's
SYSTEM_BOARD = Path("/etc/ms20/board.toml")                                # install.sh's copy
PACKAGED_BOARD = Path(__file__).resolve().parents[1] / "data" / "board.toml"   # in every install


def default_board_file() -> Path:
    """$MS20_BOARD, else the source tree's hw/board.toml, else /etc/ms20/board.toml, else the
    copy the package carries (tools/gen_hw_docs.py keeps it equal to hw/board.toml)."""
    env = os.environ.get(BOARD_ENV)
    if env:
        return Path(env)
    for path in (REPO_BOARD, SYSTEM_BOARD):
        if path.exists():
            return path
    return PACKAGED_BOARD


def load_board(path: str | Path | None = None) -> BoardDef:
    """Read and check a board file (default: `default_board_file()`). Raises BoardError."""
    path = Path(path) if path is not None else default_board_file()
    return parse_board(read_text(path, "board file", BoardError), str(path))


def parse_board(text: str, source: str = "<board>") -> BoardDef:
    """Check the text of a board file; BoardError lists every problem found."""
    data = parse_toml(text, source, BoardError)
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


class _Reader:
    """Reads a board file one TOML section at a time; what later sections check against
    (chip selects, ADCs, channels in use) is kept here between them."""

    def __init__(self, c: _Checker, data: Mapping[str, Any]) -> None:
        self.c, self.data = c, data
        self.selects: dict[str, str] = {}                      # chip select -> chip id
        self.max_clock = [("the bus", 125_000_000)]            # who limits the SPI clock
        self.channel_users: dict[tuple[str, int], str] = {}    # (ADC, channel) -> control
        self.adc_by_id: dict[str, ChipDef] = {}

    def table(self, key: str) -> dict[str, Any]:
        return self.c.get(self.data, key, dict, (), default={})

    def reserved(self) -> dict[str, tuple[int, ...]]:
        raw = self.c.get(self.data, "reserved", dict, (), default={}, required=False)
        reserved: dict[str, tuple[int, ...]] = {}
        for what, pins in raw.items():
            if not isinstance(pins, list) or not all(isinstance(p, int) and p in GPIO_LINES for p in pins):
                self.c.fail(("reserved", what), "must be a list of GPIO numbers 0-27")
                continue
            reserved[what] = tuple(pins)
        return reserved

    def spi(self) -> None:
        c, spi = self.c, self.table("spi")
        bus = c.get(spi, "bus", int, ("spi",), default=0)
        if bus not in SPI_BUSES:
            c.fail(("spi", "bus"), f"SPI{bus} is not on the header (0 or 1)")
            bus = 0
        self.bus = bus
        self.clock_hz = c.get(spi, "clock_hz", int, ("spi",), default=1_000_000)
        self.mode = c.get(spi, "mode", int, ("spi",), default=0)
        if self.mode not in (0, 3):
            c.fail(("spi", "mode"), f"the MCP3208 and MCP4822 speak SPI mode 0 or 3, not {self.mode}")
        self.ces = [f"CE{i}" for i in range(len(SPI_BUSES[bus].ce))]
        self.decoder(c.get(spi, "decoder", dict, ("spi",), default=None, required=False))

    def decoder(self, decoder: dict[str, Any] | None) -> None:
        c = self.c
        self.dec_part = self.dec_enable = None
        self.dec_address: tuple[int, ...] = ()
        self.outputs: list[str] = []
        if decoder is None:
            return
        self.dec_part = c.get(decoder, "part", str, ("spi", "decoder"), default="74HC138")
        if self.dec_part not in DECODER_OUTPUTS:
            c.fail(("spi", "decoder", "part"), f"unknown decoder {self.dec_part!r} (known: 74HC138)")
        self.dec_enable = c.get(decoder, "enable", str, ("spi", "decoder"), default="CE0")
        if self.dec_enable not in self.ces:
            c.fail(("spi", "decoder", "enable"),
                   f"SPI{self.bus} has chip selects {', '.join(self.ces)}, not {self.dec_enable}")
        addr = c.get(decoder, "address", list, ("spi", "decoder"), default=[])
        if len(addr) != 3 or not all(isinstance(p, int) and p in GPIO_LINES for p in addr):
            c.fail(("spi", "decoder", "address"), "must be three GPIO numbers (A0, A1, A2)")
        else:
            self.dec_address = tuple(addr)
        self.outputs = [f"Y{i}" for i in range(DECODER_OUTPUTS.get(self.dec_part, 8))]

    def chip(self, section: str, parts: Mapping[str, tuple[Any, int]], k: int, t: Any) -> ChipDef | None:
        c, path = self.c, (section, str(k))
        if not isinstance(t, dict):
            c.fail(path, "must be a table")
            return None
        cid = c.get(t, "id", str, path, default=f"{section}{k}")
        part = c.get(t, "part", str, path, default="")
        if part not in parts:
            c.fail((section, cid, "part"), f"unknown part {part!r} (known: {', '.join(parts)})")
            return None
        self.max_clock.append((f"{cid} ({part})", parts[part][1]))
        select = c.get(t, "select", str, path, default="")
        allowed = [s for s in self.ces if s != self.dec_enable] + self.outputs
        if select not in allowed:
            c.fail((section, cid, "select"), f"chip select {select!r} does not exist on this board "
                   f"(free: {', '.join(allowed)})")
        elif select in self.selects:
            c.fail((section, cid, "select"), f"chip select {select} is used twice: {self.selects[select]} and {cid}")
        else:
            self.selects[select] = cid
        vref = float(c.get(t, "vref_v", (int, float), path, default=3.3, required=section == "adc"))
        gain = c.get(t, "gain", int, path, default=2, required=False)
        if section == "dac" and gain not in (1, 2):
            c.fail((section, cid, "gain"), f"an MCP4822's gain is 1 or 2, not {gain}")
        return ChipDef(cid, part, select, vref, gain)

    def chips(self) -> None:
        c = self.c
        adc_list = c.get(self.data, "adc", list, (), default=[])
        self.adcs = tuple(a for k, t in enumerate(adc_list) if (a := self.chip("adc", ADC_PARTS, k, t)) is not None)
        dac_list = c.get(self.data, "dac", list, (), default=[])
        self.dacs = tuple(a for k, t in enumerate(dac_list) if (a := self.chip("dac", DAC_PARTS, k, t)) is not None)
        ids = [a.id for a in self.adcs + self.dacs]
        for cid in {i for i in ids if ids.count(i) > 1}:
            c.fail(("id", cid), f"chip id {cid!r} is used twice")
        for who, limit in self.max_clock:
            if self.clock_hz > limit:
                c.fail(("spi", "clock_hz"), f"{self.clock_hz} Hz is too fast for {who}: at most {limit} Hz at 3.3 V")
        self.adc_by_id = {a.id: a for a in self.adcs}

    def channel(self, t: Any, path: tuple[str, ...], user: str) -> ChannelRef:
        c = self.c
        if not isinstance(t, dict):
            c.fail(path, 'must be a table like { adc = "ADC0", channel = 3 }')
            return ChannelRef("", -1)
        adc_id = c.get(t, "adc", str, path, default="")
        ch = c.get(t, "channel", int, path, default=-1)
        chip_def = self.adc_by_id.get(adc_id)
        if chip_def is None:
            c.fail((*path, "adc"), f"no ADC called {adc_id!r}{_suggest(adc_id, list(self.adc_by_id))}")
            return ChannelRef(adc_id, ch)
        n = ADC_PARTS[chip_def.part][0]
        if not 0 <= ch < n:
            c.fail((*path, "channel"), f"channel {ch} is out of range for {adc_id} ({chip_def.part}: 0-{n - 1})")
        elif (adc_id, ch) in self.channel_users:
            c.fail((*path, "channel"), f"{adc_id} channel {ch} is used twice: "
                   f"{self.channel_users[(adc_id, ch)]} and {user}")
        else:
            self.channel_users[(adc_id, ch)] = user
        return ChannelRef(adc_id, ch)

    def controls(self, section: str, known: list[str], what: str) -> dict[str, ChannelRef]:
        """[pots] or [switches]: every panel control on an ADC channel, nothing unknown."""
        table = self.table(section)
        out: dict[str, ChannelRef] = {}
        for name, t in table.items():
            if name not in known:
                self.c.fail((section, name), f"unknown {what}{_suggest(name, known)}")
                continue
            out[name] = self.channel(t, (section, name), f"{what} {name!r}")
        for name in known:
            if name not in table:
                self.c.fail((section,), f"{what} {name!r} is missing: every panel {what} needs an ADC channel")
        return out

    def stage(self, t: dict[str, Any], path: tuple[str, ...]) -> tuple[float, float]:
        """A CV jack's op-amp stage: the jack volts at ADC/DAC zero and full scale."""
        v0 = float(self.c.get(t, "jack_volts_at_0", (int, float), path, default=0.0))
        v1 = float(self.c.get(t, "jack_volts_at_full", (int, float), path, default=10.0))
        if v0 == v1:
            self.c.fail((*path, "jack_volts_at_full"), "must differ from jack_volts_at_0")
        return v0, v1

    def cv_ins(self) -> dict[str, CvInDef]:
        cv_ins: dict[str, CvInDef] = {}
        for name, t in self.table("cv_in").items():
            if name not in CV_IN_JACKS:
                self.c.fail(("cv_in", name), f"unknown CV input jack{_suggest(name, list(CV_IN_JACKS))}")
                continue
            if not isinstance(t, dict):
                self.c.fail(("cv_in", name), "must be a table")
                continue
            cv_ins[name] = CvInDef(name, self.channel(t, ("cv_in", name), name), *self.stage(t, ("cv_in", name)))
        return cv_ins

    def cv_outs(self) -> dict[str, CvOutDef]:
        c = self.c
        dac_by_id = {d.id: d for d in self.dacs}
        cv_outs: dict[str, CvOutDef] = {}
        dac_users: dict[tuple[str, str], str] = {}
        for name, t in self.table("cv_out").items():
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
            cv_outs[name] = CvOutDef(name, dac_id, ch, *self.stage(t, path))
        return cv_outs

    def matrix(self) -> MatrixDef:
        c, m = self.c, self.table("matrix")
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
            chains[key] = ChainDef(part, chips,
                                   MappingProxyType({r: c.gpio(t, r, ("matrix", key)) for r in pin_roles}))
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
        return MatrixDef(chains["drive"], chains["sense"], tuple(matrix_jacks), int(m.get("pullup_ohms", 10_000)),
                         int(m.get("series_ohms", 1_000)), str(m.get("diode", "BAT54")))


def _read(c: _Checker, data: Mapping[str, Any]) -> BoardDef | None:
    """The whole file, section by section, in the order later sections depend on."""
    r = _Reader(c, data)
    board = r.table("board")
    reserved = r.reserved()
    audio = r.table("audio")
    r.spi()
    r.chips()
    lay = layout()
    pots = r.controls("pots", [k.name for k in lay.knobs.values()], "knob")
    switches = r.controls("switches", [s.name for s in lay.switches.values()], "switch")
    ladder = c.get(data, "ladder", dict, (), default={}, required=False)
    wheel_t = r.table("wheel")
    wheel = r.channel(wheel_t, ("wheel",), "control wheel")
    wheel_max = float(c.get(wheel_t, "volts_at_max", (int, float), ("wheel",), default=5.0))
    cv_ins = r.cv_ins()
    cv_outs = r.cv_outs()
    momentary = c.gpio(r.table("momentary"), "pin", ("momentary",))
    led = c.gpio(r.table("status_led"), "pin", ("status_led",))
    matrix = r.matrix()
    if c.errors:
        return None
    return BoardDef(
        source=c.source, name=str(board.get("name", "")), logic_v=float(board.get("logic_v", 3.3)),
        reserved=MappingProxyType(reserved), audio_codec=str(audio.get("codec", "")),
        audio_config=tuple(audio.get("config_txt", ())), spi_bus=r.bus, spi_clock_hz=r.clock_hz, spi_mode=r.mode,
        decoder_part=r.dec_part, decoder_enable=r.dec_enable, decoder_address=r.dec_address, adcs=r.adcs,
        dacs=r.dacs, pots=MappingProxyType(pots), switches=MappingProxyType(switches),
        ladder_ohms=int(ladder.get("resistor_ohms", 10_000)),
        wiper_pulldown_ohms=int(ladder.get("wiper_pulldown_ohms", 1_000_000)),
        wheel=wheel, wheel_volts_at_max=wheel_max, cv_ins=MappingProxyType(cv_ins),
        cv_outs=MappingProxyType(cv_outs), momentary_pin=momentary, status_led_pin=led, matrix=matrix,
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
