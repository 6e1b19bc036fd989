"""The layout rules of DESIGN.md, checked: dependency direction (import-linter), a schema without warnings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3.0.3")


def _view_classes() -> list[tuple[str, type]]:
    """(route, view class) of every HTTP route: DRF viewsets through ``cls``, API views through ``view_class``."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[tuple[str, type]] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
                if view is not None:
                    found.append((prefix + str(entry.pattern), view))

    walk(get_resolver().url_patterns, "")
    return found


def _organization_owned(model: type) -> bool:
    from custos.kernel.models import OrgOwnedModel

    return issubclass(model, OrgOwnedModel)


def test_every_view_over_an_organization_owned_model_is_a_tenant_resource():
    """Tenancy by structure: a view whose queryset is over an organization-owned model must be built on
    ``TenantResource`` or ``TenantAggregate`` (scoping they do not let a subclass override); anything else
    is listed here as unscoped."""
    from custos.api.resources import TenantAggregate, TenantResource

    unscoped = sorted(
        {
            f"{route} -> {view.__module__}.{view.__qualname__} ({view.queryset.model.__name__})"
            for route, view in _view_classes()
            if getattr(view, "queryset", None) is not None
            and _organization_owned(view.queryset.model)
            and not issubclass(view, (TenantResource, TenantAggregate))
        }
    )
    assert unscoped == []


def test_every_view_filters_through_the_backend_that_skips_unused_filters():
    """django-filter's own backend builds and validates a form on every request, even one naming no
    filter; ``custos.api.filtering.FilterBackend`` keeps its behaviour and skips that cost."""
    from django_filters.rest_framework import DjangoFilterBackend

    from custos.api.filtering import FilterBackend

    plain = sorted(
        {
            f"{route} -> {view.__module__}.{view.__qualname__}"
            for route, view in _view_classes()
            if any(
                isinstance(backend, type) and issubclass(backend, DjangoFilterBackend) and backend is not FilterBackend
                for backend in getattr(view, "filter_backends", ())
            )
        }
    )
    assert plain == []


def test_a_tenant_resource_cannot_override_its_scoping():
    from custos.api.resources import TenantResource

    for method in ("get_queryset", "get_object"):
        with pytest.raises(TypeError, match=f"overrides {method}"):
            type("Leaky", (TenantResource,), {method: lambda self: None, "__module__": __name__})


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("custos.jobs.services", "custos.jobs.tasks"),
        ("custos.modules.pipelines.services", "custos.modules.pipelines.tasks"),
        ("custos.modules.pipelines.operations", "custos.modules.pipelines.tasks"),
        ("custos.events.relay", "custos.events.socketio_server"),
    ],
)
def test_no_import_cycle_through_tasks_or_the_realtime_servers(importer, imported):
    """Services never import their tasks at module level (tasks import services); likewise the relay and
    the Socket.IO server. Checked on the import graph (grimp, which import-linter uses)."""
    import grimp

    graph = grimp.build_graph("custos", cache_dir=None)
    chain = graph.find_shortest_chain(importer=importer, imported=imported)
    assert chain is None, " -> ".join(chain)
