"""`ms20 run`: the firmware itself, as systemd starts it on the box and as anyone can run it.

    ms20 run                                  # board, sound card and MIDI from the config file
    ms20 run --sim                            # simulated board; a WAV file if there is no sound card
    ms20 run --sim --duration 10 --wav out/run.wav   # scripted: 10 s of the demo phrase to a WAV
    ms20 run --print-config > ms20.toml       # the documented defaults
    ms20 run --sim --web                      # and the panel in a browser: http://127.0.0.1:8020/

The board comes from the config (board.backend) or $MS20_PINS (rpi or sim), never from
guessing the machine; --sim always means the simulated board. Without a keyboard, --sim plays
a demo phrase on the first-voice patch. Ctrl-C, SIGTERM or SIGHUP stop cleanly.

A box must come up playing: a config or patch that cannot be used is logged once (file,
line, key), the last good copy (or the defaults) is used instead, and the status LED blinks
fast. `ms20 run --check` reads them strictly instead and exits 2 on the first error.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import stat
import sys
from pathlib import Path

from ms20.audio import AlsaSink, DeviceUnavailable, Sink
from ms20.audio.desktop import CaptureOnDemand, desktop_audio, is_desktop_device, line_in_used, realtime_permitted
from ms20.box.box import Box, cv_convention
from ms20.box.config import Config, board_backend, config_path, default_config, default_toml, load_config
from ms20.box.last_good import LastGood
from ms20.commands.board_args import open_surface
from ms20.commands.cli import CommandError, seconds_arg
from ms20.memory.channel import server_socket
from ms20.midi import RtMidiBackend
from ms20.model.patch import Patch, find_patch, load_patch
from ms20.model.patchbay import NORMALLED
from ms20.textfile import state_dir

log = logging.getLogger(__name__)

SIM_FALLBACK_WAV = Path("out/ms20-run.wav")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ms20 run` to the command line."""
    p = sub.add_parser("run", help="run the firmware: board, audio, MIDI and the control loop",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE", help="config file (default: $MS20_CONFIG, /etc/ms20/ms20.toml)")
    p.add_argument("--patch", metavar="FILE", help="patch to load (default: patch.file in the config)")
    p.add_argument("--sim", action="store_true", help="use the simulated board (and a WAV file if no sound card)")
    p.add_argument("--wav", metavar="FILE", help="write the audio to this WAV file instead of a sound card")
    p.add_argument("--device", metavar="PCM", help="ALSA playback device (overrides audio.device)")
    p.add_argument("--duration", type=seconds_arg, metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("--demo", action=argparse.BooleanOptionalAction, default=None,
                   help="play the demo phrase while no keyboard is plugged in (default: on with --sim)")
    p.add_argument("--web", nargs="?", const="", metavar="ADDRESS:PORT",
                   help="serve the panel in a browser (default web.address, 127.0.0.1:8020)")
    p.add_argument("--socket", metavar="PATH",
                   help="control socket for `ms20 save`/`ms20 recall` (default: the runtime directory)")
    p.add_argument("--print-config", action="store_true", help="print the documented default config and exit")
    p.add_argument("--check", action="store_true",
                   help="read the config and patch strictly, say what is wrong (exit 2) or ok, and exit")
    p.set_defaults(func=run)


def _patch_path(name: str) -> Path:
    """The patch `name` names (see find_patch), or the name itself (the error names it)."""
    return find_patch(name) or Path(name)


def check(args: argparse.Namespace) -> int:
    """`ms20 run --check`: the config and the patch read strictly; the first error is raised."""
    config = load_config(args.config)
    patch = load_patch(_patch_path(args.patch or config.patch.file))
    print(f"ok: config {config.source}, patch {patch.source} ({patch.name!r})")
    return 0


def load_files(args: argparse.Namespace, keeper: LastGood) -> tuple[Config, Patch | None]:
    """The config and the patch, each falling back to its last good copy, then the defaults
    (see LastGood): `ms20 run` starts whatever is wrong with them."""
    path = config_path(args.config)
    config = default_config() if path is None else keeper.load("config", path, load_config) or default_config()
    patch = keeper.load("patch", _patch_path(args.patch or config.patch.file), load_patch)
    return config, patch


def check_wav_path(path: Path) -> None:
    """Refuse, before any audio starts, a --wav the firmware could not write: one that
    cannot be created (a read-only disk, a missing directory), that is not a regular file (a
    FIFO would block with no reader, a device is not a WAV), or whose name ALSA's file plugin
    cannot quote. Creates the file mode 0644, which the plugin's truncation keeps."""
    if any(c in str(path) for c in "\"'\\"):
        raise CommandError(f"--wav {path}: a file name with quotes or backslashes cannot be passed to ALSA; "
                           "choose another name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CommandError(f"--wav {path}: cannot write ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CommandError(f"--wav {path}: not a regular file (a FIFO or a device cannot hold a WAV)")
    finally:
        os.close(fd)


def wav_sink(path: Path, config: Config) -> Sink:
    """The WAV output: ALSA's file plugin as the sound card, paced by the system clock; a
    write that fails (a full disk) ends the run with an error instead of reopening."""
    a = config.audio
    check_wav_path(path)
    sink = AlsaSink(f'file:FILE="{path}",FORMAT=wav', "none", a.rate, a.period, a.periods, 1, "S16_LE", "yes")
    sink.reopen_when_lost = False
    return sink


def card_sink(config: Config, device: str) -> AlsaSink:
    """The sink the config names: the ALSA card, or a WAV file through ALSA's file plugin."""
    a = config.audio
    return AlsaSink(device, a.capture, a.rate, a.period, a.periods, a.channels, a.format, a.paced)


def choose_sink(args: argparse.Namespace, config: Config) -> tuple[Sink, Path | None]:
    """The sink to play into, and the WAV file it writes (None for a sound card)."""
    if args.wav:
        return wav_sink(Path(args.wav), config), Path(args.wav)
    sink = card_sink(config, args.device or config.audio.device)
    if args.sim:
        # A newcomer's machine may have no sound card: say so and write a WAV instead.
        try:
            sink.open()
            sink.close()
        except DeviceUnavailable as exc:
            log.warning("audio: %s; writing to %s instead", exc, SIM_FALLBACK_WAV)
            return wav_sink(SIM_FALLBACK_WAV, config), SIM_FALLBACK_WAV
    return sink, None


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def desktop_config(config: Config, device: str, patch: Patch | None) -> Config:
    """A laptop's sound server through the default device: a longer period without real-time
    priority, and no capture stream unless the patch uses LINE IN (ms20.audio.desktop)."""
    a = config.audio
    line_in = line_in_used(patch.panel.routing if patch is not None else NORMALLED)
    d = desktop_audio(device, a.period, a.periods, a.capture, realtime_permitted(a.realtime_priority), line_in)
    if d is None:
        return config
    log.info("audio: %s is a desktop device (%s): %d frames x %d periods (%.1f ms), capture %s", device,
             ", ".join(d.reasons), d.period, d.periods, d.period * d.periods / a.rate * 1e3,
             "off" if d.capture == "none" else d.capture)
    return config.replace(**{"audio.period": d.period, "audio.periods": d.periods, "audio.capture": d.capture})


def chain(ticks: list):
    """One control-loop hook that calls each of `ticks` in turn (None when there are none)."""
    if not ticks:
        return None

    def on_tick(box: Box, now: float) -> None:
        for tick in ticks:
            tick(box, now)
    return on_tick


def open_web(box: Box, address: str | None, config: Config):
    """The browser panel when asked for (--web, or web.enabled), else None."""
    if address is None and not config.web.enabled:
        return None
    try:
        from ms20.web.server import WebPanel  # needs the [web] extra (aiohttp)
    except ImportError as exc:
        raise OSError(f"the browser panel needs aiohttp: pip install 'ms20[web]' ({exc})") from None
    from ms20.web.guard import parse_address

    return WebPanel(box, parse_address(address or config.web.address), config.web.passphrase)


def run(args: argparse.Namespace) -> int:
    """`ms20 run`: the firmware's main job, until a signal or --duration."""
    if args.print_config:
        print(default_toml(), end="")
        return 0
    if args.check:
        return check(args)
    # From here on a stop signal (Ctrl-C, systemd, an SSH session closing) is a request: the
    # box starts or not, then stops cleanly and the WAV header gets its length.
    stop_asked: list[int] = []
    box: Box | None = None

    def on_signal(signum: int, _frame) -> None:
        log.info("box: %s, stopping", signal.Signals(signum).name)
        stop_asked.append(signum)
        if box is not None:
            box.request_stop()

    old = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        keeper = LastGood(state_dir())
        config, patch = load_files(args, keeper)
        backend = board_backend(config, sim=args.sim)
        capture = config.audio.capture
        if args.sim and not args.wav:
            config = desktop_config(config, args.device or config.audio.device, patch)
        sink, wav = choose_sink(args, config)
        demo = args.sim if args.demo is None else args.demo
        problems = tuple(f.reason for f in keeper.fallbacks)
        box = Box(config, sink, RtMidiBackend(), patch,
                  surface=lambda controller: open_surface(backend, controller, patch, config.board.file,
                                                          cv_convention(config)), demo=demo, problems=problems,
                  control_socket=server_socket(args.socket))
        log.info("box: config %s, board %s, audio %s", config.source, backend, sink.name)
        web = open_web(box, args.web, config)
        ticks = [web.on_tick] if web is not None else []
        if args.sim and isinstance(sink, AlsaSink) and wav is None and is_desktop_device(sink.device) \
                and capture != "none":
            ticks.append(CaptureOnDemand(box.audio, capture).on_tick)   # LINE IN opened when patched
        if stop_asked:
            return 0
        try:
            if web is not None:
                web.start()     # before the audio starts: the scope taps the sink
            box.start()
            if stop_asked:
                box.request_stop()
            code = box.run(args.duration, on_tick=chain(ticks))
        finally:
            box.stop()
            if web is not None:
                web.stop()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if wav is not None:
        if code == 0:
            print(f"wrote {wav}")
        else:
            print(f"ms20 run: {wav} is incomplete: {box.audio.error or 'the audio failed'}", file=sys.stderr)
    return code
