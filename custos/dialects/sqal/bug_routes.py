"""sqal dialect: the bug area (filled in by its module)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
