"""The per-worker organization fan-out (broker Profit page live): a sale on any event of the
organization reloads its figures and pushes them to every tab watching it, stampedes are merged
into one reload per interval, other organizations' sales cost nothing, tabs of users who lost
their role stop getting figures; and the loader reads the real figures as a manager only."""

from __future__ import annotations

import asyncio
import uuid

from tests.broker_builders import bought, make_broker_event, sell
from tests.builders import T0
from tests.factories import make_user
from ticketing.db import session_scope
from ticketing.realtime.org_fanout import OrgFanout
from ticketing.realtime.org_views import PROFIT, load_org_view, organization_of_event


class Fake:
    """Tabs and figures of a worker: what was emitted, how often figures were read."""

    def __init__(self, allowed: set[str] | None = None) -> None:
        self.sent: list[tuple[list[str], str, dict]] = []
        self.loads: list[tuple[str, str, str, set[str]]] = []
        self.allowed = allowed
        self.sales = 0

    async def load(self, org: str, view: str, param: str, users: set[str]):
        self.loads.append((org, view, param, set(users)))
        ok = users if self.allowed is None else users & self.allowed
        return ({"totals": {"sold": str(self.sales)}} if ok else None), set(ok)

    async def org_of(self, event_id: str) -> str | None:
        return {"E1": "O1", "E2": "O1", "E3": "O2"}.get(event_id)

    async def emit(self, tokens: list[str], view: str, values: dict) -> list[str]:
        self.sent.append((sorted(tokens), view, values))
        return []


def delta(event_id: str) -> dict:
    return {"type": "delta", "event_id": event_id, "version": 1}


def test_a_sale_on_any_event_of_the_organization_reaches_its_watching_tabs_only():
    fake = Fake()
    fan = OrgFanout(load=fake.load, org_of_event=fake.org_of, emit=fake.emit, interval=0)
    fan.watch("a", org_id="O1", view=PROFIT, param="event", user_id="u1")
    fan.watch("b", org_id="O1", view=PROFIT, param="event", user_id="u2")
    fan.watch("c", org_id="O1", view=PROFIT, param="supplier", user_id="u1")
    fan.watch("d", org_id="O2", view=PROFIT, param="event", user_id="u3")

    async def go():
        fake.sales = 1
        await fan.handle(delta("E2"))
        await fan.handle(delta("E9"))  # no such event: nobody reloads

    asyncio.run(go())
    assert sorted((tokens, values["totals"]["sold"], values["live"]) for tokens, _, values in fake.sent) == [
        (["a", "b"], "1", True), (["c"], "1", True)]
    assert {(org, param) for org, _, param, _ in fake.loads} == {("O1", "event"), ("O1", "supplier")}
    assert fan.watchers("O1") == 3 and fan.watchers("O2") == 1


def test_a_stampede_of_sales_is_one_reload_now_and_one_merged_reload_after_the_interval():
    fake = Fake()
    fan = OrgFanout(load=fake.load, org_of_event=fake.org_of, emit=fake.emit, interval=0.2)
    fan.watch("a", org_id="O1", view=PROFIT, param="event", user_id="u1")

    async def go():
        for n in range(1, 31):
            fake.sales = n
            await fan.handle(delta("E1"))
        assert len(fake.loads) == 1  # the first at once, the other 29 wait for the interval
        await asyncio.sleep(0.4)

    asyncio.run(go())
    assert len(fake.loads) == 2
    assert fake.sent[-1][2]["totals"]["sold"] == "30"  # the merged reload saw every sale


def test_tabs_of_users_who_lost_their_role_stop_watching_and_get_nothing():
    fake = Fake(allowed={"u1"})
    fan = OrgFanout(load=fake.load, org_of_event=fake.org_of, emit=fake.emit, interval=0)
    fan.watch("a", org_id="O1", view=PROFIT, param="event", user_id="u1")
    fan.watch("b", org_id="O1", view=PROFIT, param="event", user_id="u2")
    asyncio.run(fan.handle(delta("E1")))
    assert [tokens for tokens, _, _ in fake.sent] == [["a"]]
    assert fan.watchers("O1") == 1
    fake.allowed = set()
    asyncio.run(fan.handle(delta("E1")))
    assert len(fake.sent) == 1 and fan.watchers("O1") == 0


def test_bus_outage_says_paused_and_recovery_reloads_the_figures():
    fake = Fake()
    fan = OrgFanout(load=fake.load, org_of_event=fake.org_of, emit=fake.emit, interval=0)
    fan.watch("a", org_id="O1", view=PROFIT, param="event", user_id="u1")

    async def go():
        await fan.handle({"type": "bus_down"})
        fake.sales = 4  # sold while the bus was deaf
        await fan.handle({"type": "bus_up"})

    asyncio.run(go())
    assert fake.sent[0][2] == {"live": False}
    assert any(values.get("totals", {}).get("sold") == "4" for _, _, values in fake.sent[1:])
    assert fake.sent[-1][2]["live"] is True


def test_unwatched_tabs_cost_nothing():
    fake = Fake()
    fan = OrgFanout(load=fake.load, org_of_event=fake.org_of, emit=fake.emit, interval=0)
    fan.watch("a", org_id="O1", view=PROFIT, param="event", user_id="u1")
    fan.unwatch("a")
    asyncio.run(fan.handle(delta("E1")))
    assert fake.loads == [] and fake.sent == []


def test_the_loader_reads_the_sales_as_a_manager_and_refuses_strangers():
    with session_scope() as db:
        se = make_broker_event(db)
        stranger = make_user(db).id
    bought(se, seats=[0, 1], cost="30.00")
    sell(se, se.extra["buyers"][0], seats=[0], now=T0)
    owner, org = str(se.owner_id), str(se.org_id)

    values, allowed = asyncio.run(load_org_view(org, PROFIT, "event", {owner, str(stranger)}))
    assert allowed == {owner}
    assert values["totals"]["sold"] == "1" and values["rows"][0]["bought"] == 2
    assert asyncio.run(load_org_view(org, PROFIT, "event", {str(stranger)})) == (None, set())
    assert asyncio.run(load_org_view(org, PROFIT, "nonsense", {owner})) == (None, set())
    assert asyncio.run(organization_of_event(str(se.event_id))) == org
    assert asyncio.run(organization_of_event(str(uuid.uuid4()))) is None
