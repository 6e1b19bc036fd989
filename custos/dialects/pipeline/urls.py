"""Routes of the pipeline document (specs/000-pipeline-monitoring.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order here is the
matching order within this dialect.
"""

from custos.dialects.pipeline import docs_routes, domain_routes, identity_routes, org_routes

AREAS = (
    identity_routes,
    org_routes,
    domain_routes,
    docs_routes,
)

urlpatterns = [pattern for area in AREAS for pattern in area.urlpatterns]
websocket_urlpatterns = [pattern for area in AREAS for pattern in area.websocket_urlpatterns]
