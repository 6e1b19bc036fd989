"""sqal dialect: the firmware area (filled in by its module)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
