"""The role matrix, black-box against the live server (beside the tenancy matrix of the domain kit):

* every write route of every organization resource (POST/PUT/PATCH/DELETE of ``specs/endpoints.tsv``
  that the checkout serves, minus the account routes every user has on their own account) refuses the
  VIEWER with 403 in the dialect's error envelope, and nothing changes: the object read back by the
  OWNER is the same, and a collection counts the same rows;
* a MEMBER cannot add members; an ADMIN cannot grant OWNER; the OWNER can;
* the staff-only routes refuse an organization OWNER who is not staff (403), changing nothing.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from custos.ops.spec_report import DONE_FILE, Route, endpoints_file, read_routes
from tests.conformance import envelopes, makers
from tests.conformance.live import Api, items_of
from tests.conformance.routes import BODIES, FRESH, FRESH_ROUTE, STAFF_PREFIXES
from tests.conformance.test_routes import CLAIMS, _collection, _json, shared

pytestmark = pytest.mark.slow

WRITES = ("POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")
# Routes every signed-in user has on their own account or data, whatever their role in an organization.
OWN_ACCOUNT = (
    "/api/auth/",
    "/api/access/",
    "/tasks/",
    "/api/users/me/",
    "/api/bugs/",  # anyone may report a bug and comment (sqal 004)
    "/api/organizations/",  # founding one's own organization; membership is checked in its own tests below
)
# Writes whose effect is a computation returned to the caller (no stored object changes).
READ_LIKE = {("POST", "/api/ai/predict/"), ("POST", "/api/tasks/start_report")}


def _served() -> list[Route]:
    if not endpoints_file().exists():
        return []
    done = set(read_routes(DONE_FILE))
    return list(dict.fromkeys(r for r in read_routes(endpoints_file()) if r in done))


SERVED = _served()
STAFF_ONLY = [
    r
    for r in SERVED
    if r.method != "WS"
    and r.path.startswith(STAFF_PREFIXES)
    and "/me" not in r.path
    and (r.method, r.path) != ("POST", "/api/access/users/")  # registration: public
]
# Jobs are private to their creator and the organization's OWNER/ADMIN: others get 404 (DESIGN.md).
PRIVATE = ("/api/analysis-jobs/",)
# Fields a background job may change while the test runs (an uploaded image is being processed).
VOLATILE = {"processing_status", "updated_at", "thumbnail"}
# Objects worked on in the background (jobs, generated reports, trainings), and the statuses they have
# while that work is going on (elsewhere "pending" is a stable state, e.g. an unverified result).
BACKGROUND = ("/api/analysis-jobs/", "/api/reports/", "/api/ai/training/")
IN_PROGRESS = {"pending", "queued", "started", "running", "processing", "generating", "retry"}
ORG_WRITES = [
    r
    for r in SERVED
    if r.method in WRITES
    and not r.path.startswith(OWN_ACCOUNT)
    and not r.path.startswith(STAFF_PREFIXES)
    and (r.method, r.path) not in READ_LIKE
]


def _fill(api: Api, route: Route) -> str:
    """The route's path with objects of the demo organization made by its OWNER. The VIEWER's write is
    refused and changes nothing (checked), so the refused writes share one object per collection (the
    one the reads use) and one per state a route needs (``FRESH_ROUTE``)."""
    path = route.path
    for placeholder in _PLACEHOLDER.findall(route.path):
        collection = _collection(route, placeholder)
        if (route.method, route.path) in FRESH_ROUTE:
            make = FRESH_ROUTE[(route.method, route.path)]
            value = makers.once(api, f"roles:{make.__name__}", lambda make=make: make(api))
        elif collection in FRESH:
            value = shared(api, collection)
        else:
            value = makers.first(api, collection).get("id")
        path = path.replace("{" + placeholder + "}", str(value))
    return path


def _body(api: Api, route: Route) -> Any:
    value = BODIES.get((route.method, route.path), {})
    return value(api) if callable(value) else value


def _count(payload: Any) -> Any:
    if isinstance(payload, dict):
        for holder in (payload, payload.get("pagination") or {}):
            for key in ("count", "totalItems"):
                if key in holder:
                    return holder[key]
    return len(items_of(payload))


def _state(api: Api, route: Route, path: str) -> Any:
    """What the write would change, read by the OWNER: the object it targets (the path up to its last
    id), or the number of rows of the collection it adds to."""
    ids = list(_PLACEHOLDER.finditer(route.path))
    if not ids:
        answer = api.call("GET", path, "OWNER")
        return ("rows", answer.status_code, _count(answer.json()) if answer.status_code == 200 else None)
    depth = route.path[: ids[-1].end()].count("/")
    parts = path.split("/")
    target = "/".join(parts[: depth + 1])
    answer = api.call("GET", target + ("/" if route.path[ids[-1].end() :].startswith("/") else ""), "OWNER")
    if answer.status_code != 200:
        return ("object", answer.status_code, None)
    payload = answer.json()
    if isinstance(payload, dict):
        payload = {key: value for key, value in payload.items() if key not in VOLATILE}
    return ("object", 200, payload)


def _settled_state(api: Api, route: Route, path: str, timeout: float = 120) -> Any:
    """``_state`` once the object's background work is over (a job or a report still running would
    change between the two reads whatever the VIEWER does)."""
    if not route.path.startswith(BACKGROUND):
        return _state(api, route, path)
    deadline = time.monotonic() + timeout
    while True:
        state = _state(api, route, path)
        payload = state[2]
        data = payload.get("data", payload) if isinstance(payload, dict) else None
        status = str(data.get("status", "")).lower() if isinstance(data, dict) else ""
        if status not in IN_PROGRESS or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


@pytest.mark.parametrize("route", ORG_WRITES, ids=[r.label() for r in ORG_WRITES])
def test_viewer_cannot_write(live: Api, route: Route) -> None:
    path = _fill(live, route)
    body = _body(live, route)
    before = _settled_state(live, route, path)
    answer = live.call(route.method, path, "VIEWER", body)
    allowed = {403, 404} if route.path.startswith(PRIVATE) else {403}
    assert answer.status_code in allowed, f"VIEWER {route.method} {path}: {answer.status_code} {answer.text[:300]}"
    envelopes.check_error(
        _json(answer), answer.status_code, CLAIMS.get((route.method, route.path.rstrip("/")), {route.dialect})
    )
    assert _state(live, route, path) == before, f"VIEWER {route.method} {path} changed what the OWNER reads"


@pytest.mark.parametrize("route", STAFF_ONLY, ids=[r.label() for r in STAFF_ONLY])
def test_staff_only_routes_refuse_an_owner(live: Api, route: Route) -> None:
    path = route.path
    for placeholder in _PLACEHOLDER.findall(route.path):
        collection = _collection(route, placeholder)
        value = FRESH[collection](live) if collection in FRESH else makers.first(live, collection, "staff")["id"]
        path = path.replace("{" + placeholder + "}", str(value))
    before = live.call("GET", path, "staff").text if route.method in ("PUT", "PATCH", "DELETE") else None
    answer = live.call(route.method, path, "OWNER", _body(live, route) if route.method != "GET" else None)
    if route.method == "GET" and route.path in ("/api/users/", "/api/users/{id}/"):
        # /api/users/ is shared: members read the users of their organizations; only writes are staff's.
        pytest.skip("readable by organization members (DESIGN.md, /api/users/)")
    assert answer.status_code in (403, 404), f"OWNER {route.method} {path}: {answer.status_code} {answer.text[:300]}"
    dialects = CLAIMS.get((route.method, route.path.rstrip("/")), {route.dialect})
    envelopes.check_error(_json(answer), answer.status_code, dialects)
    if before is not None:
        assert live.call("GET", path, "staff").text == before


def _members(api: Api, organization: str) -> list[Any]:
    return items_of(makers.ok(api.call("GET", f"/api/organizations/{organization}/members/", "OWNER"), "members"))


def test_member_cannot_add_members(live: Api) -> None:
    organization = makers.organization(live)
    before = _members(live, organization)
    for persona in ("MEMBER", "VIEWER"):
        body = {"email": f"invitee-{makers.tag()}@example.com", "role": "MEMBER"}
        answer = live.call("POST", f"/api/organizations/{organization}/add_member/", persona, body)
        assert answer.status_code == 403, (persona, answer.status_code, answer.text[:300])
        envelopes.check_error(_json(answer), 403, {"enginel"})
    assert _members(live, organization) == before


def test_only_an_owner_grants_owner(live: Api) -> None:
    organization = makers.organization(live)
    before = _members(live, organization)
    email = f"invitee-{makers.tag()}@example.com"
    refused = live.call(
        "POST", f"/api/organizations/{organization}/add_member/", "ADMIN", {"email": email, "role": "OWNER"}
    )
    assert refused.status_code == 403, (refused.status_code, refused.text[:300])
    envelopes.check_error(_json(refused), 403, {"enginel"})
    assert _members(live, organization) == before
    granted = live.call(
        "POST", f"/api/organizations/{organization}/add_member/", "OWNER", {"email": email, "role": "OWNER"}
    )
    assert granted.status_code == 201, (granted.status_code, granted.text[:300])
    admin_grants_member = live.call(
        "POST",
        f"/api/organizations/{organization}/add_member/",
        "ADMIN",
        {"email": f"invitee-{makers.tag()}@example.com", "role": "MEMBER"},
    )
    assert admin_grants_member.status_code == 201, (admin_grants_member.status_code, admin_grants_member.text[:300])
