// <Countdown remaining until label onExpire/>: mm:ss left of a hold or of the time to pay,
// counted down in the browser. `remaining` is the seconds left by the server's clock when the
// page's state was last loaded (`until`, the deadline as the server knows it, tells a new load
// from an old one); the browser counts from the moment it received them, so a wrong clock on
// the customer's device does not matter. At zero it calls `onExpire` once: the server checks the
// deadline on its own clock and says what happens next.
//
// Why not a Reflex event a second: each one costs the app 10-20 ms of CPU (the tab's state
// lock, its load and save in Redis, the delta), and at an on-sale 500 winners in their carts
// would send 500 a second while the sale still runs (bench/onsale.py).
import React, { useEffect, useRef, useState } from "react";
import { Badge } from "@radix-ui/themes"; // the page's own Radix Themes
import { Timer } from "lucide-react"; // rx.icon's library
import { clockWords } from "./clock_words.js";

export function Countdown({ remaining, until, label, onExpire }) {
  const deadline = useRef(Date.now() + Number(remaining || 0) * 1000);
  const [left, setLeft] = useState(Number(remaining || 0));
  const latest = useRef(onExpire);
  latest.current = onExpire;

  useEffect(() => {
    deadline.current = Date.now() + Number(remaining || 0) * 1000;
    let told = false;
    const show = () => {
      const seconds = Math.max(0, Math.ceil((deadline.current - Date.now()) / 1000));
      setLeft(seconds);
      if (seconds === 0 && !told) {
        told = true;
        clearInterval(timer);
        if (latest.current) latest.current();
      }
    };
    const timer = setInterval(show, 1000);
    show();
    return () => clearInterval(timer);
  }, [remaining, until]);

  return (
    <Badge id="countdown" role="timer" aria-live="off" variant="soft" size="3"
           color={left < 60 ? "red" : "indigo"}>
      <Timer size={14} />
      {clockWords(left)} {label}
    </Badge>
  );
}
