"""Journey: a customer buys through the load balancer of a two-instance cluster (deploy/cluster)
while the instances are stopped and started again under them: the hold, the cart and the payment
survive, because per-tab state lives in Redis and nginx sends the reconnecting websocket to the
instance that is up."""

from __future__ import annotations

import re
import subprocess
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of, reserve
from tests.e2e.conftest import ARTIFACTS, E2E_REDIS_URL, ROOT, VIEWPORTS, app_env, free_port, snapshot
from tests.services import ensure_redis

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
def cluster(database: str, localstripe) -> Cluster:
    # The page confirms the payment with Stripe itself (the webhook only repeats it), so localstripe
    # keeps delivering to the single-server app of the other journeys.
    ensure_redis()
    port, base = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(port, DATABASE_URL=database, REDIS_URL=E2E_REDIS_URL, PORT=str(port), INSTANCES="2",
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
