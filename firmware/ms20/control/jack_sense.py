"""Jack detection as pure functions: drive a pattern, compare what comes back, decide over a
window (in the spirit of Mutable Instruments' normalization probe). No pins here: the
scanner hands in bit masks from drivers/jack_matrix.py, so every rule is testable alone.

Positions are matrix positions (bit p = hw/board.toml's matrix.jacks[p]).

1. Presence: with nothing driven, a plugged jack's line is high (its lug is lifted).
2. Probe: each plugged jack p is driven low alone; reading[p] is the mask of lines that went
   low. Through the open-drain drive, that is exactly p's net (plus the empty jacks, which
   always read low and are masked out).
3. Consistency: in a settled matrix the nets partition the plugged jacks: if q is in p's
   net, q's net is the same set. A contact bouncing between two probe steps, or a tip
   grazing a grounded sleeve (low in every step), breaks that: the scan is refused.
4. Decision over a window: a new set of nets is accepted only when scans have shown it,
   unchanged and consistent, for SETTLE_S; until then the last accepted patch stands, so a
   bouncing contact never makes the patch flicker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ms20.control.settle import Debouncer
from ms20.model.patchbay import Routing, resolve

SETTLE_S = 0.010

Nets = frozenset[int]   # each net a bit mask of joined jacks; one jack: a plug leading nowhere


@dataclass(frozen=True)
class Observation:
    """One scan of the matrix: which jacks hold plugs, the nets seen, or why not to trust it."""

    present: int
    nets: Nets
    fault: str | None = None


def bits(mask: int) -> list[int]:
    """Positions of the set bits, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def decide_nets(present: int, readings: Mapping[int, int]) -> Observation:
    """The nets of one probe (see 2 and 3 above); `readings` must cover every plugged jack."""
    seen: dict[int, int] = {}
    for p in bits(present):
        if p not in readings:
            return Observation(present, frozenset(), f"jack {p} holds a plug but was not probed")
        seen[p] = readings[p] & present | 1 << p    # a driven line reads low by definition
    nets = set()
    for p, net in seen.items():
        for q in bits(net):
            if seen[q] != net:
                return Observation(present, frozenset(),
                                   f"jack {p} sees jack {q} but they see different nets: contacts moving")
        nets.add(net)                                # one jack: its cable leads nowhere
    return Observation(present, frozenset(nets))


def pairs(nets: Nets, names: Sequence[str]) -> list[tuple[str, str]]:
    """Jack-name pairs that join each net (the first jack to every other one), for patchbay.resolve."""
    out = []
    for net in sorted(nets):
        first, *others = bits(net)
        out += [(names[first], names[q]) for q in others]
    return out


def lone(nets: Nets, names: Sequence[str]) -> list[str]:
    """Jacks whose plug joins nothing (a dangling cable): they still break their normals."""
    return [names[bits(net)[0]] for net in sorted(nets) if not net & (net - 1)]


def routing_of(nets: Nets, names: Sequence[str]) -> Routing:
    """The accepted nets as the kernel's routing: jacks joined in pairs, and lone plugs."""
    return resolve(pairs(nets, names), lone(nets, names))


class ContactDebouncer(Debouncer[Nets]):
    """Rule 4: accept new nets once they have held, consistent, for `settle_s`."""

    def __init__(self, settle_s: float = SETTLE_S, accepted: Nets | None = frozenset()) -> None:
        super().__init__(settle_s, accepted)

    def observe(self, now: float, obs: Observation) -> Nets | None:
        """Feed one scan at time `now` (seconds); returns the newly accepted nets, or None."""
        return self.accepted if self.update(now, obs.nets if obs.fault is None else None) else None
