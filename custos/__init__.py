"""Custos: one platform serving the pipeline, access, twin, enginel and sqal APIs."""

__version__ = "0.1.0"
