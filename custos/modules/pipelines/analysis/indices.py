"""Spectral indices over reflectance bands (float32 arrays of equal shape)."""

from __future__ import annotations

import numpy as np


def normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b), 0 where the sum is 0."""
    total = a + b
    out = np.zeros_like(total, dtype=np.float32)
    np.divide(a - b, total, out=out, where=total != 0)
    return out


def ndvi(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
    """Normalised difference vegetation index: dense green vegetation is high (> 0.6)."""
    return normalized_difference(nir, red)


def ndwi(green: np.ndarray, nir: np.ndarray) -> np.ndarray:
    """McFeeters' normalised difference water index: open water is positive."""
    return normalized_difference(green, nir)


def bare_soil_index(blue: np.ndarray, red: np.ndarray, nir: np.ndarray, swir16: np.ndarray) -> np.ndarray:
    """BSI = ((SWIR1 + red) - (NIR + blue)) / ((SWIR1 + red) + (NIR + blue)): exposed soil is high."""
    return normalized_difference(swir16 + red, nir + blue)


def hydrocarbon_index(swir16: np.ndarray, swir22: np.ndarray) -> np.ndarray:
    """(SWIR1 - SWIR2) / (SWIR1 + SWIR2): hydrocarbons absorb near 2.3 um, raising it on stained ground."""
    return normalized_difference(swir16, swir22)


def brightness(*bands: np.ndarray) -> np.ndarray:
    """Mean reflectance of the given bands."""
    total = np.zeros_like(bands[0], dtype=np.float32)
    for band in bands:
        total += band
    total /= len(bands)
    return total


def iron_oxide_ratio(red: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Red / blue: ferric iron (rust) reflects red and absorbs blue; 0 where blue is 0."""
    out = np.zeros_like(red, dtype=np.float32)
    np.divide(red, blue, out=out, where=blue > 0)
    return out
