"""The sample clock as seen from other threads: where the engine's sample time stood at a
moment of the monotonic clock, so a MIDI event stamped on arrival can be scheduled at the
matching sample one period later (constant latency, no jitter from the period grid).

The audio thread publishes an anchor (sample time, monotonic ns) at the top of every period;
readers use a sequence counter instead of a lock (a seqlock), so the audio side never waits.
"""

from __future__ import annotations

import numpy as np

_SEQ, _SAMPLE, _NS = 0, 1, 2


class SampleClock:
    """Anchor published by the audio thread, read by the MIDI and control threads."""

    def __init__(self, rate: int) -> None:
        self.rate = int(rate)
        self._a = np.zeros(3, dtype=np.int64)   # seq (odd while writing), sample, ns

    def set_rate(self, rate: int) -> None:
        """The rate the card granted (setup side, before the loop starts)."""
        self.rate = int(rate)

    def publish_rt(self, sample: int, ns: int) -> None:
        a = self._a
        a[_SEQ] += 1
        a[_SAMPLE] = sample
        a[_NS] = ns
        a[_SEQ] += 1

    def invalidate(self) -> None:
        """No anchor (audio stopped): sample_at returns None until the next publish."""
        a = self._a
        a[_SEQ] += 1
        a[_NS] = 0
        a[_SEQ] += 1

    def anchor(self) -> tuple[int, int] | None:
        """The last (sample time, monotonic ns) pair, or None before audio runs."""
        a = self._a
        for _ in range(100):
            s1 = int(a[_SEQ])
            sample, ns = int(a[_SAMPLE]), int(a[_NS])
            if s1 % 2 == 0 and int(a[_SEQ]) == s1:
                return (sample, ns) if ns else None
        return None   # the writer kept writing; treat as no anchor rather than spin

    def sample_at(self, ns: int) -> int | None:
        """The engine sample time that corresponds to monotonic time `ns`."""
        anchor = self.anchor()
        if anchor is None:
            return None
        sample, at_ns = anchor
        return sample + (ns - at_ns) * self.rate // 1_000_000_000
