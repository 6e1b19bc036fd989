"""Routes of the twin document (specs/002-digital-twin.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order of the areas
below is the matching order within this dialect.
"""

from custos.api.routing import gather
from custos.dialects.twin import devices_routes, domain_routes, identity_routes, job_routes, org_routes, twin_routes

urlpatterns, websocket_urlpatterns = gather(
    identity_routes, org_routes, job_routes, devices_routes, domain_routes, twin_routes
)
