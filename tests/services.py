"""Find or start the PostgreSQL and Redis the tests need. Never skip: fail loudly instead."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.2)
    return False


def ensure_postgres(host: str = "127.0.0.1", port: int = 5432) -> None:
    """PostgreSQL on host:port, started with pg_ctlcluster when it is installed but stopped."""
    if port_open(host, port):
        return
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False, capture_output=True,
        )
    if not _wait(host, port, 20):
        raise RuntimeError(
            f"PostgreSQL is not reachable on {host}:{port} and could not be started. "
            "Install it (apt-get install postgresql) or set TEST_DATABASE_ADMIN_URL."
        )


def ensure_redis(host: str = "127.0.0.1", port: int = 6379) -> None:
    """Redis on host:port, started with redis-server when it is installed but stopped."""
    if port_open(host, port):
        return
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", host, "--port", str(port), "--save", "",
         "--appendonly", "no"],
        check=False, capture_output=True,
    )
    if not _wait(host, port, 10):
        raise RuntimeError(f"Redis is not reachable on {host}:{port} and could not be started.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own on a free port (the shared one is never stopped)."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.exe, self.port, self.dir = exe, _free_port(), tempfile.mkdtemp()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("own redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
