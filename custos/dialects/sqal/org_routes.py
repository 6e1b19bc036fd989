"""sqal dialect: organizations, users, audit, settings and monitoring routes."""

urlpatterns: list = []
websocket_urlpatterns: list = []
