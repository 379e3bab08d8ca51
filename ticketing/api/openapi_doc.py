"""The OpenAPI document says every status and problem code each route can answer, as
application/problem+json (issue 15): clients (and the schemathesis test) hold us to it.

The problem codes of a route are found in the code itself, not kept by hand: from the route's
function, every function it calls (through the modules it imports, recursively, within the
`ticketing` package) is read for `ServiceError("code", ...)`, `invalid("code", ...)` and
`not_found(...)`. A shared helper counts for every route that calls it, so the list may name a
code a given route cannot reach in practice: it errs on the side of saying too much. On top come
the answers every route shares: 422 (validation_error, unknown_field) and 400 (malformed_json)
where there is input, 401 where a token is read, 404 where an id is in the path, 503 `busy`
(with Retry-After) and 500 `internal_error` (with the request id) everywhere.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import _get_api_route_for_openapi, get_openapi
from fastapi.routing import iter_route_contexts

from ticketing.services.errors import STATUS_BY_CODE

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable, snake_case: what clients branch on"},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "500 only: quote it to support"},
    },
    "additionalProperties": True,
}
_CONSTRUCTORS = {"ServiceError", "invalid", "not_found"}


def _status_of(call: ast.Call, name: str, code: str) -> int:
    if name == "invalid":
        return 422
    if name == "not_found":
        return 404
    for kw in call.keywords:
        if kw.arg == "status" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
            return kw.value.value
    return STATUS_BY_CODE.get(code, 409)


def _callee(node: ast.expr, scope: dict[str, Any]) -> Any:
    """The object a call's function expression names (`f`, `module.f`, `pkg.module.f`), or None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _callee(node.value, scope)
        if isinstance(owner, (types.ModuleType, type)):
            return getattr(owner, node.attr, None)
    return None


@lru_cache(maxsize=None)
def _own_codes(fn: Callable[..., Any]) -> tuple[frozenset[tuple[int, str]], tuple[Callable[..., Any], ...]]:
    """(status, code) pairs raised in `fn`'s own body, and the ticketing functions it calls."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(), ()
    scope = dict(getattr(fn, "__globals__", {}))
    try:
        scope.update(inspect.getclosurevars(fn).nonlocals)  # helpers a route defines inside itself
    except (TypeError, ValueError):
        pass
    found: set[tuple[int, str]] = set()
    calls: list[Callable[..., Any]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            # A function handed over rather than called (asyncio.to_thread(handle_webhook, ...)).
            passed = _callee(node, scope)
            if inspect.isfunction(passed) and (passed.__module__ or "").startswith("ticketing"):
                calls.append(inspect.unwrap(passed))
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in _CONSTRUCTORS:
            first = node.args[0] if node.args else None
            if name == "not_found":
                found.add((404, "not_found"))
            elif first is not None:  # "code", or `given or "code"`, `"a" if x else "b"`...
                for part in ast.walk(first):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and part.value.isidentifier():
                        found.add((_status_of(node, name, part.value), part.value))
            continue
        target = _callee(node.func, scope)
        if isinstance(target, type):
            target = getattr(target, "__init__", None)
        if callable(target) and (getattr(target, "__module__", None) or "").startswith("ticketing"):
            calls.append(inspect.unwrap(target))
    return frozenset(found), tuple(calls)


def route_problems(endpoint: Callable[..., Any]) -> dict[int, set[str]]:
    """Every problem code a route's code (and what it calls) can raise, by status."""
    seen: set[Any] = set()
    out: dict[int, set[str]] = defaultdict(set)
    stack = [inspect.unwrap(endpoint)]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        codes, calls = _own_codes(fn)
        for status, code in codes:
            out[status].add(code)
        stack.extend(calls)
    return out


def _common(route: Any) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    deps = [d.call for d in route.dependant.dependencies]
    dep_codes = [route_problems(d) for d in deps if callable(d)]
    for codes in dep_codes:
        for status, names in codes.items():
            out[status] |= names
    has_input = bool(route.dependant.path_params or route.dependant.query_params or route.dependant.body_params
                     or route.dependant.header_params or deps)
    if has_input:
        out[422] |= {"validation_error", "unknown_field"}
    if route.dependant.body_params:
        out[400].add("malformed_json")
    if route.dependant.path_params:
        out[404].add("not_found")
    if route.path.startswith("/api/"):
        out[503].add("busy")
    out[500].add("internal_error")
    return out


def _describe(codes: set[str]) -> str:
    return "Problem codes: " + ", ".join(f"`{c}`" for c in sorted(codes))


def document_problems(app: FastAPI) -> None:
    """Make app.openapi() list every route's problem answers (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        ref = {"$ref": "#/components/schemas/Problem"}
        # FastAPI keeps included routers as such: their routes, with their prefixes, the way
        # get_openapi itself walks them.
        for context in iter_route_contexts(app.routes):
            route = _get_api_route_for_openapi(context)
            if route is None or not route.include_in_schema:
                continue
            problems = _common(route)
            for status, names in route_problems(route.endpoint).items():
                problems[status] |= names
            for status in route.responses or {}:  # answers a route declares itself (the door's scan)
                if str(status).isdigit() and int(status) >= 400:
                    problems[int(status)] |= set()
            for method in route.methods:
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is None:
                    continue
                responses = op.setdefault("responses", {})
                for status, names in sorted(problems.items()):
                    entry = responses.setdefault(str(status), {})
                    declared = entry.get("description", "")
                    extra = {c.strip() for c in declared.replace("`", "").split(",") if c.strip().isidentifier()}
                    entry["description"] = _describe(names | extra)
                    entry["content"] = {"application/problem+json": {"schema": ref}}
                    if status == 503:
                        entry["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                            "description": "seconds to wait before retrying"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
