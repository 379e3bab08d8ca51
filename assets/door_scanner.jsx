// The door scanner: camera (and photo) QR decoding with @zxing/browser, a typed-code fallback
// (also what keyboard-wedge barcode scanners type into), a search by name or order number, and a
// full-screen green/red answer with vibration and a beep.
//
// It talks to the JSON API itself (POST /checkins, GET /door-list) rather than through the
// Reflex websocket, because it must keep working when the network drops: then it judges scans
// against the ticket list it keeps (door_offline.js), queues the admissions in localStorage and
// sends them with their scan time when the network is back.
import React, { useCallback, useEffect, useRef, useState } from "react";
import { BrowserQRCodeReader } from "@zxing/browser";
import { ResultScreen, feedback, fromServer } from "./door_answer.jsx";
import { decideOffline, indexList, newNonce, readCode, readShortCode, storage } from "./door_offline.js";
import { SearchPanel } from "./door_search.jsx";
import "./qr_finder_patterns.js"; // zxing otherwise misses about one ticket QR in twelve

const REQUEST_TIMEOUT_MS = 5000;
const LIST_EVERY_MS = 60000;
const SYNC_EVERY_MS = 10000;
const SHOW_GREEN_MS = 2500;
const SHOW_RED_MS = 6000;

async function request(url, { token, method = "GET", body, timeout = REQUEST_TIMEOUT_MS }) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  try {
    const r = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: ctrl.signal,
      cache: "no-store",
    });
    let json = {};
    try {
      json = await r.json();
    } catch {
      json = {};
    }
    return { status: r.status, json };
  } finally {
    clearTimeout(timer);
  }
}

export function DoorScanner({ eventId, apiUrl, token, defaultSessionId, onSessionChange, onSynced }) {
  const [index, setIndex] = useState(null);
  const [listError, setListError] = useState("");
  const [reachable, setReachable] = useState(true);
  const [netUp, setNetUp] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  const [sessionId, setSessionId] = useState("");
  const [gate, setGate] = useState(() => storage.gate());
  const [mode, setMode] = useState("camera");
  const [shown, setShown] = useState(null);
  const [queue, setQueue] = useState(() => storage.queue(eventId));
  const [syncNote, setSyncNote] = useState("");
  const [code, setCode] = useState("");
  const [query, setQuery] = useState("");
  const [cameraOn, setCameraOn] = useState(false);
  const [cameraNote, setCameraNote] = useState("");
  const [admittedHere, setAdmittedHere] = useState(0);

  const local = useRef(null);
  if (local.current === null) local.current = storage.admitted(eventId);
  const latest = useRef({});
  latest.current = { index, sessionId, gate, token, shown };
  const busy = useRef(false);
  const syncing = useRef(false);
  const video = useRef(null);
  const controls = useRef(null);
  const lastCode = useRef({ text: "", at: 0 });
  const codeInput = useRef(null);
  const online = netUp && reachable;
  const base = `${apiUrl}/events/${eventId}`;

  const chooseSession = useCallback(
    (id) => {
      setSessionId(id);
      if (onSessionChange) onSessionChange(id);
    },
    [onSessionChange],
  );

  const refreshList = useCallback(async () => {
    if (!latest.current.token) return;
    try {
      const r = await request(`${base}/door-list`, { token: latest.current.token, timeout: 20000 });
      if (r.status === 200) {
        const idx = indexList(r.json);
        setIndex(idx);
        setListError("");
        setReachable(true);
        if (!latest.current.sessionId) chooseSession(defaultSessionId || r.json.default_session_id || "");
      } else {
        setReachable(r.status < 500);
        setListError(r.json.detail || `The ticket list could not be loaded (${r.status}).`);
      }
    } catch {
      setReachable(false);
    }
  }, [base, chooseSession, defaultSessionId]);

  const sync = useCallback(async () => {
    if (syncing.current || !navigator.onLine) return;
    let pending = storage.queue(eventId);
    if (!pending.length) return;
    syncing.current = true;
    let done = 0;
    let conflicts = 0;
    try {
      while (pending.length) {
        let r;
        try {
          r = await request(`${base}/checkins`, { token: latest.current.token, method: "POST", body: pending[0] });
        } catch {
          setReachable(false);
          break;
        }
        if (r.status >= 500 || r.status === 401) break; // busy or signed out: keep it, try again later
        setReachable(true);
        done += 1;
        if (r.status !== 201 || r.json.conflict) conflicts += 1;
        pending = pending.slice(1);
        storage.saveQueue(eventId, pending);
        setQueue(pending);
      }
    } finally {
      syncing.current = false;
    }
    if (done) {
      setSyncNote(
        `Synced ${done} offline scan${done === 1 ? "" : "s"}` +
          (conflicts ? ` · ${conflicts} conflict${conflicts === 1 ? "" : "s"} reported to the organizer` : ""),
      );
      if (onSynced) onSynced();
      refreshList();
    }
  }, [base, eventId, onSynced, refreshList]);

  const remember = (ticketId, session, at, gateName) => {
    local.current.set(`${ticketId}|${session}`, { at, gate: gateName });
    storage.saveAdmitted(eventId, local.current);
  };

  const submit = useCallback(
    async ({ code: text, ticketId }) => {
      if (busy.current) return;
      busy.current = true;
      const { index: idx, sessionId: session, gate: gateName } = latest.current;
      const body = { nonce: newNonce() };
      if (text) body.code = text.trim();
      else body.ticket_id = ticketId;
      if (session) body.session_id = session;
      if (gateName.trim()) body.gate = gateName.trim();
      let answer = null;
      if (navigator.onLine) {
        try {
          const r = await request(`${base}/checkins`, { token: latest.current.token, method: "POST", body });
          if (r.status < 500) {
            setReachable(true);
            answer = fromServer(r.status, r.json);
            const d = answer.data;
            const known = answer.result === "admitted" || answer.result === "already_checked_in";
            if (known && d.ticket_id && d.session_id) {
              remember(d.ticket_id, d.session_id, d.checked_in_at, d.gate);
            }
          }
        } catch {
          setReachable(false); // no answer in time: decide here, the same nonce syncs later
        }
      }
      if (!answer) {
        if (!idx) {
          const message = "This phone has no ticket list yet: connect once to load it.";
          answer = { result: "no_list", message, offline: true };
        } else {
          const claims = text
            ? (await readCode(body.code, idx.list.key)) || readShortCode(idx, body.code)
            : { ticketId, version: null };
          answer = { ...decideOffline(idx, claims, session, local.current), offline: true };
          if (answer.result === "admitted") {
            const at = new Date().toISOString();
            answer.data = { ...answer.data, checked_in_at: at, gate: gateName.trim() || "this phone" };
            remember(answer.data.ticket_id, session, at, answer.data.gate);
            const pending = [...storage.queue(eventId), { ...body, scanned_at: at }];
            storage.saveQueue(eventId, pending);
            setQueue(pending);
          }
        }
      }
      if (answer.result === "admitted") setAdmittedHere((n) => n + 1);
      setShown(answer);
      feedback(answer.result === "admitted");
      busy.current = false;
    },
    [base, eventId],
  );

  // Network state, the list, and the sync loop.
  useEffect(() => {
    const up = async () => {
      setNetUp(true);
      await refreshList();
      await sync();
      if (onSynced) onSynced(); // the page's counters missed what happened while we were away
    };
    const down = () => setNetUp(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    refreshList().then(sync);
    const lists = setInterval(() => navigator.onLine && refreshList(), LIST_EVERY_MS);
    const syncs = setInterval(() => navigator.onLine && sync(), SYNC_EVERY_MS);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
      clearInterval(lists);
      clearInterval(syncs);
    };
  }, [refreshList, sync, onSynced]);

  useEffect(() => {
    if (!syncNote) return undefined;
    const t = setTimeout(() => setSyncNote(""), 30000);
    return () => clearTimeout(t);
  }, [syncNote]);

  // The answer stays up a moment, longer when red (someone has to read why).
  useEffect(() => {
    if (!shown) return undefined;
    const t = setTimeout(() => setShown(null), shown.result === "admitted" ? SHOW_GREEN_MS : SHOW_RED_MS);
    return () => clearTimeout(t);
  }, [shown]);

  useEffect(() => {
    if (!shown && mode === "code" && codeInput.current) codeInput.current.focus();
  }, [shown, mode]);

  const stopCamera = useCallback(() => {
    if (controls.current) controls.current.stop();
    controls.current = null;
    setCameraOn(false);
  }, []);

  const startCamera = async () => {
    setCameraNote("");
    try {
      const reader = new BrowserQRCodeReader(undefined, { delayBetweenScanAttempts: 120 });
      controls.current = await reader.decodeFromConstraints(
        { video: { facingMode: "environment" } },
        video.current,
        (res) => {
          if (!res || latest.current.shown || busy.current) return;
          const text = res.getText();
          const now = Date.now();
          if (text === lastCode.current.text && now - lastCode.current.at < 3000) return; // same ticket still in view
          lastCode.current = { text, at: now };
          submit({ code: text });
        },
      );
      setCameraOn(true);
    } catch (err) {
      setCameraNote(
        err && err.name === "NotAllowedError"
          ? "Camera access was refused. Allow it in the browser settings, or scan a photo, or type the code."
          : "No camera could be started here. Scan a photo of the ticket, or type the code.",
      );
    }
  };

  useEffect(() => stopCamera, [stopCamera]);

  const onPhoto = async (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (!file) return;
    const url = URL.createObjectURL(file);
    let text = null;
    try {
      text = (await new BrowserQRCodeReader().decodeFromImageUrl(url)).getText();
    } catch {
      setShown({ result: "no_code", message: "No QR code found in this photo. Try closer, or type the code." });
      feedback(false);
    } finally {
      URL.revokeObjectURL(url);
    }
    if (text) await submit({ code: text });
  };

  const switchMode = (m) => {
    if (m !== "camera") stopCamera();
    setMode(m);
  };

  const sessions = index ? index.list.sessions : [];
  const clock = { hour: "2-digit", minute: "2-digit", hour12: false };
  const listTime = index ? index.loadedAt.toLocaleTimeString([], clock) : "";

  return (
    <div className="door" id="door-scanner" data-online={String(online)} data-ready={String(Boolean(index))}>
      <div
        className={`door-status ${online ? "door-status--online" : "door-status--offline"}`}
        id="door-status"
        role="status"
      >
        <span className="door-status__dot" aria-hidden="true" />
        <span className="door-status__text">
          {online ? "Online" : "OFFLINE — scans are saved on this phone"}
        </span>
        {queue.length ? <span className="door-status__queue" id="door-queue">{queue.length} to sync</span> : null}
      </div>
      {syncNote ? <div className="door-note" id="door-sync-note">{syncNote}</div> : null}
      {listError ? <div className="door-note door-note--error">{listError}</div> : null}

      <div className="door-setup">
        <label className="door-field">
          <span>Session</span>
          <select
            id="door-session"
            value={sessionId}
            onChange={(e) => chooseSession(e.target.value)}
            disabled={!sessions.length}
          >
            {!sessions.length ? <option value="">Loading…</option> : null}
            {sessions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label className="door-field door-field--gate">
          <span>Gate</span>
          <input
            id="door-gate"
            value={gate}
            maxLength={60}
            placeholder="e.g. North"
            onChange={(e) => {
              setGate(e.target.value);
              storage.saveGate(e.target.value);
            }}
          />
        </label>
      </div>

      <div className="door-tabs" role="tablist">
        {[["camera", "Camera"], ["code", "Type code"], ["search", "Search"]].map(([m, label]) => (
          <button
            key={m}
            type="button"
            role="tab"
            id={`door-tab-${m}`}
            aria-selected={mode === m}
            className={`door-tab ${mode === m ? "door-tab--on" : ""}`}
            onClick={() => switchMode(m)}
          >
            {label}
          </button>
        ))}
      </div>

      <div className="door-panel" hidden={mode !== "camera"}>
        <div className={`door-video ${cameraOn ? "door-video--on" : ""}`}>
          <video ref={video} muted playsInline />
          {!cameraOn ? (
            <button type="button" className="door-button door-button--big" id="door-camera-start" onClick={startCamera}>
              Start camera
            </button>
          ) : null}
          {cameraOn ? <div className="door-video__frame" aria-hidden="true" /> : null}
        </div>
        {cameraNote ? <p className="door-note door-note--error">{cameraNote}</p> : null}
        <div className="door-row">
          {cameraOn ? (
            <button type="button" className="door-button door-button--quiet" onClick={stopCamera}>
              Stop camera
            </button>
          ) : null}
          <label className="door-button door-button--quiet" htmlFor="door-photo">
            Scan a photo
          </label>
          <input
            id="door-photo"
            className="door-hidden"
            type="file"
            accept="image/*"
            capture="environment"
            onChange={onPhoto}
          />
        </div>
      </div>

      <form
        className="door-panel"
        hidden={mode !== "code"}
        onSubmit={(e) => {
          e.preventDefault();
          if (code.trim()) submit({ code });
          setCode("");
        }}
      >
        <label className="door-field">
          <span>Ticket code</span>
          <input
            id="door-code"
            ref={codeInput}
            value={code}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            placeholder="Type the code under the QR (e.g. K7QMX-3PART)"
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        <button type="submit" className="door-button door-button--big" id="door-code-submit" disabled={!code.trim()}>
          Check in
        </button>
      </form>

      <SearchPanel
        hidden={mode !== "search"}
        index={index}
        query={query}
        onQuery={setQuery}
        isIn={(ticketId) => {
          const key = `${ticketId}|${sessionId}`;
          return local.current.has(key) || Boolean(index && index.checkins.has(key));
        }}
        onAdmit={(ticketId) => submit({ ticketId })}
      />

      <div className="door-foot" id="door-device">
        This phone: {admittedHere} admitted
        {index
          ? ` · list of ${index.tickets.size} ticket${index.tickets.size === 1 ? "" : "s"} from ${listTime}`
          : " · loading the ticket list…"}
      </div>

      {shown ? <ResultScreen shown={shown} onClose={() => setShown(null)} /> : null}
    </div>
  );
}
