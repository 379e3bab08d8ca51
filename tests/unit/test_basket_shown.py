"""The event page's basket in the browser (assets/basket.js): what it shows and what "+" allows,
within each type's limits, the order's maximum and the places its sessions have left."""

from __future__ import annotations

import json

from tests.unit.test_queue_words import run_js

DAY1, DAY2 = "s-day-1", "s-day-2"
# A two-day workshop: a day-1 ticket, a pass for both days; day 1 has 2 places left, day 2 has 5.
PAGE = {
    "ticket_types": [{"id": "day1", "session_ids": [DAY1], "price_minor": 3000},
                     {"id": "pass", "session_ids": [DAY1, DAY2], "price_minor": 5000},
                     {"id": "day2", "session_ids": [DAY2], "price_minor": 3000}],
    "figures": {DAY1: {"available": 2}, DAY2: {"available": 5},
                "day1": {"available": 2, "is_available": True}, "pass": {"available": 2, "is_available": True},
                "day2": {"available": 5, "is_available": True}},
    "presale_open": {}, "type_max": {}, "max_per_order": 6,
}


def basket_js(call: str, page: dict = PAGE) -> object:
    return json.loads(run_js(
        "import { shownBasket, changedBasket, canAdd } from './assets/basket.js';"
        f"const page = {json.dumps(page)};"
        f"console.log(JSON.stringify({call}));"))


def test_types_sharing_a_session_share_its_places_left():
    assert basket_js("shownBasket({day1: 1, pass: 2}, page)") == {"day1": 1, "pass": 1}
    assert basket_js("shownBasket({day1: 2, pass: 1, day2: 3}, page)") == {"day1": 2, "day2": 3}
    # The pass takes day 2's places too.
    assert basket_js("shownBasket({pass: 2, day2: 5}, page)") == {"pass": 2, "day2": 3}


def test_plus_stops_at_the_last_place_of_a_shared_session():
    assert basket_js("changedBasket({day1: 1}, page, 'pass', 1)") == {"day1": 1, "pass": 1}
    assert basket_js("changedBasket({day1: 1, pass: 1}, page, 'pass', 1)") == {"day1": 1, "pass": 1}
    assert basket_js("[canAdd({day1: 1, pass: 1}, page, 'pass'), canAdd({day1: 1, pass: 1}, page, 'day1'),"
                     " canAdd({day1: 1, pass: 1}, page, 'day2')]") == [False, False, True]
    assert basket_js("changedBasket({day1: 1, pass: 1}, page, 'day1', -1)") == {"pass": 1}


def test_the_order_maximum_and_a_types_own_maximum_still_hold():
    roomy = {**PAGE, "figures": {**PAGE["figures"], DAY1: {"available": 50}, DAY2: {"available": 50},
                                 "day1": {"available": 50, "is_available": True},
                                 "pass": {"available": 50, "is_available": True},
                                 "day2": {"available": 50, "is_available": True}},
             "type_max": {"day2": 2}}
    assert basket_js("changedBasket({day1: 4, day2: 2}, page, 'pass', 1)", roomy) == {"day1": 4, "day2": 2}
    assert basket_js("changedBasket({day2: 2}, page, 'day2', 1)", roomy) == {"day2": 2}
    assert basket_js("[canAdd({day1: 3, day2: 2}, page, 'pass'), canAdd({day2: 2}, page, 'day2')]", roomy) == [True,
                                                                                                                 False]


def test_a_type_without_its_session_figures_is_held_to_its_own_figures():
    page = {**PAGE, "figures": {"day1": {"available": 3, "is_available": True}}, "ticket_types": PAGE["ticket_types"][:1]}
    assert basket_js("shownBasket({day1: 9}, page)", page) == {"day1": 3}
