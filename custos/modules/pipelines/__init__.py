"""Domain of the pipeline spec: pipelines, segments, imagery, analysis, alerts."""
