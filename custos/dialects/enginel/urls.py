"""Routes of the enginel document (specs/003-enginel-plm.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order of the areas
below is the matching order within this dialect.
"""

from custos.api.routing import gather
from custos.dialects.enginel import domain_routes, identity_routes, job_routes, ops_routes, org_routes, plm_routes

urlpatterns, websocket_urlpatterns = gather(
    ops_routes, identity_routes, org_routes, job_routes, plm_routes, domain_routes
)
