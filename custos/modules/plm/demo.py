"""Demo data for the enginel document: a bolted bracket assembly generated with OpenCASCADE, processed
by the same function as the processing Job (synchronously), and one review with markups.

Idempotent: every piece is looked up before it is made, so a second ``custos demo`` adds nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from custos.audit.writes import audited_create
from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.modules.plm import services
from custos.modules.plm.cad import samples
from custos.modules.plm.choices import DesignStatus
from custos.modules.plm.models import DesignAsset, DesignSeries, Markup, ReviewSession
from custos.modules.plm.services.processing import design_process
from custos.orgs.models import Organization
from custos.orgs.services import organization_storage_consume

ORGANIZATION = "northwind-energy"
PART_NUMBER = "NW-BRK-100"
FILENAME = "bolted-bracket.step"
COLUMNS, ROWS = 4, 2  # eight M8 bolts


def _user(email: str) -> Any:
    return get_user_model().objects.get(email=email)


def _design(ctx: WriteContext, series: DesignSeries, owner: Any) -> DesignAsset:
    """Version 1 of the series: the generated STEP stored as an upload would store it."""
    design = DesignAsset.objects.filter(series=series, version_number=1).first()
    if design is not None:
        return design
    content = samples.bolted_bracket_step(columns=COLUMNS, rows=ROWS)
    organization = Organization.objects.get(pk=series.organization_id)
    design = DesignAsset(
        organization_id=series.organization_id,
        series=series,
        version_number=1,
        filename=FILENAME,
        file_format="STEP",
        file_size_bytes=len(content),
        status=DesignStatus.PROCESSING,
        revision="A",
        material="Steel",
        uploaded_by=owner,
    )
    design.file.save(FILENAME, ContentFile(content), save=False)
    design.file_hash = f"sha256:{hashlib.sha256(content).hexdigest()}"
    organization_storage_consume(organization=organization, delta_bytes=len(content))
    return audited_create(
        ctx,
        design,
        audit_values={"series": str(series.pk), "version_number": 1, "filename": FILENAME, "demo": True},
    )


def _markups(review: ReviewSession, design: DesignAsset, reviewer: Any) -> int:
    """Two markups at real places of the model: the first bolt's head and the bracket's web."""
    if Markup.objects.filter(review_session=review).exists():
        return 0
    ctx = WriteContext.for_user(reviewer, organization_id=design.organization_id)
    head_top = samples.PLATE_THICKNESS_MM + 5.5
    _, depth = samples.plate_size(COLUMNS, ROWS)
    notes = [
        (
            {"x": samples.MARGIN_MM, "y": samples.MARGIN_MM, "z": head_top},
            "Bolt head sits proud of the plate: check the counterbore depth.",
            "MINOR",
        ),
        (
            {"x": 40.0, "y": depth + 4.0, "z": 60.0},
            "Bracket web has no fillet at the foot: add R3 to reduce the stress concentration.",
            "MAJOR",
        ),
    ]
    for position, text, severity in notes:
        services.markup_create(
            ctx,
            design_asset=design,
            data={
                "review_session": review.pk,
                "position": position,
                "camera_position": {"x": position["x"] + 150, "y": position["y"] - 150, "z": position["z"] + 120},
                "camera_target": position,
                "annotation_text": text,
                "severity": severity,
            },
        )
    return len(notes)


@register_demo("plm", order=250)
def load_plm() -> str:
    organization = Organization.objects.get(slug=ORGANIZATION)
    owner = _user("owner.northwind@example.com")
    reviewers = [_user("admin.northwind@example.com"), _user("member.northwind@example.com")]
    ctx = WriteContext.for_user(owner, organization_id=organization.pk)
    series = DesignSeries.objects.filter(organization=organization, part_number=PART_NUMBER).first()
    if series is None:
        series = services.series_create(
            ctx,
            data={
                "part_number": PART_NUMBER,
                "name": "Bolted mounting bracket",
                "description": "Demo: a base plate, an L-bracket and eight M8 bolts, generated with OpenCASCADE.",
                "category": "Brackets",
            },
        )
    design = _design(ctx, series, owner)
    processed = False
    if design.status in (DesignStatus.PROCESSING, DesignStatus.FAILED) or not design.preview:
        design_process(design_id=design.pk, progress=lambda *_: None)
        design.refresh_from_db()
        processed = True
    review = ReviewSession.objects.filter(design_asset=design).first()
    if review is None:
        review = services.review_create(
            ctx,
            design_asset=design,
            data={"reviewers": [user.pk for user in reviewers], "notes": "Design review before release."},
        )
    added = _markups(review, design, reviewers[0])
    bom = design.bom_nodes.count()
    volume = f"{design.volume_cubic_mm:,.0f} mm3" if design.volume_cubic_mm is not None else "no volume"
    state = "processed" if processed else "already processed"
    return (
        f"series {PART_NUMBER} v{design.version_number} ({state}: {volume}, {bom} BOM lines), "
        f"review {review.status}, {added} new markups"
    )
