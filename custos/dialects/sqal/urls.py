"""Routes of the sqal document (specs/004-sqal-quality.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order here is the
matching order within this dialect.
"""

from custos.dialects.sqal import domain_routes, job_routes, org_routes

AREAS = (
    org_routes,
    job_routes,
    domain_routes,
)

urlpatterns = [pattern for area in AREAS for pattern in area.urlpatterns]
websocket_urlpatterns = [pattern for area in AREAS for pattern in area.websocket_urlpatterns]
