"""Routes of the twin document (specs/002-digital-twin.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order here is the
matching order within this dialect.
"""

from custos.dialects.twin import domain_routes, identity_routes, job_routes, org_routes

AREAS = (
    identity_routes,
    org_routes,
    job_routes,
    domain_routes,
)

urlpatterns = [pattern for area in AREAS for pattern in area.urlpatterns]
websocket_urlpatterns = [pattern for area in AREAS for pattern in area.websocket_urlpatterns]
