"""CAD files generated with OpenCASCADE for the tests (and the bench): nothing is checked in."""

from __future__ import annotations

import struct
from pathlib import Path

from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
from OCP.gp import gp_Trsf, gp_Vec
from OCP.IGESControl import IGESControl_Writer
from OCP.Interface import Interface_Static
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
from OCP.TCollection import TCollection_ExtendedString
from OCP.TDataStd import TDataStd_Name
from OCP.TDocStd import TDocStd_Document
from OCP.TopLoc import TopLoc_Location
from OCP.XCAFDoc import XCAFDoc_DocumentTool

import custos.modules.plm.cad.brep  # noqa: F401 - silences OpenCASCADE's transfer statistics

BOX_MM = (100.0, 50.0, 25.0)


def box_shape(dx: float = 100.0, dy: float = 50.0, dz: float = 25.0):
    return BRepPrimAPI_MakeBox(dx, dy, dz).Shape()


def step_bytes(shape, path: Path, *, unit: str = "MM") -> bytes:
    """``shape`` (modelled in mm) written as STEP in ``unit`` (``MM`` or ``INCH``)."""
    writer = STEPControl_Writer()
    Interface_Static.SetCVal_s("write.step.unit", unit)
    try:
        writer.Transfer(shape, STEPControl_AsIs)
        assert writer.Write(str(path)) == 1 or path.exists()
    finally:
        Interface_Static.SetCVal_s("write.step.unit", "MM")
    return path.read_bytes()


def iges_bytes(shape, path: Path, *, unit: str = "MM") -> bytes:
    writer = IGESControl_Writer(unit, 1)  # 1: B-rep solids
    writer.AddShape(shape)
    writer.ComputeModel()
    assert writer.Write(str(path))
    return path.read_bytes()


def _location(x: float, y: float, z: float) -> TopLoc_Location:
    move = gp_Trsf()
    move.SetTranslation(gp_Vec(x, y, z))
    return TopLoc_Location(move)


def _named(label, name: str):
    TDataStd_Name.Set_s(label, TCollection_ExtendedString(name))
    return label


def assembly_step_bytes(path: Path, *, sub_assemblies: int = 2, bolts_per_sub: int = 3, top_bolts: int = 0) -> bytes:
    """``TOP-ASM``: one ``BASE-PLATE`` (100 x 50 x 5), ``sub_assemblies`` x ``BRACKET-ASM`` (each one
    ``BRACKET`` 20 x 10 x 10 and ``bolts_per_sub`` x ``BOLT-M4`` r2 h10), ``top_bolts`` x ``BOLT-M4``."""
    document = TDocStd_Document(TCollection_ExtendedString("MDTV-XCAF"))
    tool = XCAFDoc_DocumentTool.ShapeTool_s(document.Main())
    plate = _named(tool.AddShape(box_shape(100, 50, 5), False), "BASE-PLATE")
    bracket = _named(tool.AddShape(box_shape(20, 10, 10), False), "BRACKET")
    bolt = _named(tool.AddShape(BRepPrimAPI_MakeCylinder(2, 10).Shape(), False), "BOLT-M4")
    sub = _named(tool.NewShape(), "BRACKET-ASM")
    tool.AddComponent(sub, bracket, _location(0, 0, 0))
    for index in range(bolts_per_sub):
        tool.AddComponent(sub, bolt, _location(4 + 6 * index, 5, 10))
    top = _named(tool.NewShape(), "TOP-ASM")
    tool.AddComponent(top, plate, _location(0, 0, 0))
    for index in range(sub_assemblies):
        tool.AddComponent(top, sub, _location(25 * index, 0, 5))
    for index in range(top_bolts):
        tool.AddComponent(top, bolt, _location(5 + 3 * index, 45, 5))
    tool.UpdateAssemblies()
    writer = STEPCAFControl_Writer()
    writer.Transfer(document, STEPControl_AsIs)
    assert writer.Write(str(path))
    return path.read_bytes()


def stl_box_bytes(dx: float = 100.0, dy: float = 50.0, dz: float = 25.0, *, binary: bool = True) -> bytes:
    import trimesh

    mesh = trimesh.creation.box(extents=(dx, dy, dz))
    mesh.apply_translation((dx / 2, dy / 2, dz / 2))
    exported = mesh.export(file_type="stl" if binary else "stl_ascii")
    return exported.encode() if isinstance(exported, str) else exported


def open_stl_bytes() -> bytes:
    """A single triangle: a valid binary STL that is not watertight."""
    header = b"custos open mesh".ljust(80, b" ")
    triangle = struct.pack("<12fH", 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0)
    return header + struct.pack("<I", 1) + triangle


def obj_box_bytes() -> bytes:
    import trimesh

    mesh = trimesh.creation.box(extents=(10, 10, 10))
    return mesh.export(file_type="obj").encode()


def sphere_stl_bytes(subdivisions: int) -> bytes:
    import trimesh

    return trimesh.creation.icosphere(subdivisions=subdivisions, radius=50).export(file_type="stl")
