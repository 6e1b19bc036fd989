"""access dialect: billing and credits routes."""

urlpatterns: list = []
websocket_urlpatterns: list = []
