"""Input and output shapes of the enginel PLM routes (specs/003-enginel-plm.md)."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.api.serializers import FieldsBuiltOnce, FieldSelectionMixin
from custos.modules.plm.choices import Classification, DesignStatus, ReviewStatus, Severity
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewSession

POINT = {
    "type": "object",
    "properties": {"x": {"type": "number"}, "y": {"type": "number"}, "z": {"type": "number"}},
}
BOX = {"type": "object", "properties": {"min": POINT, "max": POINT}}


@extend_schema_field(POINT)
class PointField(serializers.JSONField):
    pass


@extend_schema_field(BOX)
class BoxField(serializers.JSONField):
    pass


# --- series -----------------------------------------------------------------------------------


class SeriesWriteSerializer(serializers.Serializer):
    organization = serializers.UUIDField(required=False, help_text="Default: X-Organization or your only one")
    part_number = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)


class SeriesSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)
    created_by_username = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = DesignSeries
        fields = (
            "id",
            "organization",
            "organization_name",
            "part_number",
            "name",
            "description",
            "category",
            "classification",
            "created_by",
            "created_by_username",
            "created_at",
            "updated_at",
        )


class SeriesDesignSerializer(serializers.ModelSerializer):
    class Meta:
        model = DesignAsset
        fields = ("id", "version_number", "filename", "status", "revision", "classification", "created_at")


# --- designs ----------------------------------------------------------------------------------


class RelatedCharField(serializers.CharField):
    """A column of a related row (``source="series.name"``), read from an instance or from a value row
    of ``QuerySet.values()``, where it is the key ``series__name``."""

    def get_attribute(self, instance: Any) -> Any:
        if type(instance) is dict:
            key = "__".join(self.source_attrs)
            if key in instance:
                return instance[key]
        return super().get_attribute(instance)


class DesignSerializer(FieldSelectionMixin, FieldsBuiltOnce, serializers.ModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    series = serializers.UUIDField(source="series_id", read_only=True)
    part_number = RelatedCharField(source="series.part_number", read_only=True)
    series_name = RelatedCharField(source="series.name", read_only=True)
    bounding_box = BoxField(read_only=True)
    center_of_mass = PointField(read_only=True)
    uploaded_by = serializers.UUIDField(source="uploaded_by_id", read_only=True, allow_null=True)
    uploaded_by_username = RelatedCharField(source="uploaded_by.username", read_only=True, default=None)
    analysis_job_id = serializers.UUIDField(source="processing_job_id", read_only=True, allow_null=True)
    preview_url = serializers.SerializerMethodField(
        help_text="The web preview (binary glTF, millimetres) once processed: GET it with your credentials"
    )
    preview = serializers.JSONField(
        source="preview_info", read_only=True, help_text="How the preview was made (triangles, method, deflection)"
    )

    class Meta:
        model = DesignAsset
        fields = (
            "id",
            "organization",
            "series",
            "part_number",
            "series_name",
            "version_number",
            "filename",
            "file_format",
            "file_size_bytes",
            "file_hash",
            "revision",
            "units",
            "classification",
            "itar_controlled",
            "status",
            "status_reason",
            "is_valid_geometry",
            "validation_errors",
            "validation_warnings",
            "bounding_box",
            "volume_cubic_mm",
            "surface_area_sq_mm",
            "center_of_mass",
            "topology",
            "mass_kg",
            "material",
            "analysis_job_id",
            "preview_url",
            "preview",
            "processed_at",
            "uploaded_by",
            "uploaded_by_username",
            "created_at",
            "updated_at",
        )

    # The list reads its page as value rows (DesignViewSet.paginate_queryset); the detail, an instance.
    ROW_COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {"preview_url": ("id", "preview")}

    def value_columns(self) -> list[str]:
        """The ``QuerySet.values()`` columns this serializer's readable fields read from a value row."""
        columns = {"id"}
        for field in self._readable_fields:
            if isinstance(field, serializers.SerializerMethodField):
                columns.update(self.ROW_COLUMNS[str(field.field_name)])
            else:
                columns.add("__".join(field.source_attrs))
        return sorted(columns)

    def get_preview_url(self, design: DesignAsset | dict[str, Any]) -> str | None:
        if isinstance(design, dict):  # a value row: the stored name of the file
            pk, preview = design["id"], design["preview"]
        else:
            pk, preview = design.pk, design.preview
        if not preview:
            return None
        path = f"/api/designs/{pk}/preview/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class _DesignMeta(serializers.Serializer):
    revision = serializers.CharField(max_length=50, required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)
    itar_controlled = serializers.BooleanField(required=False)
    material = serializers.CharField(max_length=100, required=False, allow_blank=True)
    units = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="Length unit of a mesh (STL/OBJ); default mm"
    )


class DesignUploadSerializer(_DesignMeta):
    series = serializers.UUIDField()
    file = serializers.FileField(required=False, help_text="The CAD file (.step .stp .iges .igs .stl .obj)")
    filename = serializers.CharField(max_length=255, required=False)


class UploadUrlSerializer(_DesignMeta):
    series = serializers.UUIDField()
    filename = serializers.CharField(max_length=255)
    file_size = serializers.IntegerField(min_value=1, required=False)
    content_type = serializers.CharField(max_length=100, required=False, allow_blank=True)


class UploadUrlResponseSerializer(serializers.Serializer):
    upload_url = serializers.URLField()
    upload_id = serializers.UUIDField()
    design_id = serializers.UUIDField()
    method = serializers.CharField(help_text="PUT the raw bytes (local storage), or POST a multipart form (S3).")
    # DRF's metaclass takes declared fields out of the class, so the name ``fields`` is free at run time
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(),
        required=False,
        help_text="S3 only: the form fields to send before the file field 'file' in the POST.",
    )
    expires_at = serializers.DateTimeField()


class UploadReceivedSerializer(serializers.Serializer):
    upload_id = serializers.UUIDField()
    file_size_bytes = serializers.IntegerField()
    file_hash = serializers.CharField()
    status = serializers.CharField()


class DesignUpdateSerializer(_DesignMeta):
    status = serializers.ChoiceField(choices=DesignStatus.choices, required=False)
    series = serializers.UUIDField(required=False)


class DesignFinalizeSerializer(serializers.Serializer):
    file_hash = serializers.CharField(max_length=80, required=False, allow_blank=True)


class DesignFinalizeResponseSerializer(serializers.Serializer):
    status = serializers.CharField()
    analysis_job_id = serializers.UUIDField()
    message = serializers.CharField()


class StartReviewSerializer(serializers.Serializer):
    reviewer_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False, max_length=50)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class StartReviewResponseSerializer(serializers.Serializer):
    review_session_id = serializers.UUIDField()
    status = serializers.CharField()


class DesignApproveSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DesignMetadataSerializer(serializers.Serializer):
    geometry = serializers.DictField()
    material = serializers.DictField()
    validation = serializers.DictField()
    units = serializers.DictField()


class ConvertUnitsSerializer(serializers.Serializer):
    value = serializers.FloatField()
    from_unit = serializers.CharField(max_length=32)
    to_unit = serializers.CharField(max_length=32)

    def to_internal_value(self, data: Any) -> Any:
        data = {key: data.get(key) for key in ("value", "from_unit", "to_unit", "from", "to") if key in data}
        data.setdefault("from_unit", data.pop("from", None))
        data.setdefault("to_unit", data.pop("to", None))
        data = {key: value for key, value in data.items() if value is not None and key not in ("from", "to")}
        return super().to_internal_value(data)

    def validate_value(self, value: float) -> float:
        if value != value or abs(value) == float("inf"):
            raise serializers.ValidationError("A finite number.")
        return value


class UnitConversionSerializer(serializers.Serializer):
    original_value = serializers.FloatField()
    from_unit = serializers.CharField()
    to_unit = serializers.CharField()
    converted_value = serializers.FloatField()
    conversion_factor = serializers.FloatField()
    dimension = serializers.CharField()


class DesignBomSerializer(serializers.Serializer):
    design_asset = serializers.UUIDField()
    part_number = serializers.CharField()
    total_nodes = serializers.IntegerField()
    total_part_instances = serializers.IntegerField()
    total_mass_kg = serializers.FloatField(allow_null=True)
    tree = serializers.ListField(child=serializers.DictField())


# --- BOM nodes --------------------------------------------------------------------------------


class NodeSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    design_asset = serializers.UUIDField(source="design_asset_id", read_only=True)
    # A declared field named like Field.parent: the serializer metaclass moves it to _declared_fields.
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)  # type: ignore[assignment]

    class Meta:
        model = AssemblyNode
        fields = (
            "id",
            "design_asset",
            "parent",
            "path",
            "depth",
            "part_name",
            "part_number",
            "quantity",
            "unit_of_measure",
            "reference_designator",
            "notes",
            "is_assembly",
            "mass_kg",
            "volume_cubic_mm",
            "created_at",
            "updated_at",
        )


class NodeWriteSerializer(serializers.Serializer):
    design_asset = serializers.UUIDField()
    parent = serializers.UUIDField(required=False, allow_null=True)  # type: ignore[assignment]  # as above
    part_name = serializers.CharField(max_length=255)
    part_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    unit_of_measure = serializers.CharField(max_length=10, required=False)
    reference_designator = serializers.CharField(max_length=255, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    mass_kg = serializers.FloatField(min_value=0, required=False, allow_null=True)


# --- reviews ----------------------------------------------------------------------------------


class ReviewDecisionSerializer(serializers.Serializer):
    reviewer = serializers.UUIDField(source="reviewer_id")
    reviewer_username = serializers.CharField(source="reviewer.username")
    decision = serializers.CharField()
    comments = serializers.CharField()
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class ReviewSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    design_asset = serializers.UUIDField(source="design_asset_id", read_only=True)
    reviewers = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ReviewSession
        fields = (
            "id",
            "design_asset",
            "reviewers",
            "decisions",
            "status",
            "outcome",
            "due_date",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
            "completed_at",
        )

    def _decisions(self, review: ReviewSession) -> list[Any]:
        return sorted(review.decisions.all(), key=lambda d: d.pk)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_reviewers(self, review: ReviewSession) -> list[str]:
        return [str(decision.reviewer_id) for decision in self._decisions(review)]

    @extend_schema_field(ReviewDecisionSerializer(many=True))
    def get_decisions(self, review: ReviewSession) -> list[dict[str, Any]]:
        # many=True gives a ReturnList; the stubs type .data as a ReturnDict either way.
        return cast(list[dict[str, Any]], ReviewDecisionSerializer(self._decisions(review), many=True).data)


class ReviewWriteSerializer(serializers.Serializer):
    design_asset = serializers.UUIDField()
    reviewers = serializers.ListField(child=serializers.UUIDField(), allow_empty=False, max_length=50)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)


class ReviewApproveSerializer(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="")
    approved = serializers.BooleanField(required=False, default=True)


class ReviewRejectSerializer(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- markups ----------------------------------------------------------------------------------


class MarkupSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    design_asset = serializers.UUIDField(source="design_asset_id", read_only=True)
    review_session = serializers.UUIDField(source="review_session_id", read_only=True, allow_null=True)
    author = serializers.UUIDField(source="author_id", read_only=True, allow_null=True)
    author_username = serializers.CharField(source="author.username", read_only=True, default=None)
    resolved_by = serializers.UUIDField(source="resolved_by_id", read_only=True, allow_null=True)
    position = PointField(read_only=True)
    camera_position = PointField(read_only=True)
    camera_target = PointField(read_only=True)

    class Meta:
        model = Markup
        fields = (
            "id",
            "design_asset",
            "review_session",
            "author",
            "author_username",
            "position",
            "camera_position",
            "camera_target",
            "annotation_text",
            "severity",
            "status",
            "resolution_notes",
            "dismissed_reason",
            "resolved_by",
            "created_at",
            "updated_at",
            "resolved_at",
        )


class MarkupWriteSerializer(serializers.Serializer):
    design_asset = serializers.UUIDField()
    review_session = serializers.UUIDField(required=False, allow_null=True)
    position = PointField()
    camera_position = PointField(required=False, allow_null=True)
    camera_target = PointField(required=False, allow_null=True)
    annotation_text = serializers.CharField(max_length=10000)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)


class MarkupResolveSerializer(serializers.Serializer):
    resolution_notes = serializers.CharField(required=False, allow_blank=True, default="")


class MarkupDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
