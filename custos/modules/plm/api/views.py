"""The enginel document's series, designs, BOM nodes, reviews and markups (``dialect = "enginel"``).

Export control (``custos.modules.plm.access``) on every route touching a design or what hangs off it:
lists show only what the caller may open; a direct request for anything else is a 403 with an
``ITAR_VIOLATION`` audit row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.pagination import ValueRows
from custos.api.resources import Parent, TenantResource, Writes
from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import DialectAPIView
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed, does_not_exist
from custos.modules.plm import access, selectors, services
from custos.modules.plm.api import serializers as s
from custos.modules.plm.cad.materials import density_of
from custos.modules.plm.cad.units import convert
from custos.modules.plm.filters import DesignFilter, MarkupFilter, NodeFilter, ReviewFilter, SeriesFilter
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewSession

CONTENT_TYPES = {"STEP": "application/step", "IGES": "model/iges", "STL": "model/stl", "OBJ": "model/obj"}


if TYPE_CHECKING:
    _ExportControlledBase = TenantResource  # the mixin is only ever combined with TenantResource
else:
    _ExportControlledBase = object


class ExportControlled(_ExportControlledBase):
    """Lists narrowed to what the caller may open; a direct request for anything else is 403 + audit.

    ``design_path`` is the lookup path to the design (``""``: the row is one; ``"design_asset__"``),
    ``series_path`` to a series (series only)."""

    design_path: ClassVar[str | None] = None
    series_path: ClassVar[str | None] = None
    list_actions: ClassVar[tuple[str, ...]] = ("list",)

    def scope(self, queryset: Any) -> Any:
        if self.action in self.list_actions:
            queryset = queryset.filter(
                access.visible_q(
                    self.request.user,
                    visible_org_ids(self.request),
                    design=self.design_path,
                    series=self.series_path,
                )
            )
        return queryset

    def requirement_of(self, obj: Any) -> access.Requirement:
        if isinstance(obj, DesignSeries):
            return access.series_requirement(obj)
        if isinstance(obj, DesignAsset):
            return access.design_requirement(obj)
        return access.design_requirement(obj.design_asset)

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        access.check(self.ctx.within(obj.organization_id), obj, self.requirement_of(obj))
        super().check_object_permissions(request, obj)

    def parent_for_create(self, data: dict[str, Any]) -> Any:
        parent = super().parent_for_create(data)
        if parent is not None:
            access.check(self.ctx.within(parent.organization_id), parent, self.requirement_of(parent))
        return parent


# --- series -----------------------------------------------------------------------------------


class SeriesViewSet(ExportControlled, TenantResource):
    dialect = "enginel"
    queryset = DesignSeries.objects.select_related("organization", "created_by")
    serializer_class = s.SeriesSerializer
    input_serializer_class = s.SeriesWriteSerializer
    filterset_class = SeriesFilter
    search_fields = ("part_number", "name", "description")
    ordering_fields = ("part_number", "name", "created_at", "updated_at")
    ordering = ("part_number",)
    series_path = ""
    roles: ClassVar[dict[str, Any]] = {"create": None}  # the organization may come from the body
    writes = Writes(create=services.series_create, update=services.series_update, delete=services.series_delete)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The organization comes from the body (one of the caller's), else the current one."""
        data = self.valid_input()
        named = data.pop("organization", None)
        if named is None:
            organization_id = current_organization_id(request)
        elif named in visible_org_ids(request):
            organization_id = named
        else:
            raise does_not_exist("organization", named)
        instance = services.series_create(self.ctx.within(organization_id), data=data)
        return self.present(instance, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        data = self.valid_input(partial=kwargs.pop("partial", False))
        named = data.pop("organization", None)
        if named is not None and named != instance.organization_id:
            raise ValidationFailed(
                field_errors={"organization": ["A design series cannot move to another organization."]}
            )
        instance = services.series_update(self.ctx.within(instance.organization_id), instance, data=data)
        return self.present(instance)

    @extend_schema(responses=s.SeriesDesignSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def designs(self, request: Request, pk: Any = None) -> Response:
        series = self.get_object()
        visible = DesignAsset.objects.filter(
            access.visible_q(request.user, [series.organization_id], design="")
        ).select_related("series")
        return Response(s.SeriesDesignSerializer(selectors.series_designs(series, visible), many=True).data)


# --- designs ----------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": s.DesignUploadSerializer}, responses={201: s.DesignSerializer}
    ),
    update=extend_schema(request=s.DesignUpdateSerializer, responses=s.DesignSerializer),
    partial_update=extend_schema(request=s.DesignUpdateSerializer, responses=s.DesignSerializer),
)
class DesignViewSet(ExportControlled, TenantResource):
    dialect = "enginel"
    queryset = DesignAsset.objects.select_related("series", "uploaded_by")
    serializer_class = s.DesignSerializer
    input_serializer_class = s.DesignUploadSerializer
    filterset_class = DesignFilter
    search_fields = ("filename", "series__part_number", "material")
    ordering_fields = ("created_at", "updated_at", "version_number", "filename", "series__part_number")
    ordering = ("-created_at",)
    design_path = ""
    parent = Parent("series", DesignSeries)
    writes = Writes(create=services.design_upload, update=services.design_update, delete=services.design_delete)
    update_serializer_class = s.DesignUpdateSerializer
    roles: ClassVar[dict[str, Any]] = {"upload_url": None, "approve": None, "convert_units": None}
    upload_actions = ("create", "upload_url")  # the enginel document's 50 uploads an hour

    def paginate_queryset(self, queryset: Any) -> Any:
        # The list's page is read as value rows, only the columns its (?fields=) fields read: no design,
        # series and user instances per row (DesignSerializer presents value rows and instances alike).
        return super().paginate_queryset(ValueRows(queryset, self.get_serializer().value_columns()))

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ``?format=csv`` of the BOM names the export format, not a DRF renderer.
        return super().perform_content_negotiation(request, force=force or self.action == "bom")

    @extend_schema(request=s.UploadUrlSerializer, responses={201: s.UploadUrlResponseSerializer})
    @action(detail=False, methods=["post"], url_path="upload-url")
    def upload_url(self, request: Request) -> Response:
        data = self.valid_input(s.UploadUrlSerializer)
        series = self.parent_for_create(data)
        design, token, expires_at = services.design_request_upload(
            self.ctx.within(series.organization_id), series=series, data=data
        )
        body = {
            "upload_url": request.build_absolute_uri(f"/api/designs/uploads/{token}/"),
            "upload_id": str(design.pk),
            "design_id": str(design.pk),
            "method": "PUT",
            "expires_at": expires_at,
        }
        presigned = services.presigned_post(design)
        if presigned is not None:  # S3: the bytes go straight to the bucket, as a multipart form POST
            body.update(upload_url=presigned["url"], method="POST", fields=presigned["fields"])
        return Response(s.UploadUrlResponseSerializer(body).data, status=201)

    def _finalize(self) -> Response:
        design = self.get_object()
        data = self.valid_input(s.DesignFinalizeSerializer)
        job = services.design_finalize(
            self.ctx.within(design.organization_id), design, file_hash=data.get("file_hash") or None
        )
        body = {
            "status": "PROCESSING",
            "analysis_job_id": job.pk,
            "message": "File upload finalized, processing started",
        }
        return Response(s.DesignFinalizeResponseSerializer(body).data)

    @extend_schema(request=s.DesignFinalizeSerializer, responses=s.DesignFinalizeResponseSerializer)
    @action(detail=True, methods=["post"], url_path="finalize-upload")
    def finalize_upload(self, request: Request, pk: Any = None) -> Response:
        return self._finalize()

    @extend_schema(request=s.DesignFinalizeSerializer, responses=s.DesignFinalizeResponseSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: Any = None) -> Response:
        return self._finalize()

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}, filters=False)
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: Any = None) -> Any:
        design = self.get_object()
        services.design_record_download(self.ctx.within(design.organization_id), design)
        return FileResponse(
            design.file.open("rb"),
            as_attachment=True,
            filename=design.filename,
            content_type=CONTENT_TYPES.get(design.file_format, "application/octet-stream"),
        )

    @extend_schema(
        responses={(200, "model/gltf-binary"): OpenApiResponse(OpenApiTypes.BINARY)},
        filters=False,
        description="The web preview: a binary glTF of the tessellated design in millimetres (docs/plm.md).",
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: Any = None) -> Any:
        design = self.get_object()
        services.design_record_preview(self.ctx.within(design.organization_id), design)
        stem = design.filename.rsplit(".", 1)[0] or "design"
        response = FileResponse(design.preview.open("rb"), filename=f"{stem}.glb", content_type="model/gltf-binary")
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(responses=s.DesignMetadataSerializer, filters=False)
    @action(detail=True, methods=["get"])
    def metadata(self, request: Request, pk: Any = None) -> Response:
        design = self.get_object()
        return Response(
            {
                "geometry": {
                    "bounding_box": design.bounding_box,
                    "volume_cubic_mm": design.volume_cubic_mm,
                    "surface_area_sq_mm": design.surface_area_sq_mm,
                    "center_of_mass": design.center_of_mass,
                    "topology": design.topology,
                    **({"mesh": design.mesh} if design.mesh else {}),
                },
                "material": {
                    "name": design.material,
                    "density_kg_m3": density_of(design.material),
                    "mass_kg": design.mass_kg,
                },
                "validation": {
                    "is_valid": design.is_valid_geometry,
                    "errors": design.validation_errors,
                    "warnings": design.validation_warnings,
                },
                "units": {"source": design.units, "reported": "mm"},
            }
        )

    @extend_schema(
        responses={200: s.DesignBomSerializer, (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def bom(self, request: Request, pk: Any = None) -> Any:
        design = self.get_object()
        tree = selectors.bom_tree(design)
        if request.query_params.get("format") == "csv":
            response = HttpResponse(selectors.bom_csv(tree), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="bom-{design.series.part_number}-v{design.version_number}.csv"'
            )
            return response
        return Response(tree)

    @extend_schema(request=s.StartReviewSerializer, responses={201: s.StartReviewResponseSerializer})
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request: Request, pk: Any = None) -> Response:
        design = self.get_object()
        data = self.valid_input(s.StartReviewSerializer)
        review = services.review_create(
            self.ctx.within(design.organization_id),
            design_asset=design,
            data={"reviewers": data["reviewer_ids"], "due_date": data.get("due_date"), "notes": data.get("notes")},
        )
        return Response({"review_session_id": str(review.pk), "status": "IN_REVIEW"}, status=201)

    @extend_schema(request=s.DesignApproveSerializer, responses=s.DesignSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        design = self.get_object()
        notes = self.valid_input(s.DesignApproveSerializer)["notes"]
        services.design_approve(self.ctx.within(design.organization_id), design, notes=notes)
        return self.present(design)

    @extend_schema(
        parameters=[
            OpenApiParameter("value", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("from_unit", OpenApiTypes.STR, description="also 'from'"),
            OpenApiParameter("to_unit", OpenApiTypes.STR, description="also 'to'"),
        ],
        responses=s.UnitConversionSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="convert-units")
    def convert_units(self, request: Request) -> Response:
        query = s.ConvertUnitsSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return Response(convert(data["value"], data["from_unit"], data["to_unit"]))


class DesignUploadView(DialectAPIView):
    """The signed, expiring upload URL of ``upload-url/``: ``PUT`` the raw bytes (or ``POST`` a multipart
    ``file``). The signature is the credential; the design must still be ``UPLOADING``."""

    dialect = "enginel"
    authentication_classes = []
    permission_classes = (AllowAny,)

    def _receive(self, request: Request, token: str, chunks: Any) -> Response:
        design = services.design_for_token(token)
        ctx = WriteContext.from_request(request)
        ctx = WriteContext(
            user=design.uploaded_by,
            organization_id=design.organization_id,
            client_ip=ctx.client_ip,
            user_agent=ctx.user_agent,
            request_id=ctx.request_id,
            from_http=True,
        )
        design = services.design_receive_upload(ctx, design, chunks=chunks)
        body = {
            "upload_id": design.pk,
            "file_size_bytes": design.file_size_bytes,
            "file_hash": design.file_hash,
            "status": design.status,
        }
        return Response(s.UploadReceivedSerializer(body).data)

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY}, responses=s.UploadReceivedSerializer, auth=[]
    )
    def put(self, request: Request, token: str) -> Response:
        raw = request._request
        return self._receive(request, token, iter(lambda: raw.read(1024 * 1024), b""))

    @extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT}, responses=s.UploadReceivedSerializer, auth=[])
    def post(self, request: Request, token: str) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(field_errors={"file": ["Send the bytes as multipart 'file' or PUT them raw."]})
        return self._receive(request, token, upload.chunks(1024 * 1024))


# --- BOM nodes --------------------------------------------------------------------------------


class AssemblyNodeViewSet(ExportControlled, TenantResource):
    dialect = "enginel"
    queryset = AssemblyNode.objects.select_related("design_asset__series")
    serializer_class = s.NodeSerializer
    input_serializer_class = s.NodeWriteSerializer
    filterset_class = NodeFilter
    search_fields = ("part_name", "part_number")
    ordering_fields = ("path", "depth", "part_number", "created_at")
    ordering = ("design_asset", "path")
    design_path = "design_asset__"
    parent = Parent("design_asset", DesignAsset)
    writes = Writes(create=services.node_create, update=services.node_update, delete=services.node_delete)


# --- reviews ----------------------------------------------------------------------------------


class ReviewViewSet(ExportControlled, TenantResource):
    dialect = "enginel"
    queryset = ReviewSession.objects.select_related("design_asset__series").prefetch_related("decisions__reviewer")
    serializer_class = s.ReviewSerializer
    input_serializer_class = s.ReviewWriteSerializer
    filterset_class = ReviewFilter
    ordering_fields = ("created_at", "due_date", "status")
    ordering = ("-created_at",)
    design_path = "design_asset__"
    parent = Parent("design_asset", DesignAsset)
    writes = Writes(create=services.review_create, update=services.review_update)
    roles: ClassVar[dict[str, Any]] = {"approve": None, "reject": None}

    @extend_schema(request=s.ReviewApproveSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        review = self.get_object()
        data = self.valid_input(s.ReviewApproveSerializer)
        ctx = self.ctx.within(review.organization_id)
        if data.get("approved", True) is False:
            review = services.review_reject(ctx, review, comments=data["comments"])
        else:
            review = services.review_approve(ctx, review, comments=data["comments"])
        return self.present(review)

    @extend_schema(request=s.ReviewRejectSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        review = self.get_object()
        data = self.valid_input(s.ReviewRejectSerializer)
        review = services.review_reject(
            self.ctx.within(review.organization_id), review, comments=data["comments"], reason=data["reason"]
        )
        return self.present(review)


# --- markups ----------------------------------------------------------------------------------


class MarkupViewSet(ExportControlled, TenantResource):
    dialect = "enginel"
    queryset = Markup.objects.select_related("design_asset__series", "author")
    serializer_class = s.MarkupSerializer
    input_serializer_class = s.MarkupWriteSerializer
    filterset_class = MarkupFilter
    search_fields = ("annotation_text",)
    ordering_fields = ("created_at", "severity", "status")
    ordering = ("-created_at",)
    design_path = "design_asset__"
    parent = Parent("design_asset", DesignAsset)
    writes = Writes(create=services.markup_create, update=services.markup_update, delete=services.markup_delete)

    @extend_schema(request=s.MarkupResolveSerializer, responses=s.MarkupSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        markup = self.get_object()
        notes = self.valid_input(s.MarkupResolveSerializer)["resolution_notes"]
        return self.present(
            services.markup_resolve(self.ctx.within(markup.organization_id), markup, resolution_notes=notes)
        )

    @extend_schema(request=s.MarkupDismissSerializer, responses=s.MarkupSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        markup = self.get_object()
        reason = self.valid_input(s.MarkupDismissSerializer)["reason"]
        return self.present(services.markup_dismiss(self.ctx.within(markup.organization_id), markup, reason=reason))
