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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

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
        return str(obj.pk)

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
            assert self.object_id(own_object) in ids, (route.list, "own object missing")
            assert self.object_id(foreign_object) not in ids, (route.list, "another organization's object listed")

    def test_cross_tenant_writes_are_404_and_change_nothing(self, client_for, tenant_user, foreign_object):
        client = self._client(client_for, tenant_user)
        before = self.snapshot(foreign_object)
        for route in self.routes:
            for method in route.write_methods:
                url = route.detail.format(id=self.object_id(foreign_object))
                response = getattr(client, method)(url, {}, format="json", **(route.headers or {}))
                assert response.status_code == 404, (method, url, response.status_code, response.content[:300])
        assert self.snapshot(foreign_object) == before
