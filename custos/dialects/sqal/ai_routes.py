"""sqal dialect: the ai area (filled in by its module)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
