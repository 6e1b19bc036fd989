"""Writes of the pipeline domain, one module per resource. Every function takes the write context first
and writes through the audited write helpers (``custos.audit.writes``): role, audit row and event."""

from custos.modules.pipelines.services.alerts import (
    pipeline_alert_create,
    pipeline_alert_delete,
    pipeline_alert_resolve,
    pipeline_alert_update,
)
from custos.modules.pipelines.services.images import (
    image_create,
    image_delete,
    image_request_analysis,
    image_update,
    release_image_storage,
)
from custos.modules.pipelines.services.pipelines import pipeline_create, pipeline_delete, pipeline_update
from custos.modules.pipelines.services.results import (
    result_create,
    result_create_alert,
    result_delete,
    result_mark_false_positive,
    result_update,
    result_verify,
)
from custos.modules.pipelines.services.segments import (
    configuration_create,
    configuration_delete,
    configuration_update,
    segment_create,
    segment_delete,
    segment_mark_monitored,
    segment_update,
)

__all__ = [
    "configuration_create",
    "configuration_delete",
    "configuration_update",
    "image_create",
    "image_delete",
    "image_request_analysis",
    "image_update",
    "pipeline_alert_create",
    "pipeline_alert_delete",
    "pipeline_alert_resolve",
    "pipeline_alert_update",
    "pipeline_create",
    "pipeline_delete",
    "pipeline_update",
    "release_image_storage",
    "result_create",
    "result_create_alert",
    "result_delete",
    "result_mark_false_positive",
    "result_update",
    "result_verify",
    "segment_create",
    "segment_delete",
    "segment_mark_monitored",
    "segment_update",
]
