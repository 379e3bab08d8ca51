"""Issue 16 behind nginx (deploy/nginx.conf.template, written and checked by `deploy/cluster
nginx-conf`, in front of the e2e app): the files nginx serves itself carry the app's security
headers, and the throttle counts each client by the address nginx names, not nginx's own, which
a client cannot overwrite. One nginx, no build: cheap."""

from __future__ import annotations

import random
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, ROOT, app_env, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxy_url(app_url: str) -> str:
    # Under artifacts/ like the cluster's: nginx's workers (not root) must read the static files.
    run = ARTIFACTS / "proxy"
    shutil.rmtree(run, ignore_errors=True)
    static = run / "web" / "build" / "client"
    static.mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>Ticketing</title>")
    (static / "__spa-fallback.html").write_text("<!doctype html><title>Ticketing</title>")
    app_port, port = int(app_url.rsplit(":", 1)[1]), free_port()
    env = app_env(port, PORT=str(port), INSTANCES="1", INSTANCE_BASE_PORT=str(app_port - 1), CLUSTER_DIR=str(run),
                  REFLEX_WEB_WORKDIR=str(run / "web"))
    done = subprocess.run([str(ROOT / "deploy" / "cluster"), "nginx-conf"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # includes `nginx -t`
    conf = Path(done.stdout.strip().splitlines()[-1])
    subprocess.run(["nginx", "-p", str(run), "-c", str(conf)], check=True, timeout=30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["nginx", "-p", str(run), "-c", str(conf), "-s", "quit"], timeout=30)


def client_from(address: str, base_url: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z is this machine)."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def loopback_address() -> str:
    # Fresh each run: the throttle's counts live in Redis for a minute.
    return "127." + ".".join(str(random.randint(1, 254)) for _ in range(3))


def test_files_served_by_nginx_carry_the_security_headers(proxy_url: str):
    for path in ("/", "/some/client/route"):
        r = httpx.get(proxy_url + path, timeout=30)
        assert r.status_code == 200
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert r.headers["x-frame-options"] == "DENY"


def test_the_throttle_counts_the_client_nginx_names(proxy_url: str):
    """Reset links per address (10 a minute by default): one client spends its allowance, the
    next client through the same nginx still has its own; the spent one cannot dodge the limit
    by writing another address in X-Real-IP or X-Forwarded-For."""

    def ask(client: httpx.Client, headers: dict[str, str] | None = None) -> int:
        return client.post("/api/v1/auth/password-reset", headers=headers or {},
                           json={"email": f"proxy-{uuid.uuid4().hex[:10]}@example.com"}).status_code

    first, second = loopback_address(), loopback_address()
    with client_from(first, proxy_url) as a, client_from(second, proxy_url) as b:
        answers = [ask(a) for _ in range(11)]
        assert answers[:10] == [202] * 10 and answers[10] == 429
        assert ask(a, {"X-Real-IP": "198.51.100.7", "X-Forwarded-For": "198.51.100.7"}) == 429
        assert ask(b) == 202
