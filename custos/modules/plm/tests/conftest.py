"""Fixtures of the PLM suites: series, designs (processed through the real upload and Job), attestations."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from custos.modules.plm.choices import DesignStatus
from custos.modules.plm.models import DesignAsset, DesignSeries
from custos.modules.plm.tests import cad_fixtures as fx
from custos.orgs.models import Membership


def attest(user: Any, organization: Any, *, us_person: bool = False, clearance: str = "UNCLASSIFIED") -> None:
    """What ``organization`` attests on ``user``'s membership (as its OWNER/ADMIN would set it)."""
    updated = Membership.objects.filter(user=user, organization=organization).update(
        is_us_person=us_person, security_clearance_level=clearance
    )
    assert updated == 1


def make_series(organization: Any, user: Any = None, **values: Any) -> DesignSeries:
    values.setdefault("part_number", f"PN-{DesignSeries.objects.count() + 1:03d}")
    values.setdefault("name", "Bracket")
    return DesignSeries.objects.create(organization=organization, created_by=user, **values)


def make_design(series: DesignSeries, user: Any = None, *, content: bytes = b"", **values: Any) -> DesignAsset:
    """A design row written directly (no processing): READY, with ``content`` stored as its file."""
    version = DesignAsset.objects.filter(series=series).count() + 1
    values.setdefault("filename", "part.step")
    values.setdefault("file_format", "STEP")
    values.setdefault("status", DesignStatus.READY)
    values.setdefault("classification", series.classification)
    design = DesignAsset(
        organization_id=series.organization_id, series=series, version_number=version, uploaded_by=user, **values
    )
    if content:
        design.file.save(values["filename"], ContentFile(content), save=False)
        design.file_size_bytes = len(content)
        design.file_hash = f"sha256:{hashlib.sha256(content).hexdigest()}"
    design.save()
    return design


def upload(client: Any, series: DesignSeries, filename: str, content: bytes, **fields: Any) -> Any:
    body = {"series": str(series.pk), "file": SimpleUploadedFile(filename, content), **fields}
    return client.post("/api/designs/", body, format="multipart")


@pytest.fixture
def box_step(tmp_path) -> bytes:
    return fx.step_bytes(fx.box_shape(), tmp_path / "box.step")


@pytest.fixture
def series_a(org_a, alice) -> DesignSeries:
    return make_series(org_a, alice, part_number="TB-001", name="Turbine bracket")


@pytest.fixture
def series_b(org_b, bob) -> DesignSeries:
    return make_series(org_b, bob, part_number="HB-001", name="Helios bracket")


@pytest.fixture
def processed(client_for, alice, series_a, box_step, run_jobs_inline, django_capture_on_commit_callbacks) -> Any:
    """``processed(filename, content, **fields)``: a design uploaded by alice and processed inline."""

    def run(filename: str = "box.step", content: bytes | None = None, **fields: Any) -> DesignAsset:
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client_for(alice), series_a, filename, box_step if content is None else content, **fields)
        assert response.status_code == 201, response.content
        return DesignAsset.objects.get(pk=response.json()["id"])

    return run


@pytest.fixture
def jobs_fail_quietly(run_jobs_inline):
    """Inline jobs whose failure is recorded on the Job, not raised into the request."""
    run_jobs_inline.conf.task_eager_propagates = False
    yield run_jobs_inline


def glb_box_bytes(dx: float = 10.0, dy: float = 10.0, dz: float = 10.0) -> bytes:
    import trimesh

    return bytes(trimesh.creation.box(extents=(dx, dy, dz)).export(file_type="glb"))


def attach_preview(design: DesignAsset, glb: bytes | None = None) -> DesignAsset:
    """A stored preview on a design written directly (as processing would leave it)."""
    design.preview.save("preview.glb", ContentFile(glb or glb_box_bytes()), save=False)
    design.preview_info = {"triangles": 12, "method": "mesh", "units": "mm"}
    design.save()
    return design
