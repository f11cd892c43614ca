"""The box's one config file (TOML): sound card, MIDI, board backend, CV scaling, status.

Every setting is declared once in SETTINGS with its default, type, limits and a line of
documentation; `default_toml()` prints the documented defaults (the file install.sh puts in
/etc/ms20/ms20.toml) and `load_config` checks a file against the same table, so a bad value
gives an error naming the key (`audio.period`) and the line it is on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ms20.midi.note_priority import PRIORITIES
from ms20.model.panel import PanelError, layout
from ms20.model.patch import FILTERS
from ms20.textfile import did_you_mean, parse_toml, read_text, short_repr, where

PINS_ENV = "MS20_PINS"         # overrides board.backend: "rpi" or "sim" ("mock", the pin layer's word, too)
CONFIG_ENV = "MS20_CONFIG"     # a config file to use when --config is not given
SYSTEM_CONFIG = Path("/etc/ms20/ms20.toml")
BOARD_BACKENDS = ("sim", "rpi", "none")   # "mock" is accepted for "sim" (the pin layer's word)
SAMPLE_FORMATS = ("S16_LE", "S32_LE")
# The MIDI spec's sound controllers (Akai's MPK mini sends them from its eight knobs):
# variation, timbre/resonance, release, attack, brightness, decay, vibrato rate and depth.
DEFAULT_CC = {70: "HPF CUTOFF", 71: "LPF PEAK", 72: "EG-2 RELEASE", 73: "EG-2 ATTACK", 74: "LPF CUTOFF",
              75: "EG-2 DECAY", 76: "MG FREQUENCY", 77: "FM MG/T.EXT"}


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class Setting:
    """One config key: its section, name, default, check and the line `--print-config` writes for it."""

    section: str
    key: str
    default: Any
    doc: str
    check: Callable[[Any], Any] | None = None   # returns the cleaned value or raises ValueError

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def _int(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"must be a whole number from {lo} to {hi}")
        return v
    return check


def _float(lo: float, hi: float) -> Callable[[Any], float]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise ValueError(f"must be a number from {lo:g} to {hi:g}")
        return float(v)
    return check


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError(f"must be one of {', '.join(repr(o) for o in options)}")
        return v
    return check


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be a string")
    return v


def _str_list(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise ValueError("must be a list of strings")
    return tuple(v)


def _backend(v: Any) -> str:
    if v == "mock":
        return "sim"
    return _choice(BOARD_BACKENDS)(v)


def _knob_or_empty(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be a knob name or \"\"")
    if not v:
        return ""
    try:
        return layout().knob(v).name
    except PanelError as exc:
        raise ValueError(str(exc)) from None


def _range(v: Any) -> tuple[float, float]:
    if (not isinstance(v, list) or len(v) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 10 for x in v)):
        raise ValueError("must be [low, high] knob positions on the 0-10 scale")
    return float(v[0]), float(v[1])


def _cc_map(v: Any) -> Mapping[int, str]:
    if not isinstance(v, dict):
        raise ValueError('must be a table of CC number = "KNOB NAME"')
    out: dict[int, str] = {}
    for cc, knob in v.items():
        try:
            number = int(cc)
        except ValueError:
            raise ValueError(f"CC {cc!r} is not a number") from None
        if not 0 <= number <= 119:
            raise ValueError(f"CC {number} is outside 0-119 (120-127 are channel mode messages)")
        if not isinstance(knob, str):
            raise ValueError(f"CC {number} must name a knob")
        try:
            out[number] = layout().knob(knob).name
        except PanelError as exc:
            raise ValueError(f"CC {number}: {exc}") from None
    return MappingProxyType(out)


def _address(v: Any) -> str:
    from ms20.web.guard import AddressError, parse_address  # pure Python: no web library needed

    try:
        return str(parse_address(_str(v)))
    except AddressError as exc:
        raise ValueError(str(exc)) from None


def _passphrase_hash(v: Any) -> str:
    from ms20.web.guard import is_passphrase_hash

    text = _str(v)
    if text and not is_passphrase_hash(text):
        raise ValueError("not a passphrase hash: run `ms20 web-passphrase` and paste the line it prints "
                         "(the passphrase itself is never stored)")
    return text


SETTINGS: tuple[Setting, ...] = (
    # -- audio -------------------------------------------------------------------------
    Setting("audio", "device", "default",
            'ALSA playback PCM: "hw:CARD=<codec>" on the box (see `aplay -L`), "null", or '
            '"file:FILE=out.wav,FORMAT=wav"', _str),
    Setting("audio", "capture", "same",
            '"same": LINE IN from the same card (full duplex); "none": no LINE IN; or a capture PCM name',
            _str),
    Setting("audio", "rate", 48000, "sample rate in Hz; the kernel runs at the rate the card grants",
            _int(8000, 192000)),
    Setting("audio", "period", 64, "frames per period (64 or 128 for an I2S codec)", _int(16, 4096)),
    Setting("audio", "periods", 3, "periods in the ALSA buffer (2-3 for low latency)", _int(2, 16)),
    Setting("audio", "channels", 2, "channels the card is opened with; the mono voice goes to all",
            _int(1, 8)),
    Setting("audio", "format", "S16_LE", "sample format on the wire", _choice(SAMPLE_FORMATS)),
    Setting("audio", "paced", "auto",
            '"auto" paces unclocked PCMs (null, file:) by the system clock; "yes" always; "no" never',
            _choice(("auto", "yes", "no"))),
    Setting("audio", "realtime_priority", 70,
            "SCHED_FIFO priority of the audio thread (1-99); 0 keeps normal scheduling", _int(0, 99)),
    Setting("audio", "control_priority", 40,
            "SCHED_FIFO priority of the control loop and MIDI threads, below the audio thread's: "
            "whichever thread holds the Python GIL must not wait behind other programs while a "
            "MIDI note waits for it; 0 keeps normal scheduling", _int(0, 98)),
    Setting("audio", "lock_memory", True,
            "mlockall() so page faults cannot stall the audio (needs LimitMEMLOCK=infinity)", _bool),
    Setting("audio", "switch_interval_ms", 0.5,
            "Python GIL switch interval: how long MIDI may wait for the control loop's GIL "
            "(the audio thread is C and never takes it)",
            _float(0.05, 5.0)),
    Setting("audio", "retry_s", 2.0, "seconds between attempts to open a missing or busy sound card",
            _float(0.1, 60.0)),
    Setting("audio", "stall_s", 1.0,
            "no period written for this long counts as a stalled audio thread (watchdog stops)",
            _float(0.05, 30.0)),
    # -- midi --------------------------------------------------------------------------
    Setting("midi", "priority", "low", "which held key sounds: low (as the MS-20), high or last",
            _choice(PRIORITIES)),
    Setting("midi", "multi_trigger", False, "refire the envelopes on legato notes", _bool),
    Setting("midi", "bend_range", 2.0, "pitch bend range in semitones", _float(0.0, 24.0)),
    Setting("midi", "velocity_knob", "",
            'a knob that note velocity turns (e.g. "VOLUME"); "" ignores velocity like the original',
            _knob_or_empty),
    Setting("midi", "velocity_range", [0.0, 10.0],
            "knob positions at velocity 1 and 127", _range),
    Setting("midi", "ignore_ports", ["Midi Through"],
            "MIDI input ports whose names contain one of these are not opened", _str_list),
    Setting("midi", "rescan_s", 0.5, "seconds between looks for plugged or unplugged keyboards",
            _float(0.05, 10.0)),
    Setting("midi", "cc", DEFAULT_CC,
            'CC number = "KNOB NAME" for every patch (MIDI learn and a patch\'s [midi.cc] win); the default '
            "puts the MIDI sound controllers 70-77, which many keyboards' eight knobs send, on the filters, "
            "EG-2 and the MG", _cc_map),
    # -- board -------------------------------------------------------------------------
    Setting("board", "backend", "sim",
            f'"rpi": the real panel on GPIO/SPI; "sim": the simulated board; "none": no panel '
            f"(the {PINS_ENV} environment variable, rpi or sim, overrides this; mock means sim)", _backend),
    Setting("board", "file", "",
            'the board definition; "" = $MS20_BOARD, the tree\'s hw/board.toml, /etc/ms20/board.toml '
            "or the package's copy",
            _str),
    Setting("board", "scan_hz", 500.0, "control loop rate: pots, matrix and kernel updates per second",
            _float(10.0, 5000.0)),
    # -- cv ----------------------------------------------------------------------------
    Setting("cv", "pitch", "hz_per_v",
            'pitch at the CV jacks: "hz_per_v" (as the MS-20) or "v_per_oct" (0 V = C4)',
            _choice(("hz_per_v", "v_per_oct"))),
    Setting("cv", "trigger", "s_trig", 'triggers at the CV jacks: "s_trig" (as the MS-20) or "v_trig"',
            _choice(("s_trig", "v_trig"))),
    Setting("cv", "in_gain", 1.0, "trim: kernel volts per jack volt at CV IN (hw/board.toml gives the jack range)",
            _float(-100.0, 100.0)),
    Setting("cv", "in_offset_v", 0.0, "trim: volts added to a CV IN reading", _float(-20.0, 20.0)),
    Setting("cv", "out_gain", 1.0, "trim: jack volts per kernel volt at CV OUT", _float(-100.0, 100.0)),
    Setting("cv", "out_offset_v", 0.0, "trim: volts added at a CV OUT jack", _float(-20.0, 20.0)),
    # -- patch and status --------------------------------------------------------------
    Setting("patch", "file", "patches/first-voice.toml",
            "patch loaded at start (relative paths: the working directory, then the firmware's tree)",
            _str),
    Setting("patch", "filter", "korg35",
            'the filter revision: "korg35" (early MS-20s, the default) or "ota" (the later board); '
            "a patch's [settings] filter wins", _choice(FILTERS)),
    Setting("patch", "dir", "",
            'where `ms20 save`, the key gesture and MIDI learn write; "" = $STATE_DIRECTORY/patches '
            "(/var/lib/ms20/patches on the box), else ~/.local/share/ms20/patches", _str),
    Setting("patch", "bank", [],
            "patch names (saved or shipped) in Program Change order, program 1 first; [] = Program Change "
            "recalls nothing (a keyboard changing its own presets must not change the panel unasked)",
            _str_list),
    Setting("patch", "key_slots", True,
            "MOMENTARY with a key held: a long press saves the panel into that key's slot, a tap recalls "
            "it (false: the switch only plays, as on the MS-20)", _bool),
    Setting("patch", "channel", 0, "MIDI channel (1-16) whose Program Changes recall; 0 = any channel",
            _int(0, 16)),
    Setting("recall", "cables", "guide",
            '"guide": a recall leaves the physical cables sounding and the LED, hwtest and the web page '
            'show which to plug or pull; "virtual": a recalled cable sounds until a physical plug takes '
            "its input jack", _choice(("guide", "virtual"))),
    Setting("status", "interval_s", 10.0, "seconds between one-line status reports (0 = never)",
            _float(0.0, 3600.0)),
    # -- web -----------------------------------------------------------------------------
    Setting("web", "enabled", False, "serve the panel in a browser (ms20 run --web does it for one run)", _bool),
    Setting("web", "address", "127.0.0.1:8020",
            'HOST:PORT the page is served on; loopback by default; "0.0.0.0:8020" opens it to the network, '
            "where changes need the passphrase", _address),
    Setting("web", "passphrase", "",
            "hash of the passphrase that lets a page on the network play the panel (make one with "
            "`ms20 web-passphrase`); empty: the network sees a read-only panel", _passphrase_hash),
)


@dataclass(frozen=True)
class AudioConfig:
    """[audio]: the card, rate, period, real-time priority and retry/stall times."""

    device: str
    capture: str
    rate: int
    period: int
    periods: int
    channels: int
    format: str
    paced: str
    realtime_priority: int
    control_priority: int
    lock_memory: bool
    switch_interval_ms: float
    retry_s: float
    stall_s: float


@dataclass(frozen=True)
class MidiConfig:
    """[midi]: note priority, triggering, bend range, ports to ignore, the CC map."""

    priority: str
    multi_trigger: bool
    bend_range: float
    velocity_knob: str
    velocity_range: tuple[float, float]
    ignore_ports: tuple[str, ...]
    rescan_s: float
    cc: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BoardConfig:
    """[board]: which board (rpi, sim or none), its definition file and scan rate."""

    backend: str
    file: str
    scan_hz: float


@dataclass(frozen=True)
class CvConfig:
    """[cv]: the CV jacks' pitch and trigger conventions and the analog stages' trims."""

    pitch: str
    trigger: str
    in_gain: float
    in_offset_v: float
    out_gain: float
    out_offset_v: float


@dataclass(frozen=True)
class PatchConfig:
    """[patch]: the patch file the box loads at start, the filter revision, where saves go, the
    Program Change bank."""

    file: str
    filter: str = "korg35"
    dir: str = ""
    bank: tuple[str, ...] = ()
    key_slots: bool = True
    channel: int = 0


@dataclass(frozen=True)
class RecallConfig:
    """[recall]: what a recalled cable that is not plugged does."""

    cables: str = "guide"


@dataclass(frozen=True)
class StatusConfig:
    """[status]: how often the box logs its one-line status."""

    interval_s: float


@dataclass(frozen=True)
class WebConfig:
    enabled: bool
    address: str
    passphrase: str


@dataclass(frozen=True)
class Config:
    """A checked config file: one record per section."""

    audio: AudioConfig
    midi: MidiConfig
    board: BoardConfig
    cv: CvConfig
    patch: PatchConfig
    status: StatusConfig
    web: WebConfig
    recall: RecallConfig = RecallConfig()
    source: str = "<defaults>"

    def replace(self, **dotted: Any) -> Config:
        """A copy with some settings changed, e.g. replace(**{"audio.device": "null"})."""
        values = {s.name: getattr(getattr(self, s.section), s.key) for s in SETTINGS}
        for name, value in dotted.items():
            if name not in values:
                raise ConfigError(f"unknown setting {name!r}")
            values[name] = value
        return _build(values, self.source)


_SECTIONS = {"audio": AudioConfig, "midi": MidiConfig, "board": BoardConfig, "cv": CvConfig,
             "patch": PatchConfig, "status": StatusConfig, "web": WebConfig, "recall": RecallConfig}


def _build(values: Mapping[str, Any], source: str) -> Config:
    parts = {}
    for section, cls in _SECTIONS.items():
        parts[section] = cls(**{s.key: values[s.name] for s in SETTINGS if s.section == section})
    return Config(**parts, source=source)


def parse_config(text: str, source: str = "<config>") -> Config:
    """Check a config text against SETTINGS; raises ConfigError naming the key."""
    def fail(section: str, key: str | None, message: str) -> ConfigError:
        name = f"{section}.{key}" if key else f"[{section}]"
        return ConfigError(f"{where(source, text, (section, key) if key else (section,))}: {name}: {message}")

    data = parse_toml(text, source, ConfigError)

    by_name = {s.name: s for s in SETTINGS}
    values = {s.name: s.check(s.default) if s.check else s.default for s in SETTINGS}
    for section, table in data.items():
        if section not in _SECTIONS:
            hint = did_you_mean(section, _SECTIONS, "[{}]") or f" (sections: {', '.join(_SECTIONS)})"
            raise fail(section, None, "unknown section" + hint)
        if not isinstance(table, dict):
            raise fail(section, None, "must be a [table]")
        for key, value in table.items():
            setting = by_name.get(f"{section}.{key}")
            if setting is None:
                keys = [s.key for s in SETTINGS if s.section == section]
                hint = did_you_mean(key, keys, section + ".{}") or f" (known: {', '.join(keys)})"
                raise fail(section, key, "unknown setting" + hint)
            try:
                values[setting.name] = setting.check(value) if setting.check else value
            except ValueError as exc:
                raise fail(section, key, f"{exc}, got {short_repr(value)}") from None
    return _build(values, source)


def config_path(path: str | Path | None = None) -> Path | None:
    """The config file to read: `path`, else $MS20_CONFIG, else /etc/ms20/ms20.toml if it
    exists; None means the defaults."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if env:
            return Path(env)
        return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None
    return Path(path)


def load_config(path: str | Path | None = None) -> Config:
    """The config from `path`, else $MS20_CONFIG, else /etc/ms20/ms20.toml, else the defaults."""
    found = config_path(path)
    if found is None:
        return default_config()
    return parse_config(read_text(found, "config file", ConfigError), str(found))


def default_config() -> Config:
    """Every setting at its default (a box with no config file)."""
    return parse_config("", "<defaults>")


def board_backend(config: Config, sim: bool = False) -> str:
    """The board backend to open ("rpi", "sim" or "none"): --sim, else $MS20_PINS, else
    board.backend. Chosen by the user, never by guessing the machine."""
    if sim:
        return "sim"
    env = os.environ.get(PINS_ENV, "").strip().lower()
    if env:
        try:
            return _backend(env)
        except ValueError:
            raise ConfigError(f"{PINS_ENV}={env!r}: must be rpi or sim") from None
    return config.board.backend


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def default_toml(overrides: Mapping[str, Any] | None = None) -> str:
    """The documented default config file; `overrides` maps "section.key" to a value."""
    overrides = dict(overrides or {})
    lines = ["# MS-20 firmware config (`ms20 run --print-config` writes this file).",
             "# Every setting is shown with its default; delete a line to use the default.", ""]
    section = ""
    for s in SETTINGS:
        if s.section != section:
            if section:
                lines.append("")
            section = s.section
            lines.append(f"[{section}]")
        lines.append(f"# {s.doc}")
        lines.append(f"{s.key} = {_toml_value(overrides.pop(s.name, s.default))}")
    if overrides:
        raise ConfigError(f"unknown settings {', '.join(sorted(overrides))}")
    return "\n".join(lines) + "\n"
