"""STL and OBJ meshes through trimesh: size, area, and volume and centre of mass when the mesh is closed."""

from __future__ import annotations

import math
from typing import Any

import numpy

from custos.modules.plm.cad.brep import GeometryError


def _point(values: Any) -> dict[str, float]:
    return {"x": float(values[0]), "y": float(values[1]), "z": float(values[2])}


def read_mesh(path: str, *, file_format: str, scale_to_mm: float = 1.0) -> Any:
    """The triangles of a mesh file as a ``trimesh.Trimesh`` in millimetres."""
    import trimesh

    try:
        mesh = trimesh.load(path, file_type=file_format.lower(), force="mesh", process=True)
    except Exception as exc:
        raise GeometryError(f"The {file_format} file could not be read: {exc}") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise GeometryError(f"The {file_format} file holds no triangles.")
    if scale_to_mm != 1.0:
        mesh.apply_scale(scale_to_mm)
    return mesh


def measure_mesh(path: str, *, file_format: str, scale_to_mm: float = 1.0) -> dict[str, Any]:
    """What a mesh file measures, in millimetres (``scale_to_mm``: the declared unit's length in mm)."""
    return measure_trimesh(read_mesh(path, file_format=file_format, scale_to_mm=scale_to_mm))


def measure_trimesh(mesh: Any) -> dict[str, Any]:
    """What a ``trimesh.Trimesh`` in millimetres measures."""
    watertight = bool(mesh.is_watertight)
    consistent = bool(mesh.is_winding_consistent)
    errors: list[str] = []
    warnings: list[str] = []
    if not watertight:
        warnings.append("The mesh is not watertight: the volume and mass are not defined.")
    if not consistent:
        errors.append("The mesh's face winding is inconsistent.")
    with numpy.errstate(divide="ignore", invalid="ignore"):  # a flat closed mesh divides by its zero volume
        volume = abs(float(mesh.volume)) if watertight else None
        centre = mesh.center_mass if watertight else mesh.centroid
    if volume is not None and (volume == 0.0 or not all(math.isfinite(float(value)) for value in centre)):
        # closed but flat (every vertex in one plane): no volume, so no centre of mass either
        errors.append("The closed mesh encloses no volume: its centre of mass is not defined.")
        centre = mesh.centroid
    low, high = mesh.bounds
    return {
        "volume_cubic_mm": volume,
        "surface_area_sq_mm": float(mesh.area),
        "center_of_mass": _point(centre),
        "bounding_box": {"min": _point(low), "max": _point(high)},
        "topology": {"triangles": len(mesh.faces), "vertices": len(mesh.vertices), "edges": len(mesh.edges_unique)},
        "mesh": {"watertight": watertight, "winding_consistent": consistent, "euler_number": int(mesh.euler_number)},
        "is_valid": watertight and not errors,
        "errors": errors,
        "warnings": warnings,
    }
