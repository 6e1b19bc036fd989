"""The reusable cross-tenant test: another organization's object is a 404 and is never listed.

Mix ``CrossTenantMixin`` into a pytest test class and give it:

* ``routes``: ``TenantRoute`` entries, each a list path and/or a detail path template with ``{id}``
  (any dialect: the list body may be ``{results}``, ``{items}``, ``{data}`` or a plain array);
* fixtures ``tenant_user`` (a user of one organization), ``own_object`` (an object that user may see)
  and ``foreign_object`` (the same kind of object in another organization).

The class then runs, for every route: the own object is found (200, listed) and the foreign one is a
404 on its detail route, absent from every list, and any write to it (``write_methods`` of the route)
is a 404 that changes nothing (``snapshot`` compares the row before and after).

    class TestDesignsAcrossTenants(CrossTenantMixin):
        routes = (TenantRoute(list="/api/designs/", detail="/api/designs/{id}/", write_methods=("patch", "delete")),)

        @pytest.fixture
        def tenant_user(self, alice): return alice
        ...


The API contract of a tenant resource: ``ApiContractMixin`` (below) adds, for one resource, the
anonymous, role, audit and event checks to the cross-tenant ones. A suite declares:

    from custos.api.testing import ApiContractMixin

    class TestPipelineContract(ApiContractMixin):
        list_url = "/api/pipelines/"
        dialect = "pipeline"                  # the error envelope expected (custos/api/errors.py)
        model = Pipeline                      # rows counted; audit resource_type = entity_of(model)

        def detail_url(self, obj):            # format the id into the string (no reverse()):
            return f"/api/pipelines/{obj.pk}/"   # it is also called with a "{id}" placeholder

        def create_payload(self, organization):   # a valid body for POST list_url
            return {"name": "Trans-Alpine", "diameter_mm": 900, "material": "steel", ...}

        def update_payload(self, obj):        # a valid body for PATCH detail_url(obj)
            return {"description": "changed"}

        def make_row(self, organization, user):   # a row of ``organization`` (factories)
            return Pipeline.objects.create(organization=organization, ...)

It runs, with the personas of the root conftest (Northwind: alice OWNER, amir MEMBER, vera VIEWER;
Helios: bob OWNER): anonymous list/detail/create are 401 in the dialect's error envelope; vera's
create/update/delete are 403 and change nothing (row count, the row's stored values, no audit row);
amir's create is 201 with exactly one new row, one audit row (CREATE, resource_type = the entity) and
one event ``<topic>.create`` published (and, embedded, one ``EventRelay`` row); and the cross-tenant
tests of ``CrossTenantMixin`` for amir, with a Northwind row and a Helios row (404 on detail, update
and delete, never listed). Override ``event_topic``/``entity``, ``tenant_user`` or ``writer`` when the
resource differs (e.g. a resource writable by admins only: ``writer`` returns ``adam``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from django.forms.models import model_to_dict

LIST_PAGE_PARAMS = {"page_size": 100}


@dataclass(frozen=True)
class TenantRoute:
    list: str | None = None
    detail: str | None = None  # a template with ``{id}``
    write_methods: tuple[str, ...] = ()
    list_params: dict[str, Any] | None = None  # e.g. {"limit": 1000} for sqal lists
    headers: dict[str, str] | None = None  # extra request headers (``HTTP_...`` keys)


def listed_ids(body: Any) -> set[str]:
    """The ``id`` of every object of a list body, whatever the dialect's envelope."""
    if isinstance(body, dict):
        for key in ("results", "items", "data"):
            if key in body:
                return listed_ids(body[key])
        raise AssertionError(f"not a list body: {sorted(body)}")
    assert isinstance(body, list), f"not a list body: {type(body).__name__}"
    return {str(item.get("id")) for item in body}


class CrossTenantMixin:
    routes: ClassVar[Sequence[TenantRoute]] = ()

    def object_id(self, obj: Any) -> str:
        """The id of ``obj`` in its detail URL."""
        return str(obj.pk)

    def listed_id(self, obj: Any) -> str:
        """The ``id`` of ``obj`` in a list body (default: the URL id)."""
        return self.object_id(obj)

    def snapshot(self, obj: Any) -> Any:
        """The stored state of ``obj`` (compared before and after a refused write)."""
        fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
        return None if fresh is None else model_to_dict(fresh)

    def _client(self, client_for: Any, user: Any) -> Any:
        return client_for(user)

    def test_cross_tenant_detail_is_404(self, client_for, tenant_user, own_object, foreign_object):
        client = self._client(client_for, tenant_user)
        checked = 0
        for route in self.routes:
            if not route.detail:
                continue
            headers = route.headers or {}
            own = client.get(route.detail.format(id=self.object_id(own_object)), **headers)
            assert own.status_code == 200, (route.detail, own.status_code, own.content[:300])
            foreign = client.get(route.detail.format(id=self.object_id(foreign_object)), **headers)
            assert foreign.status_code == 404, (route.detail, foreign.status_code, foreign.content[:300])
            checked += 1
        assert checked or not any(route.detail for route in self.routes)

    def test_cross_tenant_never_listed(self, client_for, tenant_user, own_object, foreign_object):
        client = self._client(client_for, tenant_user)
        for route in self.routes:
            if not route.list:
                continue
            response = client.get(route.list, route.list_params or LIST_PAGE_PARAMS, **(route.headers or {}))
            assert response.status_code == 200, (route.list, response.status_code, response.content[:300])
            ids = listed_ids(response.json())
            assert self.listed_id(own_object) in ids, (route.list, "own object missing")
            assert self.listed_id(foreign_object) not in ids, (route.list, "another organization's object listed")

    def test_cross_tenant_writes_are_404_and_change_nothing(self, client_for, tenant_user, foreign_object):
        client = self._client(client_for, tenant_user)
        before = self.snapshot(foreign_object)
        for route in self.routes:
            for method in route.write_methods:
                url = route.detail.format(id=self.object_id(foreign_object))
                response = getattr(client, method)(url, {}, format="json", **(route.headers or {}))
                assert response.status_code == 404, (method, url, response.status_code, response.content[:300])
        assert self.snapshot(foreign_object) == before


# --- The API contract of a tenant resource ----------------------------------------------------

# The keys every error body of a dialect carries (custos/api/errors.py).
ERROR_KEYS: dict[str, frozenset[str]] = {
    "pipeline": frozenset({"detail"}),
    "access": frozenset({"error", "details"}),
    "twin": frozenset({"error", "message"}),
    "enginel": frozenset({"error", "detail", "code"}),
    "sqal": frozenset({"detail"}),
}


def assert_error_envelope(response: Any, *, status: int, dialect: str) -> None:
    """``response`` is a ``status`` error in the envelope of ``dialect``."""
    assert response.status_code == status, (status, response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body, dict), body
    missing = ERROR_KEYS[dialect] - set(body)
    assert not missing, f"{dialect} error body lacks {sorted(missing)}: {body}"


class _IdPlaceholder:
    """Stands for an object in ``detail_url`` to build the ``{id}`` template of the cross-tenant routes:
    every attribute (``pk``, ``id``, ``device_id`` ...) is ``"{id}"``."""

    def __getattr__(self, name: str) -> str:
        return "{id}"


class ApiContractMixin(CrossTenantMixin):
    """The contract every tenant resource keeps (see the module docstring for the declaration)."""

    list_url: ClassVar[str] = ""
    dialect: ClassVar[str] = "pipeline"
    model: ClassVar[Any] = None
    entity: ClassVar[str | None] = None  # default: custos.audit.writes.entity_of(model)
    event_topic: ClassVar[str | None] = None  # default: model.event_topic or the entity in snake case
    write_methods: ClassVar[tuple[str, ...]] = ("patch", "delete")
    create_format: ClassVar[str] = "json"  # "multipart" for resources created with a file
    create_event: ClassVar[str | None] = None  # default "<topic>.create"; a document's own name otherwise

    # --- the declaration ----------------------------------------------------------------------

    def detail_url(self, obj: Any) -> str:
        raise NotImplementedError("declare detail_url(obj)")

    def create_payload(self, organization: Any) -> dict[str, Any]:
        raise NotImplementedError("declare create_payload(organization)")

    def update_payload(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError("declare update_payload(obj)")

    def make_row(self, organization: Any, user: Any) -> Any:
        raise NotImplementedError("declare make_row(organization, user)")

    def make_foreign_row(self, organization: Any, user: Any) -> Any:
        """A row of another organization (default: ``make_row`` there)."""
        return self.make_row(organization, user)

    # --- derived ------------------------------------------------------------------------------

    @property
    def routes(self) -> Sequence[TenantRoute]:  # type: ignore[override]
        return (
            TenantRoute(list=self.list_url, detail=self.detail_url(_IdPlaceholder()), write_methods=self.write_methods),
        )

    def audit_entity(self) -> str:
        from custos.audit.writes import entity_of

        return self.entity or entity_of(self.model)

    def topic(self) -> str:
        from custos.audit.vocabulary import snake

        return self.event_topic or getattr(self.model, "event_topic", None) or snake(self.audit_entity())

    def audit_count(self, **filters: Any) -> int:
        from custos.audit.models import AuditLog

        return AuditLog.objects.filter(resource_type=self.audit_entity(), **filters).count()

    # --- fixtures (the personas of the root conftest) -------------------------------------------

    @pytest.fixture
    def tenant_user(self, amir: Any) -> Any:
        return amir

    @pytest.fixture
    def writer(self, amir: Any) -> Any:
        """The least role that may create (a MEMBER)."""
        return amir

    @pytest.fixture
    def viewer(self, vera: Any) -> Any:
        return vera

    @pytest.fixture
    def own_object(self, org_a: Any, alice: Any) -> Any:
        return self.make_row(org_a, alice)

    @pytest.fixture
    def foreign_object(self, org_b: Any, bob: Any) -> Any:
        return self.make_foreign_row(org_b, bob)

    @pytest.fixture
    def published(self, monkeypatch: Any) -> list[dict[str, Any]]:
        """Every event published during the test (``custos.events.services.publish`` still runs)."""
        from custos.events import services

        calls: list[dict[str, Any]] = []
        original = services.publish

        def recording(**kwargs: Any) -> None:
            calls.append(kwargs)
            original(**kwargs)

        monkeypatch.setattr(services, "publish", recording)
        return calls

    # --- anonymous ----------------------------------------------------------------------------

    def test_anonymous_list_detail_and_create_are_401(self, api_client, own_object, org_a):
        rows_before = self.model._default_manager.count()
        assert_error_envelope(api_client.get(self.list_url), status=401, dialect=self.dialect)
        assert_error_envelope(api_client.get(self.detail_url(own_object)), status=401, dialect=self.dialect)
        response = api_client.post(self.list_url, self.create_payload(org_a), format=self.create_format)
        assert_error_envelope(response, status=401, dialect=self.dialect)
        assert self.model._default_manager.count() == rows_before

    # --- a viewer changes nothing -------------------------------------------------------------

    def test_viewer_create_update_delete_are_403_and_change_nothing(self, client_for, viewer, own_object, org_a):
        client = client_for(viewer)
        rows_before, audit_before = self.model._default_manager.count(), self.audit_count()
        stored = self.snapshot(own_object)
        refused = [
            client.post(self.list_url, self.create_payload(org_a), format=self.create_format),
            client.patch(self.detail_url(own_object), self.update_payload(own_object), format="json"),
            client.delete(self.detail_url(own_object)),
        ]
        for response in refused:
            assert_error_envelope(response, status=403, dialect=self.dialect)
        assert self.model._default_manager.count() == rows_before
        assert self.snapshot(own_object) == stored
        assert self.audit_count() == audit_before

    # --- a member creates: one row, one audit row, one event -----------------------------------

    def test_member_create_is_201_with_one_audit_row_and_one_event(
        self, client_for, writer, org_a, published, django_capture_on_commit_callbacks
    ):
        from custos.events.models import EventRelay
        from custos.events.services import relay_mode

        event = self.create_event or f"{self.topic()}.create"
        rows_before, audit_before = self.model._default_manager.count(), self.audit_count(action="CREATE")
        relay_before = EventRelay.objects.filter(event=event).count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(writer).post(self.list_url, self.create_payload(org_a), format=self.create_format)
        assert response.status_code == 201, response.content[:500]
        assert self.model._default_manager.count() == rows_before + 1
        assert self.audit_count(action="CREATE") == audit_before + 1
        assert [call.get("event") or call["topic"] for call in published] == [event], published
        assert str(published[0]["organization_id"]) == str(org_a.pk)
        if relay_mode():
            assert EventRelay.objects.filter(event=event, topic=self.topic()).count() == relay_before + 1
