// Seat map drawing: one canvas frame from the map's state (view, layout, colour buckets,
// selection, cursor, box). Only seats on screen are drawn, one path per colour: circles when they
// are big enough; organizer holds and blocks as rings and crosses. Tiny seats (the whole venue
// in view) are squares of a few pixels written straight into the canvas's pixels: a path of
// 20,000 rectangles took most of the first frame.
import { AVAILABLE, HELD, seatGrid } from "./seatmap_data.js";

const rgbCache = new Map();

// "#rrggbb" as [r, g, b]; null if the colour has another form.
function rgbOf(color) {
  let v = rgbCache.get(color);
  if (v === undefined) {
    const m = /^#([0-9a-f]{6})$/i.exec(color);
    v = m ? [parseInt(m[1].slice(0, 2), 16), parseInt(m[1].slice(2, 4), 16), parseInt(m[1].slice(4, 6), 16)] : null;
    rgbCache.set(color, v);
  }
  return v;
}

// White background and every bucket of tiny seats, as pixels: each seat a square covering the
// pixels it overlaps in proportion (as the canvas's anti-aliasing would). Buckets whose colour is
// not "#rrggbb" are returned to be drawn as paths.
function drawPixels(ctx, S, half) {
  const L = S.L;
  const { w, h, dpr } = S.size;
  const W = Math.round(w * dpr), H = Math.round(h * dpr);
  if (!W || !H) return [];
  let img = S.pixels;
  if (!img || img.width !== W || img.height !== H) img = S.pixels = ctx.createImageData(W, H);
  const px = img.data;
  px.fill(255);
  const { scale, tx, ty } = S.view;
  const xs = L.xs, ys = L.ys;
  const k = scale * dpr, ox = tx * dpr, oy = ty * dpr, hd = half * dpr;
  const rest = [];
  for (const [key, list] of S.buckets) {
    const rgb = rgbOf(key.slice(key.indexOf(":") + 1));
    if (rgb === null) { rest.push([key, list]); continue; }
    const [cr, cg, cb] = rgb;
    for (let j = 0; j < list.length; j++) {
      const i = list[j], cx = xs[i] * k + ox, cy = ys[i] * k + oy;
      const a = cx - hd, b = cx + hd, c = cy - hd, d = cy + hd;
      if (b <= 0 || d <= 0 || a >= W || c >= H) continue;
      const x0 = Math.max(0, Math.floor(a)), x1 = Math.min(W, Math.ceil(b));
      const y0 = Math.max(0, Math.floor(c)), y1 = Math.min(H, Math.ceil(d));
      for (let y = y0; y < y1; y++) {
        const wy = Math.min(d, y + 1) - Math.max(c, y);
        let o = (y * W + x0) * 4;
        for (let x = x0; x < x1; x++, o += 4) {
          const al = (Math.min(b, x + 1) - Math.max(a, x)) * wy;
          if (al >= 0.999) { px[o] = cr; px[o + 1] = cg; px[o + 2] = cb; }
          else { px[o] += (cr - px[o]) * al; px[o + 1] += (cg - px[o + 1]) * al; px[o + 2] += (cb - px[o + 2]) * al; }
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  return rest;
}

export function drawMap(canvas, S) {
  const L = S.L;
  const { w, h, dpr } = S.size;
  const ctx = canvas.getContext("2d");
  const { scale, tx, ty } = S.view;
  const r = L.radius * scale;
  const round = r >= 2.5;
  const half = Math.max(r, 0.9);
  let buckets = S.buckets;
  if (round) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
  } else {
    buckets = drawPixels(ctx, S, half);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  // Stage
  const sx = L.stage.x * scale + tx, sy = L.stage.y * scale + ty;
  const sw = Math.max(80, 1200 * scale), sh = Math.max(18, 160 * scale);
  ctx.fillStyle = "#1e293b";
  ctx.beginPath();
  ctx.roundRect ? ctx.roundRect(sx - sw / 2, sy - sh, sw, sh, 6) : ctx.rect(sx - sw / 2, sy - sh, sw, sh);
  ctx.fill();
  ctx.fillStyle = "#ffffff";
  ctx.font = `600 ${Math.max(11, Math.min(18, sh * 0.45))}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(L.stage.label || "Stage", sx, sy - sh / 2);
  // Seats, one path per colour, only those on screen.
  const x0 = -tx / scale - L.radius, x1 = (w - tx) / scale + L.radius;
  const y0 = -ty / scale - L.radius, y1 = (h - ty) / scale + L.radius;
  const xs = L.xs, ys = L.ys;
  const types = L.type;
  for (const [key, list] of buckets) {
    const shape = round && key.indexOf(":") > 0 ? key.slice(0, key.indexOf(":")) : "";
    const color = key.slice(key.indexOf(":") + 1);
    if (shape) {
      ctx.beginPath();
      for (let k = 0; k < list.length; k++) {
        const i = list[k], x = xs[i], y = ys[i];
        if (x < x0 || x > x1 || y < y0 || y > y1) continue;
        const px = x * scale + tx, py = y * scale + ty, q = r * 0.75;
        if (shape === "ring") {
          ctx.moveTo(px + r * 0.8, py);
          ctx.arc(px, py, r * 0.8, 0, 6.2832);
        } else {
          ctx.moveTo(px - q, py - q); ctx.lineTo(px + q, py + q);
          ctx.moveTo(px + q, py - q); ctx.lineTo(px - q, py + q);
        }
      }
      ctx.lineWidth = Math.max(1.2, r * 0.35);
      ctx.strokeStyle = color;
      ctx.stroke();
      continue;
    }
    ctx.beginPath();
    for (let k = 0; k < list.length; k++) {
      const i = list[k], x = xs[i], y = ys[i];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      const px = x * scale + tx, py = y * scale + ty;
      if (round && types.charCodeAt(i) === 119) {
        // Wheelchair spaces are squares: recognisable at a glance and on the legend.
        ctx.rect(px - r, py - r, r * 2, r * 2);
      } else if (round) {
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, 6.2832);
      } else {
        ctx.rect(px - half, py - half, half * 2, half * 2);
      }
    }
    ctx.fillStyle = color;
    ctx.fill();
  }
  // Selected seats on top, with a ring.
  if (S.selected.size) {
    ctx.beginPath();
    for (const i of S.selected) {
      const px = xs[i] * scale + tx, py = ys[i] * scale + ty;
      ctx.moveTo(px + Math.max(r, 2), py);
      ctx.arc(px, py, Math.max(r, 2), 0, 6.2832);
    }
    ctx.fillStyle = "#111827";
    ctx.fill();
    if (r >= 4) {
      ctx.lineWidth = Math.max(1.5, r * 0.2);
      ctx.strokeStyle = "#fbbf24";
      ctx.stroke();
    }
  }
  // Labels once there is room for them.
  if (r >= 7) {
    ctx.font = `500 ${Math.min(13, r * 0.9)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let i = 0; i < L.n; i++) {
      const x = xs[i], y = ys[i];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      const code = S.codes[i];
      if (!S.organizer && (code === 2 || code === 3)) continue; // a sold seat's cross says enough
      ctx.fillStyle = S.selected.has(i) || (S.mine.has(i) && code === HELD) ? "#ffffff"
        : code === AVAILABLE ? "rgba(255,255,255,0.95)" : "#64748b";
      ctx.fillText(String(L.num[i]), x * scale + tx, y * scale + ty + 0.5);
    }
  }
  S.sectionLabels = []; // what the last frame wrote as section names (read by tests through __seatmaps)
  if (r >= 3) {
    // Row labels keep a readable size at any zoom (never below 11 px), on a white halo; a row
    // whose first seat is off screen to the left gets its label at the map's left edge.
    ctx.font = `600 ${Math.min(15, Math.max(11, r * 1.1))}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.95)";
    ctx.fillStyle = "#334155";
    for (let ri = 0; ri < L.rows.length; ri++) {
      const i = L.rowStart[ri];
      const x = xs[i], y = ys[i];
      if (y < y0 || y > y1) continue;
      const lx = Math.max(x * scale + tx - r - 6, ctx.measureText(L.rows[ri][1]).width + 6);
      if (lx > w) continue;
      ctx.strokeText(L.rows[ri][1], lx, y * scale + ty);
      ctx.fillText(L.rows[ri][1], lx, y * scale + ty);
    }
  } else {
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle"; // the box below is the text's, whatever an earlier frame set
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.fillStyle = "#1e293b";
    // A section's name goes above its first row, or below its last when another section's seats
    // are right above it; never on seats. Zoomed far out (a phone showing a whole arena) a name
    // that would still cover seats or a name already drawn is left out until the user zooms in.
    const placed = [];
    L.sections.forEach((name, si) => {
      const [cx] = L.secCentre[si];
      const half = ctx.measureText(name).width / 2 + 3, centre = cx * scale + tx;
      if (centre < 0 || centre > w) return; // the section is mostly off screen
      const px = Math.min(Math.max(centre, half + 2), w - half - 2); // whole, inside the map
      const above = ((L.secTop ? L.secTop[si] : L.secCentre[si][1]) - L.radius) * scale + ty - 9;
      const below = ((L.secBottom ? L.secBottom[si] : L.secCentre[si][1]) + L.radius) * scale + ty + 9;
      const py = [above, below].find((y) => y >= 10 && y <= h - 10
        && !placed.some(([qx, qy, qh]) => Math.abs(px - qx) < half + qh && Math.abs(y - qy) < 16)
        && !coversSeats(L, S.view, px - half, y - 8, px + half, y + 8, r));
      if (py === undefined) return;
      placed.push([px, py, half]);
      ctx.strokeText(name, px, py);
      ctx.fillText(name, px, py);
      S.sectionLabels.push({ name, x: px - half, y: py - 8, w: 2 * half, h: 16, size: 12 });
    });
  }
  // Keyboard cursor.
  if (S.cursor >= 0) {
    const px = xs[S.cursor] * scale + tx, py = ys[S.cursor] * scale + ty;
    ctx.beginPath();
    ctx.arc(px, py, Math.max(r, 3) + 3, 0, 6.2832);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#4f46e5";
    ctx.stroke();
  }
  if (S.box) {
    const { ax, ay, bx, by } = S.box;
    ctx.fillStyle = "rgba(79,70,229,0.12)";
    ctx.strokeStyle = "#4f46e5";
    ctx.lineWidth = 1;
    ctx.fillRect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
    ctx.strokeRect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
  }
}

// Whether any seat (drawn `r` px around its centre) touches the screen box (x0, y0)-(x1, y1):
// a look in the cells of the hit-testing grid under the box.
function coversSeats(L, view, x0, y0, x1, y1, r) {
  const { scale, tx, ty } = view;
  const wx0 = (x0 - r - tx) / scale, wx1 = (x1 + r - tx) / scale;
  const wy0 = (y0 - r - ty) / scale, wy1 = (y1 + r - ty) / scale;
  const grid = seatGrid(L);
  for (let cx = Math.floor(wx0 / L.cell); cx <= Math.floor(wx1 / L.cell); cx++) {
    for (let cy = Math.floor(wy0 / L.cell); cy <= Math.floor(wy1 / L.cell); cy++) {
      const list = grid.get(cx * 1000003 + cy);
      if (list && list.some((i) => L.xs[i] >= wx0 && L.xs[i] <= wx1 && L.ys[i] >= wy0 && L.ys[i] <= wy1)) return true;
    }
  }
  return false;
}
