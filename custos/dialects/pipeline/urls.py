"""Routes of the pipeline document (specs/000-pipeline-monitoring.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order of the areas
below is the matching order within this dialect.
"""

from custos.api.routing import gather
from custos.dialects.pipeline import docs_routes, domain_routes, identity_routes, org_routes

urlpatterns, websocket_urlpatterns = gather(identity_routes, org_routes, domain_routes, docs_routes)
