// <QueuePlace eventId place authToken onHandOver/>: the queue page's place in line, live, asked
// of the JSON API by the browser itself (GET /api/v1/events/{id}/waiting-room/me with the
// customer's bearer token) at the cadence the server gives in each answer (ask_again_seconds).
// A Reflex event per poll cost the app 8.5-10.8 ms of CPU (the tab's state lock, its load and
// save in Redis, the delta): 2,000 tabs in line took 1.4 of 2 cores (bench/README.md).
//
// `place` is the first answer, from the page's load (the Reflex state): the figures shown until
// the first poll, and again whenever the server's page sends new ones. The component calls
// `onHandOver` (WaitingRoomState.refresh) only when the answer needs the server's page: admitted
// or open (keep the admission, go to the event), absent (take a place again), 401 (sign in),
// 404 and other refusals (the page says why). One call, then it keeps asking at the cadence: if
// no redirect comes, it hands over again, but never sooner than 10 s, 20 s, 40 s, 60 s after
// the last time. Busy (503), throttled (429) or unreachable: the last figures stay and it asks
// again later, backing off from the cadence (never faster) to a minute.
import React, { useEffect, useRef, useState } from "react";
import { Callout, Flex, Strong, Text } from "@radix-ui/themes"; // the page's own Radix Themes
import { Clock, Hourglass } from "lucide-react"; // rx.icon's library
import { apiUrl } from "./api_url.js";
import { opensWords, waitWords } from "./queue_words.js";

const SOONEST_MS = 3000; // the server's smallest cadence, used until an answer names one
const LONGEST_BACKOFF_MS = 60000; // a place is kept for minutes (WAITING_ROOM_GRACE_SECONDS)
const FIRST_HAND_OVER_GAP_MS = 10000;
const LONGEST_HAND_OVER_GAP_MS = 60000;
const HAND_OVER_STATES = new Set(["admitted", "open", "absent"]);
const GRAY = { color: "var(--gray-11)" };


function cadenceOf(figures) {
  const s = Number(figures && figures.ask_again_seconds);
  return s > 0 ? Math.max(SOONEST_MS, s * 1000) : SOONEST_MS;
}

// A little later than asked, at random, so tabs that loaded together drift apart.
function jittered(ms) {
  return ms * (1 + Math.random() * 0.1);
}

export function QueuePlace({ eventId, place, authToken, onHandOver }) {
  const [shown, setShown] = useState(place || {});
  const latest = useRef({});
  latest.current = { authToken, onHandOver };
  const cadence = useRef(cadenceOf(place));

  // New figures from the server's page (its load, or a hand-over that took a place again).
  const placeKey = JSON.stringify(place || {});
  useEffect(() => {
    if (place && place.position) {
      setShown(place);
      cadence.current = cadenceOf(place);
    }
  }, [placeKey]);

  useEffect(() => {
    if (!eventId) return undefined;
    let stopped = false;
    let timer = null;
    let inFlight = null;
    let failures = 0;
    let handedAt = 0;
    let handGap = 0; // the first hand-over goes at once

    const handOver = () => {
      const now = Date.now();
      if (now - handedAt < handGap) return;
      handedAt = now;
      handGap = Math.min(LONGEST_HAND_OVER_GAP_MS, Math.max(FIRST_HAND_OVER_GAP_MS, handGap * 2));
      if (latest.current.onHandOver) latest.current.onHandOver();
    };

    const backoff = (retryAfterSeconds) => {
      failures += 1;
      const ms = Math.min(LONGEST_BACKOFF_MS, cadence.current * 2 ** failures);
      return Math.max(cadence.current, ms, (retryAfterSeconds || 0) * 1000);
    };

    const ask = async () => {
      let delay = cadence.current;
      inFlight = new AbortController();
      try {
        const token = latest.current.authToken;
        const res = await fetch(apiUrl(`/api/v1/events/${eventId}/waiting-room/me`), {
          headers: token ? { Authorization: `Bearer ${token}` } : {},
          cache: "no-store",
          signal: inFlight.signal,
        });
        if (stopped) return;
        if (res.ok) {
          const answer = await res.json();
          failures = 0;
          if (answer.state === "waiting") {
            cadence.current = cadenceOf(answer);
            delay = cadence.current;
            setShown(answer);
          } else if (HAND_OVER_STATES.has(answer.state)) {
            handOver();
          }
        } else if (res.status === 429 || res.status >= 500) {
          delay = backoff(Number(res.headers.get("Retry-After")));
        } else {
          handOver(); // 401 signed out, 404 gone, any other refusal: the server's page says it
        }
      } catch (e) {
        if (stopped) return;
        delay = backoff(0); // unreachable or a broken answer: keep the figures, ask later
      }
      if (!stopped) timer = setTimeout(ask, jittered(delay));
    };

    timer = setTimeout(ask, jittered(cadence.current));
    return () => {
      // The page is left (a redirect, a closed tab): no more asking.
      stopped = true;
      clearTimeout(timer);
      if (inFlight) inFlight.abort();
    };
  }, [eventId]);

  const opens = opensWords(Number(shown.opens_in_seconds) || 0);
  return (
    <>
      {opens ? (
        <Callout.Root color="indigo" style={{ width: "100%" }} id="queue-opens">
          <Callout.Icon><Clock size={18} /></Callout.Icon>
          <Callout.Text>
            {opens} Everyone who arrives before then gets a place drawn at random: there is no advantage in
            coming early.
          </Callout.Text>
        </Callout.Root>
      ) : null}
      <Flex direction="column" align="center" gap="1" aria-live="polite">
        <Text as="p" size="2" style={GRAY}>Your place in line</Text>
        <Text as="p" size="9" weight="bold" id="queue-position" className="queue-position">
          {String(shown.position || 0)}
        </Text>
        <Text as="p" size="2" style={GRAY} id="queue-waiting">of {String(shown.waiting || 0)} waiting</Text>
      </Flex>
      <Flex align="center" gap="2">
        <Hourglass size={16} />
        <Text as="p" id="queue-wait">Estimated wait: <Strong>{waitWords(shown.wait_seconds)}</Strong></Text>
      </Flex>
    </>
  );
}
