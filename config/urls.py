"""The whole route table: the five dialects' tables, in precedence order, plus the admin site."""

from django.contrib import admin
from django.urls import include, path

from custos.api.routing import RememberingResolver

routes = [
    path("admin/", admin.site.urls),
    path("console/", include("custos.console.urls")),
    # twin first: its slash-less routes are routes of their own (DESIGN.md, "Dialects").
    path("", include("custos.dialects.twin.urls")),
    path("", include("custos.dialects.access.urls")),
    path("", include("custos.dialects.pipeline.urls")),
    path("", include("custos.dialects.enginel.urls")),
    path("", include("custos.dialects.sqal.urls")),
]

# One resolver over the whole table: it remembers each path's match (custos.api.routing).
urlpatterns = [RememberingResolver(routes)]

handler400 = "custos.api.errors.handler400"
handler403 = "custos.api.errors.handler403"
handler404 = "custos.api.errors.handler404"
handler500 = "custos.api.errors.handler500"
