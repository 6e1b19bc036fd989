"""The web preview of a design: one triangle mesh in millimetres written as binary glTF (``.glb``).

STEP and IGES shapes are tessellated by OpenCASCADE (``BRepMesh_IncrementalMesh``) with a linear
deflection proportional to the model's size (``RELATIVE_DEFLECTION`` of the bounding-box diagonal)
and an angular deflection of ``ANGULAR_DEFLECTION`` radians; STL and OBJ meshes are used as read.
The GLB itself is written by trimesh (``trimesh.exchange.gltf``).

The triangle count is bounded by ``MAX_TRIANGLES``: a B-rep is tessellated again with a deflection
``COARSEN`` times coarser (at most ``RETRIES`` times), and whatever is still above the bound (and
every mesh above it) is decimated by vertex clustering on a regular grid, whose cell is chosen so
that the result fits. The coordinates stay in millimetres, the unit of every other figure of the
design (glTF nominally means metres: a viewer scales by 0.001 when it mixes the preview with
real-world scenes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_TRIANGLES = 250_000
RELATIVE_DEFLECTION = 1e-3
MIN_DEFLECTION_MM = 1e-3
ANGULAR_DEFLECTION = 0.5
COARSEN = 4.0
RETRIES = 3


@dataclass(frozen=True)
class Preview:
    """The GLB bytes and how they were made."""

    glb: bytes
    triangles: int
    source_triangles: int
    method: str  # "tessellation", "mesh" or "...+clustering"
    deflection_mm: float | None = None

    def info(self) -> dict[str, Any]:
        return {
            "triangles": self.triangles,
            "source_triangles": self.source_triangles,
            "method": self.method,
            "deflection_mm": self.deflection_mm,
            "size_bytes": len(self.glb),
            "units": "mm",
        }


def _glb(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    import trimesh

    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    exported = mesh.export(file_type="glb")
    assert isinstance(exported, bytes)
    return exported


def cluster(vertices: np.ndarray, faces: np.ndarray, *, max_triangles: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering: vertices in one cell of a regular grid become their mean, collapsed
    triangles and duplicates go. The cell shrinks the grid until at most ``max_triangles`` remain."""
    if len(faces) <= max_triangles:
        return vertices, faces
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    extent = np.maximum(high - low, 1e-9)
    # A closed surface of n triangles spans about sqrt(n / 2) cells a side; start there and halve.
    cells = max(2, int(np.sqrt(max_triangles / 2.0)))
    while True:
        size = extent / cells
        keys = np.floor((vertices - low) / size).astype(np.int64)
        np.clip(keys, 0, cells - 1, out=keys)
        # one integer per cell (cells**3 < 2**63 for any grid used here): a 1-D unique is fast
        flat = (keys[:, 0] * cells + keys[:, 1]) * cells + keys[:, 2]
        _, inverse = np.unique(flat, return_inverse=True)
        inverse = inverse.reshape(-1)
        count = int(inverse.max()) + 1
        weights = np.bincount(inverse, minlength=count).astype(float)
        merged_vertices = (
            np.stack([np.bincount(inverse, weights=vertices[:, axis], minlength=count) for axis in range(3)], axis=1)
            / weights[:, None]
        )
        merged = inverse[faces]
        keep = (merged[:, 0] != merged[:, 1]) & (merged[:, 1] != merged[:, 2]) & (merged[:, 0] != merged[:, 2])
        merged = merged[keep]
        if len(merged):
            ordered = np.sort(merged, axis=1)
            if count < 2_000_000:  # count**3 fits in an int64
                code = (ordered[:, 0] * count + ordered[:, 1]) * count + ordered[:, 2]
                _, first = np.unique(code, return_index=True)
            else:
                _, first = np.unique(ordered, axis=0, return_index=True)
            merged = merged[np.sort(first)]
        if len(merged) <= max_triangles or cells <= 2:
            used = np.unique(merged)
            remap = np.full(count, -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            return merged_vertices[used], remap[merged]
        cells = max(2, int(cells / 1.5))


def _bounded(vertices: np.ndarray, faces: np.ndarray, method: str, *, max_triangles: int) -> tuple[Any, Any, str]:
    if len(faces) <= max_triangles:
        return vertices, faces, method
    vertices, faces = cluster(vertices, faces, max_triangles=max_triangles)
    return vertices, faces, f"{method}+clustering"


def from_mesh(mesh: Any, *, max_triangles: int = MAX_TRIANGLES) -> Preview:
    """The preview of a trimesh mesh (already in millimetres)."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    source = len(faces)
    vertices, faces, method = _bounded(vertices, faces, "mesh", max_triangles=max_triangles)
    return Preview(glb=_glb(vertices, faces), triangles=len(faces), source_triangles=source, method=method)


def _triangulation(shape: Any) -> tuple[np.ndarray, np.ndarray]:
    """The triangles OpenCASCADE stored on the faces of ``shape``, placed (face locations applied)."""
    from OCP.BRep import BRep_Tool
    from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    vertex_blocks: list[np.ndarray] = []
    face_blocks: list[np.ndarray] = []
    offset = 0
    # One triangulation is shared by every instance of a face: read its arrays once, place them per use.
    # (the triangulation object is kept in the entry so that its id cannot be reused meanwhile).
    cache: dict[int, tuple[Any, np.ndarray, np.ndarray]] = {}
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face(explorer.Current())
        explorer.Next()
        location = TopLoc_Location()
        triangulation = BRep_Tool.Triangulation_s(face, location)
        if triangulation is None:
            continue
        entry = cache.get(id(triangulation))
        if entry is None:
            nodes = np.array(
                [triangulation.Node(i).Coord() for i in range(1, triangulation.NbNodes() + 1)], dtype=np.float64
            )
            triangles = np.array(
                [triangulation.Triangle(i).Get() for i in range(1, triangulation.NbTriangles() + 1)], dtype=np.int64
            )
            entry = (triangulation, nodes, triangles - 1)
            cache[id(triangulation)] = entry
        _, nodes, triangles = entry
        if len(triangles) == 0:
            continue
        if not location.IsIdentity():
            matrix = location.Transformation()
            rotation = np.array([[matrix.Value(r, c) for c in range(1, 4)] for r in range(1, 4)])
            translation = np.array([matrix.Value(r, 4) for r in range(1, 4)])
            nodes = nodes @ rotation.T + translation
        if face.Orientation() == TopAbs_REVERSED:
            triangles = triangles[:, ::-1]
        vertex_blocks.append(nodes)
        face_blocks.append(triangles + offset)
        offset += len(nodes)
    if not face_blocks:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(vertex_blocks), np.concatenate(face_blocks)


def _triangle_count(shape: Any) -> int:
    """The triangles OpenCASCADE stored on the faces of ``shape``, each placed face counted."""
    from OCP.BRep import BRep_Tool
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    total = 0
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        triangulation = BRep_Tool.Triangulation_s(TopoDS.Face(explorer.Current()), TopLoc_Location())
        explorer.Next()
        if triangulation is not None:
            total += triangulation.NbTriangles()
    return total


def from_shape(shape: Any, *, diagonal_mm: float, max_triangles: int = MAX_TRIANGLES) -> Preview:
    """The preview of an OpenCASCADE shape (millimetres) whose bounding box has ``diagonal_mm``."""
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.BRepTools import BRepTools

    deflection = max(diagonal_mm * RELATIVE_DEFLECTION, MIN_DEFLECTION_MM)
    angular = ANGULAR_DEFLECTION
    for attempt in range(RETRIES + 1):
        if attempt:
            BRepTools.Clean_s(shape)  # drop the finer triangulation, else OpenCASCADE keeps it
            deflection *= COARSEN
            angular = min(angular * 1.5, 1.0)
        BRepMesh_IncrementalMesh(shape, deflection, False, angular, False)
        # counted before anything is copied out: a too-fine mesh is never materialised
        if attempt == RETRIES or _triangle_count(shape) <= max_triangles:
            break
    vertices, faces = _triangulation(shape)
    if len(faces) == 0:
        raise ValueError("OpenCASCADE produced no triangles for this shape.")
    source = len(faces)
    vertices, faces, method = _bounded(vertices, faces, "tessellation", max_triangles=max_triangles)
    return Preview(
        glb=_glb(vertices, faces),
        triangles=len(faces),
        source_triangles=source,
        method=method,
        deflection_mm=deflection,
    )
