"""Routes of the sqal document (specs/004-sqal-quality.md)."""

urlpatterns: list = []
