"""Designs, series, BOM, reviews, markups and CAD processing."""
