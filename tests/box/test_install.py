"""install.sh in a sandbox (--root: every path under a temp dir; no apt, user, pip or
systemctl): installing twice is how the box is updated, so a repeat must be harmless, bring
the new tree in whole (files deleted upstream go) and keep the config; overlays go under
[all]; --uninstall puts config.txt back as it was. What only a Pi can show (apt, pip from
the lock, systemctl) is in systemd/README.md's manual check."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOT = "# the Pi's own\n[pi4]\narm_boost=1\ndtparam=audio=on\n"


def tree(tmp_path: Path) -> Path:
    src = tmp_path / "clone"
    shutil.copytree(ROOT, src, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", ".git", "out", "build", "__pycache__", "*.so", "*.egg-info",
                                                  ".pytest_cache", ".ruff_cache"))
    return src


def install(src: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(src / "systemd" / "install.sh"), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_install_twice_updates_the_tree_keeps_the_config_and_uninstall_restores(tmp_path):
    src, root = tree(tmp_path), tmp_path / "root"
    (root / "boot" / "firmware").mkdir(parents=True)
    boot = root / "boot" / "firmware" / "config.txt"
    boot.write_text(BOOT)

    r = install(src, root)
    assert r.returncode == 0, r.stdout + r.stderr
    opt = root / "opt" / "ms20"
    assert (opt / "src" / "docs" / "signals.md").is_file() and (opt / "patches" / "first-voice.toml").is_file()
    assert not (opt / "src" / ".git").exists()
    for path in (opt / "src").rglob("*"):           # the service's patches: only root may write them
        assert not path.lstat().st_mode & (stat.S_IWGRP | stat.S_IWOTH) or path.is_symlink(), path
    config = root / "etc" / "ms20" / "ms20.toml"
    assert 'backend = "rpi"' in config.read_text()
    assert (root / "etc" / "systemd" / "system" / "ms20.service").is_file()
    assert (root / "var" / "lib" / "ms20").is_dir()
    text = boot.read_text()
    block = text[text.index("# >>> ms20"):].splitlines()
    assert block[1] == "[all]" and "dtparam=spi=on" in block and any(x.startswith("dtoverlay=") for x in block)
    assert "#ms20: dtparam=audio=on" in text and text.index("[pi4]") < text.index("[all]")

    # Upstream deletes a file and adds one; the user edited the config; install again.
    (src / "docs" / "signals.md").unlink()
    (src / "docs" / "new.md").write_text("new\n")
    config.write_text(config.read_text() + "# mine\n")
    r = install(src, root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (opt / "src" / "docs" / "signals.md").exists() and (opt / "src" / "docs" / "new.md").is_file()
    assert config.read_text().endswith("# mine\n")
    assert boot.read_text() == text                 # the same block once, not twice

    # The installed copy refuses to install itself over itself.
    r = install(opt / "src", root)
    assert r.returncode == 2 and "git pull" in r.stderr

    r = install(src, root, "--uninstall")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not opt.exists() and not (root / "etc" / "systemd" / "system" / "ms20.service").exists()
    assert boot.read_text() == BOOT                 # config.txt exactly as before
    assert config.exists()                          # kept unless --purge
    r = install(src, root, "--uninstall", "--purge")
    assert r.returncode == 0 and not config.exists() and not (root / "var" / "lib" / "ms20").exists()


def test_the_web_drop_in_opens_the_network_only_when_asked(tmp_path):
    src, root = tree(tmp_path), tmp_path / "root"
    assert install(src, root).returncode == 0
    dropin = root / "etc" / "systemd" / "system" / "ms20.service.d" / "web.conf"
    assert not dropin.exists()
    assert install(src, root, "--web").returncode == 0
    assert "PrivateNetwork=no" in dropin.read_text()


def test_the_box_installs_from_a_lock_with_hashes_that_meets_pyproject():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (ROOT / "systemd" / "requirements-box.txt").read_text()
    pins: dict[str, str] = {}
    for entry in lock.replace("\\\n", " ").splitlines():
        entry = entry.split("#")[0].strip()
        if entry:
            name, _, rest = entry.partition("==")
            version = rest.split()[0]
            assert "--hash=sha256:" in rest, f"{name} has no hash"
            pins[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = project["project"]["optional-dependencies"]
    wanted = [*project["project"]["dependencies"], *extras["box"], *extras["web"],   # the box serves the panel
              *project["build-system"]["requires"]]
    for text in wanted:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"platform_machine": "aarch64"}):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in the lock (make lock)"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is not {req}"
    assert "rpi-lgpio" in pins and "rpi-gpio" not in pins
    install = (ROOT / "systemd" / "install.sh").read_text()
    assert "--require-hashes -r \"$PREFIX/src/systemd/requirements-box.txt\"" in install
