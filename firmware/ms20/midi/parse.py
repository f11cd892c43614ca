"""Raw MIDI bytes to mido Messages, for any byte source (a USB keyboard through rtmidi, the
fake test port, a DIN UART one day).

mido.Parser decodes complete messages, but it drops running status (a second "62 100" after
"90 60 100" is lost) and resets when a real-time byte lands inside a message, both of which
keyboards do. So a small framer in front of it keeps the MIDI 1.0 rules: running status for
channel messages, real-time bytes (F8-FF) pass through anywhere, system common clears running
status, and system exclusive is skipped byte by byte without being buffered, so a sysex flood
costs no memory and cannot hang the parser.
"""

from __future__ import annotations

from collections.abc import Iterable

import mido

# Data bytes after a channel status (by high nibble) and after system common statuses.
_CHANNEL_DATA = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
_COMMON_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0}
# Real-time bytes the box has no use for; dropping them here saves decoding every clock tick.
_IGNORED_REALTIME = {0xF8, 0xF9, 0xFD, 0xFE}


class MidiByteParser:
    """One byte stream's framing state (running status is per stream: one per port)."""

    def __init__(self) -> None:
        self._decoder = mido.Parser()
        self._running = 0          # running status, 0 when none
        self._buf: list[int] = []
        self._need = 0             # data bytes still missing from _buf
        self._skip = 0             # data bytes of an ignored system common message
        self._in_sysex = False
        self.sysex_bytes = 0       # bytes skipped inside system exclusive (a flood shows here)
        self.dropped = 0           # stray or out-of-range bytes

    def feed(self, data: Iterable[int]) -> list[mido.Message]:
        """Parse a chunk of bytes (any split); returns the complete messages it finished."""
        out: list[bytes] = []
        for b in data:
            if not isinstance(b, int) or not 0 <= b <= 0xFF:
                self.dropped += 1
            elif b >= 0xF8:
                if b not in _IGNORED_REALTIME:
                    out.append(bytes((b,)))          # real-time: anywhere, state untouched
            elif b >= 0x80:
                self._status(b, out)
            elif self._in_sysex:
                self.sysex_bytes += 1
            elif self._skip:
                self._skip -= 1
            elif self._running:
                self._buf.append(b)
                self._need -= 1
                if self._need == 0:
                    out.append(bytes(self._buf))
                    self._buf = [self._running]       # running status: the next data reuses it
                    self._need = _CHANNEL_DATA[self._running & 0xF0]
            else:
                self.dropped += 1                     # data with no status to belong to
        messages: list[mido.Message] = []
        for raw in out:
            self._decoder.feed(raw)
            messages.extend(self._decoder)
        return messages

    def _status(self, b: int, out: list[bytes]) -> None:
        self._in_sysex = False
        self._skip = 0
        if b < 0xF0:
            self._running = b
            self._buf = [b]
            self._need = _CHANNEL_DATA[b & 0xF0]
            return
        # System common and exclusive clear running status; an unfinished message is dropped.
        self._running = 0
        self._buf = []
        if b == 0xF0:
            self._in_sysex = True
        elif b in _COMMON_DATA:
            self._skip = _COMMON_DATA[b]   # song position, song select, tune request: unused
        # 0xF7 (end of exclusive) and the undefined 0xF4/0xF5 just end whatever was going on
