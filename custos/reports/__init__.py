"""Report generation (csv/json/xlsx/pdf), templates and schedules."""
