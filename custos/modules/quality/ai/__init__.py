"""SQAL AI: models trained on stored samples (``/api/ai/*``), on the ``custos.ml`` registry."""
