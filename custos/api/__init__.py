"""DRF machinery shared by all dialects: viewsets, pagination, errors, schema."""
