// <HoldButton .../>: the event page's "Reserve tickets". The browser holds the basket through the
// JSON API itself (POST /api/v1/events/{id}/holds with the customer's bearer token and, while the
// event's waiting room is on, this event's admission from the tk_admission map): a Reflex event
// costs the app 10-20 ms of CPU whatever its handler does (the tab's state lock, its load and save
// in Redis, the delta), the API's hold a few ms, and at an on-sale's opening 2,000 clicks arrive
// within 2 s (bench/README.md).
//
// One request at a time (the button spins, disabled). Held (201): the basket is emptied, the
// server's page is asked to forget an applied code or an earlier refusal only when it has one
// (`onForget`), and the cart opens by a client-side navigation. Refused: the page's words, shown
// here with no Reflex event, except the refusals of a promo or access code (`serverCodes`), which
// the server words by the code's box (`onRefused`). Busy, throttled or unreachable: said once,
// never retried by itself.
//
// `children` is what sits left of the button (the basket's count and total).
import React, { useEffect, useRef, useState } from "react";
import { Button, Callout, Flex, Spinner } from "@radix-ui/themes"; // the page's own Radix Themes
import { ShoppingCart, TriangleAlert } from "lucide-react"; // rx.icon's library
import { apiUrl } from "./api_url.js";

const BUSY = "The sale is very busy: nothing was held. Try again in a moment.";
const QUICKER = " Someone was quicker: choose fewer tickets or another option.";
const ON_HOLD = "You already have tickets on hold for this event.";


// This event's admission from the browser's map {event id: token}, when it has one.
function admissionFor(admissions, eventId) {
  try {
    const tokens = JSON.parse(admissions || "{}");
    const token = tokens && typeof tokens === "object" ? tokens[eventId] : null;
    return typeof token === "string" && token ? token : null;
  } catch (e) {
    return null;
  }
}

function itemsOf(basket) {
  return Object.entries(basket || {})
    .filter(([, quantity]) => quantity > 0)
    .map(([ticket_type_id, quantity]) => ({ ticket_type_id, quantity }));
}

// What a code box's field shows now (`id`), else the page's value: a typed code reaches the
// server's state, and this component's props, a round trip after the keystroke (and the field
// sends it only when it loses focus to the click), but the click sends what the customer sees.
function typed(id, fromPage) {
  const field = id ? document.getElementById(id) : null;
  return (field && typeof field.value === "string" ? field.value : fromPage || "").trim();
}

// The server's code for a refusal its page words by a code box (presale quota apart from others).
function boxCode(problem) {
  if (problem.code === "quota_reached" && problem.reason === "presale_quota") return "presale_quota";
  return problem.code;
}

export function HoldButton({
  eventId, basket, promoCode, accessCode, promoField, accessField, authToken, admissions, keepsCode, serverMessage, serverCodes,
  onEmptyBasket, onForget, onGo, onRefused, children,
}) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(""); // this browser's last refusal, in the page's words
  const [showServer, setShowServer] = useState(true); // the server's message, until the next click
  const inFlight = useRef(false);
  const mounted = useRef(true);
  const controller = useRef(null);

  useEffect(() => setShowServer(true), [serverMessage]);
  useEffect(() => () => {
    mounted.current = false; // the page is left: no answer changes it any more
    if (controller.current) controller.current.abort();
  }, []);

  const items = itemsOf(basket);

  const refused = (problem, status) => {
    const code = String(problem.code || "");
    if (status === 401) return onGo(`/login?next=/events/${eventId}`);
    if (status === 429 || status >= 500) return setNote(BUSY);
    if (code.startsWith("admission_")) return onGo(`/events/${eventId}/queue`);
    if ((serverCodes || []).includes(boxCode(problem))) {
      setShowServer(true);
      return onRefused(boxCode(problem), basket || {});
    }
    if (code === "active_hold_exists" && problem.hold_id) {
      setNote(ON_HOLD);
      return onGo(`/cart/${problem.hold_id}`);
    }
    const detail = String(problem.detail || "These tickets could not be held.");
    setNote(code === "insufficient_capacity" || code === "quota_reached" ? detail + QUICKER : detail);
  };

  const reserve = async () => {
    if (inFlight.current || items.length === 0) return; // a double click sends one request
    inFlight.current = true;
    setBusy(true);
    setNote("");
    setShowServer(false);
    controller.current = new AbortController();
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (authToken) headers.Authorization = `Bearer ${authToken}`;
    const admission = admissionFor(admissions, eventId);
    if (admission) headers["Admission-Token"] = admission;
    const body = { items, promo_code: typed(promoField, promoCode) || null, access_code: typed(accessField, accessCode) || null };
    try {
      const res = await fetch(apiUrl(`/api/v1/events/${eventId}/holds`), {
        method: "POST", headers, body: JSON.stringify(body), cache: "no-store", signal: controller.current.signal,
      });
      let answer = {};
      try {
        answer = await res.json();
      } catch (e) {
        answer = {}; // a balancer's own error page: no problem+json
      }
      if (!mounted.current) return;
      if (res.status === 201 && answer.id) {
        onEmptyBasket();
        if (keepsCode) onForget();
        onGo(`/cart/${answer.id}`);
        return;
      }
      refused(answer, res.status);
    } catch (e) {
      if (mounted.current) setNote(BUSY); // unreachable: nothing was held
    } finally {
      inFlight.current = false;
      if (mounted.current) setBusy(false);
    }
  };

  const message = note || (showServer ? serverMessage : "");
  return (
    <>
      {message ? (
        <Callout.Root color="red" role="alert" id="buy-error" style={{ width: "100%" }}>
          <Callout.Icon><TriangleAlert size={18} /></Callout.Icon>
          <Callout.Text>{message}</Callout.Text>
        </Callout.Root>
      ) : null}
      <Flex align="center" width="100%" gap="3">
        {children}
        <div style={{ flex: 1 }} />
        <Button size="3" id="buy-button" disabled={busy || items.length === 0} aria-busy={busy} onClick={reserve}>
          {busy ? <Spinner size="2" /> : <ShoppingCart size={18} />}
          Reserve tickets
        </Button>
      </Flex>
    </>
  );
}
