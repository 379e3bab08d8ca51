// The event page's basket ({ticket type id: quantity}) lives in the browser: "+" and "−" change
// it without a server event (at an on-sale every page event costs the app 15-20 ms of CPU, and
// 2,000 "+" clicks at once waited seconds; bench/README.md). These pure functions keep it within
// what the page shows (the live figures pushed by the hub, each type's own maximum, the order's
// maximum); the API validates the basket again when "Reserve tickets" holds it (hold_button.jsx).
//
// `page` is what the page already has: {ticket_types (with their session_ids), figures (the live
// figures of sessions and types by id, pushed by the hub), presale_open (what a checked access
// code opens: {type id: most units}), type_max (each type's own maximum, 0 = none), max_per_order}.

// A ticket type's most units in one basket now: what is left (a presale's types, with the code
// that opens them, within the code's quota: as with_access in ticketing/pages/event.py shows
// them), and the type's own maximum.
function limitOf(page, typeId) {
  const shown = (page.figures || {})[typeId] || {};
  let left = Math.max(0, Math.floor(Number(shown.available) || 0));
  let open = Boolean(shown.is_available);
  const quota = (page.presale_open || {})[typeId];
  if (quota !== undefined && shown.reason === "presale_only") {
    left = Math.min(left, Math.max(0, Math.floor(Number(quota) || 0)));
    open = left > 0;
  }
  if (!open) return 0;
  const own = Math.floor(Number((page.type_max || {})[typeId]) || 0);
  return own > 0 ? Math.min(left, own) : left;
}

// The basket as shown and sent: this page's types only, each line at most its limit, the whole
// at most the order's maximum, and types that share a session (a day pass and that day's ticket)
// within what that session has left between them; no empty lines. A live push that lowers what is
// left lowers the line shown (and sent) with it.
export function shownBasket(basket, page) {
  const shown = {};
  let room = Math.max(0, Math.floor(Number(page.max_per_order) || 0));
  const sessionLeft = {};
  const leftIn = (sessionId) => {
    if (!(sessionId in sessionLeft)) {
      const figures = (page.figures || {})[sessionId];
      sessionLeft[sessionId] = figures ? Math.max(0, Math.floor(Number(figures.available) || 0)) : Infinity;
    }
    return sessionLeft[sessionId];
  };
  for (const type of page.ticket_types || []) {
    const sessions = type.session_ids || [];
    const wanted = Math.floor(Number((basket || {})[type.id]) || 0);
    const quantity = Math.min(wanted, limitOf(page, type.id), room, ...sessions.map(leftIn));
    if (quantity > 0) {
      shown[type.id] = quantity;
      room -= quantity;
      for (const sessionId of sessions) sessionLeft[sessionId] -= quantity;
    }
  }
  return shown;
}

export function basketCount(shown) {
  return Object.values(shown || {}).reduce((sum, quantity) => sum + quantity, 0);
}

// "€50.00" from the shown prices less the discount the server quoted for a promo code (display
// only: the hold computes the price). `form` is how the event's currency reads: {prefix, suffix,
// decimals}, as ticketing/formatting.py money() writes it.
export function basketTotal(shown, page, discountMinor, form) {
  let total = 0;
  for (const type of page.ticket_types || []) total += (shown[type.id] || 0) * (Number(type.price_minor) || 0);
  total = Math.max(0, total - (Number(discountMinor) || 0));
  const decimals = Number((form || {}).decimals) || 0;
  return ((form || {}).prefix || "") + (total / 10 ** decimals).toFixed(decimals) + ((form || {}).suffix || "");
}

function sameBasket(a, b) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

// The basket after "+" (delta 1) or "−" (delta -1) on one type: unchanged when the new basket
// would not be shown whole (a limit, the order's maximum or a shared session's places).
export function changedBasket(basket, page, typeId, delta) {
  const shown = shownBasket(basket, page);
  const next = { ...shown };
  const wanted = Math.max(0, (shown[typeId] || 0) + delta);
  if (wanted > 0) next[typeId] = wanted;
  else delete next[typeId];
  return sameBasket(shownBasket(next, page), next) ? next : shown;
}

// Whether "+" on this type would add one.
export function canAdd(basket, page, typeId) {
  const shown = shownBasket(basket, page);
  return (changedBasket(basket, page, typeId, 1)[typeId] || 0) > (shown[typeId] || 0);
}
