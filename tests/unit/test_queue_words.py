"""The queue page's component words its waits (assets/queue_words.js) as the server's
`wait_words` does: the same seconds, run through both, read the same."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ticketing.state.waiting_room import wait_words

ROOT = Path(__file__).resolve().parents[2]
BUN = os.environ.get("REFLEX_BUN_PATH") or str(ROOT / ".tools" / "bin" / "bun")  # scripts/install puts it there
SECONDS = [None, 0, 1, 59, 60, 61, 119, 120, 121, 599, 600, 3539, 3540, 3541, 3599, 3600, 3601, 3660, 4800, 4801,
           7199, 7200, 86_399, 90_061]


def run_js(source: str) -> str:
    done = subprocess.run([BUN, "-e", source], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_component_words_a_wait_as_the_server_does():
    words = json.loads(run_js(
        "import { waitWords } from './assets/queue_words.js';"
        f"console.log(JSON.stringify({json.dumps(SECONDS)}.map(waitWords)));"))
    assert words == [wait_words(s) for s in SECONDS]
    assert words[SECONDS.index(4800)] == "about 1 h 20 min"


def test_the_component_says_when_the_sale_opens():
    words = json.loads(run_js(
        "import { opensWords } from './assets/queue_words.js';"
        "console.log(JSON.stringify([0, 30, 240, 4800].map(opensWords)));"))
    assert words == ["", "The sale opens in less than a minute.", "The sale opens in 4 minutes.",
                     "The sale opens in 1 h 20 min."]
