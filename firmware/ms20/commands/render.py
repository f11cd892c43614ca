"""`ms20 render`: play a patch offline through the same kernel the box runs, to an audio file.

    ms20 render first-voice --notes "C3:0.5 E3:0.5 G3:0.5 C4:1" --out out.wav
    ms20 render patches/first-voice.toml --midi examples/arpeggio.mid --out out.flac --format 24
    ms20 render 2-external-integration --input examples/voice.wav --out out.wav   # feeds LINE IN

A patch is a file, or the name of a shipped patch. Notes are sample-accurate: every event is
queued with its sample time before the block that contains it is rendered. The output is
WAV or FLAC (by the extension), 16-bit, 24-bit or float (--format), written to a temporary
file and renamed, so a full disk never destroys the previous render.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from ms20.commands.cli import seconds_arg
from ms20.control.controller import PanelController
from ms20.midi.notes import note_number
from ms20.midi.performance import Performance
from ms20.model.engine import Engine
from ms20.model.patch import FILTERS, Patch, find_patch, load_patch
from ms20.textfile import read_bytes, refuse_special, write_atomically

BLOCK = 256
GATE_FRACTION = 0.9        # a --notes note holds its key for this share of its length (--gate)
EVENTS_PER_RENDER = 1000   # MIDI messages queued before rendering up to them: the kernel's queue holds 4096 events
RATES = (44100, 48000, 88200, 96000)
MAX_SECONDS = 600.0        # longer renders need --max-seconds (memory: 4 bytes a sample)
MAX_MIDI_BYTES = 16 << 20
FORMATS = {".wav": "WAV", ".flac": "FLAC"}
SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "float": "FLOAT"}


class RenderError(ValueError):
    """Bad notes, MIDI or audio input or output: the message says which and why."""


@dataclass(frozen=True)
class TimedMessage:
    """A MIDI message at a time in seconds from the start of the render."""

    seconds: float
    message: mido.Message


@dataclass(frozen=True)
class Score:
    """What to play: timed messages and how long the score lasts (a trailing rest counts)."""

    events: list[TimedMessage]
    seconds: float


def parse_score(text: str, gate: float = GATE_FRACTION) -> Score:
    """'C3:0.5 E3:0.5 r:0.25 G3:1' -> note on/off messages; durations in seconds, 'r' rests.
    Each note holds its key for `gate` of its length (0 < gate <= 1; 1 = legato)."""
    if not 0.0 < gate <= 1.0:
        raise RenderError(f"gate {gate:g} must be above 0 and at most 1")
    events: list[TimedMessage] = []
    t = 0.0
    for token in text.split():
        name, sep, dur = token.partition(":")
        try:
            seconds = float(dur) if sep else 0.5
        except ValueError:
            raise RenderError(f"{token!r}: duration {dur!r} is not a number of seconds") from None
        if not 0.0 < seconds <= 600.0:
            raise RenderError(f"{token!r}: duration must be between 0 and 600 s")
        if name.lower() not in ("r", "rest", "-"):
            n = note_number(name)
            events.append(TimedMessage(t, mido.Message("note_on", note=n, velocity=100)))
            events.append(TimedMessage(t + seconds * gate, mido.Message("note_off", note=n)))
        t += seconds
    if not events:
        raise RenderError("no notes to play")
    return Score(events, t)


def parse_notes(text: str, gate: float = GATE_FRACTION) -> list[TimedMessage]:
    """The timed messages of `parse_score`."""
    return parse_score(text, gate).events


def read_midi(path: str | Path) -> list[TimedMessage]:
    """A standard MIDI file's channel messages with their times in seconds.

    Untrusted input: read whole (at most MAX_MIDI_BYTES, a regular file) and parsed from
    memory, so a header claiming a 4 GiB chunk cannot ask for 4 GiB; format 2 and SMPTE or
    zero time division are refused by name."""
    data = read_bytes(path, "MIDI file", RenderError, MAX_MIDI_BYTES)
    try:
        mid = mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:   # mido raises what its parser meets (EOFError, KeyError, IndexError...)
        raise RenderError(f"{path}: not a readable MIDI file ({type(exc).__name__}: {exc})") from None
    if mid.type == 2:
        raise RenderError(f"{path}: MIDI format 2 (independent sequences) is not supported; "
                          "save it as format 0 or 1")
    if not 0 < mid.ticks_per_beat < 0x8000:
        raise RenderError(f"{path}: time division {mid.ticks_per_beat} is not ticks per beat "
                          "(zero, or SMPTE time code, which is not supported)")
    events, t = [], 0.0
    try:
        for msg in mid:  # iterating a MidiFile yields tempo-mapped delta times in seconds
            t += msg.time
            if not msg.is_meta:
                events.append(TimedMessage(t, msg))
    except Exception as exc:
        raise RenderError(f"{path}: not a readable MIDI file ({type(exc).__name__}: {exc})") from None
    return events


def read_audio(path: str | Path, rate: int, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """An audio file (WAV of any kind libsndfile reads: 16/24/32-bit, float, extensible;
    FLAC, AIFF...) as mono float32, resampled to `rate` by soxr (band-limited, no aliasing).
    A file longer than `max_seconds` is refused before it is read."""
    import soundfile
    import soxr

    try:
        with soundfile.SoundFile(str(path)) as f:
            if f.frames > max_seconds * f.samplerate:
                raise RenderError(f"{path}: {f.frames / f.samplerate:.0f} s of LINE IN is longer than "
                                  f"--max-seconds {max_seconds:g}")
            x, src_rate = f.read(dtype="float32", always_2d=True), f.samplerate
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise RenderError(f"{path}: not a readable audio file ({exc})") from None
    mono = x.mean(axis=1)
    if src_rate != rate and len(mono) > 1:
        mono = soxr.resample(mono, src_rate, rate, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


read_wav = read_audio     # the name tests and older scripts use


def output_format(path: str | Path, sample_format: str = "16") -> tuple[str, str]:
    """(soundfile format, subtype) for `path`'s extension and --format; RenderError otherwise."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise RenderError(f"{path}: can write {' or '.join(FORMATS)} files, not {ext or 'a name without extension'}")
    if sample_format not in SUBTYPES:
        raise RenderError(f"--format {sample_format}: use one of {', '.join(SUBTYPES)}")
    if ext == ".flac" and sample_format == "float":
        raise RenderError(f"{path}: FLAC holds 16 or 24-bit samples, not float (use .wav)")
    return FORMATS[ext], SUBTYPES[sample_format]


def write_audio(path: str | Path, audio: np.ndarray, rate: int, sample_format: str = "16") -> None:
    """Mono audio to a WAV or FLAC file, atomically: written to a temporary file beside it and
    renamed over it, so a full disk or a kill leaves the old file as it was. Mode 0644
    (less the umask), as any file a program writes."""
    import soundfile

    path = Path(path)
    fmt, subtype = output_format(path, sample_format)
    refuse_special(path, RenderError)
    encoded = io.BytesIO()      # encoded in memory: a failed write is then an OSError, not a short write
    soundfile.write(encoded, audio, rate, subtype=subtype, format=fmt)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write_atomically(path, encoded.getbuffer(), mode=0o666 & ~umask)
    except OSError as exc:
        raise RenderError(f"{path}: cannot write ({exc.strerror or exc}); nothing was changed") from None


def write_wav(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """16-bit PCM mono WAV (see write_audio)."""
    write_audio(path, audio, rate, "16")


def render_seconds(events: Iterable[TimedMessage], rate: int, seconds: float | None = None, tail: float = 1.0,
                   line_in: np.ndarray | None = None, score_s: float = 0.0) -> float:
    """How long a render lasts: `seconds`, else the last event (or the score's end, a
    trailing rest included) plus `tail`, at least as long as LINE IN."""
    if seconds is not None:
        return seconds
    last = max((e.seconds for e in events), default=0.0)
    return max(max(last, score_s) + tail, len(line_in) / rate if line_in is not None else 0.0)


def render_patch(
    patch: Patch,
    events: Iterable[TimedMessage],
    rate: int = 48000,
    seconds: float | None = None,
    tail: float = 1.0,
    line_in: np.ndarray | None = None,
    progress: bool = False,
    score_s: float = 0.0,
    filter_revision: str | None = None,
) -> np.ndarray:
    """Render `patch` playing `events`; returns mono float32 audio (see render_seconds for
    its length). Events are queued ahead of the render, EVENTS_PER_RENDER at most before the
    audio is rendered up to them, so any number of messages in one block fits the queue.
    `filter_revision` (one of FILTERS) overrides the patch's [settings] filter."""
    timeline = sorted(events, key=lambda e: e.seconds)
    total = int(round(render_seconds(timeline, rate, seconds, tail, line_in, score_s) * rate))

    engine = Engine(rate)
    engine.set_filter(FILTERS.index(filter_revision or patch.filter or FILTERS[0]), at=0)
    controller = PanelController(patch.panel)
    controller.flush(engine, at=0)
    engine.set_esp(patch.esp.fv, patch.esp.pitch_triggers, at=0)

    performance = Performance(engine, controller.knob_sink(engine), patch.cc_map, cc_span=patch.cc_span)
    audio = np.zeros(total, dtype=np.float32)
    lin = np.zeros(BLOCK, dtype=np.float32)
    bar = _progress(total, rate, progress)
    done = 0

    def render_to(end: int) -> None:
        nonlocal done
        while done < end:
            stop = min(done + BLOCK, end)
            block_in = None
            if line_in is not None:
                lin[:] = 0.0
                chunk = line_in[done:stop]
                lin[: len(chunk)] = chunk
                block_in = lin
            engine.render_into(audio[done:stop], block_in)
            if bar is not None:
                bar.update(stop - done)
            done = stop

    queued = 0
    for event in timeline:
        at = int(round(event.seconds * rate))
        if at >= total:
            break
        if queued >= EVENTS_PER_RENDER:
            render_to(max(at, done) + 1)   # the queue drains up to `at` (the rest: one sample late)
            queued = 0
        performance.handle(event.message, at=max(at, done))
        queued += 1
    render_to(total)
    if bar is not None:
        bar.close()
    return audio


def _progress(total: int, rate: int, enabled: bool):
    if not enabled or total < rate * 10:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="smp", unit_scale=True, desc="rendering", file=sys.stderr)


def _rate(text: str) -> int:
    """An argparse type: one of RATES, the rates the help names."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in RATES:
        raise argparse.ArgumentTypeError(f"{text}: use one of {', '.join(map(str, RATES))} Hz")
    return value


def run(args: argparse.Namespace) -> int:
    """`ms20 render`: play a patch offline and write the audio file."""
    output_format(args.out, args.format)          # refuse a name we cannot write before rendering
    patch = load_patch(find_patch(args.patch) or args.patch)
    score_s = 0.0
    if args.midi:
        events = read_midi(args.midi)
    elif args.notes:
        score = parse_score(args.notes, args.gate)
        events, score_s = score.events, score.seconds
    else:
        events = []
    line_in = read_audio(args.input, args.rate, args.max_seconds) if args.input else None
    if not events and line_in is None:
        raise RenderError("nothing to play: give --notes, --midi or --input")
    length = render_seconds(events, args.rate, args.seconds, args.tail, line_in, score_s)
    if length > args.max_seconds:
        what = f"{args.midi} asks for" if args.midi and args.seconds is None else "that is"
        raise RenderError(f"{what} a render of {length:.0f} s ({length / 3600:.1f} h), longer than "
                          f"--max-seconds {args.max_seconds:g}; give --seconds, or raise --max-seconds "
                          f"(memory: {length * args.rate * 4 / 2**20:.0f} MiB)")
    audio = render_patch(patch, events, args.rate, args.seconds, args.tail, line_in,
                         progress=not args.quiet, score_s=score_s, filter_revision=args.filter)
    out = Path(args.out)
    write_audio(out, audio, args.rate, args.format)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    peak_db = 20 * np.log10(peak + 1e-12)
    print(f"wrote {out} ({len(audio) / args.rate:.2f} s at {args.rate} Hz, peak {peak_db:.1f} dBFS)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ms20 render` to the command line."""
    p = sub.add_parser("render", help="render a patch offline to a WAV or FLAC file")
    p.add_argument("patch", help="patch file (TOML), or a shipped patch's name, e.g. first-voice")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--midi", help="a standard MIDI file (format 0 or 1) to play")
    src.add_argument("--notes", help='notes as "C3:0.5 E3:0.5 r:0.25 G3:1" (seconds; r rests)')
    p.add_argument("--gate", type=float, default=GATE_FRACTION,
                   help=f"share of each --notes note its key is held (default {GATE_FRACTION:g}; 1 = legato)")
    p.add_argument("--input", help="an audio file (WAV, FLAC...) fed to LINE IN (the ESP's input)")
    p.add_argument("--out", required=True, help="the file to write: .wav or .flac")
    p.add_argument("--format", choices=tuple(SUBTYPES), default="16",
                   help="samples: 16-bit, 24-bit or float (WAV only); default 16")
    p.add_argument("--rate", type=_rate, default=48000, help=f"sample rate: {', '.join(map(str, RATES))}")
    p.add_argument("--seconds", type=seconds_arg, help="length (default: the notes plus --tail)")
    p.add_argument("--tail", type=seconds_arg, default=1.0, help="seconds after the last note (default 1)")
    p.add_argument("--max-seconds", type=seconds_arg, default=MAX_SECONDS,
                   help=f"refuse longer renders (default {MAX_SECONDS:g} s; 4 bytes of memory a sample)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--filter", choices=FILTERS,
                   help="filter revision: korg35 (early MS-20s) or ota (the later board); default: the patch's "
                        "[settings] filter, else korg35")
    p.set_defaults(func=run)
