"""The patch bay's jacks as contacts: a tip, a switch lug to GND while the jack is empty, and
cables joining tips (one output may feed several inputs; stacked plugs join at one jack).
Plugging and unplugging bounce for a few ms: contacts open, close, and graze the grounded
sleeve, as a 3.5 mm plug does on its way in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ms20.sim.clock import unit_hash

BOUNCE_SLOT_S = 0.0003       # contacts hold each bounce state this long

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
        r = unit_hash(cable.seed, end, int((t - start) / BOUNCE_SLOT_S))
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
                elif state == OPEN and unit_hash(cable.seed, e, 7, int(t / BOUNCE_SLOT_S)) < 0.5:
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
