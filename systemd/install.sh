#!/usr/bin/env bash
# Install the MS-20 firmware as a boot service on Raspberry Pi OS (Bookworm or later).
#
#   sudo systemd/install.sh              # install, enable, add the overlays; then reboot
#   systemd/install.sh --dry-run         # print what it would do, change nothing
#   systemd/install.sh --print-overlays  # the config.txt lines hw/board.toml asks for
#   sudo systemd/install.sh --web loopback   # also the browser panel, on the box itself only
#   sudo systemd/install.sh --web lan        # ... or to the local network (set web.passphrase)
#
# Puts the source in /opt/ms20/src, a venv in /opt/ms20/venv, the config in
# /etc/ms20/ms20.toml (kept if present), the unit in /etc/systemd/system; creates the `ms20`
# user in the audio, gpio and spi groups; adds the SPI and I2S-codec overlay lines that
# hw/board.toml names to config.txt. See systemd/README.md for the read-only root.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/ms20
ETC=/etc/ms20
UNIT_DIR=/etc/systemd/system
BOARD_TOML="$SRC/hw/board.toml"
# The ALSA card id the HiFiBerry overlays register (`aplay -l` shows it); override with --device.
DEVICE="hw:CARD=sndrpihifiberry"
BOOT_CONFIG=""
DRY_RUN=0
MODE=install
WEB=""

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --print-overlays) MODE=overlays ;;
        --device) DEVICE="$2"; shift ;;
        --board) BOARD_TOML="$2"; shift ;;
        --boot-config) BOOT_CONFIG="$2"; shift ;;
        --web) WEB="$2"; shift
               case "$WEB" in loopback|lan) ;; *) echo "install.sh: --web loopback or --web lan" >&2; exit 2 ;; esac ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

run() {
    # Every change goes through here so --dry-run shows exactly what would happen.
    if [ "$DRY_RUN" = 1 ]; then echo "would run: $*"; else "$@"; fi
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

if [ "$MODE" = overlays ]; then
    overlay_lines
    exit 0
fi

if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo), or with --dry-run to see what it would do" >&2
    exit 1
fi
if ! grep -qi -e raspbian -e "debian" /etc/os-release 2>/dev/null; then
    echo "install.sh: warning: this does not look like Raspberry Pi OS; continuing" >&2
fi
if [ -z "$BOOT_CONFIG" ]; then
    # Bookworm moved config.txt under /boot/firmware.
    if [ -f /boot/firmware/config.txt ]; then BOOT_CONFIG=/boot/firmware/config.txt; else BOOT_CONFIG=/boot/config.txt; fi
fi

echo "== packages"
run apt-get install -y --no-install-recommends python3-venv python3-dev build-essential libasound2-dev alsa-utils

echo "== user ms20 (groups audio gpio spi)"
for g in audio gpio spi; do
    getent group "$g" >/dev/null || run groupadd --system "$g"
done
if id ms20 >/dev/null 2>&1; then
    run usermod -a -G audio,gpio,spi ms20
else
    run useradd --system --user-group --home-dir /var/lib/ms20 --shell /usr/sbin/nologin -G audio,gpio,spi ms20
fi

echo "== firmware in $PREFIX"
run mkdir -p "$PREFIX/src"
if [ "$DRY_RUN" = 1 ]; then
    echo "would copy $SRC to $PREFIX/src (without .venv, build, out)"
else
    tar -C "$SRC" --exclude=./.venv --exclude=./build --exclude=./out --exclude=.git -cf - . | tar -C "$PREFIX/src" -xf -
fi
run python3 -m venv "$PREFIX/venv"
run "$PREFIX/venv/bin/pip" install --quiet "$PREFIX/src[box,web]"
run ln -sfn "$PREFIX/src/patches" "$PREFIX/patches"

echo "== config $ETC/ms20.toml"
run mkdir -p "$ETC"
if [ -f "$ETC/ms20.toml" ]; then
    echo "keeping the existing $ETC/ms20.toml"
elif [ "$DRY_RUN" = 1 ]; then
    echo "would write $ETC/ms20.toml (defaults, audio.device = $DEVICE, board.backend = rpi${WEB:+, web on ($WEB)})"
else
    "$PREFIX/venv/bin/python" -c 'import sys; from ms20.box.config import default_toml; web = {"web.enabled": True, "web.address": "0.0.0.0:8020" if sys.argv[2] == "lan" else "127.0.0.1:8020"} if sys.argv[2] else {}; print(default_toml({"audio.device": sys.argv[1], "board.backend": "rpi", "patch.file": "/opt/ms20/patches/first-voice.toml", **web}), end="")' "$DEVICE" "$WEB" > "$ETC/ms20.toml"
fi

if [ -f "$BOARD_TOML" ]; then
    # The hardware layer looks for /etc/ms20/board.toml when not run from a source tree.
    run install -m 0644 "$BOARD_TOML" "$ETC/board.toml"
fi

echo "== overlays in $BOOT_CONFIG"
overlay_lines | while IFS= read -r line; do
    [ -n "$line" ] || continue
    if grep -qxF "$line" "$BOOT_CONFIG" 2>/dev/null; then
        echo "already there: $line"
        continue
    fi
    case "$line" in
        dtparam=*=*)
            # dtparam=audio=off replaces dtparam=audio=on: comment out the other value.
            param="${line%=*}"
            run sed -i "s|^${param}=|#&|" "$BOOT_CONFIG"
            ;;
    esac
    if [ "$DRY_RUN" = 1 ]; then echo "would add: $line"; else echo "$line" >> "$BOOT_CONFIG"; echo "added: $line"; fi
done

echo "== systemd unit"
run install -m 0644 "$SRC/systemd/ms20.service" "$UNIT_DIR/ms20.service"
if [ -n "$WEB" ]; then
    # The unit allows no network; the drop-in opens loopback (or the LAN) and port 8020 only.
    run install -D -m 0644 "$SRC/systemd/web-$WEB.conf" "$UNIT_DIR/ms20.service.d/web.conf"
    [ "$WEB" = lan ] && echo "so that the LAN may play the panel: run ms20 web-passphrase, put its line in [web] of $ETC/ms20.toml"
else
    run rm -f "$UNIT_DIR/ms20.service.d/web.conf"
fi
run systemctl daemon-reload
run systemctl enable ms20.service

cat <<'TXT'

Done. Reboot so the overlays take effect; the firmware then starts at boot:
    sudo reboot
    journalctl -u ms20 -f            # its log and the periodic status line

So that a power cut cannot corrupt the card, make the root file system read-only
(an overlay in RAM; see systemd/README.md):
    sudo raspi-config nonint do_overlayfs 0 && sudo reboot
TXT
