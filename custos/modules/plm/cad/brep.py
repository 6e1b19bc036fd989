"""STEP and IGES through OpenCASCADE (OCP): the shape in millimetres, its mass properties, topology,
validity and, for STEP, the assembly tree with real product names (XCAF).

OpenCASCADE converts lengths to its session unit, millimetres, when it reads a file, so a part
written in inches measures the same here as one written in millimetres; the file's own unit is
reported as ``units``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeMap
from OCP.collections import Sequence_TCollection_AsciiString as AsciiSequence
from OCP.collections import Sequence_TDF_Label as LabelSequence
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.IGESControl import IGESControl_Reader
from OCP.Message import Message, Message_Gravity
from OCP.STEPCAFControl import STEPCAFControl_Reader
from OCP.TCollection import TCollection_ExtendedString
from OCP.TDataStd import TDataStd_Name
from OCP.TDF import TDF_Label
from OCP.TDocStd import TDocStd_Document
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID, TopAbs_VERTEX
from OCP.TopExp import TopExp
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS_Shape
from OCP.XCAFDoc import XCAFDoc_DocumentTool, XCAFDoc_ShapeTool

TOPOLOGY = (
    ("solids", TopAbs_SOLID),
    ("shells", TopAbs_SHELL),
    ("faces", TopAbs_FACE),
    ("edges", TopAbs_EDGE),
    ("vertices", TopAbs_VERTEX),
)
Progress = Callable[[str], None]


class GeometryError(Exception):
    """The file could not be read as geometry."""


def quiet() -> None:
    """Keep OpenCASCADE's transfer statistics off standard output (failures still print)."""
    for printer in list(Message.DefaultMessenger_s().Printers()):
        printer.SetTraceLevel(Message_Gravity.Message_Fail)


quiet()


@dataclass
class Product:
    """A part or assembly definition of a STEP file and how often its parent uses it."""

    name: str
    is_assembly: bool
    quantity: int = 1
    volume_mm3: float | None = None
    children: list[Product] = field(default_factory=list)


@dataclass
class Model:
    shape: TopoDS_Shape
    units: str
    products: list[Product] = field(default_factory=list)
    # STEP: each part definition (its shape, unplaced) and where each of its instances is placed
    parts: list[tuple[TopoDS_Shape, list[TopLoc_Location]]] = field(default_factory=list)


def _ok(status: Any) -> bool:
    return status == IFSelect_ReturnStatus.IFSelect_RetDone


def _name(label: TDF_Label) -> str:
    attribute = TDataStd_Name()
    if label.FindAttribute(TDataStd_Name.GetID_s(), attribute):
        return attribute.Get().ToExtString()
    return ""


def _sequence(sequence: Any) -> list[Any]:
    return [sequence.Value(index) for index in range(1, sequence.Length() + 1)]


def _volume(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return abs(props.Mass())


class _Assembly:
    """Walks an XCAF document: one ``Product`` per definition under each parent, instances counted."""

    def __init__(self) -> None:
        self.volumes: dict[int, float] = {}

    def volume(self, label: TDF_Label) -> float:
        key = label.Tag()
        if key not in self.volumes:
            self.volumes[key] = _volume(XCAFDoc_ShapeTool.GetShape_s(label))
        return self.volumes[key]

    def product(self, label: TDF_Label, depth: int = 0) -> Product:
        if depth > 60:
            raise GeometryError("The assembly is nested more than 60 levels deep.")
        name = _name(label) or f"Part {label.Tag()}"
        if not XCAFDoc_ShapeTool.IsAssembly_s(label):
            return Product(name=name, is_assembly=False, volume_mm3=self.volume(label))
        components = LabelSequence()
        XCAFDoc_ShapeTool.GetComponents_s(label, components, False)
        grouped: dict[int, list[TDF_Label]] = {}
        for component in _sequence(components):
            referred = TDF_Label()
            if XCAFDoc_ShapeTool.GetReferredShape_s(component, referred):
                grouped.setdefault(referred.Tag(), []).append(referred)
        children = []
        for instances in grouped.values():
            child = self.product(instances[0], depth + 1)
            child.quantity = len(instances)
            children.append(child)
        volume = sum((child.volume_mm3 or 0.0) * child.quantity for child in children)
        return Product(name=name, is_assembly=True, volume_mm3=volume, children=children)


def _instances(
    label: TDF_Label, location: TopLoc_Location, found: dict[int, tuple[TDF_Label, list[TopLoc_Location]]], depth: int
) -> None:
    """Every part definition under ``label`` with the placement of each of its instances."""
    if depth > 60:
        raise GeometryError("The assembly is nested more than 60 levels deep.")
    if not XCAFDoc_ShapeTool.IsAssembly_s(label):
        found.setdefault(label.Tag(), (label, []))[1].append(location)
        return
    components = LabelSequence()
    XCAFDoc_ShapeTool.GetComponents_s(label, components, False)
    for component in _sequence(components):
        referred = TDF_Label()
        if XCAFDoc_ShapeTool.GetReferredShape_s(component, referred):
            placed = location.Multiplied(XCAFDoc_ShapeTool.GetLocation_s(component))
            _instances(referred, placed, found, depth + 1)


def _file_units(reader: Any) -> str:
    lengths, angles, solid_angles = AsciiSequence(), AsciiSequence(), AsciiSequence()
    try:
        reader.FileUnits(lengths, angles, solid_angles)
    except Exception:
        return ""
    names = [value.ToCString() for value in _sequence(lengths)]
    return names[0].lower() if names else ""


def read_step(path: str) -> Model:
    """A STEP file: its shape (every instance placed), its unit and its product tree."""
    reader = STEPCAFControl_Reader()
    reader.SetNameMode(True)
    if not _ok(reader.ReadFile(path)):
        raise GeometryError("The STEP file could not be read.")
    document = TDocStd_Document(TCollection_ExtendedString("MDTV-XCAF"))
    if not reader.Transfer(document):
        raise GeometryError("The STEP file holds no transferable geometry.")
    tool = XCAFDoc_DocumentTool.ShapeTool_s(document.Main())
    free = LabelSequence()
    tool.GetFreeShapes(free)
    roots = _sequence(free)
    if not roots:
        raise GeometryError("The STEP file holds no shapes.")
    walker = _Assembly()
    products = [walker.product(label) for label in roots]
    shape = XCAFDoc_ShapeTool.GetShape_s(roots[0]) if len(roots) == 1 else tool.GetOneShape()
    found: dict[int, tuple[TDF_Label, list[TopLoc_Location]]] = {}
    for root in roots:
        # a part's shape carries its own location; an assembly's places the components under it
        own = XCAFDoc_ShapeTool.GetShape_s(root).Location()
        _instances(root, own if XCAFDoc_ShapeTool.IsAssembly_s(root) else TopLoc_Location(), found, 0)
    parts = [(XCAFDoc_ShapeTool.GetShape_s(label), places) for label, places in found.values()]
    return Model(shape=shape, units=_file_units(reader.ChangeReader()), products=products, parts=parts)


def read_iges(path: str) -> Model:
    reader = IGESControl_Reader()
    if not _ok(reader.ReadFile(path)):
        raise GeometryError("The IGES file could not be read.")
    if reader.TransferRoots() == 0:
        raise GeometryError("The IGES file holds no transferable geometry.")
    units = ""
    try:
        units = reader.IGESModel().GlobalSection().UnitName().ToCString().lower()
    except Exception:
        units = ""
    return Model(shape=reader.OneShape(), units=units)


def _point(x: float, y: float, z: float) -> dict[str, float]:
    return {"x": x, "y": y, "z": z}


def _topology(shape: TopoDS_Shape) -> dict[str, int]:
    topology = {}
    for name, kind in TOPOLOGY:
        found = ShapeMap()
        TopExp.MapShapes_s(shape, kind, found)
        topology[name] = found.Extent()
    return topology


def _bounding_box(shape: TopoDS_Shape) -> dict[str, Any]:
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    low, high = box.CornerMin(), box.CornerMax()
    return {"min": _point(low.X(), low.Y(), low.Z()), "max": _point(high.X(), high.Y(), high.Z())}


def _result(
    *, volume: float | None, area: float, centre: Any, box: dict[str, Any], topology: dict[str, int], valid: bool
) -> dict[str, Any]:
    warnings: list[str] = []
    errors: list[str] = []
    if topology["faces"] == 0 and topology["edges"] == 0:
        raise GeometryError("The file holds no surfaces or edges.")
    if volume is None:
        warnings.append("No solid bodies: the volume and mass are not defined.")
    if not valid:
        errors.append("The shape is not valid (BRepCheck found faulty topology or geometry).")
    return {
        "volume_cubic_mm": volume,
        "surface_area_sq_mm": area,
        "center_of_mass": _point(*centre),
        "bounding_box": box,
        "topology": topology,
        "is_valid": valid,
        "errors": errors,
        "warnings": warnings,
    }


def measure(shape: TopoDS_Shape) -> dict[str, Any]:
    """Mass properties (mm), bounding box, de-duplicated topology counts and validity of ``shape``."""
    if shape is None or shape.IsNull():
        raise GeometryError("The file holds no geometry.")
    topology = _topology(shape)
    if topology["faces"] == 0 and topology["edges"] == 0:
        raise GeometryError("The file holds no surfaces or edges.")
    volume_props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, volume_props)
    surface_props = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, surface_props)
    volume: float | None = abs(volume_props.Mass())
    centre = volume_props.CentreOfMass()
    if topology["solids"] == 0:
        volume = None
        centre = surface_props.CentreOfMass()
    return _result(
        volume=volume,
        area=surface_props.Mass(),
        centre=(centre.X(), centre.Y(), centre.Z()),
        box=_bounding_box(shape),
        topology=topology,
        valid=bool(BRepCheck_Analyzer(shape).IsValid()),
    )


def measure_model(model: Model) -> dict[str, Any]:
    """``measure`` of a STEP model, each part definition measured once and counted per instance.

    A placement is a rigid motion, so an instance has its definition's volume, area, topology counts
    and validity, and its centre of mass is the definition's centre moved by the placement; the
    bounding box is taken on the placed shape. A part without solids sends the whole model through
    ``measure`` (a surface model's centre is the area-weighted one)."""
    if len(model.parts) == 0 or model.shape is None or model.shape.IsNull():
        return measure(model.shape)
    volume = area = 0.0
    moment = [0.0, 0.0, 0.0]
    totals = {name: 0 for name, _ in TOPOLOGY}
    valid = True
    for shape, places in model.parts:
        if shape.IsNull():
            continue
        counts = _topology(shape)
        if counts["solids"] == 0:
            return measure(model.shape)
        volume_props, surface_props = GProp_GProps(), GProp_GProps()
        BRepGProp.VolumeProperties_s(shape, volume_props)
        BRepGProp.SurfaceProperties_s(shape, surface_props)
        part_volume = abs(volume_props.Mass())
        centre = volume_props.CentreOfMass()
        for place in places:
            moved = centre.Transformed(place.Transformation())
            moment[0] += part_volume * moved.X()
            moment[1] += part_volume * moved.Y()
            moment[2] += part_volume * moved.Z()
        volume += part_volume * len(places)
        area += surface_props.Mass() * len(places)
        for name in totals:
            totals[name] += counts[name] * len(places)
        valid = valid and bool(BRepCheck_Analyzer(shape).IsValid())
    if volume <= 0.0:
        return measure(model.shape)
    return _result(
        volume=volume,
        area=area,
        centre=(moment[0] / volume, moment[1] / volume, moment[2] / volume),
        box=_bounding_box(model.shape),
        topology=totals,
        valid=valid,
    )
