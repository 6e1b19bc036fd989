"""SQAL samples, ToF/spectral analysis, fusion and grading, dashboards."""
