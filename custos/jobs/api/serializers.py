"""Input and output shapes of the job routes (access ``/tasks/``, enginel ``/api/analysis-jobs/``)."""

from __future__ import annotations

import math
from typing import Any

import orjson
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.api.serializers import FieldSelectionMixin
from custos.jobs.models import Job, JobStatus

MAX_DATA_BYTES = 1024 * 1024


DESIGN_SUBJECTS = ("design_asset", "plm.DesignAsset")  # the PLM module's processing jobs name their design


@extend_schema_field({"type": "number"})
class NumberField(serializers.Field):
    """An integer or a finite float, kept as given (5 + 3 is 8, not 8.0)."""

    default_error_messages = {"invalid": "A number is required."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        if isinstance(data, int) and abs(data) > 2**53:
            raise serializers.ValidationError("Integers are limited to ±2^53.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class TaskCreateInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=("add", "long", "process"))
    x = NumberField(required=False)
    y = NumberField(required=False)
    duration = serializers.IntegerField(required=False, min_value=1, max_value=600)
    # The serializer metaclass moves declared fields off the class, so ``Serializer.data`` stays intact.
    data = serializers.JSONField(required=False)  # type: ignore[assignment]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["type"]
        if kind == "add":
            missing = {name: ["This field is required for add."] for name in ("x", "y") if name not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
            attrs["parameters"] = {"x": attrs["x"], "y": attrs["y"]}
        elif kind == "long":
            attrs["parameters"] = {"duration": attrs.get("duration", 10)}
        else:
            if "data" not in attrs or attrs["data"] is None:
                raise serializers.ValidationError({"data": ["This field is required for process."]})
            if len(orjson.dumps(attrs["data"])) > MAX_DATA_BYTES:
                raise serializers.ValidationError({"data": ["At most 1 MiB of data."]})
            attrs["parameters"] = {"data": attrs["data"]}
        return attrs


class TaskCreatedOutput(serializers.Serializer):
    task_id = serializers.CharField()
    task_type = serializers.CharField()
    parameters = serializers.DictField()
    status = serializers.CharField()


class ProgressOutput(serializers.Serializer):
    current = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()


class TaskStatusOutput(serializers.Serializer):
    """``{task_id, status}`` plus ``result`` on success, ``error`` on failure, ``progress`` while running."""

    task_id = serializers.CharField()
    task_type = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    result = serializers.JSONField(required=False)
    error = serializers.CharField(required=False)
    progress = ProgressOutput(required=False)


def task_status_body(job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {"task_id": job.task_id, "task_type": job.job_type, "status": job.status}
    if job.status == JobStatus.SUCCESS:
        body["result"] = job.result
    elif job.status == JobStatus.FAILURE:
        body["error"] = job.error
    else:
        body["progress"] = progress_body(job)
    return body


def progress_body(job: Job) -> dict[str, Any]:
    return {
        "current": job.progress_current,
        "total": job.progress_total,
        "percent": job.percent,
        "message": job.progress_message,
    }


# --- enginel ---------------------------------------------------------------------------------

ENGINEL_STATUS: dict[str, str] = {
    JobStatus.PENDING: "PENDING",
    JobStatus.STARTED: "PROCESSING",
    JobStatus.PROGRESS: "PROCESSING",
    JobStatus.RETRY: "PROCESSING",
    JobStatus.SUCCESS: "SUCCESS",
    JobStatus.FAILURE: "FAILURE",
    JobStatus.REVOKED: "CANCELLED",
    JobStatus.CANCELLED: "CANCELLED",
}


class AnalysisJobSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    design_asset = serializers.SerializerMethodField()
    job_type = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    celery_task_id = serializers.CharField(source="task_id", read_only=True)
    error_message = serializers.SerializerMethodField()
    retry_count = serializers.IntegerField(source="retries", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = (
            "id",
            "design_asset",
            "job_type",
            "status",
            "celery_task_id",
            "created_at",
            "started_at",
            "completed_at",
            "duration_seconds",
            "result",
            "error_message",
            "retry_count",
            "progress",
        )

    def get_design_asset(self, job: Job) -> str | None:
        return job.subject_id if job.subject_type in DESIGN_SUBJECTS and job.subject_id else None

    def get_job_type(self, job: Job) -> str:
        return job.job_type.upper()

    def get_status(self, job: Job) -> str:
        return ENGINEL_STATUS[job.status]

    def get_error_message(self, job: Job) -> str | None:
        return job.error or None

    @extend_schema_field(ProgressOutput)
    def get_progress(self, job: Job) -> dict[str, Any]:
        return progress_body(job)


class CeleryInfoOutput(serializers.Serializer):
    task_id = serializers.CharField()
    name = serializers.CharField()
    args = serializers.ListField()
    kwargs = serializers.DictField()
    worker = serializers.CharField(allow_null=True)
    retries = serializers.IntegerField()


class JobStatusOutput(serializers.Serializer):
    status = serializers.CharField()
    state = serializers.CharField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    celery_info = CeleryInfoOutput()


class EnginelProgressOutput(serializers.Serializer):
    current = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    status_message = serializers.CharField()


class CancelInput(serializers.Serializer):
    force = serializers.BooleanField(required=False, default=False)


class CancelOutput(serializers.Serializer):
    message = serializers.CharField()
    status = serializers.CharField()


class ActiveTaskOutput(serializers.Serializer):
    task_id = serializers.CharField()
    name = serializers.CharField()
    job_type = serializers.CharField()
    args = serializers.ListField()
    worker = serializers.CharField(allow_null=True)
    time_start = serializers.FloatField(allow_null=True)
    progress = ProgressOutput()
    on_live_worker = serializers.BooleanField(allow_null=True)


class ActiveOutput(serializers.Serializer):
    count = serializers.IntegerField()
    live_workers = serializers.BooleanField()
    tasks = ActiveTaskOutput(many=True)


class MetricsOutput(serializers.Serializer):
    job_type = serializers.CharField(allow_null=True)
    total_count = serializers.IntegerField()
    success_count = serializers.IntegerField()
    failure_count = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    avg_duration_seconds = serializers.FloatField(allow_null=True)
    min_duration_seconds = serializers.FloatField(allow_null=True)
    max_duration_seconds = serializers.FloatField(allow_null=True)


class TopErrorOutput(serializers.Serializer):
    error = serializers.CharField()
    count = serializers.IntegerField()


class FailuresOutput(serializers.Serializer):
    days = serializers.IntegerField()
    total_failures = serializers.IntegerField()
    top_errors = TopErrorOutput(many=True)
    failures = AnalysisJobSerializer(many=True)
