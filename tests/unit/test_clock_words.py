"""The cart and payment pages count down in the browser (assets/countdown.jsx): their mm:ss."""

from __future__ import annotations

import json

from tests.unit.test_queue_words import run_js


def test_the_countdown_reads_minutes_and_seconds_and_never_goes_below_zero():
    shown = json.loads(run_js(
        "import { clockWords } from './assets/clock_words.js';"
        "console.log(JSON.stringify([900, 899, 61, 60, 59.7, 1, 0, -3, null].map(clockWords)));"))
    assert shown == ["15:00", "14:59", "01:01", "01:00", "00:59", "00:01", "00:00", "00:00", "00:00"]
