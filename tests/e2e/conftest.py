"""End-to-end harness: the real app (production build, one port) started once per run on the
test database, driven by Playwright in Debian's Chromium at desktop and phone sizes.
Screenshots of failing tests land in artifacts/screenshots/."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.services import ensure_redis

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
START_TIMEOUT = float(os.environ.get("E2E_START_TIMEOUT", "420"))
E2E_REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def app_env(port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{ROOT / '.tools' / 'bin'}:{env.get('PATH', '')}",
        REFLEX_BUN_PATH=str(ROOT / ".tools" / "bin" / "bun"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        BUN_INSTALL_CACHE_DIR=str(ROOT / ".tools" / "bun-cache"),
        REFLEX_API_URL=f"http://127.0.0.1:{port}",
        REFLEX_DEPLOY_URL=f"http://127.0.0.1:{port}",
        APP_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
        TICKETING_ENV="development",
    )
    env.update(extra)
    return env


class RunningApp:
    """`reflex run --env prod --single-port` in its own process group."""

    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.port, self.url, self.log = port, f"http://127.0.0.1:{port}", log
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port),
             "--backend-port", str(port), "--loglevel", "info"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            if _ready(self.url + "/ping") and _ready(self.url + "/"):
                return
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the app did not start in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log_file.close()


@pytest.fixture(scope="session")
def app_url(database: str, localstripe) -> str:
    """Base URL of the real app running against this run's test database and localstripe
    (STRIPE_* from tests/conftest.py), which delivers its signed webhooks to the app."""
    from ticketing.settings import get_settings

    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    # Production-like: Redis for Reflex state and the live-update bus, two worker processes.
    ensure_redis()
    # TRUSTED_PROXIES: the nginx of test_proxy_address.py, in front of this app, names its clients.
    env = app_env(port, DATABASE_URL=database, REDIS_URL=E2E_REDIS_URL, GRANIAN_WORKERS="2",
                  TRUSTED_PROXIES="127.0.0.1")
    app = RunningApp(port, env, ARTIFACTS / "e2e-app.log")
    try:
        app.wait_ready(START_TIMEOUT)
        localstripe.register_webhook(f"{app.url}/api/v1/webhooks/stripe", get_settings().stripe_webhook_secret)
        yield app.url
    finally:
        app.stop()


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run scripts/install --test")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(request, browser: Browser, app_url: str, viewport: str) -> Page:
    """A fresh browser context (no cookies or storage) at the test's viewport."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url,
                                  is_mobile=viewport == "phone", has_touch=viewport == "phone")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(shots / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def sign_in_as(page: Page, token: str) -> None:
    """Start the browser signed in: the app keeps its (server-verified) token in localStorage."""
    page.add_init_script(f"window.localStorage.setItem('tk_token', {token!r});")


def snapshot(page: Page, name: str) -> Path:
    """Keep a screenshot of what the user sees as an artifact of the run."""
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
