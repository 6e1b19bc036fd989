"""enginel dialect: authentication and account routes (identity)."""

urlpatterns: list = []
websocket_urlpatterns: list = []
