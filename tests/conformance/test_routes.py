"""Black-box conformance: every served route of ``specs/endpoints.tsv``, over HTTP against one live
``custos serve`` (see ``conftest.py``), with real ids, the dialect's credentials and, where the route
needs a body, the document's example (else the table in ``routes.py``). Checked per route: the status
is one the document gives for the case; the body is in the dialect's envelope; an anonymous call is
refused in the dialect's error format where the document requires authentication."""

from __future__ import annotations

import re
from typing import Any

import pytest

from custos.ops.spec_report import DONE_FILE, Route, endpoints_file, read_routes
from tests.conformance import envelopes, makers
from tests.conformance.documents import Section, load_sections
from tests.conformance.live import Api, id_of, items_of
from tests.conformance.routes import (
    BODIES,
    COLLECTIONS,
    CREDENTIAL_ENDING,
    EXPECT,
    FRESH,
    FRESH_ROUTE,
    KNOWN_FAILING,
    PERSONA,
    PUBLIC,
    PUBLIC_PREFIXES,
    QUERIES,
    REQUESTS,
    SHARED,
    STAFF,
    STAFF_PREFIXES,
)

pytestmark = pytest.mark.slow

_PLACEHOLDER = re.compile(r"\{([^}]+)\}")
_SUCCESS = {"GET": {200}, "PUT": {200}, "PATCH": {200}, "POST": {200, 201, 202}, "DELETE": {200, 202, 204}}


def _routes() -> list[Route]:
    if not endpoints_file().exists():
        return []
    spec = read_routes(endpoints_file())
    done = set(read_routes(DONE_FILE))
    # Each test makes the objects it changes (``makers``): the order does not matter.
    return list(dict.fromkeys(r for r in spec if r in done and r.method != "WS"))


ROUTES = _routes()
SECTIONS: dict[Route, Section] = load_sections(endpoints_file().parent, ROUTES) if ROUTES else {}
# Routes claimed by several specs answer in the envelope of the one implementation that serves them.
CLAIMS: dict[tuple[str, str], set[str]] = {}
for _route in ROUTES:
    CLAIMS.setdefault((_route.method, _route.path.rstrip("/")), set()).add(_route.dialect)


def _public(route: Route) -> bool:
    section = SECTIONS.get(route)
    return (
        (route.method, route.path) in PUBLIC
        or route.path.startswith(PUBLIC_PREFIXES)
        or bool(section and section.public)
    )


def _persona(route: Route, api: Api) -> str:
    if (route.method, route.path) in PERSONA:
        return PERSONA[(route.method, route.path)]
    if (route.method, route.path) in CREDENTIAL_ENDING:
        return api.throwaway()
    if route.path.startswith("/api/organizations"):
        return makers.founder(api)
    if route.path.startswith(STAFF_PREFIXES) and not route.path.endswith(("/me/", "/me")):
        return STAFF
    return "OWNER"


def _expected(route: Route) -> set[int]:
    if (route.method, route.path) in EXPECT:
        return EXPECT[(route.method, route.path)]
    section = SECTIONS.get(route)
    documented = {code for code in (section.statuses if section else set()) if 200 <= code < 300}
    return documented or _SUCCESS[route.method]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        found = re.fullmatch(r"\{id:([a-z_]+)\}", value)
        return ids.get(found.group(1), value) if found else value
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


def _body(route: Route, api: Api) -> Any:
    if route.method in ("GET", "DELETE"):
        return None
    if (route.method, route.path) in BODIES:
        value = BODIES[(route.method, route.path)]
        return value(api) if callable(value) else _fill(value, api.ids)
    section = SECTIONS.get(route)
    if section is not None and isinstance(section.example, dict):
        return section.example
    return {}


def _collection(route: Route, placeholder: str) -> str:
    if route.path in COLLECTIONS:
        return COLLECTIONS[route.path]
    return route.path.split("{" + placeholder + "}")[0]


def _creator(collection: str) -> Route | None:
    for route in ROUTES:
        if route.method == "POST" and route.path.rstrip("/") == collection.rstrip("/"):
            return route
    return None


def _create(api: Api, collection: str, placeholder: str, persona: str) -> str | None:
    creator = _creator(collection)
    if creator is None:
        return None
    made = api.call("POST", creator.path, persona, _body(creator, api) or {})
    if made.status_code not in (200, 201, 202):
        return None
    payload = made.json()
    return id_of(payload, placeholder) or id_of(items_of(payload)[0] if items_of(payload) else None, placeholder)


def shared(api: Api, collection: str) -> str:
    """The session's one object of a ``FRESH`` collection for the tests that only read it or are refused
    (``SHARED`` names the makers shared with the body makers, e.g. the one processed design)."""
    make = SHARED.get(collection) or (lambda api: FRESH[collection](api))
    return str(makers.once(api, f"shared:{collection}", lambda: make(api)))


def _resolve(api: Api, route: Route, placeholder: str, persona: str) -> str:
    collection = _collection(route, placeholder)
    if (route.method, route.path) in FRESH_ROUTE:
        return FRESH_ROUTE[(route.method, route.path)](api)
    if collection in FRESH:
        if route.method == "GET":  # a read changes nothing: one object per collection serves every read
            return shared(api, collection)
        return str(FRESH[collection](api))
    if route.method == "DELETE" and route.path.rstrip("/").endswith("{" + placeholder + "}"):
        created = _create(api, collection, placeholder, persona)
        if created:
            return created
    cache = f"{persona}:{collection}:{placeholder}"
    if cache in api.ids:
        return api.ids[cache]
    for candidate in dict.fromkeys((collection, collection.rstrip("/"), collection.rstrip("/") + "/")):
        listed = api.call("GET", candidate, persona)
        if listed.status_code == 200:
            found = [value for item in items_of(listed.json()) if (value := id_of(item, placeholder))]
            if found:
                api.ids[cache] = found[0]
                return found[0]
            break
    created = _create(api, collection, placeholder, persona)
    if created:
        api.ids[cache] = created
        return created
    pytest.fail(f"no {{{placeholder}}}: {collection} lists none and none could be created")


def _path(api: Api, route: Route, persona: str) -> str:
    path = route.path
    for placeholder in _PLACEHOLDER.findall(route.path):
        path = path.replace("{" + placeholder + "}", _resolve(api, route, placeholder, persona))
    query = QUERIES.get((route.method, route.path), "")
    if route.dialect == "sqal" and route.path.startswith("/api/organizations"):
        query = "limit=50"  # the sqal presenter of the shared organizations route
    return f"{path}?{query}" if query else path


def _json(response) -> Any:
    if not response.content:
        return None
    if "json" not in response.headers.get("content-type", ""):
        return ...
    return response.json()


@pytest.mark.parametrize("route", ROUTES, ids=[r.label() for r in ROUTES])
def test_route_conforms(live: Api, route: Route, request) -> None:
    request.node.user_properties.append(("route", route.key()))
    if route in KNOWN_FAILING:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_FAILING[route], strict=True))
    dialects = CLAIMS[(route.method, route.path.rstrip("/"))]

    persona = _persona(route, live)
    path = _path(live, route, persona)
    if not _public(route):
        # On the real path: a made-up id may be refused by the URL pattern before authentication.
        anonymous = live.call(route.method, path, None, {})
        assert anonymous.status_code in (401, 403), (
            f"anonymous call answered {anonymous.status_code}: {anonymous.text[:200]}"
        )
        envelopes.check_error(_json(anonymous), anonymous.status_code, dialects)

    extra: dict[str, Any] = {}
    if (route.method, route.path) in REQUESTS:
        extra = REQUESTS[(route.method, route.path)](live, persona)
        persona = extra.pop("persona", persona)
        body = extra.pop("body", None)
    elif route.method == "PUT":
        current = live.call("GET", path, persona)
        body = current.json() if current.status_code == 200 else _body(route, live)
        body = body.get("data", body) if isinstance(body, dict) and route.dialect == "sqal" else body
        if route.path == "/api/satellite-images/{id}/" and isinstance(body, dict):
            body = {key: body[key] for key in ("pipeline", "image_date", "satellite_name", "sensor")}
    else:
        body = _body(route, live)
    answer = live.call(route.method, path, persona, body, **extra)
    expected = _expected(route)
    assert answer.status_code in expected, (
        f"{route.method} {path} answered {answer.status_code} (document: {sorted(expected)}): {answer.text[:300]}"
    )
    envelopes.check_success(_json(answer), route, dialects)
