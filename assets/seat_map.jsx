// Seat map: a canvas that draws tens of thousands of seats, loads its layout and a status
// snapshot once over HTTP, then applies small status deltas pushed into the `delta` prop.
// Pan (drag), zoom (wheel, buttons, pinch), tap/click to select, keyboard navigation, tooltip,
// legend with price-level and accessible-seat filters. `mode="organizer"` shows every status
// and allows selecting any seat (box select with Shift+drag or the box tool).
import React, { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import {
  AVAILABLE, BLOCKED, CUSTOMER_COLORS, DIM, GAP_WAIT_MS, HELD, MINE, ORGANIZER_COLORS, POLL_MS, SHAPES, SOLD,
  STATUS_TEXT, TYPE_TEXT, apiUrl, decodeLayout, money, seatGrid, seatLabel, takeEarly, takeEarlyNow, urlsFromPath,
} from "./seatmap_data.js";
import { drawMap } from "./seatmap_draw.js";

// How long a chosen seat that turned "held" waits for the page to say it is in our own hold.
const LOST_WAIT_MS = 3000;

// The page's other parts (the seat panel) rendered once the map with id `map` has its first frame
// on screen (or failed, or after a few seconds): React then mounts and lays out the map alone.
export function SeatMapAfter({ map = "seat-map", children }) {
  const [show, setShow] = useState(() => typeof window !== "undefined" && !!(window.__seatmaps
    && window.__seatmaps[map] && window.__seatmaps[map].readyAt));
  useEffect(() => {
    if (show) return undefined;
    const on = (e) => { if (!e || !e.detail || e.detail === map) setShow(true); };
    window.addEventListener("seatmap:ready", on);
    const t = setTimeout(() => setShow(true), 4000);
    return () => { window.removeEventListener("seatmap:ready", on); clearTimeout(t); };
  }, [show, map]);
  return show ? children : null;
}

export function SeatMap(props) {
  const {
    layoutUrl, statusUrl, delta, mine, selectRequest, maxSelect = 10, mode = "customer", authToken = "",
    onSelect, onFocusSeat, onMineChange, id = "seat-map", height = "70vh",
  } = props;
  const organizer = mode === "organizer";
  const derived = organizer ? {} : urlsFromPath();
  const layoutSrc = layoutUrl || derived.layout || "";
  const statusSrc = statusUrl || derived.status || "";
  const wrapRef = useRef(null);
  const canvasRef = useRef(null);
  const S = useRef({
    L: null, codes: null, version: -1, pending: new Map(), gapTimer: null, view: { scale: 1, tx: 0, ty: 0 },
    fitted: false, size: { w: 0, h: 0, dpr: 1 }, selected: new Set(), mine: new Set(), levelOff: new Set(),
    accessibleOnly: false, buckets: null, raf: 0, pointers: new Map(), gesture: null, cursor: -1, hover: -1,
    frames: [], stats: { deltas: 0, snapshots: 0, gaps: 0, layouts: 0 }, readyAt: 0, box: null, boxTool: false,
    fetching: false, maybeLost: new Set(), lostTimer: null,
  }).current;
  S.organizer = organizer; // the drawing tells customers' sold seats by a cross, without numbers
  const [ready, setReady] = useState(false);
  const [error, setError] = useState("");
  const [tip, setTip] = useState(null);
  const [counts, setCounts] = useState({ levels: [], status: [] });
  const [selCount, setSelCount] = useState(0);
  const [live, setLive] = useState(true);
  const [announce, setAnnounce] = useState("");
  const [levelOff, setLevelOff] = useState([]);
  const [accessibleOnly, setAccessibleOnly] = useState(false);
  const [boxTool, setBoxTool] = useState(false);

  const headers = useCallback(() => (authToken ? { Authorization: `Bearer ${authToken}` } : {}), [authToken]);

  // --- colours and counts ---------------------------------------------------------------
  const colorOf = (i) => {
    const L = S.L, code = S.codes[i];
    if (S.selected.has(i)) return null; // drawn on top
    if (S.mine.has(i) && code === HELD) return MINE;
    const filtered = S.levelOff.has(L.level[i]) || (S.accessibleOnly && L.type[i] !== "w" && L.type[i] !== "c");
    if (code === AVAILABLE) return filtered ? DIM : (L.levels[L.level[i]] || {}).color || "#6366f1";
    if (organizer && SHAPES[code]) return SHAPES[code] + ORGANIZER_COLORS[code];
    return (organizer ? ORGANIZER_COLORS : CUSTOMER_COLORS)[code] || "#e2e8f0";
  };

  const rebuild = () => {
    if (!S.L || !S.codes) return;
    const buckets = new Map();
    for (let i = 0; i < S.L.n; i++) {
      const c = colorOf(i);
      if (c === null) continue;
      let b = buckets.get(c);
      if (!b) buckets.set(c, (b = []));
      b.push(i);
    }
    S.buckets = buckets;
    const lv = S.L.levels.map(() => 0), st = STATUS_TEXT.map(() => 0);
    for (let i = 0; i < S.L.n; i++) {
      const code = S.codes[i];
      st[code] += 1;
      if (code === AVAILABLE) lv[S.L.level[i]] += 1;
    }
    setCounts({ levels: lv, status: st });
    requestDraw();
  };

  // --- drawing --------------------------------------------------------------------------
  const requestDraw = () => {
    if (!S.raf) S.raf = requestAnimationFrame(draw);
  };

  const draw = () => {
    S.raf = 0;
    const canvas = canvasRef.current;
    if (!canvas || !S.L || !S.codes || !S.buckets) return;
    const t0 = performance.now();
    drawMap(canvas, S);
    if (!S.readyAt) {
      // Interactive: layout and statuses in, first full frame drawn. The "Loading seats" note
      // goes at once (CSS on data-ready); the legend is rendered after this frame is on screen.
      S.readyAt = performance.now();
      if (wrapRef.current) wrapRef.current.dataset.ready = "1";
      requestAnimationFrame(() => setTimeout(() => {
        setReady(true);
        window.dispatchEvent(new CustomEvent("seatmap:ready", { detail: id }));
      }, 0));
    }
    S.frames.push(performance.now() - t0);
    if (S.frames.length > 600) S.frames.splice(0, S.frames.length - 600);
  };

  // --- view -----------------------------------------------------------------------------
  const limits = () => {
    const L = S.L, { w, h } = S.size;
    const [bx0, by0, bx1, by1] = L.bounds;
    const fit = Math.min(w / (bx1 - bx0 + L.pitch * 4), h / (by1 - by0 + L.pitch * 4));
    return { fit, min: fit * 0.7, max: Math.max(fit * 4, 28 / L.radius) };
  };

  const fitView = () => {
    const L = S.L;
    if (!L || !S.size.w) return;
    const { w, h } = S.size;
    const [bx0, by0, bx1, by1] = L.bounds;
    const scale = limits().fit;
    S.view = { scale, tx: w / 2 - ((bx0 + bx1) / 2) * scale, ty: h / 2 - ((by0 + by1) / 2) * scale };
    requestDraw();
  };

  const zoomAt = (px, py, factor) => {
    if (!S.L) return;
    const { min, max } = limits();
    const v = S.view;
    const scale = Math.min(max, Math.max(min, v.scale * factor));
    const k = scale / v.scale;
    S.view = { scale, tx: px - (px - v.tx) * k, ty: py - (py - v.ty) * k };
    setTip(null);
    requestDraw();
  };

  const centreOn = (idxs, zoomIn) => {
    const L = S.L;
    if (!L || !idxs.length) return;
    let cx = 0, cy = 0;
    idxs.forEach((i) => { cx += L.xs[i]; cy += L.ys[i]; });
    cx /= idxs.length; cy /= idxs.length;
    const { w, h } = S.size;
    let scale = S.view.scale;
    if (zoomIn) scale = Math.max(scale, Math.min(limits().max, 9 / L.radius));
    S.view = { scale, tx: w / 2 - cx * scale, ty: h / 2 - cy * scale };
    requestDraw();
  };

  const screenOf = (i) => ({ x: S.L.xs[i] * S.view.scale + S.view.tx, y: S.L.ys[i] * S.view.scale + S.view.ty });

  const hit = (px, py, touch) => {
    const L = S.L;
    if (!L) return -1;
    const wx = (px - S.view.tx) / S.view.scale, wy = (py - S.view.ty) / S.view.scale;
    const reach = Math.max(L.radius * 1.25, (touch ? 14 : 6) / S.view.scale);
    const cx = Math.floor(wx / L.cell), cy = Math.floor(wy / L.cell);
    const span = Math.ceil(reach / L.cell);
    const grid = seatGrid(L);
    let best = -1, bestD = reach;
    for (let gx = cx - span; gx <= cx + span; gx++) {
      for (let gy = cy - span; gy <= cy + span; gy++) {
        const list = grid.get(gx * 1000003 + gy);
        if (!list) continue;
        for (const i of list) {
          const d = Math.hypot(L.xs[i] - wx, L.ys[i] - wy);
          if (d < bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  };

  // --- selection ------------------------------------------------------------------------
  const emitSelection = () => {
    const list = Array.from(S.selected).sort((a, b) => a - b);
    setSelCount(list.length);
    if (onSelect) onSelect(list);
  };

  const selectable = (i) => {
    if (organizer) return true;
    const L = S.L;
    if (S.codes[i] !== AVAILABLE || S.levelOff.has(L.level[i])) return false;
    return !(S.accessibleOnly && L.type[i] !== "w" && L.type[i] !== "c");
  };

  const describe = (i) => {
    const L = S.L, lv = L.levels[L.level[i]];
    const code = S.codes[i];
    const status = S.mine.has(i) && code === HELD ? "Held for you" : S.selected.has(i) ? "Selected"
      : organizer ? STATUS_TEXT[code] : code === AVAILABLE ? "Available" : code === HELD ? "Held" : "Not available";
    return { label: seatLabel(L, i), level: lv ? lv.name : "", price: money(lv), status, kind: TYPE_TEXT[L.type[i]] || "" };
  };

  const showTip = (i) => {
    if (i < 0) { setTip(null); return; }
    const p = screenOf(i);
    setTip({ i, x: p.x, y: p.y - Math.max(S.L.radius * S.view.scale, 4) - 6, ...describe(i) });
  };

  const toggle = (i) => {
    if (i < 0) return;
    if (S.selected.has(i)) {
      S.selected.delete(i);
      setAnnounce(`${seatLabel(S.L, i)} removed`);
    } else if (!selectable(i)) {
      setAnnounce(`${seatLabel(S.L, i)} is not available`);
      showTip(i);
      return;
    } else if (!organizer && S.selected.size >= maxSelect) {
      setAnnounce(`You can choose up to ${maxSelect} seats`);
      return;
    } else {
      S.selected.add(i);
      setAnnounce(`${seatLabel(S.L, i)} selected`);
    }
    if (organizer && onFocusSeat) onFocusSeat(i);
    rebuild();
    showTip(i);
    emitSelection();
  };

  // --- data -----------------------------------------------------------------------------
  const announceLost = (lost) => {
    if (lost) setAnnounce(lost === 1 ? "A seat you chose was just taken" : `${lost} seats you chose were just taken`);
  };

  // A chosen seat that turns "held" may be held by our own hold: its delta can arrive before
  // the page tells us the seat is ours. Wait for that word before calling it taken.
  const settleMaybeLost = () => {
    S.lostTimer = null;
    const lost = Array.from(S.maybeLost).filter((i) => !S.mine.has(i)).length;
    S.maybeLost.clear();
    announceLost(lost);
  };

  const applyCodes = (changes) => {
    let lost = 0, dropped = false, mineChanged = false;
    for (const [i, code] of changes) {
      if (i < 0 || i >= S.L.n) continue;
      if (S.mine.has(i) && code !== HELD) mineChanged = true;
      S.codes[i] = code;
      if (!organizer && code !== AVAILABLE && S.selected.has(i)) {
        S.selected.delete(i);
        dropped = true;
        if (code === HELD && !S.mine.has(i)) S.maybeLost.add(i);
        else if (!S.mine.has(i)) lost += 1;
      }
    }
    announceLost(lost);
    if (S.maybeLost.size && !S.lostTimer) S.lostTimer = setTimeout(settleMaybeLost, LOST_WAIT_MS);
    if (dropped) emitSelection();
    // Seats of our own hold changed (expired, released elsewhere, bought): the page re-reads it.
    if (mineChanged && onMineChange) onMineChange();
  };

  const drainPending = () => {
    let applied = false;
    while (S.pending.has(S.version + 1)) {
      const changes = S.pending.get(S.version + 1);
      S.pending.delete(S.version + 1);
      S.version += 1;
      if (changes.length) { applyCodes(changes); applied = true; }
      S.stats.deltas += 1;
    }
    for (const v of Array.from(S.pending.keys())) if (v <= S.version) S.pending.delete(v);
    if (applied) rebuild();
    if (S.pending.size && !S.gapTimer) {
      // A version is missing: wait briefly for it, then take a fresh snapshot.
      S.gapTimer = setTimeout(() => {
        S.gapTimer = null;
        if (S.pending.size && !S.pending.has(S.version + 1)) { S.stats.gaps += 1; loadStatus(); }
        else drainPending();
      }, GAP_WAIT_MS);
    }
    if (wrapRef.current) wrapRef.current.dataset.version = String(S.version);
  };

  const fetchStatus = async () => {
    const ahead = takeEarly("status", statusSrc);
    if (ahead) {
      try { return await ahead; } catch (e) { /* fetch again below */ }
    }
    const res = await fetch(apiUrl(statusSrc), { headers: headers(), cache: "no-store" });
    if (!res.ok) throw new Error(`status ${res.status}`);
    return res.json();
  };

  const applySnapshot = (snap) => {
    if (!S.L || snap.statuses.length !== S.L.n) return;
    if (snap.version < S.version && S.codes) return; // we are already past it
    const codes = new Uint8Array(S.L.n);
    for (let i = 0; i < S.L.n; i++) codes[i] = snap.statuses.charCodeAt(i) - 48;
    S.codes = codes;
    S.version = snap.version;
    S.stats.snapshots += 1;
    if (!organizer) {
      for (const i of Array.from(S.selected)) if (codes[i] !== AVAILABLE) S.selected.delete(i);
    }
    rebuild();
    drainPending();
    // The first frame now rather than at the next animation frame: React's re-render for the
    // counts (and the page's own work) would otherwise run first.
    if (!S.readyAt && S.size.w && S.raf) { cancelAnimationFrame(S.raf); draw(); }
  };

  const loadStatus = async (prefetched) => {
    if (!statusSrc || S.fetching) return;
    S.fetching = true;
    try {
      applySnapshot(prefetched ? await prefetched : await fetchStatus());
    } catch (e) {
      setError("Could not load seat availability. Retrying…");
      setTimeout(() => loadStatus(), 2000);
    } finally {
      S.fetching = false;
    }
  };

  const loadLayout = async () => {
    if (!layoutSrc) return;
    // Both downloads at once: the snapshot is applied as soon as the layout is decoded.
    performance.mark("seatmap-fetch");
    const now = statusSrc ? takeEarlyNow(layoutSrc, statusSrc) : null;
    if (now) {
      // Both downloads already in and decoded: first frame in this very commit, no await.
      performance.mark("seatmap-layout");
      S.L = now.L;
      S.stats.layouts += 1;
      if (!S.fitted && S.size.w) { fitView(); S.fitted = true; }
      applySnapshot(now.snap);
      return;
    }
    const status = statusSrc ? fetchStatus() : null;
    if (status) status.catch(() => null);
    try {
      let doc = null;
      const ahead = takeEarly("layout", layoutSrc);
      if (ahead) doc = await ahead.catch(() => null);
      if (!doc) {
        const res = await fetch(apiUrl(layoutSrc), { headers: headers() });
        if (!res.ok) throw new Error(`layout ${res.status}`);
        doc = await res.json();
      }
      performance.mark("seatmap-layout");
      S.L = doc.decoded || decodeLayout(doc);
      S.stats.layouts += 1;
      setError("");
      if (!S.fitted && S.size.w) { fitView(); S.fitted = true; }
      if (!statusSrc) {
        // A preview of a venue: every seat drawn as available, nothing live.
        S.codes = new Uint8Array(S.L.n);
        S.version = 0;
        rebuild();
        return;
      }
      await loadStatus(status || undefined);
    } catch (e) {
      setError("Could not load the seat map.");
      window.dispatchEvent(new CustomEvent("seatmap:ready", { detail: id }));
    }
  };

  // Canvas size follows its box (a layout effect, before the one loading the map: the first
  // frame can then be drawn in the commit that mounts the map, before the page is first painted).
  useLayoutEffect(() => {
    const wrap = wrapRef.current, canvas = canvasRef.current;
    if (!wrap || !canvas) return undefined;
    const resize = () => {
      const rect = canvas.getBoundingClientRect();
      const dpr = Math.min(window.devicePixelRatio || 1, 2);
      S.size = { w: rect.width, h: rect.height, dpr };
      canvas.width = Math.round(rect.width * dpr);
      canvas.height = Math.round(rect.height * dpr);
      if (S.L && !S.fitted) { fitView(); S.fitted = true; }
      requestDraw();
    };
    const ro = new ResizeObserver(resize);
    ro.observe(canvas);
    resize();
    const onWheel = (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoomAt(e.clientX - rect.left, e.clientY - rect.top, Math.exp(-e.deltaY * 0.0015));
    };
    canvas.addEventListener("wheel", onWheel, { passive: false });
    return () => { ro.disconnect(); canvas.removeEventListener("wheel", onWheel); };
  }, []);

  // Layout once per map (and again when the organizer re-prices seats).
  useLayoutEffect(() => {
    S.L = null; S.codes = null; S.version = -1; S.fitted = false; S.readyAt = 0;
    if (wrapRef.current) delete wrapRef.current.dataset.ready;
    setReady(false);
    loadLayout();
  }, [layoutSrc, statusSrc]);

  // Live deltas.
  useEffect(() => {
    if (!delta || typeof delta !== "object") return;
    if (delta.live !== undefined) setLive(!!delta.live);
    if (delta.layout !== undefined && S.L && delta.layout > S.version) { loadLayout(); return; }
    if (delta.reload) { loadStatus(); }
    if (Array.isArray(delta.d)) {
      for (const [v, changes] of delta.d) if (v > S.version && !S.pending.has(v)) S.pending.set(v, changes);
      if (S.codes) drainPending();
    }
  }, [delta]);

  // While live updates are paused the map polls its snapshot.
  useEffect(() => {
    if (live) return undefined;
    const t = setInterval(() => loadStatus(), POLL_MS);
    return () => clearInterval(t);
  }, [live, statusSrc]);

  useEffect(() => {
    const before = S.mine;
    S.mine = new Set(mine || []);
    for (const i of Array.from(S.maybeLost)) if (S.mine.has(i)) S.maybeLost.delete(i);
    const added = Array.from(S.mine).filter((i) => !before.has(i)).length;
    if (added && !organizer) setAnnounce(added === 1 ? "1 seat held for you" : `${added} seats held for you`);
    rebuild();
  }, [JSON.stringify(mine || [])]);

  useEffect(() => {
    if (!selectRequest || !S.L) return;
    S.selected = new Set((selectRequest.idxs || []).filter((i) => i >= 0 && i < S.L.n));
    setSelCount(S.selected.size);
    rebuild();
    if (S.selected.size) centreOn(Array.from(S.selected), true);
  }, [selectRequest && selectRequest.n, ready]);

  // Automation and benchmarks: a small read-only view of the map.
  useEffect(() => {
    window.__seatmaps = window.__seatmaps || {};
    window.__seatmaps[id] = {
      get ready() { return !!S.codes; },
      get readyAt() { return S.readyAt; },
      get version() { return S.version; },
      get count() { return S.L ? S.L.n : 0; },
      get stats() { return { ...S.stats }; },
      get frames() { return S.frames.slice(); },
      get scale() { return S.view.scale; },
      get selected() { return Array.from(S.selected).sort((a, b) => a - b); },
      status: (i) => (S.codes ? STATUS_TEXT[S.codes[i]] : null),
      find: (section, row, number) => {
        const L = S.L;
        if (!L) return -1;
        for (let i = 0; i < L.n; i++) {
          const r = L.rows[L.rowOf[i]];
          if (L.sections[r[0]] === section && String(r[1]) === String(row) && String(L.num[i]) === String(number)) return i;
        }
        return -1;
      },
      screenPoint: (i) => {
        const rect = canvasRef.current.getBoundingClientRect();
        const p = screenOf(i);
        return { x: rect.left + p.x, y: rect.top + p.y, visible: p.x >= 0 && p.y >= 0 && p.x <= rect.width && p.y <= rect.height };
      },
      // Section names drawn in the last frame, as boxes in page coordinates.
      sectionLabels: () => {
        const rect = canvasRef.current.getBoundingClientRect();
        return (S.sectionLabels || []).map((b) => ({ ...b, x: b.x + rect.left, y: b.y + rect.top }));
      },
      get seatRadius() { return S.L ? S.L.radius * S.view.scale : 0; },
      get canvasBox() { const r = canvasRef.current.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; },
      zoomTo: (i, px) => { S.view.scale = Math.min(limits().max, px / S.L.radius); centreOn([i], false); },
      redraw: () => draw(),
    };
    return () => { delete window.__seatmaps[id]; };
  }, [id]);

  // --- input ----------------------------------------------------------------------------
  const local = (e) => {
    const rect = canvasRef.current.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };

  const onPointerDown = (e) => {
    const p = local(e);
    canvasRef.current.setPointerCapture && canvasRef.current.setPointerCapture(e.pointerId);
    S.pointers.set(e.pointerId, p);
    if (S.pointers.size === 1) {
      S.gesture = { start: p, moved: false, tx: S.view.tx, ty: S.view.ty, box: organizer && (e.shiftKey || S.boxTool),
                    touch: e.pointerType === "touch" };
    } else if (S.pointers.size === 2) {
      const [a, b] = Array.from(S.pointers.values());
      S.gesture = { pinch: true, dist: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
                    view: { ...S.view }, moved: true };
    }
  };

  const onPointerMove = (e) => {
    const p = local(e);
    if (!S.pointers.has(e.pointerId)) {
      if (e.pointerType === "mouse" && S.L) {
        const i = hit(p.x, p.y, false);
        if (i !== S.hover) { S.hover = i; showTip(i); }
        canvasRef.current.style.cursor = i >= 0 && selectable(i) ? "pointer" : "grab";
      }
      return;
    }
    S.pointers.set(e.pointerId, p);
    const g = S.gesture;
    if (!g) return;
    if (g.pinch && S.pointers.size >= 2) {
      const [a, b] = Array.from(S.pointers.values());
      const dist = Math.hypot(a.x - b.x, a.y - b.y);
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const { min, max } = limits();
      const scale = Math.min(max, Math.max(min, g.view.scale * (dist / Math.max(g.dist, 1))));
      const k = scale / g.view.scale;
      S.view = { scale, tx: mid.x - (g.mid.x - g.view.tx) * k, ty: mid.y - (g.mid.y - g.view.ty) * k };
      setTip(null);
      requestDraw();
      return;
    }
    const dx = p.x - g.start.x, dy = p.y - g.start.y;
    if (!g.moved && Math.hypot(dx, dy) > 5) g.moved = true;
    if (!g.moved) return;
    if (g.box) {
      S.box = { ax: g.start.x, ay: g.start.y, bx: p.x, by: p.y };
    } else {
      S.view = { ...S.view, tx: g.tx + dx, ty: g.ty + dy };
      setTip(null);
    }
    requestDraw();
  };

  const onPointerUp = (e) => {
    const g = S.gesture;
    const p = local(e);
    S.pointers.delete(e.pointerId);
    if (S.pointers.size > 0) return;
    S.gesture = null;
    if (!g) return;
    if (S.box) {
      const { ax, ay, bx, by } = S.box;
      S.box = null;
      const [minx, maxx] = [Math.min(ax, bx), Math.max(ax, bx)], [miny, maxy] = [Math.min(ay, by), Math.max(ay, by)];
      let added = 0;
      for (let i = 0; i < S.L.n; i++) {
        const q = screenOf(i);
        if (q.x >= minx && q.x <= maxx && q.y >= miny && q.y <= maxy) { S.selected.add(i); added += 1; }
      }
      setAnnounce(`${added} seats added to the selection`);
      rebuild();
      emitSelection();
      return;
    }
    if (!g.moved && !g.pinch) {
      const i = hit(p.x, p.y, g.touch);
      S.cursor = -1;
      if (i >= 0) toggle(i);
      else setTip(null);
    }
  };

  const moveCursor = (dir) => {
    const L = S.L;
    let c = S.cursor;
    if (c < 0) {
      c = hit(S.size.w / 2, S.size.h / 2, true);
      if (c < 0) c = 0;
    } else if (dir === "left" || dir === "right") {
      const n = dir === "left" ? c - 1 : c + 1;
      if (n >= 0 && n < L.n && L.rowOf[n] === L.rowOf[c]) c = n;
    } else {
      // Nearest seat above/below: mostly vertical distance, a little horizontal.
      const sign = dir === "up" ? -1 : 1;
      let best = -1, bestD = Infinity;
      for (let i = 0; i < L.n; i++) {
        const dy = (L.ys[i] - L.ys[c]) * sign;
        if (dy < L.pitch * 0.5) continue;
        const d = dy + Math.abs(L.xs[i] - L.xs[c]) * 2;
        if (d < bestD) { bestD = d; best = i; }
      }
      if (best >= 0) c = best;
    }
    S.cursor = c;
    const p = screenOf(c);
    if (p.x < 20 || p.y < 20 || p.x > S.size.w - 20 || p.y > S.size.h - 20 || L.radius * S.view.scale < 5) {
      centreOn([c], true);
    }
    const d = describe(c);
    setAnnounce(`${d.label}. ${d.level} ${d.price}. ${d.status}${d.kind ? ". " + d.kind : ""}`);
    showTip(c);
    requestDraw();
  };

  const onKeyDown = (e) => {
    if (!S.L) return;
    const keys = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
    if (keys[e.key]) { e.preventDefault(); moveCursor(keys[e.key]); return; }
    if ((e.key === "Enter" || e.key === " ") && S.cursor >= 0) { e.preventDefault(); toggle(S.cursor); return; }
    if (e.key === "+" || e.key === "=") { e.preventDefault(); zoomAt(S.size.w / 2, S.size.h / 2, 1.4); return; }
    if (e.key === "-") { e.preventDefault(); zoomAt(S.size.w / 2, S.size.h / 2, 1 / 1.4); return; }
    if (e.key === "0") { e.preventDefault(); fitView(); return; }
    if (e.key === "Escape") { setTip(null); S.cursor = -1; requestDraw(); }
  };

  const toggleLevel = (li) => {
    if (S.levelOff.has(li)) S.levelOff.delete(li); else S.levelOff.add(li);
    setLevelOff(Array.from(S.levelOff));
    rebuild();
  };

  const toggleAccessible = () => {
    S.accessibleOnly = !S.accessibleOnly;
    setAccessibleOnly(S.accessibleOnly);
    rebuild();
  };

  const toggleBoxTool = () => {
    S.boxTool = !S.boxTool;
    setBoxTool(S.boxTool);
  };

  const clearSelection = () => {
    S.selected = new Set();
    rebuild();
    emitSelection();
  };

  // --- render ---------------------------------------------------------------------------
  const L = S.L;
  const btn = "seatmap-btn";
  return (
    <div className="seatmap" id={id} ref={wrapRef} data-mode={mode}>
      <div className="seatmap-stage" style={{ height }}>
        <canvas
          ref={canvasRef}
          className="seatmap-canvas"
          tabIndex={0}
          role="application"
          aria-label="Seat map. Arrow keys move between seats, Enter selects, plus and minus zoom, 0 shows everything."
          aria-describedby={`${id}-help`}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={(e) => { if (e.pointerType === "mouse" && !S.pointers.size) { S.hover = -1; setTip(null); } }}
          onKeyDown={onKeyDown}
        />
        <div className="seatmap-zoom" role="group" aria-label="Zoom">
          <button type="button" className={btn} aria-label="Zoom in" onClick={() => zoomAt(S.size.w / 2, S.size.h / 2, 1.6)}>+</button>
          <button type="button" className={btn} aria-label="Zoom out" onClick={() => zoomAt(S.size.w / 2, S.size.h / 2, 1 / 1.6)}>−</button>
          <button type="button" className={btn} aria-label="Show the whole venue" onClick={fitView}>⤢</button>
          {organizer ? (
            <button type="button" className={btn} aria-pressed={boxTool} aria-label="Box select" onClick={toggleBoxTool}
                    style={boxTool ? { background: "#4f46e5", color: "#fff" } : undefined}>▭</button>
          ) : null}
        </div>
        {!live ? <div className="seatmap-paused" role="status">Live updates paused — refreshing every 10 s</div> : null}
        {!ready && !error ? <div className="seatmap-loading seatmap-wait" role="status">Loading seats…</div> : null}
        {error ? <div className="seatmap-loading" role="alert">{error}</div> : null}
        {tip ? (
          <div className="seatmap-tip" role="tooltip" style={{ left: tip.x, top: tip.y }}>
            <strong>{tip.label}</strong>
            <span>{[tip.level, tip.price].filter(Boolean).join(" · ")}</span>
            <span className="seatmap-tip-status">{tip.status}{tip.kind ? ` · ${tip.kind}` : ""}</span>
          </div>
        ) : null}
      </div>
      <div className="seatmap-legend">
        {L && ready ? L.levels.map((lv, li) => (
          <button type="button" key={lv.id} className="seatmap-level" aria-pressed={!levelOff.includes(li)}
                  onClick={() => toggleLevel(li)} data-level={lv.name}
                  title={levelOff.includes(li) ? `Show ${lv.name}` : `Hide ${lv.name}`}>
            <span className="seatmap-dot" style={{ background: levelOff.includes(li) ? DIM : lv.color }} />
            <span>{lv.name}</span>
            <span className="seatmap-muted">{money(lv)}</span>
            <span className="seatmap-muted seatmap-left">{(counts.levels[li] || 0).toLocaleString()} left</span>
          </button>
        )) : null}
        <button type="button" className="seatmap-level" aria-pressed={accessibleOnly} onClick={toggleAccessible}>
          <span aria-hidden="true">♿</span><span>Accessible seats only</span>
        </button>
      </div>
      <div className="seatmap-legend seatmap-statuses" aria-label="Legend">
        {organizer ? STATUS_TEXT.map((t, code) => (
          <span key={t} className="seatmap-key" data-status={t}>
            <span className="seatmap-dot" style={SHAPES[code] === "ring:" ? { border: `3px solid ${ORGANIZER_COLORS[code]}`, background: "#fff" }
              : { background: code === AVAILABLE ? "#6366f1" : ORGANIZER_COLORS[code] }} />
            {t} <span className="seatmap-count">{(counts.status[code] || 0).toLocaleString()}</span>
          </span>
        )) : (
          <>
            <span className="seatmap-key"><span className="seatmap-dot" style={{ background: "#111827" }} />Selected {selCount}</span>
            <span className="seatmap-key"><span className="seatmap-dot" style={{ background: MINE }} />Yours</span>
            <span className="seatmap-key" data-status="Held"><span className="seatmap-dot" style={{ background: CUSTOMER_COLORS[HELD] }} />
              Held by others <span className="seatmap-count">{(counts.status[HELD] || 0) - (mine || []).length > 0 ? (counts.status[HELD] || 0) - (mine || []).length : 0}</span></span>
            <span className="seatmap-key" data-status="Sold"><span className="seatmap-dot seatmap-dot--cross" aria-hidden="true" />Sold</span>
            <span className="seatmap-key" data-status="Not available"><span className="seatmap-dot" style={{ background: CUSTOMER_COLORS[BLOCKED], border: "1px solid #cbd5e1" }} />Not available</span>
            <span className="seatmap-key"><span className="seatmap-dot" style={{ background: "#94a3b8", borderRadius: 2 }} />Wheelchair space</span>
          </>
        )}
        {selCount ? <button type="button" className="seatmap-link" onClick={clearSelection}>Clear selection</button> : null}
      </div>
      <p id={`${id}-help`} className="sr-only">Drag to move, pinch or scroll to zoom, tap a seat to choose it.</p>
      <div className="sr-only seatmap-announce" aria-live="polite">{announce}</div>
    </div>
  );
}
