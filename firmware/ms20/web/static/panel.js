// The MS-20 panel page: the SVG the server drew (ms20/drawing/svg.py) made live. Gestures go
// to the firmware as JSON over one WebSocket (ms20/web/protocol.py); the firmware answers with
// the panel as it reads it ("state") and with OUTPUT's scope, spectrum and CV meters
// ("signals"). No framework, no build step.
"use strict";

const NS = "http://www.w3.org/2000/svg";
const svg = document.querySelector("#panel svg");
const SPAN = parseFloat(svg.dataset.switchSpan);
const FIRST_KEY = 48, KEY_COUNT = 37;            // C3 .. C6, the MS-20's 37 keys
const TYPING = { z: 48, s: 49, x: 50, d: 51, c: 52, v: 53, g: 54, b: 55, h: 56, n: 57, j: 58, m: 59, ",": 60,
                 q: 60, 2: 61, w: 62, 3: 63, e: 64, r: 65, 5: 66, t: 67, 6: 68, y: 69, 7: 70, u: 71, i: 72 };
const SEND_EVERY_MS = 33;                        // a dragged knob sends at most 30 positions a second
const HOLD_AFTER_DRAG_MS = 400;                  // the server's echo of an older position is ignored this long

const knobs = new Map(), switches = new Map(), jacks = new Map();
svg.querySelectorAll(".knob").forEach(g => knobs.set(g.dataset.name, g));
svg.querySelectorAll(".switch").forEach(g => switches.set(g.dataset.name, g));
svg.querySelectorAll(".jack").forEach(g => jacks.set(g.dataset.name, g));
const cablesLayer = svg.querySelector("#cables");
const wheelG = svg.querySelector(".wheel"), momentaryG = svg.querySelector(".momentary");

let ws = null, hello = { writable: false, physical: false }, held = new Map(); // held: knob -> time of last local move
const el = id => document.getElementById(id);

// -- drawing what the firmware says ------------------------------------------------------

const knobAngle = p => -150 + 30 * Math.min(Math.max(p, 0), 10);
const switchAngle = (i, n) => (n < 2 ? 0 : -SPAN / 2 + SPAN * i / (n - 1));

function showKnob(name, p) {
  const g = knobs.get(name);
  if (!g) return;
  g.dataset.position = p.toFixed(3);
  g.querySelector(".pointer").setAttribute("transform", `rotate(${knobAngle(p).toFixed(1)})`);
}

function showSwitch(name, pos) {
  const g = switches.get(name);
  if (!g) return;
  g.dataset.position = pos;
  const detents = [...g.querySelectorAll(".detent")];
  detents.forEach((d, i) => {
    const on = d.dataset.detent === pos;
    d.classList.toggle("on", on);
    if (on) g.querySelector(".pointer").setAttribute("transform", `rotate(${switchAngle(i, detents.length)})`);
  });
}

function showCables(cables) {
  const parts = cables.map(c => {
    const a = jacks.get(c.from).transform.baseVal[0].matrix, b = jacks.get(c.to).transform.baseVal[0].matrix;
    return `<g class="cable-group" data-from="${c.from}" data-to="${c.to}"><path class="cable" stroke="${c.colour}" d="${c.d}"/>` +
      `<circle class="plug" fill="${c.colour}" cx="${a.e}" cy="${a.f}" r="3.2"/><circle class="plug" fill="${c.colour}" cx="${b.e}" cy="${b.f}" r="3.2"/></g>`;
  });
  cablesLayer.innerHTML = parts.join("");
}

function showWheel(f) {
  wheelG.dataset.position = f.toFixed(3);
  const level = wheelG.querySelector(".level");
  level.setAttribute("y", (20 - 40 * f).toFixed(1));
  level.setAttribute("height", (40 * f).toFixed(1));
}

function applyState(s) {
  const now = performance.now();
  for (const [name, p] of Object.entries(s.knobs)) if (!(now - (held.get(name) || -1e9) < HOLD_AFTER_DRAG_MS)) showKnob(name, p);
  for (const [name, p] of Object.entries(s.switches)) showSwitch(name, p);
  showCables(s.cables);
  if (!(now - (held.get("wheel") || -1e9) < HOLD_AFTER_DRAG_MS)) showWheel(s.wheel);
  momentaryG.classList.toggle("pressed", s.momentary);
  el("note").textContent = s.note + (s.gate ? " ♪" : "");
  document.querySelectorAll("#keys .down").forEach(k => k.classList.remove("down"));
  if (s.gate) document.querySelector(`#keys [data-note="${s.midi_note}"]`)?.classList.add("down");
  el("message").textContent = s.problems.join("; ");
  svg.dataset.stateAt = now.toFixed(1);
}

function drawScope(points) {
  const c = el("scope"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = "#234"; g.beginPath(); g.moveTo(0, c.height / 2); g.lineTo(c.width, c.height / 2); g.stroke();
  if (!points.length) return;
  g.strokeStyle = "#6f6"; g.beginPath();
  points.forEach((v, i) => {
    const x = i / (points.length - 1) * c.width, y = c.height / 2 - v * c.height * 0.45;
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke();
}

function drawSpectrum(db) {
  const c = el("spectrum"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const w = c.width / Math.max(db.length, 1);
  g.fillStyle = "#4fc3f7";
  db.forEach((v, i) => {
    const h = Math.max(0, Math.min(1, (v + 90) / 90)) * c.height;
    g.fillRect(i * w, c.height - h, w - 1, h);
  });
}

function drawMeters(meters) {
  const rows = Object.entries(meters).map(([name, v]) => {
    const x = Math.max(-10, Math.min(10, v)), left = 50 + Math.min(0, x) * 5, width = Math.abs(x) * 5;
    return `<div class="row" data-jack="${name}"><span>${name}</span><b>${v >= 0 ? "+" : ""}${v.toFixed(2)} V</b>` +
      `<span class="bar"><i style="left:${left}%;width:${width}%"></i></span></div>`;
  });
  el("meters").innerHTML = rows.length ? rows.join("") : "<i>no CV patched</i>";
}

function applySignals(s) {
  drawScope(s.scope);
  drawSpectrum(s.spectrum);
  drawMeters(s.meters);
  el("xruns").textContent = s.xruns;
  el("dsp").textContent = s.dsp.toFixed(1);
  el("cpu").textContent = s.cpu.toFixed(1);
}

// -- talking to the firmware ------------------------------------------------------------------

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function connect() {
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = ev => {
    const m = JSON.parse(ev.data);
    if (m.type === "state") applyState(m);
    else if (m.type === "signals") applySignals(m);
    else if (m.type === "hello") {
      hello = m;
      el("mode").textContent = m.physical ? "simulated board: play it here" : "mirror of the box's panel";
      const ro = !m.writable || !m.physical;
      document.body.classList.toggle("readonly", !m.writable);
      el("rw").textContent = !m.writable ? "read-only" : (m.physical ? "" : "knobs and cables are shown, not moved");
      el("rw").classList.toggle("readonly", ro);
      el("auth").hidden = !(m.passphrase && !m.writable);
      if (m.auth === false) el("message").textContent = "wrong passphrase";
    } else if (m.type === "error") el("message").textContent = m.error;
  };
  ws.onopen = () => { document.body.dataset.connected = "yes"; };
  ws.onclose = () => { document.body.dataset.connected = "no"; el("mode").textContent = "disconnected: retrying"; setTimeout(connect, 1000); };
}

el("auth").addEventListener("submit", ev => { ev.preventDefault(); send({ type: "auth", passphrase: el("passphrase").value }); });

// -- gestures ------------------------------------------------------------------------------------

const canPlay = () => hello.writable && hello.physical;

function svgPoint(ev) {
  const p = svg.createSVGPoint();
  p.x = ev.clientX; p.y = ev.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

function throttled(fn) {          // calls fn with the latest arguments at most every SEND_EVERY_MS
  let last = 0, timer = null, args = null;
  return (...a) => {
    args = a;
    const wait = SEND_EVERY_MS - (performance.now() - last);
    if (wait <= 0) { last = performance.now(); fn(...args); }
    else if (!timer) timer = setTimeout(() => { timer = null; last = performance.now(); fn(...args); }, wait);
  };
}

const sendTurn = throttled((name, p) => send({ type: "turn", knob: name, position: p }));

function turnBy(name, p) {
  p = Math.min(10, Math.max(0, p));
  held.set(name, performance.now());
  showKnob(name, p);
  sendTurn(name, p);
}

knobs.forEach((g, name) => {
  g.addEventListener("pointerdown", ev => {
    if (!canPlay()) return;
    ev.preventDefault();
    g.setPointerCapture(ev.pointerId);
    const y0 = ev.clientY, p0 = parseFloat(g.dataset.position);
    const move = e => turnBy(name, p0 + (y0 - e.clientY) / 15);     // 150 px for the whole travel
    const up = () => { g.removeEventListener("pointermove", move); g.removeEventListener("pointerup", up); };
    g.addEventListener("pointermove", move);
    g.addEventListener("pointerup", up);
  });
  g.addEventListener("wheel", ev => {
    if (!canPlay()) return;
    ev.preventDefault();
    turnBy(name, parseFloat(g.dataset.position) + (ev.deltaY < 0 ? 0.2 : -0.2));
  }, { passive: false });
});

switches.forEach((g, name) => {
  g.addEventListener("click", ev => {
    if (!canPlay()) return;
    const detents = [...g.querySelectorAll(".detent")].map(d => d.dataset.detent);
    const picked = ev.target.closest(".detent");
    const next = picked ? picked.dataset.detent : detents[(detents.indexOf(g.dataset.position) + 1) % detents.length];
    showSwitch(name, next);
    send({ type: "switch", switch: name, position: next });
  });
});

let dragLine = null;
jacks.forEach((g, name) => {
  g.addEventListener("pointerdown", ev => {
    if (!canPlay()) return;
    ev.preventDefault();
    const m = g.transform.baseVal[0].matrix, x0 = m.e, y0 = m.f;
    dragLine = document.createElementNS(NS, "path");
    dragLine.setAttribute("class", "dragline");
    svg.appendChild(dragLine);
    const over = e => document.elementFromPoint(e.clientX, e.clientY)?.closest(".jack");
    const move = e => {
      const p = svgPoint(e), sag = 12 + 0.35 * Math.hypot(p.x - x0, p.y - y0);
      dragLine.setAttribute("d", `M${x0},${y0} C${x0},${y0 + sag} ${p.x},${p.y + sag} ${p.x},${p.y}`);
      jacks.forEach(j => j.classList.remove("target"));
      const t = over(e);
      if (t && t !== g) t.classList.add("target");
    };
    const up = e => {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
      dragLine.remove(); dragLine = null;
      jacks.forEach(j => j.classList.remove("target"));
      const t = over(e);
      if (t && t !== g) send({ type: "plug", from: name, to: t.dataset.name });
    };
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
  });
  g.addEventListener("dblclick", () => { if (canPlay()) send({ type: "unplug", from: name, to: null }); });
});

cablesLayer.addEventListener("click", ev => {
  const c = ev.target.closest(".cable-group");
  if (c && canPlay()) send({ type: "unplug", from: c.dataset.from, to: c.dataset.to });
});

wheelG.addEventListener("pointerdown", ev => {
  if (!canPlay()) return;
  ev.preventDefault();
  wheelG.setPointerCapture(ev.pointerId);
  const sendWheel = throttled(f => send({ type: "wheel", position: f }));
  const move = e => {
    const f = Math.min(1, Math.max(0, (wheelG.transform.baseVal[0].matrix.f + 20 - svgPoint(e).y) / 40));
    held.set("wheel", performance.now()); showWheel(f); sendWheel(f);
  };
  const up = () => { wheelG.removeEventListener("pointermove", move); wheelG.removeEventListener("pointerup", up); };
  move(ev);
  wheelG.addEventListener("pointermove", move);
  wheelG.addEventListener("pointerup", up);
});

momentaryG.addEventListener("pointerdown", ev => {
  if (!canPlay()) return;
  momentaryG.setPointerCapture(ev.pointerId);
  send({ type: "momentary", pressed: true });
});
momentaryG.addEventListener("pointerup", () => { if (canPlay()) send({ type: "momentary", pressed: false }); });

// -- the keyboard: on screen and typed ---------------------------------------------------------

const isBlack = n => [1, 3, 6, 8, 10].includes(n % 12);
(function drawKeys() {
  const keys = el("keys"), whites = [], blacks = [];
  let x = 0;
  for (let n = FIRST_KEY; n < FIRST_KEY + KEY_COUNT; n++) {
    if (isBlack(n)) blacks.push(`<rect class="black" data-note="${n}" x="${x - 4}" y="0" width="8" height="36"/>`);
    else { whites.push(`<rect class="white" data-note="${n}" x="${x}" y="0" width="12" height="60"/>`); x += 12; }
  }
  keys.setAttribute("viewBox", `0 0 ${x} 60`);
  keys.innerHTML = whites.join("") + blacks.join("");
})();

const down = new Set();
function key(note, on) {
  if (!hello.writable || on === down.has(note)) return;
  on ? down.add(note) : down.delete(note);
  document.querySelector(`#keys [data-note="${note}"]`)?.classList.toggle("down", on);
  send({ type: "key", note, on });
}

el("keys").addEventListener("pointerdown", ev => {
  const k = ev.target.closest("[data-note]");
  if (!k) return;
  const note = +k.dataset.note;
  key(note, true);
  const up = () => { key(note, false); document.removeEventListener("pointerup", up); };
  document.addEventListener("pointerup", up);
});

document.addEventListener("keydown", ev => {
  if (ev.repeat || ev.target.tagName === "INPUT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const note = TYPING[ev.key.toLowerCase()];
  if (note !== undefined) { ev.preventDefault(); key(note, true); }
});
document.addEventListener("keyup", ev => {
  const note = TYPING[ev.key.toLowerCase()];
  if (note !== undefined) key(note, false);
});
window.addEventListener("blur", () => down.forEach(n => key(n, false)));   // no stuck notes

connect();
