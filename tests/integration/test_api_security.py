"""Issue 16 over the API (in-process ASGI, real PostgreSQL): request bodies are capped before
they are read whole (finding 2); a token is refused once its user signed out everywhere, and
tokens renew (finding 4); security headers, uniform 404s instead of existence oracles, control
characters refused at the schema layer, weak passwords refused (finding 5)."""

from __future__ import annotations

import uuid

import pytest

from tests.checkin_helpers import buy_live, make_live_event, token_for
from tests.payments_helpers import make_shop, order_for
from ticketing.settings import get_settings

PROBLEM = "application/problem+json"


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == code, r.text
    return r.json()


# --- finding 2: bodies ----------------------------------------------------------------------
def test_a_big_sign_in_body_is_refused_from_its_length_without_being_read(api):
    body = b'{"email": "a@b.co", "password": "' + b"x" * 200_000 + b'"}'
    problem(api.post("/auth/token", content=body, headers={"content-type": "application/json"}), 413,
            "body_too_large")


def test_a_big_body_without_a_length_is_cut_off_at_the_limit():
    """Driven at the ASGI level (the test client would buffer the whole body first): the app
    stops pulling chunks once the limit is passed, and the answer is 413."""
    import asyncio

    from ticketing.api import app

    pulled, sent = 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > 400:  # 400 x 64 KB = 25 MB if it were all read
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/auth/register", "raw_path": b"/api/v1/auth/register", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                                          (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert pulled <= 2  # 16 KB for /auth: the first 64 KB chunk is already too much


def test_ordinary_bodies_still_go_through(api):
    user = api.register()
    assert api.post("/auth/token", json={"email": user["email"], "password": user["password"]}).status_code == 200


# --- finding 4: sessions --------------------------------------------------------------------
def test_sign_out_everywhere_voids_every_token_at_once(api):
    user = api.register()
    second = api.post("/auth/token", json={"email": user["email"], "password": user["password"]}).json()
    assert api.get("/me/orders", token=second["access_token"]).status_code == 200
    assert api.post("/auth/sign-out-everywhere", token=user["token"]).status_code == 204
    problem(api.get("/me/orders", token=second["access_token"]), 401, "invalid_token")
    problem(api.get("/me/orders", token=user["token"]), 401, "invalid_token")
    problem(api.post("/auth/sign-out-everywhere"), 401, "not_authenticated")


def test_a_valid_token_is_renewed_and_tokens_live_hours_not_days(api):
    user = api.register()
    r = api.post("/auth/token/refresh", token=user["token"])
    assert r.status_code == 200 and r.json()["access_token"]
    assert r.json()["expires_in"] == get_settings().jwt_ttl_minutes * 60 <= 12 * 3600
    assert api.get("/me/orders", token=r.json()["access_token"]).status_code == 200


# --- finding 5 ------------------------------------------------------------------------------
def test_responses_carry_the_security_headers(api):
    r = api.get("/events")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in r.headers  # development on http: no HSTS


def test_production_headers_add_hsts():
    from tests.unit.test_settings import REAL
    from ticketing.api.guards import security_headers
    from ticketing.settings import load_settings

    headers = dict(security_headers(load_settings(REAL)))
    assert headers[b"strict-transport-security"].startswith(b"max-age=31536000")


def test_cancelling_another_users_order_is_a_plain_not_found(api):
    shop = make_shop(capacity=2)
    order = order_for(shop)
    stranger = api.register()
    body = problem(api.post(f"/orders/{order.id}/cancel", token=stranger["token"]), 404, "not_found")
    unknown = problem(api.post(f"/orders/{uuid.uuid4()}/cancel", token=stranger["token"]), 404, "not_found")
    assert body["detail"] == unknown["detail"] == "No such order."


def test_a_door_search_by_another_tenants_ticket_id_is_unknown(api):
    live, other = make_live_event(), make_live_event(title="Other tenant")
    (foreign,) = buy_live(other, other.today_only, ["Foreign"])
    r = api.post(f"/events/{live.event_id}/checkins", token=token_for(live.steward), json={"ticket_id": str(foreign.id)})
    unknown = api.post(f"/events/{live.event_id}/checkins", token=token_for(live.steward),
                       json={"ticket_id": str(uuid.uuid4())})
    assert (r.status_code, r.json()["code"]) == (unknown.status_code, unknown.json()["code"]) == (404, "unknown_code")


@pytest.mark.parametrize("title", ["Bad \\ud800 title", "NUL \\u0000 inside", "bell \\u0007"])
def test_control_characters_and_lone_surrogates_are_refused_at_the_schema(api, title):
    owner = api.register()
    org = api.org(owner["token"])
    raw = ('{"title": "%s", "description": "ok", "location": "Hall", "timezone": "Europe/Berlin"}' % title).encode()
    r = api.post(f"/orgs/{org['id']}/events", token=owner["token"], content=raw,
                 headers={"content-type": "application/json"})
    problem(r, 422, "invalid_text")
    assert api.get(f"/orgs/{org['id']}/events", token=owner["token"]).json() == []


def test_line_breaks_and_tabs_in_a_description_are_fine(api):
    owner = api.register()
    org = api.org(owner["token"])
    r = api.post(f"/orgs/{org['id']}/events", token=owner["token"],
                 json={"title": "T", "description": "line one\n\tline two", "location": "Hall",
                       "timezone": "Europe/Berlin"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("password", ["12345678", "1234567890", "password123", "qwertyuiop", "aaaaaaaaaaaa"])
def test_common_and_short_passwords_are_refused(api, password):
    r = api.post("/auth/register", json={"email": f"p-{uuid.uuid4().hex[:8]}@example.com", "password": password,
                                         "name": "Pat"})
    problem(r, 422, "weak_password")
