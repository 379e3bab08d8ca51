// Seat map drawing: one canvas frame from the map's state (view, layout, colour buckets,
// selection, cursor, box). Only seats on screen are drawn, one path per colour: circles when they
// are big enough, squares when tiny; organizer holds and blocks as rings and crosses.
import { AVAILABLE, HELD } from "./seatmap_data.js";

export function drawMap(canvas, S) {
  const L = S.L;
  const { w, h, dpr } = S.size;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const { scale, tx, ty } = S.view;
  const r = L.radius * scale;
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
  const round = r >= 2.5;
  const half = Math.max(r, 0.9);
  const types = L.type;
  for (const [key, list] of S.buckets) {
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
      ctx.fillStyle = S.selected.has(i) || (S.mine.has(i) && code === HELD) ? "#ffffff"
        : code === AVAILABLE ? "rgba(255,255,255,0.95)" : "#64748b";
      ctx.fillText(String(L.num[i]), x * scale + tx, y * scale + ty + 0.5);
    }
  }
  if (r >= 3) {
    ctx.font = `600 ${Math.min(14, Math.max(9, r * 1.1))}px system-ui, sans-serif`;
    ctx.fillStyle = "#475569";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let ri = 0; ri < L.rows.length; ri++) {
      const i = L.rowStart[ri];
      const x = xs[i], y = ys[i];
      if (x < x0 - 200 || x > x1 || y < y0 || y > y1) continue;
      ctx.fillText(L.rows[ri][1], x * scale + tx - r - 6, y * scale + ty);
    }
  } else {
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.fillStyle = "#1e293b";
    // Zoomed far out (a phone showing a whole arena) neighbouring labels would overlap: a label
    // that would cover one already drawn is left out until the user zooms in.
    const placed = [];
    L.sections.forEach((name, si) => {
      const [cx, cy] = L.secCentre[si];
      const px = cx * scale + tx, py = cy * scale + ty, half = ctx.measureText(name).width / 2 + 3;
      if (placed.some(([qx, qy, qh]) => Math.abs(px - qx) < half + qh && Math.abs(py - qy) < 15)) return;
      placed.push([px, py, half]);
      ctx.strokeText(name, px, py);
      ctx.fillText(name, px, py);
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
