// Patch memory on the panel page (ms20/memory): Save and Recall by name, the recall guide (the
// jacks to plug ringed green, those to pull red, each step listed), and a MIDI-learn mark on
// every knob: click it, move a controller, and that CC turns the knob. Uses panel.js's send()
// and wraps its applyState() to read the "memory" part of each state message.
"use strict";

const LEARN_R = 3.2;

el("memory").addEventListener("submit", ev => {
  ev.preventDefault();
  const name = el("patch-name").value.trim();
  if (name) send({ type: "save", name });
});
el("recall").addEventListener("click", () => {
  const name = el("patch-name").value.trim();
  if (name) send({ type: "recall", name });
});

knobs.forEach((g, name) => {
  const mark = document.createElementNS(NS, "circle");
  mark.setAttribute("class", "learn-mark");
  mark.setAttribute("cx", "12"); mark.setAttribute("cy", "-12"); mark.setAttribute("r", String(LEARN_R));
  mark.dataset.knob = name;
  const title = document.createElementNS(NS, "title");
  title.textContent = `MIDI learn: click, then move a controller to turn ${name}`;
  mark.appendChild(title);
  mark.addEventListener("pointerdown", ev => {     // not the knob's drag underneath
    ev.stopPropagation();
    if (hello.writable) send({ type: "learn", knob: name });
  });
  g.appendChild(mark);
});

function showMemory(m) {
  if (!m) return;
  el("memory-message").textContent = m.message || "";
  document.querySelectorAll(".learn-mark").forEach(k => k.classList.toggle("armed", k.dataset.knob === m.learning));
  jacks.forEach(g => g.classList.remove("guide-plug", "guide-pull"));
  const guide = el("guide");
  guide.hidden = m.guide.matches;
  guide.replaceChildren(...(m.guide.matches ? [] : m.lines.map(line => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  })));
  for (const [out, inp] of m.guide.plug) [out, inp].forEach(j => j && jacks.get(j)?.classList.add("guide-plug"));
  for (const [out, inp] of m.guide.pull) [out, inp].forEach(j => j && jacks.get(j)?.classList.add("guide-pull"));
}

const panelApplyState = applyState;
applyState = s => { panelApplyState(s); showMemory(s.memory); };   // eslint-disable-line no-global-assign
