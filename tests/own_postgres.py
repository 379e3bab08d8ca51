"""A PostgreSQL cluster of a test's (or benchmark's) own, started with pg_ctl on a free port in a
temporary directory, so that it can be restarted or squeezed (max_connections) without ever
touching the shared server. Run as the `postgres` user when we are root (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin_dir() -> str:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs and shutil.which("pg_ctl") is None:
        raise RuntimeError("pg_ctl is not installed (apt-get install postgresql)")
    return dirs[-1] if dirs else os.path.dirname(shutil.which("pg_ctl") or "")


class OwnPostgres:
    """initdb + pg_ctl on a free port; `url` for the `postgres` database, `admin_url` likewise."""

    def __init__(self, *, max_connections: int = 100) -> None:
        self.bin = _bin_dir()
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="tk-own-pg-")
        self.data = os.path.join(self.dir, "data")
        self.max_connections = max_connections
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str, *, driver: bool = True) -> str:
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [os.path.join(self.bin, args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> OwnPostgres:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self

    def _options(self) -> str:
        # fsync off: a scratch cluster; the sockets in our own directory, TCP on loopback only.
        return (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                f" -c max_connections={self.max_connections} -c superuser_reserved_connections=3")

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", self._options(),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        """Stop (fast: every session gets `admin shutdown`) and start again on the same port."""
        self.stop("fast")
        self.start()

    def is_up(self) -> bool:
        return self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode == 0

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> OwnPostgres:
        self.init()
        self.start()
        deadline = time.monotonic() + 30
        while not self.is_up():
            if time.monotonic() > deadline:
                raise RuntimeError("own PostgreSQL did not start")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
