"""The jack list (data/jacks.toml) as Python objects, indexed like the kernel's port table."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ms20.model.kernel_ids import INPUTS, OUTPUTS


@dataclass(frozen=True)
class Jack:
    """One jack of the patch bay (or the box's own), as jacks.toml lists it."""

    id: str
    name: str
    kind: str          # audio | cv | hzv | strig | gate
    is_output: bool
    where: str         # panel | box | internal
    index: int         # MS20_OUT_<id> or MS20_IN_<id>
    normal: str | None  # inputs: id of the output read without a cable
    note: str


class UnknownJack(KeyError):
    """A jack name that is on neither the panel nor the box."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class JackTable:
    """Every jack, outputs and inputs, indexed as the kernel numbers them."""

    outputs: tuple[Jack, ...]
    inputs: tuple[Jack, ...]

    def find(self, name: str) -> Jack:
        """A patchable jack by its panel name (case and spacing insensitive) or id."""
        key = _norm(name)
        for jack in self.outputs + self.inputs:
            if jack.where != "internal" and key in (_norm(jack.name), _norm(jack.id)):
                return jack
        raise UnknownJack(f"unknown jack {name!r}")

    def patchable(self) -> tuple[Jack, ...]:
        return tuple(j for j in self.outputs + self.inputs if j.where != "internal")


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").upper().split())


@cache
def jack_table() -> JackTable:
    """The jack table from data/jacks.toml (read once)."""
    data = tomllib.loads(resources.files("ms20").joinpath("data/jacks.toml").read_text())
    outs = tuple(
        Jack(o["id"], o["name"], o["kind"], True, o["where"], OUTPUTS[o["id"]], None, o["note"])
        for o in data["output"]
    )
    ins = tuple(
        Jack(i["id"], i["name"], i["kind"], False, i.get("where", "panel"), INPUTS[i["id"]],
             i["normal"], i["note"])
        for i in data["input"]
    )
    return JackTable(outs, ins)
