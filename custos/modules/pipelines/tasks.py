"""Background work of the pipeline domain."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.modules.pipelines.processing import image_analyze


@shared_task(name="pipelines.analyze_satellite_image", acks_late=True)
def analyze_satellite_image(image_id: str) -> dict[str, Any]:
    return image_analyze(image_id=image_id)
