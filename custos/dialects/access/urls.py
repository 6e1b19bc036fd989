"""Routes of the access document (specs/001-access-template.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order of the areas
below is the matching order within this dialect.
"""

from custos.api.routing import gather
from custos.dialects.access import billing_routes, identity_routes, job_routes, ops_routes

urlpatterns, websocket_urlpatterns = gather(ops_routes, identity_routes, billing_routes, job_routes)
