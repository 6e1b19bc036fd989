"""sqal dialect: the domain module's routes."""

urlpatterns: list = []
websocket_urlpatterns: list = []
