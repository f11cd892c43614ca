"""The box's patch memory, run by the control loop: save, recall, the Program Change bank,
the momentary-switch gestures, MIDI learn and the status LED's memory patterns.

Other threads only leave requests: the control channel's thread submits a command and waits
for its answer; the MIDI thread leaves the latest Program Change in a one-slot mailbox (a
flood of them recalls only the newest, at most one recall per MIN_RECALL_S). `tick` runs
them in the control loop, which alone changes the panel (a save takes the panel there and
leaves the writing, fsync included, to its own writer thread); a recall reaches the kernel as one
set of events at one sample time (`apply`, the box's), so no block hears half a patch.

What the player hears during a recall: the held note keeps sounding, its envelopes go on
where they were; knobs glide to the new values in the kernel's smoothing time, switches and
cables change at that sample (cables crossfade), nothing retriggers and nothing is released.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ms20.memory.gesture import NOT_LEARNABLE, Action, MomentaryGesture
from ms20.memory.guide import Guide
from ms20.memory.store import BadName, PatchStore, SaveError, write_atomic
from ms20.model.panel import PanelState, layout
from ms20.model.patch import Patch, PatchError, load_patch

if TYPE_CHECKING:
    from ms20.control.controller import PanelController
    from ms20.midi.note_priority import MonoKeyboard
    from ms20.midi.performance import Performance

log = logging.getLogger(__name__)

MIN_RECALL_S = 0.02        # Program Change floods: at most 50 recalls a second, the newest wins
GUIDE_EVERY_S = 0.05       # the LED's view of the guide is refreshed at 20 Hz
ERROR_S = 2.0              # the LED's error pattern lasts this long
LEARN_FILE = ".midi-learn.toml"

# The status LED's memory patterns: (on, off, on, off ...) seconds, repeated.
PATTERNS: dict[str, tuple[float, ...]] = {
    "guide": (0.1, 0.1, 0.1, 0.7),   # double blink: cables or switches differ from the recalled patch
    "error": (0.06, 0.06),           # fast flicker: a patch could not be loaded or saved
    "saved": (0.0, 0.4),             # one dark beat: the panel was saved
}


def pattern_lit(pattern: tuple[float, ...], t: float) -> bool:
    """Whether `pattern` (on/off durations) is lit `t` seconds after it started."""
    t %= sum(pattern)
    for k, span in enumerate(pattern):
        if t < span:
            return k % 2 == 0
        t -= span
    return False


@dataclass
class MemorySettings:
    """The [patch]/[recall] settings memory uses."""

    directory: Path
    bank: Sequence[str] = ()
    channel: int = 0                  # Program Change channel 1-16; 0 = omni
    cables: str = "guide"
    config_cc: Mapping[int, str] = field(default_factory=dict)
    key_slots: bool = True            # momentary + key saves and recalls the key's slot


class Memory:
    """Save, recall, bank, gestures and learn for one box; everything runs in `tick`."""

    def __init__(self, settings: MemorySettings, controller: PanelController, performance: Performance,
                 keyboard: MonoKeyboard, apply: Callable[[], None], patch: Patch | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.store = PatchStore(settings.directory)
        self.controller = controller
        self.performance = performance
        self.keyboard = keyboard
        self.apply = apply
        self.clock = clock
        self.patch = patch
        self.gesture = MomentaryGesture()
        self.learned: dict[int, str] = self._load_learned()
        self._requests: queue.SimpleQueue[tuple[Callable[[], dict], Future]] = queue.SimpleQueue()
        self._program: int | None = None          # the MIDI thread's mailbox
        self._last_recall = float("-inf")
        self._pattern: tuple[str, float, float] | None = None   # (name, since, until)
        self._guide = Guide()
        self._next_guide = float("-inf")
        self._cache: dict[Path, tuple[float, Patch]] = {}
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ms20-save")
        self.recalls = 0
        self.programs_seen = 0
        self.message = ""                          # the last outcome, for the web page
        self._learn_knob = ""                      # armed by the web page's learn mark
        self.performance.cc_map = self._cc_map()
        controller.on_momentary = self.momentary
        controller.on_pot = self.gesture.pot_touched

    # -- requests from other threads ----------------------------------------------------------

    def submit(self, command: Callable[[], dict | Future]) -> Future:
        """Run `command` in the control loop's next tick; its Future holds the answer."""
        done: Future = Future()
        self._requests.put((command, done))
        return done

    def handle(self, request: dict) -> dict:
        """The control channel's handler (its own thread): queue the command, wait for it."""
        cmd = request.get("cmd")
        name = request.get("name", "")
        if cmd in ("save", "recall") and not isinstance(name, str):
            return {"ok": False, "error": "name must be a string"}
        commands: dict[str, Callable[[], dict | Future]] = {
            "save": lambda: self.save_in_background(name, bool(request.get("cc", False))),
            "recall": lambda: self.recall(name),
            "guide": self.guide_reply,
            "list": lambda: {"ok": True, "names": self.store.names(), "bank": self.bank()},
        }
        if cmd not in commands:
            return {"ok": False, "error": f"unknown command {cmd!r} (save, recall, guide, list)"}
        answer = self.submit(commands[cmd]).result(timeout=5.0)
        return answer.result(timeout=30.0) if isinstance(answer, Future) else answer

    def program_change(self, channel: int, program: int) -> None:
        """A Program Change (MIDI thread; channel 0-15): kept if on the bank's channel."""
        want = self.settings.channel
        if want and channel != want - 1:
            return
        self.programs_seen += 1
        self._program = program

    def cc_seen(self, cc: int) -> None:
        """Any CC (MIDI thread): the one a MIDI-learn gesture or the page's learn mark waits for."""
        self.gesture.cc_moved(cc)
        if cc in NOT_LEARNABLE or cc > 119:
            return
        knob, self._learn_knob = self._learn_knob, ""
        if knob:
            self.submit(lambda: self.learn(cc, knob))

    def arm_learn(self, knob: str) -> None:
        """The web page's learn mark: the next CC moved turns `knob`."""
        self._learn_knob = layout().knob(knob).name
        self.message = f"move a controller to turn {self._learn_knob}"

    def view(self) -> dict:
        """Memory's part of the web page's state: the patch, the last outcome, the guide."""
        guide = self._guide
        return {"patch": self.patch.name if self.patch else "", "message": self.message,
                "learning": self._learn_knob, "guide": guide.as_dict(), "lines": guide.lines()}

    # -- the control loop --------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Run what other threads asked for, the newest Program Change, and refresh the guide."""
        while True:
            try:
                command, done = self._requests.get_nowait()
            except queue.Empty:
                break
            try:
                done.set_result(command())
            except Exception as exc:
                log.exception("memory: command failed")
                done.set_result({"ok": False, "error": str(exc)})
        if self._program is not None and now - self._last_recall >= MIN_RECALL_S:
            program, self._program = self._program, None
            self.recall_program(program)
        if now >= self._next_guide:
            self._guide = self.controller.guide()
            self._next_guide = now + GUIDE_EVERY_S

    def led(self, now: float) -> bool | None:
        """The LED's state while a memory pattern shows, else None (the scanner's own)."""
        if self._pattern is not None:
            name, since, until = self._pattern
            if now < until:
                return pattern_lit(PATTERNS[name], now - since)
            self._pattern = None
        if not (self._guide.cables_match and not self._guide.switches):
            return pattern_lit(PATTERNS["guide"], now)
        return None

    def _show(self, name: str, seconds: float) -> None:
        now = self.clock()
        self._pattern = (name, now, now + seconds)

    # -- save and recall ---------------------------------------------------------------------

    def save(self, name: str, with_learned: bool = False) -> dict:
        """Save what sounds now (every knob, switch and cable) as patch `name`, here and now."""
        return self._write(name, *self._snapshot(with_learned))

    def save_in_background(self, name: str, with_learned: bool = False) -> Future:
        """The panel taken now (in the control loop), written by the writer thread: an SD card's
        fsync may take a while, and the pots and jacks go on being scanned meanwhile."""
        state, cc = self._snapshot(with_learned)
        return self._writer.submit(self._write, name, state, cc)

    def wait_saves(self, timeout_s: float = 30.0) -> None:
        """Return once every save asked for so far is on disk (or has failed)."""
        self._writer.submit(lambda: None).result(timeout=timeout_s)

    def close(self) -> None:
        """Finish the saves under way (the box's stop: a save is never cut off)."""
        self._writer.shutdown(wait=True)

    def _snapshot(self, with_learned: bool) -> tuple[PanelState, dict[int, str]]:
        cc = dict(self.patch.cc_map) if self.patch else {}
        if with_learned:
            cc.update(self.learned)
        return self.controller.state, cc

    def _write(self, name: str, state: PanelState, cc: Mapping[int, str]) -> dict:
        try:
            path = self.store.save(name, state, cc)
        except (SaveError, BadName) as exc:
            log.error("memory: save %r: %s", name, exc)
            self._show("error", ERROR_S)
            self.message = f"not saved: {exc}"
            return {"ok": False, "error": str(exc)}
        self._show("saved", 0.4)
        self.message = f"saved {name}"
        return {"ok": True, "path": str(path)}

    def recall(self, name: str) -> dict:
        """Recall patch `name`; a missing or broken one is logged and the current patch stays."""
        try:
            path = self.store.find(name)
            if path is None:
                raise PatchError(f"no patch named {name!r} in {self.store.directory} or the shipped patches")
            patch = self._load(path)
        except (PatchError, BadName) as exc:
            log.error("memory: recall %r: %s; keeping the current patch", name, exc)
            self._show("error", ERROR_S)
            self.message = f"not recalled: {exc}"
            return {"ok": False, "error": str(exc)}
        self.controller.recall(patch.panel, self.settings.cables)
        self.patch = patch
        self.performance.cc_map = self._cc_map()
        self.apply()
        self.recalls += 1
        self._last_recall = self.clock()
        self._guide = self.controller.guide()
        self._next_guide = self._last_recall + GUIDE_EVERY_S
        log.info("memory: recalled %r (%s)", patch.name, path)
        self.message = f"recalled {patch.name}"
        return self.guide_reply()

    def guide_reply(self) -> dict:
        """The control channel's answer to `guide` (and to a recall): the patch and what differs."""
        guide = self.controller.guide()
        return {"ok": True, "patch": self.patch.name if self.patch else "", "guide": guide.as_dict(),
                "lines": guide.lines()}

    def bank(self) -> list[str]:
        """Program Change order: the config's bank (empty: Program Change is off)."""
        return list(self.settings.bank)

    def recall_program(self, program: int) -> dict:
        """Recall the bank's patch for a Program Change (0-based, as MIDI sends it)."""
        bank = self.bank()
        if not bank:
            return {"ok": False, "error": "no bank: patch.bank is empty"}
        if not 0 <= program < len(bank):
            log.warning("memory: program %d: the bank has %d patches", program + 1, len(bank))
            self._show("error", ERROR_S)
            return {"ok": False, "error": f"no program {program + 1}"}
        return self.recall(bank[program])

    def _load(self, path: Path) -> Patch:
        """A patch file, parsed once per change of the file (floods re-read nothing)."""
        mtime = path.stat().st_mtime
        hit = self._cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        patch = load_patch(path)
        self._cache[path] = (mtime, patch)
        return patch

    # -- gestures and MIDI learn -------------------------------------------------------------

    def _held_key(self) -> int | None:
        kb = self.keyboard
        return int(kb.note) if kb.gate and self.settings.key_slots else None

    def momentary(self, pressed: bool) -> None:
        """The MOMENTARY switch moved (the scanner, in the control loop)."""
        now = self.clock()
        if pressed:
            self.gesture.pressed(now, self._held_key())
            return
        action = self.gesture.released(now, self._held_key())
        if action is not None:
            self.act(action)

    def act(self, action: Action) -> dict:
        """Carry out what a momentary-switch gesture asked for."""
        if action.kind == "save":
            self.save_in_background(action.slot)
            return {"ok": True}
        if action.kind == "recall":
            if self.store.find(action.slot) is None:
                # A tap with a key held is also how the switch is played: an empty slot is no error.
                log.debug("memory: no patch in slot %s", action.slot)
                return {"ok": False, "error": f"slot {action.slot} is empty"}
            return self.recall(action.slot)
        return self.learn(action.cc, action.knob)

    def learn(self, cc: int, knob: str) -> dict:
        """From now on CC `cc` turns `knob` (kept in the patch directory's learn file, which
        wins over the config's [midi] cc and loses to a recalled patch's [midi.cc])."""
        if not 0 <= cc <= 119:
            return {"ok": False, "error": f"CC {cc} is not a controller (0-119)"}
        knob = layout().knob(knob).name
        self.learned = {c: k for c, k in self.learned.items() if k != knob}
        self.learned[cc] = knob
        self.performance.cc_map = {**self.performance.cc_map, cc: knob}
        lines = ["# MIDI learn (the momentary switch): CC = knob. Written by the firmware.", "[midi.cc]"]
        lines += [f'{c} = "{k}"' for c, k in sorted(self.learned.items())]
        self._writer.submit(self._write_learned, "\n".join(lines) + "\n")
        log.info("memory: CC %d now turns %s", cc, knob)
        self.message = f"CC {cc} turns {knob}"
        return {"ok": True, "cc": cc, "knob": knob}

    def _write_learned(self, text: str) -> None:
        try:
            write_atomic(self.store.directory / LEARN_FILE, text)
        except SaveError as exc:
            log.error("memory: MIDI learn works until the firmware restarts: %s", exc)
            self._show("error", ERROR_S)

    def _load_learned(self) -> dict[int, str]:
        path = self.store.directory / LEARN_FILE
        if not path.exists():
            return {}
        try:
            patch = load_patch(path)
        except PatchError as exc:
            log.error("memory: %s; ignoring learned CCs", exc)
            return {}
        return dict(patch.cc_map)

    def _cc_map(self) -> dict[int, str]:
        return {**self.settings.config_cc, **self.learned, **(self.patch.cc_map if self.patch else {})}



