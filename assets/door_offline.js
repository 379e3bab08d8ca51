// What the door scanner decides on its own: reading signed ticket codes, judging a scan against
// the event's ticket list when the network is down, and the queue of admissions to sync later.
// The server's rules (ticketing/services/admission.py) are the reference; these mirror them so a
// gate without network answers as the server would, except for admissions at other offline
// gates, which only the server can see (it reports those as conflicts when the queues sync).
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

// Web Crypto's SHA-512 exists only on https (and localhost); fall back to the JS one elsewhere.
if (!globalThis.crypto || !globalThis.crypto.subtle) {
  ed.hashes.sha512Async = (m) => Promise.resolve(sha512(m));
}

const CODE_SIZE = 86; // format (1) | key id (1) | ticket id (16) | version (4) | signature (64)
const HEADER_SIZE = 22;
const STATUS = { v: "valid", p: "pending", c: "cancelled" };

export function b64urlToBytes(text) {
  const clean = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*$/.test(clean)) return null;
  try {
    const bin = atob(clean + "=".repeat((4 - (clean.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function uuidFromBytes(b) {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// {ticketId, version} of a genuine code, or null (garbage, altered, another key).
export async function readCode(code, key) {
  if (!code || code.length > 200 || !key) return null;
  const raw = b64urlToBytes(code);
  if (!raw || raw.length !== CODE_SIZE || raw[0] !== key.format || raw[1] !== key.kid) return null;
  const header = raw.slice(0, HEADER_SIZE);
  const publicKey = b64urlToBytes(key.public_key);
  let ok = false;
  try {
    ok = await ed.verifyAsync(raw.slice(HEADER_SIZE), header, publicKey);
  } catch {
    ok = false;
  }
  if (!ok) return null;
  const version = new DataView(header.buffer, header.byteOffset + 18, 4).getUint32(0, false);
  return { ticketId: uuidFromBytes(header.slice(2, 18)), version };
}

// The server's door list, indexed for lookups and search.
export function indexList(list) {
  const sessions = new Map(list.sessions.map((s) => [s.id, s]));
  const tickets = new Map();
  const shortCodes = new Map();
  for (const [id, version, status, holder, order, typeIndex, short] of list.tickets) {
    const type = list.ticket_types[typeIndex];
    tickets.set(id, { id, version, status: STATUS[status] || "cancelled", holder, order, type });
    if (short) shortCodes.set(short, id);
  }
  const checkins = new Map(list.checkins.map(([t, s, at, gate]) => [`${t}|${s}`, { at, gate }]));
  return { list, sessions, tickets, checkins, shortCodes, loadedAt: new Date() };
}

// The short code typed from under a QR ("k7qmx 3part"): {ticketId, version} of the ticket that
// has it now, or null. Mirrors ticketing/services/door/short_codes.py.
export function readShortCode(index, text) {
  const code = (text || "").replace(/[\s\-_.]/g, "").toUpperCase();
  if (!/^[2-9A-HJKMNP-Z]{10}$/.test(code) || !index.shortCodes) return null;
  const id = index.shortCodes.get(code);
  const ticket = id && index.tickets.get(id);
  return ticket ? { ticketId: id, version: ticket.version } : null;
}

function hhmm(iso) {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function details(ticket) {
  return {
    ticket_id: ticket.id,
    holder_name: ticket.holder,
    ticket_type: ticket.type.name,
    order_number: ticket.order,
    seat: null,
  };
}

// Judge a scan with no server: the same answers, in the same order, as admission.py.
// `claims` from readCode, or {ticketId, version: null} for an admission found by search.
export function decideOffline(index, claims, sessionId, local) {
  if (!claims) return { result: "unknown_code", message: "Not a valid ticket code." };
  const ticket = index.tickets.get(claims.ticketId);
  if (!ticket) {
    // Another event's ticket, or one sold after the list was fetched: without the server we cannot tell.
    const since = hhmm(index.loadedAt.toISOString());
    return { result: "unknown_code", message: `Not on this phone's ticket list (from ${since}).` };
  }
  const data = details(ticket);
  if (ticket.status === "cancelled") return { result: "cancelled", message: "This ticket was cancelled.", data };
  if (claims.version !== null && claims.version < ticket.version) {
    return { result: "revoked", message: "This code was replaced by a newer one (the ticket was transferred).", data };
  }
  if (ticket.status !== "valid") return { result: "not_paid", message: "This ticket's order is not paid.", data };
  const session = index.sessions.get(sessionId);
  if (!session) return { result: "wrong_session", message: "Choose a session first.", data };
  Object.assign(data, { session_id: session.id, session_name: session.name });
  if (!ticket.type.session_ids.includes(sessionId)) {
    const names = ticket.type.session_ids.map((id) => index.sessions.get(id)?.name).filter(Boolean).join(", ");
    return { result: "wrong_session", message: `Not valid for ${session.name}. Valid for: ${names}.`, data };
  }
  const key = `${ticket.id}|${sessionId}`;
  const first = local.get(key) || index.checkins.get(key);
  if (first) {
    Object.assign(data, { checked_in_at: first.at, gate: first.gate });
    return { result: "already_checked_in", message: `Already checked in at ${hhmm(first.at)} by ${first.gate}.`, data };
  }
  return { result: "admitted", message: "Admitted", data };
}

// Case- and accent-insensitive search by holder name or order number.
const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

export function searchTickets(index, query, limit = 20) {
  const q = fold(query.trim());
  if (q.length < 2) return [];
  const out = [];
  for (const t of index.tickets.values()) {
    if (fold(t.holder).includes(q) || t.order.toLowerCase().includes(q)) {
      out.push(t);
      if (out.length >= limit) break;
    }
  }
  return out;
}

// Device storage: the queue of offline admissions and what this device admitted, per event.
// localStorage survives a reload or a crash; the queue is what must never be lost.
function load(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw ? JSON.parse(raw) : fallback;
  } catch {
    return fallback;
  }
}

export const storage = {
  queue: (eventId) => load(`tk_door_queue_${eventId}`, []),
  saveQueue: (eventId, queue) => localStorage.setItem(`tk_door_queue_${eventId}`, JSON.stringify(queue)),
  admitted: (eventId) => new Map(Object.entries(load(`tk_door_admitted_${eventId}`, {}))),
  saveAdmitted: (eventId, map) =>
    localStorage.setItem(`tk_door_admitted_${eventId}`, JSON.stringify(Object.fromEntries(map))),
  gate: () => load("tk_door_gate", ""),
  saveGate: (gate) => localStorage.setItem("tk_door_gate", JSON.stringify(gate)),
};

export function newNonce() {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  return uuidFromBytes(b);
}
