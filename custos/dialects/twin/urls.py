"""Routes of the twin document (specs/002-digital-twin.md). Routes here are matched before the others,
so a twin route that differs from another dialect's only by its slash (``/api/alerts``) wins."""

urlpatterns: list = []
