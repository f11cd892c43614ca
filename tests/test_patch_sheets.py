"""Patch sheets (`ms20 draw`, `make docs`): every shipped patch's sheet has each cable between
the right jacks' positions and each knob's pointer at its angle, and renders to PNG."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ms20.commands.cli import main
from ms20.drawing import front, knob_angle
from ms20.memory.sheet import sheet_svg
from ms20.model.patch import load_patch, parse_patch

ROOT = Path(__file__).resolve().parents[1]
PATCHES = sorted((ROOT / "patches").glob("*.toml"))
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = r"-?\d+(?:\.\d+)?"


def _pointer_angle(g: ET.Element) -> float:
    pointer = next(e for e in g.iter(f"{SVG}line") if e.get("class") == "pointer")
    return float(re.fullmatch(rf"rotate\(({NUMBER})\)", pointer.get("transform")).group(1))


def _path_ends(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    nums = [float(x) for x in re.findall(NUMBER, d)]
    return (nums[0], nums[1]), (nums[-2], nums[-1])


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.stem)
def test_each_shipped_sheet_has_every_cable_between_its_jacks_and_every_knob_at_its_angle(path):
    patch = load_patch(path)
    root = ET.fromstring(sheet_svg(patch))
    jacks = front().jacks
    drawn = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "cable-group":
            d = next(e for e in g.iter(f"{SVG}path")).get("d")
            drawn[(g.get("data-from"), g.get("data-to"))] = _path_ends(d)
    assert set(drawn) == set(patch.panel.routing.cables)
    for (out, inp), (a, b) in drawn.items():
        assert a == pytest.approx((jacks[out].x, jacks[out].y), abs=0.05), out
        assert b == pytest.approx((jacks[inp].x, jacks[inp].y), abs=0.05), inp
    knobs = {g.get("data-name"): g for g in root.iter(f"{SVG}g") if g.get("class") == "knob"}
    for name, pos in patch.panel.knobs.items():
        assert _pointer_angle(knobs[name]) == pytest.approx(knob_angle(pos), abs=0.05), name
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "legend")
    for out, inp in patch.panel.routing.cables:
        assert f"{out} \u2192 {inp}" in legend


def test_a_plug_leading_nowhere_is_drawn_hanging_from_its_jack():
    patch = parse_patch('cables = [["LP CUTOFF FREQ"]]\n')
    root = ET.fromstring(sheet_svg(patch))
    lone = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cable-group lone"]
    assert [g.get("data-to") for g in lone] == ["LP CUTOFF FREQ"]
    start, _ = _path_ends(next(lone[0].iter(f"{SVG}path")).get("d"))
    jack = front().jacks["LP CUTOFF FREQ"]
    assert start == pytest.approx((jack.x, jack.y))


def test_ms20_draw_writes_an_svg_and_a_png_of_the_panel(tmp_path):
    assert main(["draw", str(PATCHES[0]), "--out", str(tmp_path / "s.svg")]) == 0
    assert main(["draw", str(PATCHES[0]), "--out", str(tmp_path / "s.png")]) == 0
    ET.parse(tmp_path / "s.svg")
    png = (tmp_path / "s.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    f = front()
    assert width == int(f.width * 2) and height > f.height * 2      # the panel and its legend


def test_every_shipped_patch_points_to_its_sheet_and_the_sheet_exists():
    for path in PATCHES:
        head = path.read_text().splitlines()[:5]
        sheet = f"docs/patches/{path.stem}.svg"
        assert any(sheet in line for line in head), path.name
        assert (ROOT / sheet).exists(), f"{sheet}: run make docs"


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.stem)
def test_the_checked_in_sheet_is_the_one_the_patch_draws(path):
    """docs/patches/ is what the README and each patch's comment point a player to: a patch
    edited without `make docs` would leave its sheet showing the old knobs and cables."""
    sheet = ROOT / "docs" / "patches" / f"{path.stem}.svg"
    assert sheet.exists(), f"{sheet} missing: run `make docs`"
    drawn = sheet_svg(load_patch(path), f"patches/{path.name}")
    assert sheet.read_text(encoding="utf-8") == drawn, f"{sheet} is stale: run `make docs`"
