"""`ms20 render`: play a patch offline through the same kernel the box runs, to a WAV file.

    ms20 render patches/first-voice.toml --notes "C3:0.5 E3:0.5 G3:0.5 C4:1" --out out.wav
    ms20 render patches/first-voice.toml --midi song.mid --out out.wav
    ms20 render patches/esp-vocoder.toml --input voice.wav --out out.wav   # feeds LINE IN

Notes are sample-accurate: every event is queued with its sample time before the block
that contains it is rendered.
"""

from __future__ import annotations

import argparse
import sys
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from ms20.control.controller import PanelController
from ms20.midi.notes import note_number
from ms20.midi.performance import Performance
from ms20.model.engine import Engine
from ms20.model.patch import Patch, load_patch

BLOCK = 256
GATE_FRACTION = 0.9   # a --notes note holds its key for this share of its length


class RenderError(ValueError):
    """Bad notes, MIDI or WAV input: the message says which and why."""


@dataclass(frozen=True)
class TimedMessage:
    """A MIDI message at a time in seconds from the start of the render."""

    seconds: float
    message: mido.Message


def parse_notes(text: str) -> list[TimedMessage]:
    """'C3:0.5 E3:0.5 r:0.25 G3:1' -> note on/off messages; durations in seconds, 'r' rests."""
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
            events.append(TimedMessage(t + seconds * GATE_FRACTION, mido.Message("note_off", note=n)))
        t += seconds
    if not events:
        raise RenderError("no notes to play")
    return events


def read_midi(path: str | Path) -> list[TimedMessage]:
    """A standard MIDI file's channel messages with their times in seconds."""
    try:
        mid = mido.MidiFile(str(path))
        events, t = [], 0.0
        for msg in mid:  # iterating a MidiFile yields tempo-mapped delta times in seconds
            t += msg.time
            if not msg.is_meta:
                events.append(TimedMessage(t, msg))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise RenderError(f"{path}: not a readable MIDI file ({exc})") from None
    return events


def read_wav(path: str | Path, rate: int) -> np.ndarray:
    """A PCM WAV as mono float32 in [-1, 1], resampled (linearly) to `rate` if needed."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, src_rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise RenderError(f"{path}: not a readable PCM WAV file ({exc})") from None
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) << 8 | b[:, 1].astype(np.int32) << 16 | b[:, 2].astype(np.int32) << 24) >> 8
        x = ints / float(1 << 23)
    elif width in (1, 2, 4):
        dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[width]
        x = np.frombuffer(raw, dtype).astype(np.float64)
        x = (x - 128.0) / 128.0 if width == 1 else x / float(1 << (8 * width - 1))
    else:
        raise RenderError(f"{path}: {8 * width}-bit samples are not supported")
    x = x.reshape(-1, channels).mean(axis=1)
    if src_rate != rate and len(x) > 1:
        t_out = np.arange(int(len(x) * rate / src_rate)) / rate
        x = np.interp(t_out, np.arange(len(x)) / src_rate, x)
    return x.astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """16-bit PCM mono; the kernel's output is already limited to [-1, 1]."""
    pcm = np.clip(np.round(audio * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def render_patch(
    patch: Patch,
    events: Iterable[TimedMessage],
    rate: int = 48000,
    seconds: float | None = None,
    tail: float = 1.0,
    line_in: np.ndarray | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Render `patch` playing `events` (sorted by time); returns mono float32 audio."""
    timeline = sorted(events, key=lambda e: e.seconds)
    last = timeline[-1].seconds if timeline else 0.0
    total_s = seconds if seconds is not None else max(last + tail, len(line_in) / rate if line_in is not None else 0.0)
    total = int(round(total_s * rate))

    engine = Engine(rate)
    controller = PanelController(patch.panel)
    controller.flush(engine, at=0)
    engine.set_esp(patch.esp.fv, patch.esp.pitch_triggers, at=0)

    performance = Performance(engine, controller.knob_sink(engine), patch.cc_map, cc_span=patch.cc_span)
    audio = np.zeros(total, dtype=np.float32)
    lin = np.zeros(BLOCK, dtype=np.float32)
    pending: Iterator[TimedMessage] = iter(timeline)
    upcoming = next(pending, None)
    bar = _progress(total, progress)
    for start in range(0, total, BLOCK):
        end = min(start + BLOCK, total)
        while upcoming is not None and int(round(upcoming.seconds * rate)) < end:
            performance.handle(upcoming.message, at=int(round(upcoming.seconds * rate)))
            upcoming = next(pending, None)
        block_in = None
        if line_in is not None:
            lin[:] = 0.0
            chunk = line_in[start:end]
            lin[: len(chunk)] = chunk
            block_in = lin
        engine.render_into(audio[start:end], block_in)
        if bar is not None:
            bar.update(end - start)
    if bar is not None:
        bar.close()
    return audio


def _progress(total: int, enabled: bool):
    if not enabled or total < 48000 * 10:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="smp", unit_scale=True, desc="rendering", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """`ms20 render`: play a patch offline and write the audio file."""
    patch = load_patch(args.patch)
    if args.midi:
        events = read_midi(args.midi)
    elif args.notes:
        events = parse_notes(args.notes)
    else:
        events = []
    line_in = read_wav(args.input, args.rate) if args.input else None
    if not events and line_in is None:
        raise RenderError("nothing to play: give --notes, --midi or --input")
    audio = render_patch(patch, events, args.rate, args.seconds, args.tail, line_in, progress=not args.quiet)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, audio, args.rate)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    peak_db = 20 * np.log10(peak + 1e-12)
    print(f"wrote {out} ({len(audio) / args.rate:.2f} s at {args.rate} Hz, peak {peak_db:.1f} dBFS)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ms20 render` to the command line."""
    p = sub.add_parser("render", help="render a patch offline to a WAV file")
    p.add_argument("patch", help="patch file (TOML), e.g. patches/first-voice.toml")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--midi", help="a standard MIDI file to play")
    src.add_argument("--notes", help='notes as "C3:0.5 E3:0.5 r:0.25 G3:1" (seconds)')
    p.add_argument("--input", help="a WAV file fed to LINE IN (the ESP's input)")
    p.add_argument("--out", required=True, help="the WAV file to write")
    p.add_argument("--rate", type=int, default=48000, help="sample rate (44100-96000)")
    p.add_argument("--seconds", type=float, help="length (default: the notes plus --tail)")
    p.add_argument("--tail", type=float, default=1.0, help="seconds after the last event")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
