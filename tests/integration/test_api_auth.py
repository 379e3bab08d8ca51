"""JSON API: auth and organization endpoints, with bad input -> problem+json."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["title"] and body["detail"]
    return body


def test_register_token_and_me_orgs(api):
    r = api.post("/auth/register", json={"email": "Kim@Example.com", "password": "long enough", "name": "Kim"})
    assert r.status_code == 201
    assert set(r.json()) == {"id", "email", "name"} and r.json()["email"] == "kim@example.com"
    _problem(api.post("/auth/register", json={"email": "kim@example.com", "password": "long enough", "name": "K"}),
             409, "email_taken")
    t = api.post("/auth/token", json={"email": "kim@example.com", "password": "long enough"})
    assert t.status_code == 200
    body = t.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0 and body["access_token"].count(".") == 2
    assert api.get("/orgs", token=body["access_token"]).json() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "a@b.co", "password": "long enough"}, 422, "validation_error"),  # missing name
        ({"email": "a@b.co", "password": 12345678, "name": "A"}, 422, "validation_error"),  # wrong type
        ({"email": ["a@b.co"], "password": "long enough", "name": "A"}, 422, "validation_error"),
        ({"email": "a@b.co", "password": "long enough", "name": "A", "is_admin": True}, 422, "unknown_field"),
        ({"email": "nope", "password": "long enough", "name": "A"}, 422, "invalid_email"),
        ({"email": "a@b.co", "password": "short", "name": "A"}, 422, "weak_password"),
        ({"email": "a@b.co", "password": "x" * 2000, "name": "A"}, 422, "validation_error"),
    ],
)
def test_register_rejects_bad_input(api, body, status, code):
    _problem(api.post("/auth/register", json=body), status, code)
    assert api.post("/auth/token", json={"email": "a@b.co", "password": "long enough"}).status_code == 401


def test_malformed_json_and_wrong_content(api):
    _problem(api.post("/auth/register", content=b"{not json", headers={"content-type": "application/json"}),
             400, "malformed_json")
    _problem(api.post("/auth/token", json=["a", "b"]), 422, "validation_error")


def test_token_wrong_password_and_unknown_email_are_401(api):
    user = api.register(password="the right one")
    for email, pw in [(user["email"], "the wrong one"), ("nobody@example.com", "the right one")]:
        body = _problem(api.post("/auth/token", json={"email": email, "password": pw}), 401, "invalid_credentials")
        assert "token" not in body


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.token", "Basic dXNlcjpwYXNz", "Bearer  "])
def test_protected_routes_need_a_valid_bearer_token(api, header):
    headers = {"Authorization": header} if header is not None else {}
    r = api.post("/orgs", json={"name": "X", "slug": "x-org"}, headers=headers)
    assert r.status_code == 401 and r.json()["code"] in {"not_authenticated", "invalid_token"}
    assert r.headers.get("www-authenticate") == "Bearer"


def test_orgs_members_and_tenant_isolation(api):
    alice, bob, carol = api.register(), api.register(), api.register()
    org = api.org(alice["token"], slug="alice-org")
    assert org["role"] == "owner" and org["slug"] == "alice-org"
    _problem(api.post("/orgs", token=bob["token"], json={"name": "Y", "slug": "alice-org"}), 409, "slug_taken")
    _problem(api.post("/orgs", token=bob["token"], json={"name": "Y", "slug": "NO SPACES"}), 422, "invalid_slug")

    r = api.post(f"/orgs/{org['id']}/members", token=alice["token"], json={"email": carol["email"], "role": "door"})
    assert r.status_code == 201 and r.json()["role"] == "door"
    _problem(api.post(f"/orgs/{org['id']}/members", token=alice["token"],
                      json={"email": carol["email"], "role": "superuser"}), 422, "invalid_role")
    # A door member sees the org but cannot add people.
    assert api.get(f"/orgs/{org['id']}", token=carol["token"]).json()["role"] == "door"
    _problem(api.post(f"/orgs/{org['id']}/members", token=carol["token"],
                      json={"email": bob["email"], "role": "owner"}), 403, "forbidden")
    # Bob is a stranger: everything about the org is 404, and nothing changes.
    _problem(api.get(f"/orgs/{org['id']}", token=bob["token"]), 404, "not_found")
    _problem(api.get(f"/orgs/{org['id']}/members", token=bob["token"]), 404, "not_found")
    _problem(api.post(f"/orgs/{org['id']}/members", token=bob["token"],
                      json={"email": bob["email"], "role": "owner"}), 404, "not_found")
    members = api.get(f"/orgs/{org['id']}/members", token=alice["token"]).json()
    assert sorted(m["email"] for m in members) == sorted([alice["email"], carol["email"]])
    _problem(api.get("/orgs/not-a-uuid", token=alice["token"]), 422, "validation_error")


def test_openapi_is_served(api):
    r = api.client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/auth/register" in paths and "/api/v1/orgs/{org_id}/members" in paths


def test_a_revoked_token_or_one_of_an_unknown_user_is_refused(api):
    """Well signed and unexpired is not enough: the token's version must be the user's."""
    import uuid

    from ticketing.db import session_scope
    from ticketing.models.base import utcnow
    from ticketing.services.accounts import accounts
    from ticketing.services.accounts.tokens import issue_token

    user = api.register()
    assert api.get("/orgs", token=user["token"]).status_code == 200
    with session_scope() as db:
        accounts.sign_out_everywhere(db=db, user_id=uuid.UUID(user["id"]))
    _problem(api.get("/orgs", token=user["token"]), 401, "invalid_token")
    stranger = issue_token(user_id=uuid.uuid4(), token_version=1, now=utcnow())
    _problem(api.get("/orgs", token=stranger), 401, "invalid_token")
