"""Unit conversion of lengths, areas, volumes and masses (pint)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from custos.kernel.errors import ValidationFailed

DIMENSIONS = {
    "[length]": "length",
    "[length] ** 2": "area",
    "[length] ** 3": "volume",
    "[mass]": "mass",
}
_SHORT = re.compile(r"^([a-z]+)([23])$")
_ALLOWED = re.compile(r"^[A-Za-z0-9_ */^.]{1,32}$")
ALIASES = {"in": "inch", "inches": "inch", "ft": "foot", "feet": "foot", "lbs": "pound", "lb": "pound"}
# Mass lengths from CAD files: the names STEP and IGES give their length units.
LENGTH_TO_MM = {
    "mm": 1.0,
    "millimetre": 1.0,
    "millimeter": 1.0,
    "cm": 10.0,
    "centimetre": 10.0,
    "m": 1000.0,
    "metre": 1000.0,
    "meter": 1000.0,
    "in": 25.4,
    "inch": 25.4,
    "ft": 304.8,
    "foot": 304.8,
    "um": 0.001,
    "micrometre": 0.001,
}


@lru_cache(maxsize=1)
def registry() -> Any:
    import pint

    return pint.UnitRegistry()


def _unit(text: str, field: str) -> Any:
    raw = (text or "").strip()
    if not raw or not _ALLOWED.match(raw):
        raise ValidationFailed(field_errors={field: [f"Unknown unit '{text}'."]})
    short = _SHORT.match(raw)
    if short:
        base, power = short.groups()
        raw = f"{ALIASES.get(base, base)} ** {power}"
    else:
        raw = ALIASES.get(raw, raw)
    try:
        unit = registry().Unit(raw)
    except Exception:
        raise ValidationFailed(field_errors={field: [f"Unknown unit '{text}'."]}) from None
    if str(unit.dimensionality) not in DIMENSIONS:
        raise ValidationFailed(field_errors={field: [f"'{text}' is not a length, area, volume or mass unit."]})
    return unit


def convert(value: float, from_unit: str, to_unit: str) -> dict[str, Any]:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (both of the same dimension)."""
    source, target = _unit(from_unit, "from_unit"), _unit(to_unit, "to_unit")
    if source.dimensionality != target.dimensionality:
        raise ValidationFailed(
            f"Cannot convert {DIMENSIONS[str(source.dimensionality)]} ({from_unit}) to "
            f"{DIMENSIONS[str(target.dimensionality)]} ({to_unit}).",
            code="INCOMPATIBLE_UNITS",
            field_errors={"to_unit": [f"'{to_unit}' is not a unit of the same dimension as '{from_unit}'."]},
        )
    ureg = registry()
    factor = float(ureg.Quantity(1.0, source).to(target).magnitude)
    return {
        "original_value": value,
        "from_unit": from_unit,
        "to_unit": to_unit,
        "converted_value": value * factor,
        "conversion_factor": factor,
        "dimension": DIMENSIONS[str(source.dimensionality)],
    }


def length_to_mm(name: str) -> float | None:
    return LENGTH_TO_MM.get((name or "").strip().lower())
