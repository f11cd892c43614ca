"""The demo phrase `ms20 run --sim` plays when no keyboard is plugged in, so a newcomer hears
the firmware at once. It goes through the same handler as a keyboard (a port named "demo"),
loops until stopped, and releases its note when stopped mid-phrase.
"""

from __future__ import annotations

import threading
import time

import mido

from ms20.midi.input import Handler

DEMO_PORT = "demo"
# The Makefile's demo phrase (seconds per note, r = rest); 90 % of each note is held.
DEMO_PHRASE = "C3:0.4 E3:0.4 G3:0.4 C4:0.8 r:0.2 G3:0.3 A#3:0.3 C4:1.2 r:0.6"


class DemoPlayer:
    """Plays a phrase of `NAME:SECONDS` notes in a loop on its own thread."""

    def __init__(self, handler: Handler, phrase: str = DEMO_PHRASE, loop: bool = True) -> None:
        from ms20.commands.render import parse_notes  # the same note syntax as `ms20 render --notes`

        events = parse_notes(phrase)
        self.length_s = sum(float(t.partition(":")[2] or 0.5) for t in phrase.split())
        self.events = [(e.seconds, e.message) for e in events]
        self.handler = handler
        self.loop = loop
        self.notes_played = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down: set[int] = set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ms20-demo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            for seconds, msg in self.events:
                if self._stop.wait(max(0.0, start + seconds - time.monotonic())):
                    return
                self._send(msg)
            if not self.loop:
                return
            start += self.length_s

    def _send(self, msg: mido.Message) -> None:
        if msg.type == "note_on" and msg.velocity:
            self._down.add(msg.note)
            self.notes_played += 1
        else:
            self._down.discard(msg.note)
        self.handler(msg, time.monotonic_ns(), DEMO_PORT)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        for note in sorted(self._down):
            self.handler(mido.Message("note_off", note=note), time.monotonic_ns(), DEMO_PORT)
        self._down.clear()
