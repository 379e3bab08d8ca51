// Seat map data: status codes and colours, where the map's downloads come from (started early),
// and the layout decoding. Used by seat_map.jsx and seatmap_draw.js.
import { getBackendURL } from "$/utils/state";

export const AVAILABLE = 0, HELD = 1, RESERVED = 2, SOLD = 3, BLOCKED = 4, ORG_HOLD = 5, NOT_OWNED = 6, RETURNED = 7;
export const STATUS_TEXT = ["Available", "Held", "Reserved", "Sold", "Blocked", "Held back", "Not owned", "Returned"];
export const TYPE_TEXT = { s: "", w: "Wheelchair space", c: "Companion seat", v: "VIP", r: "Restricted view" };
// Customers: sold (and reserved) seats are dark crosses, seats out of sale pale dots, so the two
// differ in shape as well as colour (the legend shows both).
export const CUSTOMER_COLORS = ["", "#f59e0b", "cross:#475569", "cross:#475569", "#e2e8f0", "#e2e8f0", "#e2e8f0", "#e2e8f0"];
export const SOLD_MARK = "#475569";
export const ORGANIZER_COLORS = ["", "#f59e0b", "#fb923c", "#334155", "#dc2626", "#9333ea", "#e2e8f0", "#fda4af"];
// Organizer holds and blocks are drawn as shapes (ring, cross) so no price-level colour hides them.
export const SHAPES = { [ORG_HOLD]: "ring:", [BLOCKED]: "cross:" };
export const MINE = "#3730a3";
export const DIM = "#eef0f3";
export const GAP_WAIT_MS = 200;
export const POLL_MS = 10000;

export function apiUrl(path) {
  try {
    return new URL(path, getBackendURL().origin).toString();
  } catch (e) {
    return path;
  }
}

// The customer page's own route names the map, so the download can start at mount, before the
// page state (and its URLs) arrive over the websocket.
export function urlsFromPath() {
  if (typeof window === "undefined") return {};
  const m = /\/events\/([0-9a-f-]{36})\/seats\/([0-9a-f-]{36})/.exec(window.location.pathname);
  if (!m) return {};
  const base = `/api/v1/events/${m[1]}/sessions/${m[2]}`;
  return { layout: `${base}/seatmap`, status: `${base}/seats/status` };
}

// Started by a script in the page's head while the HTML is parsed (components/seat_map.py),
// else when this module loads: either way before React mounts the map.
export const early = (() => {
  if (typeof window !== "undefined" && window.__seatmapEarly) return window.__seatmapEarly;
  const urls = urlsFromPath();
  if (!urls.layout || typeof fetch === "undefined") return null;
  const get = (u, opts) => fetch(apiUrl(u), opts).then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  const out = { layoutUrl: urls.layout, statusUrl: urls.status, layout: get(urls.layout, {}),
                status: get(urls.status, { cache: "no-store" }) };
  out.layout.catch(() => null);
  out.status.catch(() => null);
  return out;
})();

// The early layout is decoded as soon as it and this module are in (while React is still busy
// mounting the page), and the early statuses are kept as they arrive, so the map can draw its
// first frame in the same commit that mounts it.
if (early) {
  early.layout.then((doc) => { if (early.layout) early.decoded = decodeLayout(doc); }).catch(() => null);
  early.status.then((snap) => { if (early.status) early.snap = snap; }).catch(() => null);
}

export function takeEarly(kind, url) {
  if (!early || early[kind + "Url"] !== url || !early[kind]) return null;
  const p = early[kind];
  early[kind] = null; // once: later loads must be fresh
  if (kind === "layout" && early.decoded) { const L = early.decoded; early.decoded = null; return Promise.resolve({ decoded: L }); }
  if (kind === "status") early.snap = null;
  return p;
}

// Both early downloads, already decoded and in, for these URLs: {L, snap} once, else null.
export function takeEarlyNow(layoutUrl, statusUrl) {
  if (!early || !early.decoded || !early.snap || early.layoutUrl !== layoutUrl || early.statusUrl !== statusUrl) return null;
  const out = { L: early.decoded, snap: early.snap };
  early.decoded = early.snap = early.layout = early.status = null;
  return out;
}

export function decodeLayout(L) {
  const n = L.count;
  const xs = new Float32Array(n), ys = new Float32Array(n);
  let px = 0, py = 0;
  for (let i = 0; i < n; i++) {
    px += L.dx[i]; py += L.dy[i];
    xs[i] = px; ys[i] = py;
  }
  const rowOf = new Int32Array(n);
  const rowStart = [];
  let k = 0;
  L.rows.forEach((r, ri) => {
    rowStart.push(k);
    for (let j = 0; j < r[3]; j++) rowOf[k++] = ri;
  });
  const pos = Int32Array.from(L.pos);
  const level = Int16Array.from(L.level);
  // Seat pitch: the usual distance between neighbours in a row.
  const gaps = [];
  for (let i = 1; i < n && gaps.length < 4000; i += Math.max(1, Math.floor(n / 4000))) {
    if (rowOf[i] === rowOf[i - 1] && pos[i] - pos[i - 1] === 1) gaps.push(Math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]));
  }
  gaps.sort((a, b) => a - b);
  const pitch = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 50;
  const cell = pitch * 2;
  const [bx0, by0, bx1, by1] = L.bounds;
  const st = L.stage || { x: 0, y: 0, label: "Stage" };
  const secCentre = L.sections.map(() => [0, 0, 0]);
  const secTop = L.sections.map(() => Infinity); // the section's top edge: its label goes above it
  const secBottom = L.sections.map(() => -Infinity); // ... or below it, when above would cover seats
  for (let i = 0; i < n; i++) {
    const si = L.rows[rowOf[i]][0], s = secCentre[si];
    s[0] += xs[i]; s[1] += ys[i]; s[2] += 1;
    if (ys[i] < secTop[si]) secTop[si] = ys[i];
    if (ys[i] > secBottom[si]) secBottom[si] = ys[i];
  }
  return {
    n, xs, ys, rowOf, rowStart, pos, level, num: L.num, type: L.type, rows: L.rows, sections: L.sections,
    levels: L.levels, pitch, radius: pitch * 0.42, cell, grid: null, stage: st, version: L.layout_version,
    bounds: [Math.min(bx0, st.x - 300), Math.min(by0, st.y - 200), Math.max(bx1, st.x + 300), Math.max(by1, st.y)],
    secCentre: secCentre.map(([x, y, c]) => [c ? x / c : 0, c ? y / c : 0]),
    secTop: secTop.map((y) => (Number.isFinite(y) ? y : 0)),
    secBottom: secBottom.map((y) => (Number.isFinite(y) ? y : 0)),
  };
}

// The hit-testing grid (seats per cell), built on the first pointer or keyboard use rather than
// before the first frame.
export function seatGrid(L) {
  if (L.grid) return L.grid;
  const grid = new Map();
  for (let i = 0; i < L.n; i++) {
    const key = Math.floor(L.xs[i] / L.cell) * 1000003 + Math.floor(L.ys[i] / L.cell);
    let list = grid.get(key);
    if (!list) grid.set(key, (list = []));
    list.push(i);
  }
  L.grid = grid;
  return grid;
}

export function seatLabel(L, i) {
  const r = L.rows[L.rowOf[i]];
  return `${L.sections[r[0]]} · Row ${r[1]} · Seat ${L.num[i]}`;
}

const formats = new Map();

export function money(lv) {
  if (!lv) return "";
  try {
    let f = formats.get(lv.currency);
    if (!f) formats.set(lv.currency, (f = new Intl.NumberFormat(undefined, { style: "currency", currency: lv.currency })));
    return f.format(Number(lv.price));
  } catch (e) {
    return `${lv.price} ${lv.currency}`;
  }
}
