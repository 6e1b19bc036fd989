"""STEP assemblies generated with OpenCASCADE for the demo and the benchmark (nothing is checked in).

``bolted_bracket_step``: ``BRACKET-ASM`` = one ``BASE-PLATE``, one ``L-BRACKET`` and a grid of
``BOLT-M8`` instances (a hexagon-less bolt: a 13 mm head and an 8 mm shank, fused into one solid),
each instance a placement of the one bolt definition, so the file holds the bolt's geometry once.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from OCP.BRepAlgoAPI import BRepAlgoAPI_Fuse
from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt, gp_Trsf, gp_Vec
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_AsIs
from OCP.TCollection import TCollection_ExtendedString
from OCP.TDataStd import TDataStd_Name
from OCP.TDocStd import TDocStd_Document
from OCP.TopLoc import TopLoc_Location
from OCP.XCAFDoc import XCAFDoc_DocumentTool

import custos.modules.plm.cad.brep  # noqa: F401 - silences OpenCASCADE's transfer statistics

PITCH_MM = 20.0
MARGIN_MM = 15.0
PLATE_THICKNESS_MM = 10.0


def _location(x: float, y: float, z: float) -> TopLoc_Location:
    move = gp_Trsf()
    move.SetTranslation(gp_Vec(x, y, z))
    return TopLoc_Location(move)


def _named(label: Any, name: str) -> Any:
    TDataStd_Name.Set_s(label, TCollection_ExtendedString(name))
    return label


def bolt_shape() -> Any:
    """An M8 x 30 bolt standing on z = 0: a dia. 13 x 5.5 head on top of a dia. 8 x 30 shank (mm)."""
    shank = BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(0, 0, -30), gp_Dir(0, 0, 1)), 4.0, 30.0).Shape()
    head = BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), 6.5, 5.5).Shape()
    return BRepAlgoAPI_Fuse(shank, head).Shape()


def bracket_shape(width: float) -> Any:
    """An L-shaped angle bracket ``width`` long: a 60 x 8 foot and a 8 x 60 web, fused."""
    foot = BRepPrimAPI_MakeBox(width, 60.0, 8.0).Shape()
    web = BRepPrimAPI_MakeBox(gp_Pnt(0, 0, 8.0), width, 8.0, 52.0).Shape()
    return BRepAlgoAPI_Fuse(foot, web).Shape()


def plate_size(columns: int, rows: int) -> tuple[float, float]:
    return 2 * MARGIN_MM + PITCH_MM * (columns - 1), 2 * MARGIN_MM + PITCH_MM * (rows - 1)


def bolted_bracket_document(*, columns: int, rows: int) -> Any:
    """The XCAF document of the assembly: ``columns`` x ``rows`` bolts on the plate."""
    document = TDocStd_Document(TCollection_ExtendedString("MDTV-XCAF"))
    tool = XCAFDoc_DocumentTool.ShapeTool_s(document.Main())
    width, depth = plate_size(columns, rows)
    plate = _named(tool.AddShape(BRepPrimAPI_MakeBox(width, depth, PLATE_THICKNESS_MM).Shape(), False), "BASE-PLATE")
    bracket = _named(tool.AddShape(bracket_shape(min(width, 80.0)), False), "L-BRACKET")
    bolt = _named(tool.AddShape(bolt_shape(), False), "BOLT-M8")
    top = _named(tool.NewShape(), "BRACKET-ASM")
    tool.AddComponent(top, plate, _location(0, 0, 0))
    tool.AddComponent(top, bracket, _location(0, depth, 0))  # standing behind the plate
    for column in range(columns):
        for row in range(rows):
            x, y = MARGIN_MM + PITCH_MM * column, MARGIN_MM + PITCH_MM * row
            tool.AddComponent(top, bolt, _location(x, y, PLATE_THICKNESS_MM))
    tool.UpdateAssemblies()
    return document


def bolted_bracket_step(*, columns: int = 4, rows: int = 2) -> bytes:
    """The STEP (AP214, millimetres) bytes of the bolted bracket assembly."""
    document = bolted_bracket_document(columns=columns, rows=rows)
    writer = STEPCAFControl_Writer()
    writer.Transfer(document, STEPControl_AsIs)
    handle, path = tempfile.mkstemp(suffix=".step", prefix="custos-sample-")
    os.close(handle)
    try:
        if not writer.Write(path):
            raise RuntimeError("OpenCASCADE could not write the sample STEP file.")
        with open(path, "rb") as source:
            return source.read()
    finally:
        os.unlink(path)
