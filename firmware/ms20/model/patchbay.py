"""Turning cables into the kernel's routing table, as jacks and plugs on a real MS-20 would.

Cables (from a patch file) and sensed contacts (from the hardware matrix) both reduce to
pairs of jacks joined together. Jacks joined directly or through stacked plugs form one
net; the output on a net feeds every input on it, and a plug in an input breaks its
normal. Impossible nets are reported, never crashed on:
- two outputs on one net: the output listed first in jacks.toml wins;
- a net of inputs only: those inputs read 0 V (their normals are broken by the plugs);
- a jack joined to itself: ignored.
A lone plug (a cable whose other end hangs free) in an input breaks its normal too, and the
input reads 0 V: the MS-20 player's way to switch a normal off without patching anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ms20.model.jacks import Jack, jack_table
from ms20.model.kernel_ids import INPUT_COUNT, OUTPUTS


@dataclass(frozen=True)
class Routing:
    """A whole patch for the kernel, plus what a player should be told about it."""

    route: tuple[int, ...]                     # per input: output index, or -1 (normal)
    cables: tuple[tuple[str, str], ...]        # (output name, input name) that carry signal
    problems: tuple[str, ...]

    @property
    def is_normal(self) -> bool:
        return all(r < 0 for r in self.route)

    def kind_into(self, input_name: str) -> str:
        """The kind of signal (jacks.toml) an input reads: its cable's output, else its normal."""
        table = jack_table()
        inp = table.find(input_name)
        r = self.route[inp.index]
        if r < 0:
            src = next((o for o in table.outputs if o.id == inp.normal), None)
        else:
            src = next((o for o in table.outputs if o.index == r), None)
        return src.kind if src is not None else "cv"

    def kind_out_of(self, output_name: str) -> str:
        """The kind of input an output's first cable feeds ("cv" when it feeds none)."""
        fed = [i for o, i in self.cables if o == output_name]
        return jack_table().find(fed[0]).kind if fed else "cv"


NORMALLED = Routing(tuple([-1] * INPUT_COUNT), (), ())


def resolve(connections: Iterable[tuple[str, str]], lone: Iterable[str] = ()) -> Routing:
    """Route a set of joined jack pairs, and jacks holding a plug that leads nowhere (names as
    on the panel). Unknown names raise UnknownJack."""
    table = jack_table()
    parent: dict[Jack, Jack] = {}

    def root(j: Jack) -> Jack:
        while parent[j] is not j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    problems: list[str] = []
    for a_name, b_name in connections:
        a, b = table.find(a_name), table.find(b_name)
        if a is b:
            problems.append(f"{a.name} is patched to itself: ignored")
            continue
        for j in (a, b):
            parent.setdefault(j, j)
        parent[root(a)] = root(b)

    nets: dict[Jack, list[Jack]] = {}
    for j in parent:
        nets.setdefault(root(j), []).append(j)

    order = {j: k for k, j in enumerate(table.outputs)}
    route = [-1] * INPUT_COUNT
    cables: list[tuple[str, str]] = []
    for members in nets.values():
        outs = sorted((j for j in members if j.is_output), key=order.__getitem__)
        ins = sorted((j for j in members if not j.is_output), key=lambda j: j.index)
        if len(outs) > 1:
            names = " and ".join(o.name for o in outs)
            problems.append(f"{names} are joined: two outputs on one cable; {outs[0].name} wins")
        if not ins:
            continue
        if not outs:
            problems.append(f"{' and '.join(i.name for i in ins)} joined with no output: reading 0 V")
            for i in ins:
                route[i.index] = OUTPUTS["ZERO"]
            continue
        for i in ins:
            route[i.index] = outs[0].index
            cables.append((outs[0].name, i.name))
    for name in lone:
        j = table.find(name)
        if not j.is_output and j not in parent:
            route[j.index] = OUTPUTS["ZERO"]
    return Routing(tuple(route), tuple(sorted(cables)), tuple(problems))
