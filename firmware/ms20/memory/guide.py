"""The recall guide: what the player must still do for the physical panel to match a recalled
patch. Cables cannot move themselves, and a pot keeps its recalled value until the player
turns it through it (pickup), so after a recall the panel and the sound may differ.

Cables compare per input jack, as the kernel hears them (a routing's `route`): a "link" is
(output feeding the input, input), with output None for a plug that leads nowhere (it
breaks the input's normal, so it matters). Two cables that give the same routing match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ms20.model.jacks import jack_table
from ms20.model.kernel_ids import OUTPUTS
from ms20.model.patchbay import Routing

Link = tuple[str | None, str]   # (output name, or None for a dangling plug; input name)


def links(routing: Routing) -> frozenset[Link]:
    """Every input that does not read its normal, with what it reads."""
    table = jack_table()
    out_name = {o.index: o.name for o in table.outputs}
    zero = OUTPUTS["ZERO"]
    found: set[Link] = set()
    for inp in table.inputs:
        r = routing.route[inp.index]
        if r >= 0:
            found.add((None if r == zero else out_name[r], inp.name))
    return frozenset(found)


def merge_virtual(recalled: Routing, physical: Routing) -> Routing:
    """`recall.cables = "virtual"`: a recalled cable sounds until its input jack holds a
    physical plug; a physical plug always wins at its jack."""
    route = tuple(p if p >= 0 else r for p, r in zip(physical.route, recalled.route, strict=True))
    phys_inputs = {i for _, i in physical.cables}
    cables = tuple(sorted({*physical.cables, *((o, i) for o, i in recalled.cables if i not in phys_inputs)}))
    return Routing(route, cables, physical.problems)


@dataclass(frozen=True)
class Guide:
    """What differs between the panel and the recalled patch; empty when they match."""

    plug: tuple[Link, ...] = ()                               # cables to plug in
    pull: tuple[Link, ...] = ()                               # cables to pull out
    knobs: Mapping[str, float] = field(default_factory=dict)  # knob -> position to turn through
    switches: Mapping[str, str] = field(default_factory=dict)  # switch -> position to set

    @property
    def matches(self) -> bool:
        return not (self.plug or self.pull or self.knobs or self.switches)

    @property
    def cables_match(self) -> bool:
        return not (self.plug or self.pull)

    def lines(self) -> list[str]:
        """The guide as a player reads it, one action a line."""
        if self.matches:
            return ["the panel matches the patch"]
        out = [f"plug   {_cable(link)}" for link in self.plug]
        out += [f"pull   {_cable(link)}" for link in self.pull]
        out += [f"turn   {k} through {v:.1f}" for k, v in sorted(self.knobs.items())]
        out += [f"set    {s} to {v}" for s, v in sorted(self.switches.items())]
        return out

    def as_dict(self) -> dict:
        """For the control channel and the web page (JSON)."""
        return {"matches": self.matches, "plug": [list(x) for x in self.plug], "pull": [list(x) for x in self.pull],
                "knobs": dict(self.knobs), "switches": dict(self.switches)}


def _cable(link: Link) -> str:
    out, inp = link
    return f"{out} -> {inp}" if out is not None else f"a cable leading nowhere into {inp}"


def cable_guide(recalled: Routing, physical: Routing) -> tuple[tuple[Link, ...], tuple[Link, ...]]:
    """(to plug, to pull): the links the recalled patch has and the panel lacks, and back."""
    want, have = links(recalled), links(physical)
    key = _order
    return tuple(sorted(want - have, key=key)), tuple(sorted(have - want, key=key))


def _order(link: Link) -> tuple[str, str]:
    return (link[1], link[0] or "")
