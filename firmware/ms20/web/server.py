"""The browser panel's server: one page, its script, and a WebSocket that carries gestures in
and the panel and its signals out. It runs on its own thread with its own asyncio loop, so
the control loop never waits for a browser and the audio thread (C) never sees it.

    web = WebPanel(box, parse_address("127.0.0.1:8020"))
    web.start()                      # before box.start(): it gives the sink a ring tap
    box.run(on_tick=web.on_tick)     # gestures are applied on the control loop's thread
    web.stop()

On the simulated board every gesture goes through the board's electrical layer (MockBoard.turn,
plug, unplug, ...), so the scanner, the jack-matrix detection and the controller run as on the
Pi. On a real board the page is a mirror: knobs, switches and cables are shown, not moved
(keys may still be played). Routes are fixed: nothing a page sends names a file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import mido
from aiohttp import WSMsgType, web

from ms20.audio import Tap
from ms20.drawing.svg import panel_svg
from ms20.web import guard, protocol
from ms20.web.feed import FEED_HZ, MIRROR_INTERVAL_S, Signals, panel_view, sources_of

log = logging.getLogger(__name__)

SCOPE_TAP_S = 0.25              # the ring tap behind the scope and spectrum
FLOOD_RATE, FLOOD_BURST = 60.0, 60.0   # messages per second per page: a knob drag sends <= 30
FLOOD_REPORT_S = 0.25           # a flood gets one error reply per this, with the count refused
AUTH_RATE, AUTH_BURST = 0.5, 5.0   # passphrase guesses per second, all pages together
STATIC = {"/panel.js": "application/javascript", "/panel.css": "text/css", "/memory.js": "application/javascript"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class WebError(RuntimeError):
    """The server could not start (the address is taken, aiohttp is missing...)."""


@dataclass(eq=False)     # a connection is itself: hashed by identity
class _Client:
    ws: web.WebSocketResponse
    authed: bool
    limit: guard.RateLimit = field(default_factory=lambda: guard.RateLimit(FLOOD_RATE, FLOOD_BURST))
    state: str | None = None          # latest unsent messages: a slow page skips, never queues
    signals: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    reported_at: float = float("-inf")
    refused_reported: int = 0


class WebPanel:
    """Serves the panel of `box` at `address` until `stop`."""

    def __init__(self, box: Any, address: guard.Address, passphrase_hash: str = "",
                 feed_hz: float = FEED_HZ) -> None:
        self.box = box
        self.address = address
        self.passphrase_hash = passphrase_hash
        self.feed_hz = feed_hz
        board = getattr(box.surface, "board", None)
        self.sim = getattr(board, "sim", None)        # the MockBoard, when the board is simulated
        self.matrix_jacks = frozenset(board.definition.matrix.jacks) if board is not None else frozenset()
        self.port = address.port
        # The network's rules (changes need the passphrase) unless bound to loopback; a test
        # may set it to exercise them on 127.0.0.1.
        self.open_to_network = not address.loopback
        self._gestures: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._clients: set[_Client] = set()
        self._guesses = guard.RateLimit(AUTH_RATE, AUTH_BURST)   # shared: more sockets buy no more guesses
        # Counters for tests, benchmarks and the log.
        self.stats = {"messages": 0, "refused": 0, "errors": 0, "applied": 0, "states": 0, "frames": 0}

    @property
    def mode(self) -> str:
        return "sim" if self.sim is not None else "box"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address.host in ("0.0.0.0", "::") else self.address.host
        return f"http://{guard.Address(host, self.port)}/"

    # -- lifecycle (the firmware's thread) -------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises WebError if the address cannot be had. Call before the box
        starts: the sink gets a ring tap for the scope if it has no tap, and the server's
        thread is created before Box.start gives the control loop SCHED_FIFO (threads inherit
        their creator's policy), so a browser is served at normal priority."""
        sink = self.box.audio.sink
        if sink.tap is None:
            sink.tap = Tap(SCOPE_TAP_S, sink.rate, ring=True)
        self._thread = threading.Thread(target=self._main, name="ms20-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise WebError("the web server did not start")
        if self._error is not None:
            raise WebError(f"cannot serve the panel on {self.address}: {self._error}") from self._error
        log.info("web: the panel is at %s (%s%s)", self.url, "simulated board" if self.sim else "mirror of the board",
                 "" if not self.open_to_network else
                 ", changes need the passphrase" if self.passphrase_hash else ", read-only: no passphrase set")

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def on_tick(self, box: Any = None, now: float = 0.0) -> None:
        """The control loop's hook: apply the gestures the pages sent since the last tick."""
        while True:
            try:
                gesture = self._gestures.get_nowait()
            except queue.Empty:
                return
            try:
                self._apply(gesture)
                self.stats["applied"] += 1
            except (ValueError, KeyError) as exc:   # e.g. the cable was pulled meanwhile
                log.info("web: %s not applied: %s", gesture, exc)

    def _apply(self, g: protocol.Gesture) -> None:
        b = self.sim
        memory = self.box.memory
        if isinstance(g, protocol.Save):
            memory.save_in_background(g.name)
        elif isinstance(g, protocol.Recall):
            memory.recall(g.name)
        elif isinstance(g, protocol.Learn):
            memory.arm_learn(g.knob)
        elif isinstance(g, protocol.Key):
            # As a MIDI keyboard's note: same note priority, scheduling and kernel queue.
            msg = mido.Message("note_on" if g.on else "note_off", note=g.note, velocity=100 if g.on else 0)
            self.box._on_midi(msg, time.monotonic_ns(), "web page")
        elif b is None:
            return
        elif isinstance(g, protocol.Turn):
            b.turn(g.knob, g.position)
        elif isinstance(g, protocol.SetSwitch):
            b.set_switch(g.switch, g.position)
        elif isinstance(g, protocol.Plug):
            b.plug(g.a, g.b)
        elif isinstance(g, protocol.Unplug):
            b.unplug(g.a, g.b)
        elif isinstance(g, protocol.Wheel):
            b.turn_wheel(g.position)
        elif isinstance(g, protocol.Momentary):
            (b.press_momentary if g.pressed else b.release_momentary)()

    # -- the server's thread ---------------------------------------------------------------------

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:      # reported to start() (the address is taken...) or logged
            if not self._ready.is_set():
                self._error = exc
                self._ready.set()
            else:
                log.exception("web: the server stopped")

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        pkg = resources.files("ms20.web").joinpath("static")
        self._static = {route: (pkg.joinpath(route[1:]).read_bytes(), kind) for route, kind in STATIC.items()}
        self._index = pkg.joinpath("index.html").read_text()
        app = web.Application(client_max_size=4096)
        app.router.add_get("/", self._page)
        for route in STATIC:
            app.router.add_get(route, self._asset)
        app.router.add_get("/ws", self._socket)
        app.router.add_get("/favicon.ico", self._no_icon)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.address.host, self.address.port)
            await site.start()
            if runner.addresses:      # port 0 asks for any free port: say which one
                self.port = runner.addresses[0][1]
            self._ready.set()
            src = sources_of(self.box)
            tasks = [asyncio.create_task(self._mirror(src)), asyncio.create_task(self._feed(src))]
            await self._stopping.wait()
            for t in tasks:
                t.cancel()
            for c in list(self._clients):
                await c.ws.close()
        finally:
            await runner.cleanup()

    # -- HTTP ------------------------------------------------------------------------------------

    def _refuse_host(self, request: web.Request) -> web.Response | None:
        if not guard.host_ok(request.headers.get("Host"), self.address):
            return web.Response(status=421, text="this panel answers to localhost only\n")
        return None

    async def _page(self, request: web.Request) -> web.Response:
        refused = self._refuse_host(request)
        if refused is not None:
            return refused
        svg = panel_svg(self.box.controller.state)
        html = self._index.replace("<!--PANEL-->", svg)
        return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)

    async def _no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _asset(self, request: web.Request) -> web.Response:
        refused = self._refuse_host(request)
        if refused is not None:
            return refused
        body, kind = self._static[request.path]
        return web.Response(body=body, content_type=kind, headers=SECURITY_HEADERS)

    # -- the WebSocket ---------------------------------------------------------------------------

    def _may_change(self, client: _Client) -> bool:
        return not self.open_to_network or client.authed

    def _hello(self, client: _Client) -> dict:
        return {"type": "hello", "mode": self.mode, "physical": self.sim is not None,
                "writable": self._may_change(client),
                "passphrase": self.open_to_network and bool(self.passphrase_hash),
                "feed_hz": self.feed_hz, "mirror_ms": MIRROR_INTERVAL_S * 1e3}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        refused = self._refuse_host(request)
        if refused is not None:
            return refused
        if not guard.origin_ok(request.headers.get("Origin"), request.headers.get("Host")):
            log.warning("web: refused a WebSocket from origin %r", request.headers.get("Origin"))
            return web.Response(status=403, text="cross-origin WebSocket refused\n")
        ws = web.WebSocketResponse(max_msg_size=protocol.MAX_MESSAGE_BYTES, heartbeat=20.0)
        await ws.prepare(request)
        client = _Client(ws, authed=False)
        self._clients.add(client)
        writer = asyncio.create_task(self._writer(client))
        try:
            await ws.send_str(json.dumps(self._hello(client)))
            client.state = json.dumps(panel_view(sources_of(self.box)))
            client.wake.set()
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    reply = self._receive(client, msg.data)
                    if reply is not None:
                        await ws.send_str(json.dumps(reply))
                elif msg.type in (WSMsgType.BINARY,):
                    await ws.send_str(json.dumps({"type": "error", "error": "binary messages are not understood"}))
        finally:
            self._clients.discard(client)
            writer.cancel()
        return ws

    def _receive(self, client: _Client, text: str) -> dict | None:
        """One message from a page: a reply (an error, or the outcome of auth) or None."""
        self.stats["messages"] += 1
        now = time.monotonic()
        if not client.limit.allow(now):
            self.stats["refused"] += 1
            if now - client.reported_at < FLOOD_REPORT_S:
                return None
            count = client.limit.refused - client.refused_reported
            client.reported_at, client.refused_reported = now, client.limit.refused
            return {"type": "error", "error": f"too many messages: {count} refused (limit {FLOOD_RATE:g}/s)"}
        try:
            g = protocol.parse(text, self.matrix_jacks or None)
            if isinstance(g, protocol.Auth):
                if not self._guesses.allow(now):
                    raise protocol.BadMessage("too many passphrase attempts: wait a few seconds")
                ok = bool(self.passphrase_hash) and guard.check_passphrase(g.passphrase, self.passphrase_hash)
                client.authed = client.authed or ok
                if not ok:
                    client.limit.tokens = 0.0     # a wrong guess costs a second
                return {**self._hello(client), "auth": ok}
            if not self._may_change(client):
                raise protocol.BadMessage("read-only: give the passphrase to play this panel")
            if isinstance(g, protocol.PHYSICAL) and self.sim is None:
                raise protocol.BadMessage("this page mirrors a real panel: turn its knobs by hand")
            if isinstance(g, protocol.Unplug) and not any(
                    g.a in ends and (g.b is None or g.b in ends) for ends in self.sim.cables):
                raise protocol.BadMessage(f"no cable in {g.a}" + (f" to {g.b}" if g.b else ""))
        except protocol.BadMessage as exc:
            self.stats["errors"] += 1
            return {"type": "error", "error": str(exc)}
        self._gestures.put(g)
        return None

    async def _writer(self, client: _Client) -> None:
        """Send a page the latest state and signals; what it could not take in time is replaced."""
        while True:
            await client.wake.wait()
            client.wake.clear()
            for slot in ("state", "signals"):
                text = getattr(client, slot)
                if text is not None:
                    setattr(client, slot, None)
                    try:
                        await client.ws.send_str(text)
                    except (ConnectionError, RuntimeError):
                        return

    def _post(self, slot: str, text: str) -> None:
        for c in self._clients:
            setattr(c, slot, text)
            c.wake.set()

    async def _mirror(self, src) -> None:
        last = None
        while True:
            if not self._clients:     # nobody looks: nothing to compute; a new page gets a fresh view
                last = None
                await asyncio.sleep(MIRROR_INTERVAL_S)
                continue
            try:
                view = panel_view(src)
                if view != last:
                    last = view
                    self.stats["states"] += 1
                    self._post("state", json.dumps(view))
            except Exception:   # never let a glitch end the mirror
                log.exception("web: mirror")
            await asyncio.sleep(MIRROR_INTERVAL_S)

    async def _feed(self, src) -> None:
        signals = Signals(src, int(self.box.audio.sink.rate))
        period = 1.0 / self.feed_hz
        next_at = time.monotonic()
        while True:
            if self._clients:
                try:
                    self._post("signals", json.dumps(signals.frame()))
                    self.stats["frames"] += 1
                except Exception:
                    log.exception("web: feed")
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at, delay = time.monotonic(), 0.0
            await asyncio.sleep(delay)
