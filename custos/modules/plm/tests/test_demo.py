"""The PLM demo: a generated bolted bracket assembly, processed, reviewed with markups; idempotent."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh

from custos.kernel.demo import demo_loaders
from custos.modules.plm.cad import samples
from custos.modules.plm.demo import PART_NUMBER, load_plm
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewSession
from custos.orgs.demo import load_organizations
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_the_plm_loader_is_registered_after_the_organizations():
    orders = {loader.name: loader.order for loader in demo_loaders()}
    assert orders["plm"] == 250 and orders["organizations"] < orders["plm"]


def test_the_demo_series_is_a_processed_reviewed_assembly_and_loading_twice_adds_nothing():
    load_organizations()
    load_plm()
    organization = Organization.objects.get(slug="northwind-energy")
    series = DesignSeries.objects.get(organization=organization, part_number=PART_NUMBER)
    design = DesignAsset.objects.get(series=series)
    assert (design.version_number, design.status, design.file_format) == (1, "IN_REVIEW", "STEP")
    assert design.is_valid_geometry is True and design.units == "millimetre"
    # one plate, one bracket, eight bolts: the volume is the sum of the parts' exact volumes
    width, depth = samples.plate_size(4, 2)
    plate = width * depth * samples.PLATE_THICKNESS_MM
    bracket = 80.0 * 60.0 * 8.0 + 80.0 * 8.0 * 52.0
    bolt = np.pi * 4.0**2 * 30.0 + np.pi * 6.5**2 * 5.5
    assert design.volume_cubic_mm == pytest.approx(plate + bracket + 8 * bolt, rel=1e-6)
    assert design.mass_kg == pytest.approx((plate + bracket + 8 * bolt) * 1e-9 * 7850, rel=1e-6)
    nodes = {node.part_name: (node.quantity, node.depth) for node in AssemblyNode.objects.filter(design_asset=design)}
    assert nodes == {"BRACKET-ASM": (1, 1), "BASE-PLATE": (1, 2), "L-BRACKET": (1, 2), "BOLT-M8": (8, 2)}
    with design.preview.open("rb") as stored:
        bounds = np.asarray(trimesh.load(io.BytesIO(stored.read()), file_type="glb").bounds)
    box = design.bounding_box
    expected = [[box["min"][k] for k in "xyz"], [box["max"][k] for k in "xyz"]]
    assert np.allclose(bounds, expected, atol=design.preview_info["deflection_mm"])
    review = ReviewSession.objects.get(design_asset=design)
    assert review.status == "IN_PROGRESS" and review.decisions.count() == 2
    assert sorted(Markup.objects.filter(review_session=review).values_list("severity", flat=True)) == ["MAJOR", "MINOR"]

    counts = (DesignSeries.objects.count(), DesignAsset.objects.count(), AssemblyNode.objects.count())
    reviews, markups = ReviewSession.objects.count(), Markup.objects.count()
    preview = design.preview.name
    load_organizations()
    load_plm()
    assert (DesignSeries.objects.count(), DesignAsset.objects.count(), AssemblyNode.objects.count()) == counts
    assert (ReviewSession.objects.count(), Markup.objects.count()) == (reviews, markups)
    assert DesignAsset.objects.get(pk=design.pk).preview.name == preview
