"""An HTTP client on the real API app (in-process ASGI), with sign-up helpers."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from ticketing.api import app

PREFIX = "/api/v1"


class Api:
    """Calls /api/v1 paths; `as_user` returns headers for a freshly registered user."""

    def __init__(self) -> None:
        self.client = TestClient(app, raise_server_exceptions=False)

    def request(self, method: str, path: str, *, token: str | None = None, **kw: Any):
        headers = dict(kw.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, PREFIX + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any):
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any):
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any):
        return self.request("DELETE", path, **kw)

    def register(self, *, email: str | None = None, password: str = "correct horse", name: str = "Ada") -> dict:
        email = email or f"api-{uuid.uuid4().hex[:10]}@example.com"
        r = self.post("/auth/register", json={"email": email, "password": password, "name": name})
        assert r.status_code == 201, r.text
        token = self.post("/auth/token", json={"email": email, "password": password}).json()["access_token"]
        return {**r.json(), "token": token, "password": password}

    def org(self, token: str, *, slug: str | None = None, name: str = "Acme Events") -> dict:
        r = self.post("/orgs", token=token, json={"name": name, "slug": slug or f"org-{uuid.uuid4().hex[:8]}"})
        assert r.status_code == 201, r.text
        return r.json()
