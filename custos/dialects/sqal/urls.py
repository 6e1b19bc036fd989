"""Routes of the sqal document (specs/004-sqal-quality.md), gathered from one module per area.

Each area module defines ``urlpatterns`` (HTTP) and ``websocket_urlpatterns``; the order of the areas
below is the matching order within this dialect.
"""

from custos.api.routing import gather
from custos.dialects.sqal import (
    ai_routes,
    bug_routes,
    domain_routes,
    firmware_routes,
    job_routes,
    org_routes,
    quality_routes,
    report_routes,
)

urlpatterns, websocket_urlpatterns = gather(
    org_routes, job_routes, domain_routes, quality_routes, ai_routes, firmware_routes, bug_routes, report_routes
)
