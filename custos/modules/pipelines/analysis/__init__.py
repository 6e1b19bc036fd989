"""Image analysis for pipeline corridors: spectral indices, anomaly detectors and a synthetic scene source.

Pure NumPy/SciPy over arrays; no database access. ``engine.analyze_scene`` is the entry point.
The method for each anomaly type is written down in ``docs/pipeline-analysis.md``.
"""
