"""The package's shape, as the README's folder table promises it: no import circles, one
door to the compiled kernel, and a model that loads without a compiler."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "firmware" / "ms20"
KERNEL = "ms20._kernel"
# The engine wrapper is the instrument's door; audio/ wraps the kernel's own audio-thread API.
KERNEL_DOORS = {"ms20.model.engine", "ms20.audio.alsa", "ms20.audio.pacer", "ms20.audio.sinks", "ms20.audio.thread"}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _imports(path: Path, known: set[str]) -> set[str]:
    """ms20 modules a file imports, at any depth (lazy imports count: a circle is a circle)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known}
    found -= _type_checking_imports(path)
    return {m for m in found if m in known or m == KERNEL}


def _type_checking_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.module:
                    names.add(sub.module)
    return names


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(path, known) - {name} for name, path in mods.items()}


def test_the_package_has_no_import_circles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:   # Tarjan: a strongly connected set of more than one module is a circle
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


def test_only_the_engine_and_the_audio_wrappers_import_the_compiled_kernel():
    importers = {name for name, deps in _graph().items() if KERNEL in deps}
    assert importers <= KERNEL_DOORS, sorted(importers - KERNEL_DOORS)


def test_the_panel_model_patch_files_and_board_checker_import_without_the_compiled_kernel():
    code = (
        "import sys; sys.modules['ms20._kernel'] = None\n"   # any import of it now fails
        "import ms20.model.panel, ms20.model.patch, ms20.model.patchbay, ms20.model.jacks\n"
        "import ms20.hardware.board, ms20.control.controller, ms20.control.scanner, ms20.midi.performance\n"
        "from ms20.model.patch import load_patch\n"
        "p = load_patch('firmware/ms20/data/patches/first-voice.toml')\n"
        "print(len(p.panel.knobs))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parents[1])
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) >= 30


def test_the_generated_kernel_ids_match_the_compiled_kernel():
    from ms20._kernel import lib

    from ms20.model import kernel_ids

    for table, prefix in ((kernel_ids.PARAMS, "MS20_P_"), (kernel_ids.SWITCHES, "MS20_S_"),
                          (kernel_ids.OUTPUTS, "MS20_OUT_"), (kernel_ids.INPUTS, "MS20_IN_")):
        for name, number in table.items():
            assert getattr(lib, prefix + name) == number, prefix + name
    assert kernel_ids.INPUT_COUNT == lib.MS20_INPUT_COUNT


def test_the_package_says_its_license_and_readme() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"} and "MIT License" in (root / "LICENSE").read_text()
    assert (root / project["readme"]).is_file()
