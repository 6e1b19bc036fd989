"""enginel dialect: job routes (jobs)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
