"""Demo data for the pipeline document: a monitored pipeline with two synthetic images, analysed."""

from __future__ import annotations

from datetime import UTC, datetime

from custos.kernel.demo import register_demo
from custos.modules.pipelines import geometry
from custos.modules.pipelines.models import MonitoringConfiguration, Pipeline
from custos.modules.pipelines.operations import pipeline_fetch_imagery
from custos.modules.pipelines.processing import image_analyze
from custos.orgs.models import Organization

ROUTE = [[15.300, 40.600], [15.318, 40.611], [15.335, 40.618], [15.352, 40.633]]
DATES = (datetime(2026, 10, 1, 10, tzinfo=UTC), datetime(2026, 10, 15, 10, tzinfo=UTC))


@register_demo("pipelines", order=50)
def load_pipelines() -> str:
    organization = Organization.objects.get(slug="northwind-energy")
    line = geometry.parse_geometry({"type": "LineString", "coordinates": ROUTE}, field="route", kind="LineString")
    pipeline, _ = Pipeline.objects.get_or_create(
        organization=organization,
        name="Basento Crude Line",
        defaults={
            "description": "Demo: 5 km of 24-inch crude pipeline, watched by synthetic imagery.",
            "length_km": round(geometry.geodesic_length_km(line), 3),
            "diameter_mm": 610,
            "material": "steel",
            "route": geometry.to_geojson(line),
            **geometry.bbox_of(line),
        },
    )
    MonitoringConfiguration.objects.get_or_create(
        pipeline=pipeline,
        defaults={
            "organization": organization,
            "imagery_source": "synthetic",
            "auto_analysis": False,
            "notification_emails": ["owner.northwind@example.com"],
        },
    )
    created = 0
    for when in DATES:
        outcome = pipeline_fetch_imagery(pipeline_id=pipeline.pk, when=when)
        for image_id in outcome.get("image_ids", []):
            image_analyze(image_id=image_id)
            created += 1
    return f"pipeline {pipeline.name!r}, {created} new analysed images"
