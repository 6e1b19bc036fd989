"""Pure computations of the twin analytics over arrays of stored readings (no database access here).

See docs/twin-analytics.md for the definitions.
"""
