// The answer to a scan: one colour over the whole screen, readable from arm's length, with a
// vibration and a beep so the steward does not even have to look.
import React from "react";

export const TITLES = {
  admitted: "Admitted",
  already_checked_in: "Already checked in",
  unknown_code: "Unknown ticket",
  wrong_event: "Wrong event",
  wrong_session: "Wrong session",
  not_paid: "Not paid",
  cancelled: "Cancelled ticket",
  revoked: "Old code",
  no_code: "No QR code found",
  no_list: "Not ready",
};

let audio = null;
export function feedback(ok) {
  try {
    if (navigator.vibrate) navigator.vibrate(ok ? 90 : [200, 90, 200]);
  } catch {
    /* vibration is a bonus */
  }
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = ok ? "sine" : "square";
    osc.frequency.value = ok ? 880 : 196;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (ok ? 0.15 : 0.45));
  } catch {
    /* no audio device: the colour and vibration remain */
  }
}

export function fromServer(status, json) {
  if (status === 201) return { result: "admitted", message: "Admitted", data: json };
  return { result: json.code || "error", message: json.detail || `Error ${status}`, data: json };
}

export function ResultScreen({ shown, onClose }) {
  const ok = shown.result === "admitted";
  const d = shown.data || {};
  const meta = [d.ticket_type, d.session_name].filter(Boolean).join(" · ");
  return (
    <div
      className={`door-result ${ok ? "door-result--ok" : "door-result--no"}`}
      role="alert"
      id="door-result"
      data-result={shown.result}
      onClick={onClose}
    >
      <div className="door-result__icon" aria-hidden="true">{ok ? "✓" : "✕"}</div>
      <div className="door-result__title">{TITLES[shown.result] || "Not admitted"}</div>
      {d.holder_name ? <div className="door-result__holder">{d.holder_name}</div> : null}
      {meta ? <div className="door-result__meta">{meta}</div> : null}
      {d.seat ? <div className="door-result__seat" id="door-result-seat">{d.seat}</div> : null}
      {!ok || d.conflict ? <div className="door-result__detail">{shown.message}</div> : null}
      {shown.offline ? (
        <div className="door-result__offline">
          Offline — decided on this phone{ok ? ", syncs when the network is back" : ""}
        </div>
      ) : null}
      <button className="door-result__next" type="button" onClick={onClose}>Scan next</button>
    </div>
  );
}

