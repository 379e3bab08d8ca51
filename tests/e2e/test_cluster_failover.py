"""Journeys through the load balancer of a two-instance cluster (deploy/cluster):
- a customer buys while the instances are stopped and started again under them: the hold, the
  cart and the payment survive, because per-tab state lives in Redis and nginx sends the
  reconnecting websocket to the instance that is up;
- Redis dies during a sale: the API sells on, an open event page says live updates are paused,
  and it comes back live with the figures of the sales made meanwhile when Redis returns.
The cluster has a Redis of its own, so it can be killed without touching the shared one."""

from __future__ import annotations

import re
import subprocess
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.app_api import AppApi, published_event, units_left
from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of, reserve
from tests.e2e.conftest import ARTIFACTS, ROOT, VIEWPORTS, app_env, free_port, snapshot
from tests.services import OwnRedis
from ticketing.db_budget import BUSY_MESSAGE

pytestmark = pytest.mark.e2e


class Cluster:
    def __init__(self, env: dict[str, str], url: str):
        self.env, self.url = env, url

    def run(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([str(ROOT / "deploy" / "cluster"), *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"deploy/cluster {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def answers(self, path: str) -> int:
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return r.status


@pytest.fixture(scope="module")
def redis_server() -> OwnRedis:
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(database: str, localstripe, redis_server: OwnRedis) -> Cluster:
    # The page confirms the payment with Stripe itself (the webhook only repeats it), so localstripe
    # keeps delivering to the single-server app of the other journeys.
    port, base = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(port, DATABASE_URL=database, REDIS_URL=redis_server.url, PORT=str(port), INSTANCES="2",
                  WORKERS_PER_INSTANCE="1", INSTANCE_BASE_PORT=str(base),
                  CLUSTER_DIR=str(ARTIFACTS / "cluster"))
    cluster = Cluster(env, url)
    try:
        cluster.run("start")
        yield cluster
    finally:
        cluster.run("stop", timeout=120)


@pytest.fixture
def cluster_page(browser: Browser, cluster: Cluster, viewport: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=cluster.url,
                                  is_mobile=viewport == "phone", has_touch=viewport == "phone")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def test_the_buyer_keeps_the_hold_and_pays_while_instances_restart(cluster: Cluster, cluster_page: Page,
                                                                   viewport: str):
    page = cluster_page
    customer = customer_with_shop(page)
    reserve(page, customer, 2)
    expect(page.locator("#order-total")).to_have_text("€50.00")

    # Whichever instance holds this tab's websocket, one of these two stops moves it.
    cluster.run("stop-instance", "1")
    assert "instance 1: down" in cluster.run("status")
    assert cluster.answers("/api/v1/events") == 200
    cluster.run("start-instance", "1")
    cluster.run("stop-instance", "2")
    assert "instance 2: down" in cluster.run("status")

    expect(page.locator("#cart-title")).to_have_text(customer.title)
    expect(page.locator("#countdown")).to_contain_text(re.compile(r"1[0-4]:\d\d"))
    snapshot(page, f"cluster-cart-after-restart-{viewport}")
    page.locator("#checkout-button").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=45_000)
    snapshot(page, f"cluster-confirmation-{viewport}")
    (order,) = orders_of(customer)
    assert order.status == "confirmed"
    cluster.run("start-instance", "2")


def test_an_open_page_says_live_updates_are_paused_while_redis_is_down_and_recovers(
        cluster: Cluster, redis_server: OwnRedis, browser: Browser):
    api = AppApi(cluster.url)
    event_id, ticket_id = published_event(api, capacity=50)
    buyers = [api.account() for _ in range(3)]  # before Redis goes: sign-in throttling counts in it

    def buy(buyer: dict) -> None:
        api.call("POST", f"/events/{event_id}/holds", buyer,
                 json={"items": [{"ticket_type_id": ticket_id, "quantity": 2}]})

    context = browser.new_context(viewport=VIEWPORTS["desktop"], base_url=cluster.url)
    page = context.new_page()
    try:
        page.goto(f"/events/{event_id}")
        expect(page.locator("#live-indicator")).to_be_visible()
        expect(units_left(page, ticket_id)).to_have_text("50")  # loaded, and watching
        buy(buyers[0])
        expect(units_left(page, ticket_id)).to_have_text("48")

        redis_server.stop()
        expect(page.locator("#live-paused")).to_be_visible(timeout=15_000)
        snapshot(page, "live-updates-paused-desktop")
        buy(buyers[1])  # the API sells on without Redis
        buy(buyers[2])
        # The page's 10 s refresh cannot load its state without Redis: a calm note, no error.
        expect(page.get_by_text(BUSY_MESSAGE)).to_be_visible(timeout=20_000)
        snapshot(page, "live-updates-paused-busy-desktop")

        redis_server.start()  # same port, empty: the instances reconnect by themselves
        expect(page.locator("#live-indicator")).to_be_visible(timeout=30_000)
        expect(units_left(page, ticket_id)).to_have_text("44", timeout=15_000)
        expect(page.get_by_text("went wrong")).to_have_count(0)
    finally:
        context.close()
