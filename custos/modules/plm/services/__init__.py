"""Writes of the PLM domain, one module per resource. Every function takes the write context first and
writes through the audited write helpers (``custos.audit.writes``): role, audit row and event."""

from custos.modules.plm.services.bom import bom_replace, node_create, node_delete, node_update
from custos.modules.plm.services.designs import (
    design_delete,
    design_finalize,
    design_for_token,
    design_receive_upload,
    design_record_download,
    design_record_preview,
    design_request_upload,
    design_update,
    design_upload,
    presigned_post,
    start_processing,
)
from custos.modules.plm.services.markups import (
    markup_create,
    markup_delete,
    markup_dismiss,
    markup_resolve,
    markup_update,
)
from custos.modules.plm.services.reviews import (
    design_approve,
    review_approve,
    review_create,
    review_reject,
    review_update,
)
from custos.modules.plm.services.series import series_create, series_delete, series_update

__all__ = [
    "bom_replace",
    "design_approve",
    "design_delete",
    "design_finalize",
    "design_for_token",
    "design_receive_upload",
    "design_record_download",
    "design_record_preview",
    "design_request_upload",
    "design_update",
    "design_upload",
    "markup_create",
    "markup_delete",
    "markup_dismiss",
    "markup_resolve",
    "markup_update",
    "node_create",
    "node_delete",
    "node_update",
    "presigned_post",
    "review_approve",
    "review_create",
    "review_reject",
    "review_update",
    "series_create",
    "series_delete",
    "series_update",
    "start_processing",
]
