"""The browser panel's figures (issue 12): page size, mirror latency (a pot turned or a cable
plugged on the simulated board, to the state message a page receives), feed rate, and the
audio deadline misses of the whole box without and with a page connected.

    python benchmarks/bench_web.py                  # 60 s without a page, 60 s with one
    python benchmarks/bench_web.py --seconds 600    # the issue's 10-minute runs

The page here is a scripted client (aiohttp) that takes the whole feed (scope, spectrum,
meters at FEED_HZ, every state change) and turns a knob ten times a second, as a player
dragging one would; the box runs on a paced null sink with a 64-frame period (3 periods).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import threading
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from webkit import web_box  # noqa: E402

from ms20.web.feed import FEED_HZ  # noqa: E402


async def page_bytes(url: str) -> dict[str, int]:
    sizes = {}
    async with aiohttp.ClientSession() as s:
        for path in ("", "panel.js", "panel.css"):
            async with s.get(url + path) as r:
                sizes[path or "index.html (with the panel's SVG)"] = len(await r.read())
    return sizes


async def mirror_latency(web, mock, turns: int = 30) -> tuple[list[float], list[float]]:
    """Seconds from a physical change to the state message that shows it."""
    pots, cables = [], []
    async with aiohttp.ClientSession() as s, s.ws_connect(f"{web.url}ws") as ws:
        async def until(pred) -> float:
            t0 = time.monotonic()
            while True:
                msg = await ws.receive(timeout=2.0)
                m = json.loads(msg.data)
                if m["type"] == "state" and pred(m):
                    return time.monotonic() - t0
        await asyncio.sleep(0.3)
        for k in range(turns):
            pos = 2.0 + 6.0 * (k % 2) + 0.01 * k
            await asyncio.sleep(0.05)
            t0 = time.monotonic()
            mock.turn("LPF CUTOFF", pos)
            await until(lambda m, p=pos: abs(m["knobs"]["LPF CUTOFF"] - p) < 0.15)
            pots.append(time.monotonic() - t0)
        for _k in range(10):
            await asyncio.sleep(0.1)
            t0 = time.monotonic()
            mock.plug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
            await until(lambda m: any(c["to"] == "LP CUTOFF FREQ" for c in m["cables"]))
            cables.append(time.monotonic() - t0)
            await asyncio.sleep(0.1)
            mock.unplug("MG TRIANGLE OUT", "LP CUTOFF FREQ")
            await until(lambda m: not m["cables"])
    return pots, cables


async def player(web, seconds: float, counts: dict) -> None:
    """A page taking the whole feed and turning a knob ten times a second."""
    async with aiohttp.ClientSession() as s, s.ws_connect(f"{web.url}ws") as ws:
        async def read() -> None:
            async for msg in ws:
                m = json.loads(msg.data)
                counts[m["type"]] = counts.get(m["type"], 0) + 1
                counts["bytes"] = counts.get("bytes", 0) + len(msg.data)
        reader = asyncio.create_task(read())
        t_end = time.monotonic() + seconds
        k = 0
        while time.monotonic() < t_end:
            await ws.send_str(json.dumps({"type": "turn", "knob": "LPF CUTOFF", "position": 3.0 + (k % 40) / 10}))
            k += 1
            await asyncio.sleep(0.1)
        reader.cancel()


def run_box(seconds: float, with_page: bool) -> dict:
    settings = {"audio.period": 64, "audio.periods": 3, "audio.lock_memory": False}
    with web_box("patches/first-voice.toml", seconds=1.0, demo=True, **settings) as (box, web, tap, mock):
        pacer = box.audio.sink.pacer
        misses0, xruns0 = pacer.deadline_misses, box.audio.xruns
        counts: dict = {}
        if with_page:
            threading.Thread(target=lambda: asyncio.run(player(web, seconds, counts)), daemon=True).start()
        time.sleep(seconds)
        return {"misses": pacer.deadline_misses - misses0, "xruns": box.audio.xruns - xruns0,
                "worst_lateness_ms": pacer.worst_lateness_ns / 1e6, "periods": box.audio.periods,
                "frames_per_s": counts.get("signals", 0) / seconds, "states": counts.get("state", 0),
                "kB_per_s": counts.get("bytes", 0) / seconds / 1e3}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each audio run (default 60)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with web_box() as (box, web, tap, mock):
        sizes = asyncio.run(page_bytes(web.url))
        pots, cables = asyncio.run(mirror_latency(web, mock))
    print(f"page: {sum(sizes.values()) / 1e3:.1f} kB in all ("
          + ", ".join(f"{k} {v / 1e3:.1f} kB" for k, v in sizes.items()) + ")")
    ms = sorted(t * 1e3 for t in pots)
    print(f"mirror, pot turned -> page: median {statistics.median(ms):.1f} ms, worst {ms[-1]:.1f} ms ({len(ms)} turns)")
    ms = sorted(t * 1e3 for t in cables)
    print(f"mirror, cable plugged -> page: median {statistics.median(ms):.1f} ms, worst {ms[-1]:.1f} ms "
          f"({len(ms)} plugs; includes the scanner's contact debouncing)")
    for with_page in (False, True):
        r = run_box(args.seconds, with_page)
        what = "with a page (feed + a knob turned 10/s)" if with_page else "without a page"
        print(f"audio {what}, {args.seconds:.0f} s: deadline misses {r['misses']}, xruns {r['xruns']}, "
              f"worst lateness {r['worst_lateness_ms']:+.3f} ms")
        if with_page:
            print(f"feed: {r['frames_per_s']:.1f} signal frames/s (stated {FEED_HZ:g}), {r['states']} state messages, "
                  f"{r['kB_per_s']:.1f} kB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
