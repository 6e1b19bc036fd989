"""sqal dialect: the report area (filled in by its module)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
