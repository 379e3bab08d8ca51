// Finding a guest without their code: by holder name or order number, in the ticket list the
// scanner keeps (so it works offline too). Staff check who stands in front of them, then admit.
import React from "react";
import { searchTickets } from "./door_offline.js";

const STATUS_NOTE = { pending: "not paid", cancelled: "cancelled" };

export function SearchPanel({ hidden, index, query, onQuery, isIn, onAdmit }) {
  const results = index && !hidden ? searchTickets(index, query) : [];
  const searched = query.trim().length >= 2 && index;
  return (
    <div className="door-panel" hidden={hidden}>
      <label className="door-field">
        <span>Name or order number</span>
        <input
          id="door-search"
          value={query}
          autoComplete="off"
          placeholder="e.g. Lovelace or ORD-2026"
          onChange={(e) => onQuery(e.target.value)}
        />
      </label>
      <ul className="door-results" id="door-search-results">
        {results.map((t) => (
          <li key={t.id} className="door-results__row" data-ticket={t.id}>
            <div className="door-results__who">
              <strong>{t.holder}</strong>
              <span>
                {t.type.name} · <span className="door-nowrap">{t.order}</span>
                {STATUS_NOTE[t.status] ? ` · ${STATUS_NOTE[t.status]}` : ""}
              </span>
            </div>
            {isIn(t.id) ? (
              // Already admitted to this session: say so instead of offering a button that can only refuse.
              <span className="door-results__in" data-checked-in="true">✓ Checked in</span>
            ) : (
              <button type="button" className="door-button" onClick={() => onAdmit(t.id)}
                      aria-label={`Check in ${t.holder}`}>
                Check in
              </button>
            )}
          </li>
        ))}
        {searched && !results.length ? <li className="door-results__none">No ticket matches.</li> : null}
      </ul>
    </div>
  );
}
