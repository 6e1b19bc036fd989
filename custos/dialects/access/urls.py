"""Routes of the access document (specs/001-access-template.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order here is the
matching order within this dialect.
"""

from custos.dialects.access import billing_routes, identity_routes, job_routes, ops_routes

AREAS = (
    ops_routes,
    identity_routes,
    billing_routes,
    job_routes,
)

urlpatterns = [pattern for area in AREAS for pattern in area.urlpatterns]
websocket_urlpatterns = [pattern for area in AREAS for pattern in area.websocket_urlpatterns]
