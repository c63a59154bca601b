// alignment review: the page. Plain JS and SVG, no build step, no network beyond this server.
// Every text from the server is set with textContent (never parsed as HTML).
"use strict";

const TOKEN = document.querySelector('meta[name="token"]').content;
const SVG = "http://www.w3.org/2000/svg";
const SIDE_COLOURS = { right: "#4fb3ff", left: "#ff9f43" };
const AXIS_COLOURS = { dF: "#ffd43b", dT: "#ffd43b", mA: "#ffffff", aF: "#63e6be", aT: "#63e6be",
                       jF: "#ff8787", jT: "#ff8787", cF: "#ff8787", cT: "#ff8787" };
const $ = (id) => document.getElementById(id);

const app = {
  session: null, films: [], film: null, image: null, points: [], others: [], legs: [],
  version: null, measures: [], saves: 0, side: null, selected: null, view: { s: 1, ox: 0, oy: 0 },
  window: null, history: [], future: [], saving: null, pending: false, stale: false,
  circle: null, drag: null,
};

function api(path, options = {}) {
  const headers = Object.assign({ "X-Alignment-Token": TOKEN }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers }));
}

async function json(path) {
  const response = await api(path);
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  return response.json();
}

function el(tag, attrs = {}, text = null, ns = SVG) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function say(text, error = false) {
  const m = $("message");
  m.textContent = text;
  m.className = error ? "error" : "";
}

const pretty = (name) => name.replace(/_/g, " ");

// ------------------------------------------------------------------ films

function visibleFilms() {
  const state = $("state-filter").value;
  const text = $("text-filter").value.toLowerCase();
  return app.films.filter((f) => (!state || f.state === state || f.legs.some((l) => l.state === state))
    && (!text || f.file.toLowerCase().includes(text)));
}

function renderFilms() {
  const list = $("films");
  list.replaceChildren();
  const shown = visibleFilms();
  for (const film of shown) {
    const item = el("li", { "data-id": film.id }, null, null);
    item.append(el("span", { class: "file", title: film.file }, film.file, null),
      el("span", { class: `state ${film.state}` }, pretty(film.state), null));
    if (app.film && film.id === app.film.id) item.classList.add("current");
    item.addEventListener("click", () => openFilm(film.id));
    list.append(item);
  }
  const reviewed = app.films.filter((f) => f.state === "reviewed" || f.state === "not_measurable").length;
  $("counts").textContent = `${shown.length} shown, ${reviewed} of ${app.films.length} done`;
}

function stepFilm(step) {
  const shown = visibleFilms();
  if (!shown.length) return;
  const at = app.film ? shown.findIndex((f) => f.id === app.film.id) : -1;
  const next = shown[(at + step + shown.length) % shown.length];
  openFilm(next.id);
}

async function openFilm(id) {
  const film = app.films.find((f) => f.id === id);
  if (!film) return;
  app.film = film;
  app.stale = false;
  history.replaceState(null, "", `${location.pathname}${location.search}#film=${id}`);
  say("loading…");
  document.body.dataset.painted = "";
  renderFilms();
  const [state, image] = await Promise.all([
    json(`api/films/${id}/landmarks`), json(`api/films/${id}/image`),
  ]);
  if (!app.film || app.film.id !== id) return;
  app.image = image;
  app.window = image.window.slice();
  setupWindowControls();
  applyState(state);
  app.history = [];
  app.future = [];
  app.measures = [];
  const open = app.legs.filter((l) => l.state !== "not_measurable");
  app.side = (open.find((l) => legPoints(l.side).length) || open[0] || app.legs[0]).side;
  app.selected = firstMissing() || LANDMARKS()[0];
  fit();
  buildOverview();
  app.saves = 0;
  json(`api/films/${id}/measures`).then((rows) => {  // unless a save has answered with newer ones meanwhile
    if (app.film && app.film.id === id && app.saves === 0) { app.measures = rows; render(); }
  });
  $("film-name").textContent = film.file;
  const spacing = image.spacing_mm ? `${image.spacing_mm[0].toFixed(3)} mm/px` : "no spacing";
  const who = Object.values(image.identifiers || {}).join(" · ");
  $("film-facts").textContent = `${film.view} · ${image.columns} × ${image.rows} px · ${spacing}`
    + (who ? ` · ${who}` : "");
  render();
  say("");
}

function applyState(state) {
  app.points = state.landmarks.map((p) => Object.assign({}, p));
  app.others = state.others;
  app.legs = state.legs;
  app.version = state.version;
  updateFilmState(state.state);
}

function updateFilmState(state) {
  if (!app.film) return;
  app.film.state = state;
  app.film.legs = app.legs;
  renderFilms();
}

// ------------------------------------------------------------------ landmarks and saving

const LANDMARKS = () => app.session.landmarks[app.film.view]
  .filter((name) => name !== "knee_center" || app.points.some((p) => p.landmark === name));
const legPoints = (side = app.side) => app.points.filter((p) => p.side === side);
const pointOf = (name, side = app.side) => app.points.find((p) => p.side === side && p.landmark === name);
const legOf = (side = app.side) => app.legs.find((l) => l.side === side);

function firstMissing(after = null) {
  const names = LANDMARKS();
  const start = after ? names.indexOf(after) + 1 : 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[(start + i) % names.length];
    if (!pointOf(name)) return name;
  }
  return null;
}

function snapshot() {
  return { points: app.points.map((p) => Object.assign({}, p)), legs: app.legs.map((l) => Object.assign({}, l)) };
}

// Record the state before a change, apply `change`, save.
function edit(change, { reopenLeg = true } = {}) {
  if (app.stale) { say("this film changed elsewhere: reload it (r) before editing", true); return; }
  if (legOf()?.state === "not_measurable" && reopenLeg) {
    say("this leg is marked not measurable: undo (Ctrl+Z) to edit it again", true);
    return;
  }
  app.history.push(snapshot());
  app.future = [];
  change();
  if (reopenLeg) {
    const leg = legOf();
    if (leg && leg.state === "reviewed") leg.state = "in_progress";
  }
  save();
}

function restore(from, to) {
  if (!from.length || app.stale) return;
  to.push(snapshot());
  const state = from.pop();
  app.points = state.points;
  app.legs = state.legs;
  save();
}

function body() {
  return {
    landmarks: app.points.map(({ side, view, landmark, x, y }) => ({ side, view, landmark, x, y })),
    legs: app.legs.map(({ side, state, reason }) => ({
      side, state: state === "reviewed" || state === "not_measurable" ? state : "", reason,
    })),
  };
}

// One save at a time; a change made meanwhile is sent after it, based on its version.
async function save() {
  render();
  if (app.saving) { app.pending = true; return; }
  const id = app.film.id;
  app.saving = true;
  say("saving…");
  const started = performance.now();
  try {
    const response = await api(`api/films/${id}/landmarks`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "If-Match": `"${app.version}"` },
      body: JSON.stringify(body()),
    });
    const answer = await response.json();
    if (app.film.id !== id) return;
    if (response.status === 409) {
      app.stale = true;
      app.pending = false;
      say(`NOT SAVED: ${answer.error}. Press r to reload.`, true);
      return;
    }
    if (!response.ok) { say(`not saved: ${answer.error}`, true); return; }
    app.version = answer.version;
    app.legs = answer.legs;
    app.points = app.points.filter((p) => legOf(p.side)?.state !== "not_measurable");
    app.measures = answer.measures;
    app.saves += 1;
    updateFilmState(answer.state);
    document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
    say(`saved (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    say(`not saved: ${error.message}: is the server running?`, true);
  } finally {
    app.saving = null;
    render();
    if (app.pending && !app.stale) { app.pending = false; save(); }
  }
}

async function reload() {
  if (!app.film) return;
  const state = await json(`api/films/${app.film.id}/landmarks`);
  applyState(state);
  app.stale = false;
  app.history = [];
  app.future = [];
  app.measures = await json(`api/films/${app.film.id}/measures`);
  say("reloaded the saved version");
  render();
}

function setPoint(name, x, y) {
  const x1 = Math.min(Math.max(x, 0), app.image.columns);
  const y1 = Math.min(Math.max(y, 0), app.image.rows);
  const point = pointOf(name);
  if (point) { point.x = x1; point.y = y1; point.method = "moved"; }
  else app.points.push({ side: app.side, view: app.film.view, landmark: name, x: x1, y: y1, method: "placed" });
}

function accept() {
  const leg = legOf();
  if (!leg) return;
  edit(() => { leg.state = "reviewed"; leg.reason = ""; }, { reopenLeg: false });
}

function markUnmeasurable(reason) {
  const leg = legOf();
  edit(() => {
    leg.state = "not_measurable";
    leg.reason = reason;
    app.points = app.points.filter((p) => p.side !== leg.side);
  }, { reopenLeg: false });
}

// ------------------------------------------------------------------ view and tiles

const stage = $("stage");

function fit() {
  const box = stage.getBoundingClientRect();
  const s = Math.min(box.width / app.image.columns, box.height / app.image.rows) * 0.96;
  app.view = { s, ox: (box.width - app.image.columns * s) / 2, oy: (box.height - app.image.rows * s) / 2 };
  render();
}

const toScreen = (x, y) => [x * app.view.s + app.view.ox, y * app.view.s + app.view.oy];
const toImage = (sx, sy) => [(sx - app.view.ox) / app.view.s, (sy - app.view.oy) / app.view.s];

function tileUrl(level, tx, ty) {
  const [center, width] = app.window;
  return `api/films/${app.film.id}/tiles/${level}/${tx}/${ty}.png?token=${encodeURIComponent(TOKEN)}`
    + `&center=${center.toFixed(3)}&width=${width.toFixed(3)}`;
}

function tilesOf(level, bounds) {
  const [rows, columns] = app.image.levels[level];
  const size = app.image.tile_size;
  const sx = app.image.columns / columns;
  const sy = app.image.rows / rows;
  const out = [];
  const [x0, y0, x1, y1] = bounds || [0, 0, app.image.columns, app.image.rows];
  for (let ty = Math.max(0, Math.floor(y0 / sy / size)); ty * size < rows && ty * size * sy < y1; ty++) {
    for (let tx = Math.max(0, Math.floor(x0 / sx / size)); tx * size < columns && tx * size * sx < x1; tx++) {
      const w = Math.min(size, columns - tx * size);
      const h = Math.min(size, rows - ty * size);
      out.push({ key: `${level}/${tx}/${ty}`, url: tileUrl(level, tx, ty),
                 x: tx * size * sx, y: ty * size * sy, w: w * sx, h: h * sy });
    }
  }
  return out;
}

function tileImage(t) {
  const node = el("image", { x: t.x, y: t.y, width: t.w, height: t.h, preserveAspectRatio: "none",
                              "data-key": t.key });
  node.setAttribute("href", t.url);
  return node;
}

// The coarsest level, always under the others: the first paint, and no hole while zooming.
function buildOverview() {
  const group = $("overview");
  group.replaceChildren();
  $("tiles").replaceChildren();
  const tiles = tilesOf(app.image.levels.length - 1);
  let waiting = tiles.length;
  const id = app.film.id;
  for (const t of tiles) {
    const node = tileImage(t);
    node.addEventListener("load", () => {
      if (--waiting === 0 && app.film && app.film.id === id) {
        document.body.dataset.painted = id;
        window.firstPaintMs = performance.now();
        render();  // now the finer tiles
      }
    });
    group.append(node);
  }
}

function renderTiles() {
  const box = stage.getBoundingClientRect();
  const level = Math.max(0, Math.min(app.image.levels.length - 1, Math.floor(Math.log2(1 / app.view.s))));
  const group = $("tiles");
  const painted = document.body.dataset.painted === app.film.id;
  if (level === app.image.levels.length - 1 || !painted) { group.replaceChildren(); return; }
  const [x0, y0] = toImage(0, 0);
  const [x1, y1] = toImage(box.width, box.height);
  const wanted = tilesOf(level, [x0, y0, x1, y1]);
  const keep = new Set(wanted.map((t) => t.url));
  for (const node of [...group.children]) if (!keep.has(node.getAttribute("href"))) node.remove();
  const have = new Set([...group.children].map((n) => n.getAttribute("href")));
  for (const t of wanted) if (!have.has(t.url)) group.append(tileImage(t));
}

let frame = 0;
function render() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; draw(); });
}

function draw() {
  if (!app.film || !app.image) return;
  const { s, ox, oy } = app.view;
  $("world").setAttribute("transform", `translate(${ox} ${oy}) scale(${s})`);
  renderTiles();
  drawOverlay();
  renderPanel();
}

function drawOverlay() {
  const overlay = $("overlay");
  overlay.replaceChildren();
  for (const leg of app.legs) {
    const colour = SIDE_COLOURS[leg.side];
    const active = leg.side === app.side;
    for (const [name, [start, end]] of Object.entries(app.session.axes)) {
      const a = pointOf(start, leg.side);
      const b = pointOf(end, leg.side);
      if (!a || !b) continue;
      const [x1, y1] = toScreen(a.x, a.y);
      const [x2, y2] = toScreen(b.x, b.y);
      overlay.append(el("line", { x1, y1, x2, y2, stroke: AXIS_COLOURS[name] || colour,
        "stroke-width": active ? 2 : 1, "stroke-dasharray": name === "mA" ? "6 4" : "none",
        opacity: active ? 0.9 : 0.5, "data-axis": name, "pointer-events": "none" }));
    }
  }
  for (const o of app.others) {
    const [x, y] = toScreen(o.x, o.y);
    const g = el("g", { class: "other" });
    g.append(el("path", { d: `M${x - 5} ${y}h10M${x} ${y - 5}v10`, stroke: "#bbb", "stroke-width": 1.5 }),
      el("text", { x: x + 6, y: y + 12 }, o.reader));
    overlay.append(g);
  }
  const labels = [];
  const ordered = [...app.points].sort((a, b) => (b.landmark === app.selected) - (a.landmark === app.selected));
  for (const p of ordered) {
    const [x, y] = toScreen(p.x, p.y);
    const active = p.side === app.side;
    const selected = active && p.landmark === app.selected;
    const g = el("g", { class: `handle${selected ? " selected" : ""}`, "data-side": p.side,
                        "data-landmark": p.landmark, transform: `translate(${x} ${y})` });
    g.append(el("circle", { class: "ring", r: active ? 7 : 5, stroke: SIDE_COLOURS[p.side] }),
      el("circle", { r: 1.5, fill: SIDE_COLOURS[p.side] }));
    if (active) {
      const dy = labelOffset(labels, x, y, pretty(p.landmark), selected);
      if (dy !== null) g.append(el("text", { x: 9, y: dy }, pretty(p.landmark)));
    }
    g.addEventListener("pointerdown", (event) => startHandleDrag(event, p));
    overlay.append(g);
  }
  if (app.circle) {
    for (const [px, py] of app.circle) {
      const [x, y] = toScreen(px, py);
      overlay.append(el("circle", { r: 3, cx: x, cy: y, fill: "#fff", "data-circle-point": "" }));
    }
  }
}

// A vertical offset for a handle's name that overlaps no name already placed; null when
// none is free (crowded handles at a low zoom: the list in the panel names them all).
function labelOffset(placed, x, y, text, always) {
  const width = text.length * 6.2;
  for (const dy of [-6, 10, -20, 24]) {
    const box = [x + 9, y + dy - 10, x + 9 + width, y + dy + 2];
    const clash = placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]);
    if (!clash || (always && dy === 24)) { placed.push(box); return clash ? -6 : dy; }
  }
  return null;
}

function renderPanel() {
  $("legs").replaceChildren(...app.legs.map((leg) => {
    const b = el("button", { type: "button", role: "tab", "aria-selected": String(leg.side === app.side),
                             "data-side": leg.side }, null, null);
    b.append(el("span", {}, `${leg.side} `, null), el("span", { class: `state ${leg.state}` }, pretty(leg.state), null));
    if (leg.reason) b.title = leg.reason;
    b.addEventListener("click", () => { app.side = leg.side; app.selected = firstMissing() || LANDMARKS()[0]; render(); });
    return b;
  }));
  const leg = legOf();
  let prompt = "";
  if (app.stale) prompt = "Changed elsewhere: press r to reload.";
  else if (leg?.state === "not_measurable") prompt = `Not measurable: ${leg.reason}`;
  else if (app.circle) prompt = `Circle tool: click point ${app.circle.length + 1} of 3 on the femoral head's rim (${app.side} leg).`;
  else if (app.selected && !pointOf(app.selected)) prompt = `Click the ${pretty(app.selected)} (${app.side} leg).`;
  else if (!firstMissing()) prompt = leg?.state === "reviewed" ? "Leg accepted." : "Every landmark placed: check them, then accept the leg (a).";
  $("prompt").textContent = prompt;
  stage.classList.toggle("placing", Boolean(app.circle || (app.selected && !pointOf(app.selected))));
  $("circle").classList.toggle("active", Boolean(app.circle));
  $("circle").disabled = app.film.view !== "AP";
  const list = $("landmark-list");
  list.replaceChildren(...LANDMARKS().map((name) => {
    const point = pointOf(name);
    const item = el("li", { class: `${point ? "present" : ""}${name === app.selected ? " selected" : ""}` },
      `${pretty(name)}${point ? ` (${point.method})` : ""}`, null);
    item.addEventListener("click", () => { app.selected = name; render(); });
    return item;
  }));
  const body = $("measures").tBodies[0];
  body.replaceChildren();
  for (const row of app.measures.filter((r) => r.side === app.side)) {
    const ok = row.status === "ok";
    const tr = el("tr", { class: ok ? (row.outlier ? "outlier" : "") : "missing", "data-measure": row.measure }, null, null);
    const unit = row.unit === "deg" ? "°" : row.unit === "mm" ? " mm" : "";
    const value = !ok ? "—" : row.label ? row.label : `${row.value.toFixed(1)}${unit}`;
    const target = row.target === null ? "" : `${row.target}${row.tolerance !== null ? ` ± ${row.tolerance}` : ""}`;
    const deviation = ok && row.deviation !== null ? `${row.deviation > 0 ? "+" : ""}${row.deviation.toFixed(1)}${row.outlier ? " ⚠" : ""}` : "";
    tr.append(el("td", {}, row.measure, null), el("td", { class: "value" }, value, null),
      el("td", {}, target, null), el("td", {}, deviation, null));
    tr.title = row.reason || row.flags || "";
    body.append(tr);
  }
}

// ------------------------------------------------------------------ pointer

function eventXY(event) {
  const box = stage.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top];
}

function startHandleDrag(event, point) {
  if (event.button !== 0 || app.circle) return;
  event.stopPropagation();
  app.side = point.side;
  app.selected = point.landmark;
  app.drag = { kind: "handle", point, before: snapshot(), moved: false };
  stage.setPointerCapture(event.pointerId);
  render();
}

stage.addEventListener("pointerdown", (event) => {
  if (!app.film || event.button !== 0) return;
  const [sx, sy] = eventXY(event);
  app.drag = { kind: "pan", sx, sy, ox: app.view.ox, oy: app.view.oy, moved: false };
  stage.setPointerCapture(event.pointerId);
});

stage.addEventListener("pointermove", (event) => {
  const drag = app.drag;
  if (!drag) return;
  const [sx, sy] = eventXY(event);
  if (drag.kind === "pan") {
    if (Math.abs(sx - drag.sx) + Math.abs(sy - drag.sy) > 3) drag.moved = true;
    app.view.ox = drag.ox + sx - drag.sx;
    app.view.oy = drag.oy + sy - drag.sy;
  } else {
    const [x, y] = toImage(sx, sy);
    drag.point.x = Math.min(Math.max(x, 0), app.image.columns);
    drag.point.y = Math.min(Math.max(y, 0), app.image.rows);
    drag.moved = true;
  }
  render();
});

stage.addEventListener("pointerup", (event) => {
  const drag = app.drag;
  app.drag = null;
  if (!drag) return;
  if (drag.kind === "handle") {
    if (!drag.moved) return;
    const { x, y } = drag.point;
    app.points = drag.before.points;  // the edit starts from the state before the drag
    app.legs = drag.before.legs;
    edit(() => setPoint(drag.point.landmark, x, y));
    return;
  }
  if (drag.moved) return;
  const [x, y] = toImage(...eventXY(event));
  if (x < 0 || y < 0 || x > app.image.columns || y > app.image.rows) return;
  if (app.circle) { circleClick(x, y); return; }
  if (app.selected && !pointOf(app.selected)) {
    const name = app.selected;
    edit(() => setPoint(name, x, y));
    app.selected = firstMissing(name) || name;
    render();
  }
});

stage.addEventListener("wheel", (event) => {
  if (!app.film) return;
  event.preventDefault();
  const [sx, sy] = eventXY(event);
  const [x, y] = toImage(sx, sy);
  const factor = Math.exp(-event.deltaY * 0.0015);
  app.view.s = Math.min(Math.max(app.view.s * factor, 0.02), 16);
  app.view.ox = sx - x * app.view.s;
  app.view.oy = sy - y * app.view.s;
  render();
}, { passive: false });

window.addEventListener("resize", () => render());
window.addEventListener("hashchange", () => {
  const wanted = new URLSearchParams(location.hash.slice(1)).get("film");
  if (wanted && (!app.film || wanted !== app.film.id)) openFilm(wanted);
});

// Centre of the circle through three points (the femoral head from its rim); null if collinear.
function circumcentre([ax, ay], [bx, by], [cx, cy]) {
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  if (Math.abs(d) < 1e-9) return null;
  const a2 = ax * ax + ay * ay;
  const b2 = bx * bx + by * by;
  const c2 = cx * cx + cy * cy;
  return [(a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d,
          (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d];
}

function circleClick(x, y) {
  app.circle.push([x, y]);
  if (app.circle.length < 3) { render(); return; }
  const centre = circumcentre(...app.circle);
  app.circle = null;
  if (!centre) { say("the three points lie on a line: try again", true); render(); return; }
  app.selected = "femoral_head_center";
  edit(() => setPoint("femoral_head_center", centre[0], centre[1]));
}

function toggleCircle() {
  if (!app.film || app.film.view !== "AP") return;
  app.circle = app.circle ? null : [];
  render();
}

// ------------------------------------------------------------------ window / level

function setupWindowControls() {
  const [low, high] = app.image.range;
  const span = Math.max(high - low, 1e-6);
  const center = $("wl-center");
  const width = $("wl-width");
  center.min = String(low); center.max = String(high);
  width.min = String(span / 200); width.max = String(span * 2);
  center.value = String(app.window[0]);
  width.value = String(app.window[1]);
}

let windowTimer = 0;
function windowChanged() {
  app.window = [Number($("wl-center").value), Number($("wl-width").value)];
  clearTimeout(windowTimer);
  windowTimer = setTimeout(() => { buildOverview(); render(); }, 120);
}

// ------------------------------------------------------------------ keyboard and buttons

function selectStep(step) {
  const names = LANDMARKS();
  const at = names.indexOf(app.selected);
  app.selected = names[(at + step + names.length) % names.length];
  render();
}

function askReason() {
  if (!app.film) return;
  $("reason-form").hidden = false;
  $("reason").value = legOf()?.reason || "";
  $("reason").focus();
}

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) {
    if (event.key === "Escape") { $("reason-form").hidden = true; event.target.blur(); }
    return;
  }
  if (!app.film) return;
  const key = event.key;
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && key.toLowerCase() === "z") { event.preventDefault(); if (event.shiftKey) restore(app.future, app.history); else restore(app.history, app.future); return; }
  if (ctrl && key.toLowerCase() === "y") { event.preventDefault(); restore(app.future, app.history); return; }
  if (ctrl || event.altKey) return;
  const actions = {
    n: () => stepFilm(1), PageDown: () => stepFilm(1), p: () => stepFilm(-1), PageUp: () => stepFilm(-1),
    Tab: () => selectStep(event.shiftKey ? -1 : 1), a: accept, x: askReason, c: toggleCircle,
    f: fit, r: reload, "?": () => $("help").showModal(),
    s: () => { const i = app.legs.findIndex((l) => l.side === app.side); app.side = app.legs[(i + 1) % app.legs.length].side; app.selected = firstMissing() || LANDMARKS()[0]; render(); },
    Escape: () => { app.circle = null; render(); },
    Delete: () => { const name = app.selected; if (pointOf(name)) edit(() => { app.points = app.points.filter((p) => !(p.side === app.side && p.landmark === name)); }); },
  };
  const action = actions[key];
  if (action) { event.preventDefault(); action(); }
});

$("reason-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const reason = $("reason").value.trim();
  if (!reason) return;
  $("reason-form").hidden = true;
  markUnmeasurable(reason);
});
$("reason-cancel").addEventListener("click", () => { $("reason-form").hidden = true; });
$("accept").addEventListener("click", accept);
$("unmeasurable").addEventListener("click", askReason);
$("circle").addEventListener("click", toggleCircle);
$("undo").addEventListener("click", () => restore(app.history, app.future));
$("redo").addEventListener("click", () => restore(app.future, app.history));
$("fit").addEventListener("click", fit);
$("help-button").addEventListener("click", () => $("help").showModal());
$("wl-center").addEventListener("input", windowChanged);
$("wl-width").addEventListener("input", windowChanged);
$("wl-reset").addEventListener("click", () => { app.window = app.image.window.slice(); setupWindowControls(); windowChanged(); });
$("state-filter").addEventListener("change", renderFilms);
$("text-filter").addEventListener("input", renderFilms);

// ------------------------------------------------------------------ start

(async function start() {
  try {
    [app.session, app.films] = await Promise.all([json("api/session"), json("api/films")]);
  } catch (error) {
    say(`cannot reach the review server: ${error.message}`, true);
    return;
  }
  $("reader").textContent = `reader: ${app.session.reader}${app.session.blind ? " (blind)" : ""}`;
  renderFilms();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("film");
  const first = app.films.find((f) => f.id === wanted) || app.films[0];
  if (first) await openFilm(first.id);
  if (app.session.problems.length) say(`${app.session.problems.length} file(s) could not be used: ${app.session.problems.map((p) => p.file).join(", ")}`, true);
})();
