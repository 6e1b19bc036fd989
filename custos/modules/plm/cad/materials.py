"""Densities of common engineering materials (kg/m³) and the mass of a volume in mm³."""

from __future__ import annotations

import re

DENSITY_KG_M3: dict[str, float] = {
    "ti6al4v": 4430.0,
    "titanium": 4506.0,
    "aluminium6061": 2700.0,
    "aluminum6061": 2700.0,
    "al6061": 2700.0,
    "6061": 2700.0,
    "aluminium7075": 2810.0,
    "aluminum7075": 2810.0,
    "al7075": 2810.0,
    "7075": 2810.0,
    "aluminium": 2700.0,
    "aluminum": 2700.0,
    "stainlesssteel316": 8000.0,
    "stainlesssteel304": 8000.0,
    "stainlesssteel": 8000.0,
    "ss316": 8000.0,
    "ss304": 8000.0,
    "steel": 7850.0,
    "inconel718": 8190.0,
    "inconel625": 8440.0,
    "copper": 8960.0,
    "brass": 8500.0,
    "bronze": 8800.0,
    "magnesium": 1740.0,
    "abs": 1040.0,
    "pla": 1240.0,
    "nylon": 1150.0,
    "peek": 1320.0,
    "polycarbonate": 1200.0,
}
_KEYS = sorted(DENSITY_KG_M3, key=len, reverse=True)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def density_of(material: str) -> float | None:
    """The density of ``material`` (``Ti-6Al-4V Grade 5`` reads as Ti-6Al-4V), ``None`` when unknown."""
    normal = _normal(material or "")
    if not normal:
        return None
    for key in _KEYS:
        if normal.startswith(key):
            return DENSITY_KG_M3[key]
    return None


def mass_kg(volume_mm3: float | None, density_kg_m3: float | None) -> float | None:
    if volume_mm3 is None or density_kg_m3 is None:
        return None
    return volume_mm3 * 1e-9 * density_kg_m3
