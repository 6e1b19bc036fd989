"""Database backends: the stock ones, with django-prometheus's query metrics, made cheap per cursor."""
