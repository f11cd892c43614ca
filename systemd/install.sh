#!/usr/bin/env bash
# Install, update or remove the MS-20 firmware as a boot service on Raspberry Pi OS (Bookworm+).
#
#   sudo systemd/install.sh              # install or update (from your clone: git pull first); reboot once
#   sudo systemd/install.sh --uninstall  # stop and remove it; --purge also removes config, state, user
#   systemd/install.sh --dry-run         # print what it would do, change nothing
#   systemd/install.sh --print-overlays  # the config.txt lines hw/board.toml asks for
#   systemd/install.sh --root DIR        # a sandbox: every path under DIR, no apt, user, pip or systemctl
#   sudo systemd/install.sh --web        # also the browser panel (web.enabled; loopback only, see web.conf)
#
# Puts a fresh copy of this tree in /opt/ms20/src (files deleted upstream go with the old
# copy; owned by root, not writable by the service), a venv in /opt/ms20/venv from the
# hashed lock file systemd/requirements-box.txt, the config in /etc/ms20/ms20.toml (kept if
# present), the unit in /etc/systemd/system, the state dir /var/lib/ms20; creates the `ms20`
# user in the audio, gpio and spi groups; puts the overlay lines hw/board.toml names in an
# [all] section of config.txt. Safe to run again: that is how the firmware is updated.
set -euo pipefail
umask 022

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT=""
BOARD_TOML="$SRC/hw/board.toml"
# The ALSA card id the HiFiBerry overlays register (`aplay -l` shows it); override with --device.
DEVICE="hw:CARD=sndrpihifiberry"
BOOT_CONFIG=""
DRY_RUN=0
MODE=install
PURGE=0
WEB=0
BEGIN="# >>> ms20 firmware (systemd/install.sh) >>>"
END="# <<< ms20 firmware <<<"
MARK="#ms20: "

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --print-overlays) MODE=overlays ;;
        --uninstall) MODE=uninstall ;;
        --purge) PURGE=1 ;;
        --web) WEB=1 ;;
        --root) mkdir -p "$2"; ROOT="$(cd "$2" && pwd)"; shift ;;
        --device) DEVICE="$2"; shift ;;
        --board) BOARD_TOML="$2"; shift ;;
        --boot-config) BOOT_CONFIG="$2"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

PREFIX="$ROOT/opt/ms20"
ETC="$ROOT/etc/ms20"
UNIT_DIR="$ROOT/etc/systemd/system"
STATE="$ROOT/var/lib/ms20"

run() {
    # Every change goes through here so --dry-run shows exactly what would happen.
    if [ "$DRY_RUN" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

system() {
    # Changes to the system itself (packages, users, systemd): not in a --root sandbox.
    if [ -n "$ROOT" ]; then echo "sandbox: skipped: $*"; else run "$@"; fi
}

overlay_lines() {
    # The config.txt lines from hw/board.toml: every `config_txt = [...]` list (the codec's
    # overlay lives in [audio]) plus dtparam=spi=on when the board has an [spi] table.
    if [ ! -f "$BOARD_TOML" ]; then
        echo "install.sh: $BOARD_TOML not found; add the overlays by hand:" >&2
        echo "  dtparam=spi=on, dtparam=audio=off and your codec's dtoverlay= line" >&2
        return 0
    fi
    python3 - "$BOARD_TOML" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    board = tomllib.load(f)
lines = []
def walk(table):
    for key, value in table.items():
        if key == "config_txt" and isinstance(value, list):
            lines.extend(str(v) for v in value)
        elif isinstance(value, dict):
            walk(value)
walk(board)
if "spi" in board and "dtparam=spi=on" not in lines:
    lines.insert(0, "dtparam=spi=on")
print("\n".join(dict.fromkeys(lines)))
PY
}

remove_overlay_block() {
    # Our block out of config.txt, and the lines it had commented out back in.
    [ -f "$BOOT_CONFIG" ] || return 0
    run sed -i -e "\\|^$BEGIN\$|,\\|^$END\$|d" -e "s|^$MARK||" "$BOOT_CONFIG"
}

write_overlay_block() {
    # One block at the end of config.txt, opened by [all] so that a [pi4] or [cm4] section
    # above cannot swallow it. A dtparam the block sets is commented out elsewhere (marked,
    # so --uninstall restores it). Rewritten whole on every run: repeating is harmless.
    [ -f "$BOOT_CONFIG" ] || run touch "$BOOT_CONFIG"
    remove_overlay_block
    local lines
    lines="$(overlay_lines)"
    [ -n "$lines" ] || return 0
    while IFS= read -r line; do
        case "$line" in
            dtparam=*=*) run sed -i "s|^${line%=*}=|$MARK&|" "$BOOT_CONFIG" ;;
        esac
    done <<< "$lines"
    if [ "$DRY_RUN" = 1 ]; then
        printf 'would add to %s:\n%s\n[all]\n%s\n%s\n' "$BOOT_CONFIG" "$BEGIN" "$lines" "$END"
    else
        printf '%s\n[all]\n%s\n%s\n' "$BEGIN" "$lines" "$END" >> "$BOOT_CONFIG"
        echo "config.txt: $(echo "$lines" | tr '\n' ' ')under [all]"
    fi
}

if [ "$MODE" = overlays ]; then
    overlay_lines
    exit 0
fi

if [ "$DRY_RUN" = 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo), or with --dry-run to see what it would do" >&2
    exit 1
fi
if [ -z "$BOOT_CONFIG" ]; then
    # Bookworm moved config.txt under /boot/firmware.
    if [ -f "$ROOT/boot/firmware/config.txt" ] || [ ! -f "$ROOT/boot/config.txt" ]; then
        BOOT_CONFIG="$ROOT/boot/firmware/config.txt"
    else
        BOOT_CONFIG="$ROOT/boot/config.txt"
    fi
fi

if [ "$MODE" = uninstall ]; then
    echo "== stopping and removing the service"
    system systemctl disable --now ms20.service
    run rm -f "$UNIT_DIR/ms20.service"
    run rm -rf "$UNIT_DIR/ms20.service.d"
    system systemctl daemon-reload
    run rm -rf "$PREFIX"
    echo "== overlays out of $BOOT_CONFIG"
    remove_overlay_block
    if [ "$PURGE" = 1 ]; then
        run rm -rf "$ETC" "$STATE"
        if id ms20 >/dev/null 2>&1; then system userdel ms20; fi
        echo "removed the config ($ETC), the calibration ($STATE) and the ms20 user"
    else
        echo "kept $ETC (config) and $STATE (calibration); --purge removes them"
    fi
    exit 0
fi

case "$SRC/" in
    "$PREFIX"/*)
        echo "install.sh: this is the installed copy ($SRC); run the install.sh of your clone:" >&2
        echo "  cd ~/ms20 && git pull && sudo systemd/install.sh" >&2
        exit 2 ;;
esac
if ! grep -qi -e raspbian -e "debian" /etc/os-release 2>/dev/null; then
    echo "install.sh: warning: this does not look like Raspberry Pi OS; continuing" >&2
fi

echo "== packages"
system apt-get install -y --no-install-recommends python3-venv python3-dev build-essential libasound2-dev \
    alsa-utils libsndfile1
# lgpio's C library, for rpi-lgpio when pip has to build lgpio (no wheel for this Python).
system apt-get install -y --no-install-recommends liblgpio-dev swig || echo "install.sh: no liblgpio-dev here; pip will try a wheel"

echo "== user ms20 (groups audio gpio spi)"
for g in audio gpio spi; do
    getent group "$g" >/dev/null || system groupadd --system "$g"
done
if id ms20 >/dev/null 2>&1; then
    system usermod -a -G audio,gpio,spi ms20
else
    system useradd --system --user-group --home-dir /var/lib/ms20 --shell /usr/sbin/nologin -G audio,gpio,spi ms20
fi

echo "== firmware in $PREFIX/src"
run mkdir -p "$PREFIX"
if [ "$DRY_RUN" = 1 ]; then
    echo "would copy $SRC to $PREFIX/src (a fresh copy without .git, .venv, build, out), replacing the old one"
else
    # A fresh copy beside the old one, then swapped in: what was deleted upstream is gone, and
    # a failed copy leaves the running firmware as it was.
    rm -rf "$PREFIX/src.new" "$PREFIX/src.old"
    mkdir "$PREFIX/src.new"
    tar -C "$SRC" --exclude=./.venv --exclude=./build --exclude=./out --exclude=.git --exclude=__pycache__ \
        --exclude='*.egg-info' --no-same-owner -cf - . | tar -C "$PREFIX/src.new" --no-same-owner -xf -
    chmod -R go-w "$PREFIX/src.new"          # the service (user ms20) reads patches it cannot change
    if [ -d "$PREFIX/src" ]; then mv "$PREFIX/src" "$PREFIX/src.old"; fi
    mv "$PREFIX/src.new" "$PREFIX/src"
    rm -rf "$PREFIX/src.old"
fi
system python3 -m venv "$PREFIX/venv"
# The box's dependencies exactly as locked (with hashes), then the firmware itself on them.
system "$PREFIX/venv/bin/pip" uninstall --quiet -y RPi.GPIO    # an older install's; rpi-lgpio replaces it
if [ "$(uname -m)" = aarch64 ] || [ -n "$ROOT" ]; then
    system "$PREFIX/venv/bin/pip" install --quiet --require-hashes -r "$PREFIX/src/systemd/requirements-box.txt"
    system "$PREFIX/venv/bin/pip" install --quiet --no-deps --no-build-isolation "$PREFIX/src"
else
    # The lock is for 64-bit Raspberry Pi OS (PyPI's aarch64 wheels); a 32-bit OS gets its
    # wheels from piwheels, whose hashes differ: pyproject's ranges, resolved today.
    echo "install.sh: $(uname -m) is not aarch64: installing from pyproject's ranges, not the lock" >&2
    system "$PREFIX/venv/bin/pip" install --quiet "$PREFIX/src[box,web]"
fi
run ln -sfn "$PREFIX/src/patches" "$PREFIX/patches"

echo "== config $ETC/ms20.toml, state $STATE"
run mkdir -p "$ETC"
if [ -f "$ETC/ms20.toml" ]; then
    echo "keeping the existing $ETC/ms20.toml"
elif [ "$DRY_RUN" = 1 ]; then
    echo "would write $ETC/ms20.toml (defaults, audio.device = $DEVICE, board.backend = rpi)"
else
    PY="$PREFIX/venv/bin/python"
    [ -x "$PY" ] || PY="python3"              # a sandbox has no venv: the tree's own package
    PYTHONPATH="$PREFIX/src/firmware" "$PY" -c 'import sys; from ms20.box.config import default_toml; print(default_toml({"audio.device": sys.argv[1], "board.backend": "rpi", "patch.file": "/opt/ms20/patches/first-voice.toml", **({"web.enabled": True} if sys.argv[2] == "1" else {})}), end="")' "$DEVICE" "$WEB" > "$ETC/ms20.toml"
fi
if [ -f "$BOARD_TOML" ]; then
    # The hardware layer looks for /etc/ms20/board.toml when not run from a source tree.
    run install -m 0644 "$BOARD_TOML" "$ETC/board.toml"
fi
# The service's state (calibration, last good config and patch); systemd's StateDirectory=
# makes it too, but `sudo ms20 calibrate` may run before the service ever started.
run mkdir -p "$STATE"
system chown ms20:ms20 "$STATE"
run chmod 0755 "$STATE"

echo "== overlays in $BOOT_CONFIG"
run mkdir -p "$(dirname "$BOOT_CONFIG")"
write_overlay_block

echo "== systemd unit"
run mkdir -p "$UNIT_DIR"
run install -m 0644 "$SRC/systemd/ms20.service" "$UNIT_DIR/ms20.service"
if [ "$WEB" = 1 ]; then
    run mkdir -p "$UNIT_DIR/ms20.service.d"
    run install -m 0644 "$SRC/systemd/web.conf" "$UNIT_DIR/ms20.service.d/web.conf"
fi
system systemctl daemon-reload
system systemctl enable ms20.service
if [ -z "$ROOT" ] && systemctl is-active --quiet ms20.service 2>/dev/null; then
    run systemctl restart ms20.service
    echo "restarted ms20.service on the new firmware"
fi

cat <<'TXT'

Done. The first time, reboot so the overlays take effect; the firmware then starts at boot:
    sudo reboot
    journalctl -u ms20 -f            # its log and the periodic status line

To update later: cd into your clone, `git pull`, `sudo systemd/install.sh` again.

So that a power cut cannot corrupt the card, make the root file system read-only
(an overlay in RAM; see systemd/README.md):
    sudo raspi-config nonint do_overlayfs 0 && sudo reboot
TXT
