// The queue page's words for a wait, as ticketing/state/waiting_room.wait_words says them:
// "less than a minute", "about 4 minutes", "about 1 h 20 min". The page's component words the
// figures it fetches itself; tests/unit/test_queue_words.py runs both on the same seconds.

export function waitWords(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `about ${minutes} minute${minutes !== 1 ? "s" : ""}`;
  return `about ${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

// "The sale opens in 4 minutes." before the opening, "" after.
export function opensWords(seconds) {
  return seconds > 0 ? `The sale opens in ${waitWords(seconds).replace(/^about /, "")}.` : "";
}
