"""The web preview: a GLB made by the processing Job (OpenCASCADE tessellation for STEP/IGES, the mesh
for STL/OBJ), in millimetres, bounded in triangles, served to whoever may open the design."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh

from custos.audit.models import AuditLog
from custos.modules.plm.cad import preview, samples
from custos.modules.plm.models import DesignAsset
from custos.modules.plm.tests import cad_fixtures as fx
from custos.modules.plm.tests.conftest import attach_preview, attest, make_design, make_series

pytestmark = pytest.mark.django_db


def glb_bounds(content: bytes) -> np.ndarray:
    scene = trimesh.load(io.BytesIO(content), file_type="glb")
    return np.asarray(scene.bounds)


def design_bounds(design: DesignAsset) -> np.ndarray:
    box = design.bounding_box
    assert box is not None
    return np.array([[box["min"][k] for k in "xyz"], [box["max"][k] for k in "xyz"]])


def fetch(client, design: DesignAsset) -> bytes:
    response = client.get(f"/api/designs/{design.pk}/preview/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "model/gltf-binary"
    return b"".join(response.streaming_content)


def test_a_step_box_gets_a_glb_preview_with_the_designs_bounding_box(processed, client_for, alice):
    design = processed("box.step")
    assert design.preview.name.endswith(".glb") and design.preview_info["method"] == "tessellation"
    assert design.preview_info["units"] == "mm" and design.preview_info["triangles"] == 12  # 6 faces x 2
    client = client_for(alice)
    body = client.get(f"/api/designs/{design.pk}/").json()
    assert body["preview_url"] == f"http://testserver/api/designs/{design.pk}/preview/"
    assert body["preview"]["triangles"] == 12
    content = fetch(client, design)
    assert np.allclose(glb_bounds(content), [[0, 0, 0], [100, 50, 25]], atol=1e-6)
    assert np.allclose(glb_bounds(content), design_bounds(design), atol=1e-6)
    mesh = trimesh.load(io.BytesIO(content), file_type="glb", force="mesh")
    assert len(mesh.faces) == 12
    assert mesh.volume == pytest.approx(125000.0, rel=1e-9)  # outward faces: reversed faces were flipped
    row = AuditLog.objects.filter(action="PREVIEW").latest("sequence")
    assert (row.resource_id, row.actor_id) == (str(design.pk), str(alice.pk))


def test_the_same_box_in_inches_previews_in_millimetres(processed, tmp_path):
    design = processed("inch.step", fx.step_bytes(fx.box_shape(), tmp_path / "inch.step", unit="INCH"))
    with design.preview.open("rb") as stored:
        assert np.allclose(glb_bounds(stored.read()), [[0, 0, 0], [100, 50, 25]], atol=1e-6)


def test_an_assembly_preview_places_every_instance(processed):
    design = processed("bracket.step", samples.bolted_bracket_step(columns=3, rows=2))
    with design.preview.open("rb") as stored:
        content = stored.read()
    deflection = design.preview_info["deflection_mm"]
    # the round bolt heads are chords of their circles: within the tessellation's deflection
    assert np.allclose(glb_bounds(content), design_bounds(design), atol=deflection)
    width, depth = samples.plate_size(3, 2)
    assert np.allclose(design_bounds(design), [[0, 0, -20], [width, depth + 60, 60]], atol=1e-6)
    scene = trimesh.load(io.BytesIO(content), file_type="glb", force="mesh")
    # 6 bolts: a bolt's triangles appear once per instance
    bolt = preview.from_shape(samples.bolt_shape(), diagonal_mm=_diagonal(design))
    assert len(scene.faces) >= 6 * bolt.triangles


def _diagonal(design: DesignAsset) -> float:
    low, high = design_bounds(design)
    return float(np.linalg.norm(high - low))


def test_an_iges_file_is_previewed(processed, tmp_path):
    design = processed("box.igs", fx.iges_bytes(fx.box_shape(), tmp_path / "box.igs"))
    with design.preview.open("rb") as stored:
        assert np.allclose(glb_bounds(stored.read()), [[0, 0, 0], [100, 50, 25]], atol=1e-6)


@pytest.mark.parametrize(("filename", "units", "scale"), [("box.stl", "", 1.0), ("box_in.stl", "inch", 25.4)])
def test_a_mesh_is_its_own_preview_in_millimetres(processed, filename, units, scale):
    design = processed(filename, fx.stl_box_bytes(), **({"units": units} if units else {}))
    assert design.preview_info["method"] == "mesh" and design.preview_info["triangles"] == 12
    with design.preview.open("rb") as stored:
        bounds = glb_bounds(stored.read())
    assert np.allclose(bounds, np.array([[0, 0, 0], [100, 50, 25]]) * scale, atol=1e-6)
    assert np.allclose(bounds, design_bounds(design), atol=1e-6)


def test_a_huge_mesh_is_decimated_below_the_bound():
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=50)  # 20480 triangles
    made = preview.from_mesh(sphere, max_triangles=2000)
    assert made.source_triangles == 20480 and made.triangles <= 2000 and made.method == "mesh+clustering"
    bounds = glb_bounds(made.glb)
    # clustering averages vertices of one cell: the extent shrinks by less than a cell
    cell = 100.0 / int(np.sqrt(2000 / 2))
    assert np.all(np.abs(bounds - sphere.bounds) <= cell)


def test_a_fine_brep_is_tessellated_again_more_coarsely():
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeSphere

    sphere = BRepPrimAPI_MakeSphere(50.0).Shape()
    fine = preview.from_shape(sphere, diagonal_mm=173.2)
    coarse = preview.from_shape(BRepPrimAPI_MakeSphere(50.0).Shape(), diagonal_mm=173.2, max_triangles=200)
    assert fine.triangles > 200 and fine.method == "tessellation"
    assert coarse.triangles <= 200 and coarse.deflection_mm > fine.deflection_mm


def test_clustering_keeps_a_small_mesh_untouched_and_drops_collapsed_triangles():
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [10, 10, 10], [10.001, 10, 10], [10, 10.001, 10]], float)
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    _, same_faces = preview.cluster(vertices, faces, max_triangles=2)
    assert same_faces.tolist() == faces.tolist()
    merged_vertices, merged_faces = preview.cluster(vertices, faces, max_triangles=1)
    assert len(merged_faces) <= 1 and len(merged_vertices) == len(np.unique(merged_faces))


def test_export_control_applies_to_the_preview(client_for, amir, org_a, alice):
    attest(amir, org_a, us_person=False, clearance="SECRET")
    series = make_series(org_a, alice)
    itar = attach_preview(make_design(series, alice, classification="ITAR", itar_controlled=True))
    top = attach_preview(make_design(series, alice, classification="TOP_SECRET"))
    secret = attach_preview(make_design(series, alice, classification="SECRET"))
    client = client_for(amir)
    for design, message in [
        (itar, "Access denied: ITAR-controlled designs require US person status."),
        (top, "Access denied: this design requires TOP_SECRET clearance."),
    ]:
        before = AuditLog.objects.filter(action="ITAR_VIOLATION").count()
        response = client.get(f"/api/designs/{design.pk}/preview/")
        assert response.status_code == 403
        assert (response.json()["code"], response.json()["detail"]) == ("ITAR_VIOLATION", message)
        assert AuditLog.objects.filter(action="ITAR_VIOLATION").count() == before + 1
        assert not AuditLog.objects.filter(action="PREVIEW", resource_id=str(design.pk)).exists()
    assert np.allclose(glb_bounds(fetch(client, secret)), [[-5, -5, -5], [5, 5, 5]])


def test_another_organizations_preview_is_404(client_for, amir, org_b, bob):
    design = attach_preview(make_design(make_series(org_b, bob), bob))
    response = client_for(amir).get(f"/api/designs/{design.pk}/preview/")
    assert response.status_code == 404
    assert not AuditLog.objects.filter(action="PREVIEW").exists()


def test_a_design_without_a_preview_answers_404_and_shows_no_url(client_for, alice, series_a):
    design = make_design(series_a, alice, status="UPLOADING")
    client = client_for(alice)
    assert client.get(f"/api/designs/{design.pk}/").json()["preview_url"] is None
    response = client.get(f"/api/designs/{design.pk}/preview/")
    assert response.status_code == 404 and response.json()["code"] == "PREVIEW_NOT_AVAILABLE"
    assert not AuditLog.objects.filter(action="PREVIEW").exists()


def test_a_failed_processing_leaves_no_preview(processed, jobs_fail_quietly):
    design = processed(
        "bad.step", b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=NONSENSE();\nENDSEC;\nEND-ISO-10303-21;\n"
    )
    assert design.status == "FAILED" and not design.preview


def test_deleting_a_design_deletes_its_preview(processed, client_for, alice, django_capture_on_commit_callbacks):
    design = processed("box.step")
    storage, name = design.preview.storage, design.preview.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(alice).delete(f"/api/designs/{design.pk}/").status_code == 204
    assert not storage.exists(name)
