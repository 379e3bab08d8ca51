// <OnChange value={v} onChange={...}/>: renders nothing and calls onChange whenever `value`
// changes after the first render (a console tab reads its server figures again when the hub
// pushes a new version of the event).
import { useEffect, useRef } from "react";

export function OnChange({ value, onChange }) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (onChange) onChange(value);
  }, [value]);
  return null;
}
