"""A design's processing (run by the ``plm.process_design`` Job): geometry, validity, mass, BOM and
the web preview (a GLB of the tessellated shape, ``cad.preview``).

The platform writes the results (``WriteContext.system``). A file that cannot be read leaves the
design ``FAILED`` with reason ``GEOMETRY_EXTRACTION_FAILED`` and fails the Job.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from custos.audit.writes import audited_update
from custos.kernel.context import WriteContext
from custos.modules.plm.cad import brep, preview
from custos.modules.plm.cad.materials import density_of, mass_kg
from custos.modules.plm.cad.mesh import measure_trimesh, read_mesh
from custos.modules.plm.cad.units import length_to_mm
from custos.modules.plm.choices import DesignStatus
from custos.modules.plm.models import DesignAsset
from custos.modules.plm.services.bom import bom_replace

FAILED_REASON = "GEOMETRY_EXTRACTION_FAILED"
STEPS = 5


class ProcessingFailed(Exception):
    """The design's file could not be processed (the design is FAILED; the Job fails with this)."""


def _local_path(design: DesignAsset) -> tuple[str, Callable[[], None]]:
    """A local file path of the stored file (a temporary copy when the storage is remote)."""
    try:
        return design.file.path, lambda: None
    except NotImplementedError:
        import os
        import tempfile

        handle = tempfile.NamedTemporaryFile(suffix=f".{design.file_format.lower()}", delete=False)  # noqa: SIM115
        with handle, design.file.open("rb") as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                handle.write(chunk)
        return handle.name, lambda: os.unlink(handle.name)


@dataclass
class Analysis:
    """What a CAD file measures, its STEP product tree, its own unit and its web preview."""

    measures: dict[str, Any]
    products: list[Any]
    units: str
    preview: preview.Preview | None = None
    preview_error: str = ""
    extra_warnings: list[str] = field(default_factory=list)


def _diagonal(measures: dict[str, Any]) -> float:
    box = measures["bounding_box"]
    return math.dist([box["min"][k] for k in "xyz"], [box["max"][k] for k in "xyz"])


def _with_preview(analysis: Analysis, build: Callable[[], preview.Preview]) -> Analysis:
    """The preview is a view of the geometry: when it cannot be made, the figures still stand."""
    try:
        analysis.preview = build()
    except Exception as exc:
        analysis.preview_error = f"No web preview could be made ({exc})."
    return analysis


def analyse(path: str, *, file_format: str, declared_units: str = "", with_preview: bool = True) -> Analysis:
    """What the CAD file at ``path`` measures (and, ``with_preview``, its GLB preview)."""
    if file_format in ("STEP", "IGES"):
        model = brep.read_step(path) if file_format == "STEP" else brep.read_iges(path)
        measures = brep.measure_model(model) if model.parts else brep.measure(model.shape)
        analysis = Analysis(measures=measures, products=model.products, units=model.units)
        if with_preview:
            diagonal = _diagonal(measures)
            _with_preview(analysis, lambda: preview.from_shape(model.shape, diagonal_mm=diagonal))
        return analysis
    scale = length_to_mm(declared_units) if declared_units else 1.0
    if scale is None:
        raise brep.GeometryError(f"Unknown length unit '{declared_units}' for a mesh.")
    mesh = read_mesh(path, file_format=file_format, scale_to_mm=scale)
    analysis = Analysis(measures=measure_trimesh(mesh), products=[], units=declared_units or "mm")
    if with_preview:
        _with_preview(analysis, lambda: preview.from_mesh(mesh))
    return analysis


def _store_preview(design: DesignAsset, glb: bytes) -> str:
    """The GLB saved under a new name of the design's preview folder (the row is set by the caller)."""
    field_ = design.preview.field
    return field_.storage.save(field_.generate_filename(design, "preview.glb"), ContentFile(glb))


def _fail(ctx: WriteContext, design: DesignAsset, message: str) -> None:
    audited_update(
        ctx,
        design,
        values={
            "status": DesignStatus.FAILED,
            "status_reason": FAILED_REASON,
            "is_valid_geometry": False,
            "validation_errors": [message],
            "processed_at": timezone.now(),
        },
        action="PROCESS",
        roles=None,
    )


def design_process(*, design_id: Any, progress: Callable[[int, int, str], None]) -> dict[str, Any]:
    """Process the stored file of ``design_id``; the Job's result."""
    design = DesignAsset.objects.select_related("series").get(pk=design_id)
    ctx = WriteContext.system(organization_id=design.organization_id)
    progress(0, STEPS, "Reading the CAD file")
    if not design.file:
        _fail(ctx, design, "The design has no stored file.")
        raise ProcessingFailed(f"{FAILED_REASON}: the design has no stored file")
    path, cleanup = _local_path(design)
    try:
        progress(1, STEPS, "Extracting geometry")
        analysis = analyse(path, file_format=design.file_format, declared_units=design.units)
    except Exception as exc:
        message = str(exc) if isinstance(exc, brep.GeometryError) else f"The file could not be processed ({exc})."
        _fail(ctx, design, message)
        raise ProcessingFailed(f"{FAILED_REASON}: {message}") from None
    finally:
        cleanup()
    measures, products, units = analysis.measures, analysis.products, analysis.units
    progress(2, STEPS, "Computing mass properties")
    density = density_of(design.material)
    warnings = list(measures["warnings"])
    if design.material and density is None:
        warnings.append(f"Unknown material '{design.material}': no density, so no mass.")
    elif not design.material:
        warnings.append("No material given: no mass.")
    if analysis.preview_error:
        warnings.append(analysis.preview_error)
    values = {
        "status": DesignStatus.READY,
        "status_reason": "",
        "units": units or design.units,
        "is_valid_geometry": measures["is_valid"],
        "validation_errors": measures["errors"],
        "validation_warnings": warnings,
        "bounding_box": measures["bounding_box"],
        "volume_cubic_mm": measures["volume_cubic_mm"],
        "surface_area_sq_mm": measures["surface_area_sq_mm"],
        "center_of_mass": measures["center_of_mass"],
        "topology": measures["topology"],
        "mesh": measures.get("mesh", {}),
        "mass_kg": mass_kg(measures["volume_cubic_mm"], density),
        "processed_at": timezone.now(),
        "preview": "",
        "preview_info": {},
    }
    progress(3, STEPS, "Storing the web preview")
    old_preview = design.preview.name if design.preview else ""
    new_preview = ""
    if analysis.preview is not None:
        new_preview = _store_preview(design, analysis.preview.glb)
        values["preview"] = new_preview
        values["preview_info"] = analysis.preview.info()
    progress(4, STEPS, "Extracting the bill of materials")
    storage = design.preview.storage
    try:
        with transaction.atomic():
            nodes = bom_replace(ctx, design, products=products, density=density) if products else 0
            audited_update(ctx, design, values=values, action="PROCESS", roles=None)
    except BaseException:
        if new_preview:
            storage.delete(new_preview)
        raise
    if old_preview and old_preview != new_preview:
        transaction.on_commit(lambda: storage.delete(old_preview))
    progress(STEPS, STEPS, "Done")
    return {
        "design_id": str(design.pk),
        "geometry_extracted": True,
        "validation_passed": bool(measures["is_valid"]),
        "bom_items": nodes,
        "volume_cubic_mm": measures["volume_cubic_mm"],
        "mass_kg": values["mass_kg"],
        "preview_triangles": analysis.preview.triangles if analysis.preview else None,
    }
