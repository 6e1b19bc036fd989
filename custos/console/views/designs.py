"""The designs pages, over the PLM module's selectors and services (export control as in the API).

The designs page lets a writer upload a new version of a series (``design_upload``, the API's checks:
format sniffing, size limit, storage quota, export control); the design page then shows its processing
Job's progress until it finishes. The design page shows the glTF preview in a three.js viewer
(``static/console/design_viewer.js``), the mass properties, the BOM tree, the design's review sessions
with Approve / Reject for an assigned reviewer (``review_approve`` / ``review_reject``, the API's rules)
and its markups, which a writer adds at a point of the model (``markup_create``). Every write is a plain
form post answered by a redirect; with htmx the same form posts in place and the server answers the
block's fragment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from custos.console.state import ConsoleState, console_page, is_htmx, write_context
from custos.console.views.common import one_of, require_organization
from custos.jobs.models import FINISHED
from custos.jobs.selectors import job_visible
from custos.kernel.errors import DomainError, ValidationFailed
from custos.modules.plm import access as plm_access
from custos.modules.plm import services as plm
from custos.modules.plm.api.serializers import DesignUploadSerializer
from custos.modules.plm.choices import OPEN_REVIEW, Decision, Severity
from custos.modules.plm.models import DesignAsset, DesignSeries, Markup, ReviewSession
from custos.modules.plm.selectors import bom_tree

DESIGNS_SHOWN = 200
REVIEWS_SHOWN = 50
MARKUPS_SHOWN = 500
MAX_TEXT = 10000  # annotation_text, as the API's MarkupWriteSerializer
MAX_REASON = 100  # as the API's ReviewRejectSerializer


def _visible_series(state: ConsoleState) -> Any:
    return DesignSeries.objects.for_orgs([state.organization_id]).filter(
        plm_access.visible_q(state.user, state.org_ids, series="")
    )


def _list_page(
    request: HttpRequest, state: ConsoleState, *, status: int = 200, upload_error: tuple[str, str] | None = None
) -> HttpResponse:
    series = list(_visible_series(state).order_by("part_number"))
    designs = DesignAsset.objects.filter(plm_access.visible_q(state.user, state.org_ids, design="")).order_by(
        "series_id", "-version_number"
    )
    by_series: dict[Any, list[DesignAsset]] = {}
    for design in designs[:DESIGNS_SHOWN]:
        by_series.setdefault(design.series_id, []).append(design)
    rows = [{"series": item, "designs": by_series.get(item.pk, [])} for item in series]
    context = {"rows": rows, "area": "designs", "upload_error": upload_error}
    return render(request, "console/designs.html", context, status=status)


@require_GET
@console_page
def design_list(request: HttpRequest) -> HttpResponse:
    """Series and their versions that the user may open (export control as in the API's lists)."""
    return _list_page(request, require_organization(request))


@require_POST
@console_page
def design_upload(request: HttpRequest, series_id: str) -> HttpResponse:
    """A new version of a series from the page's form: validated by the API's ``DesignUploadSerializer``
    and stored by ``design_upload`` (role, format sniffing, size limit, storage quota, export control,
    audit); then the design page, which follows the processing Job. A refusal answers the list page with
    the reason beside the series' form (400, 403 or 413) and nothing stored."""
    state = require_organization(request)
    series = one_of(_visible_series(state), series_id, what="Series")
    form = DesignUploadSerializer(
        data={"series": str(series.pk), "file": request.FILES.get("file"), "material": request.POST.get("material", "")}
    )
    if not form.is_valid():
        reasons = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        return _list_page(request, state, status=400, upload_error=(str(series.pk), reasons))
    try:
        design = plm.design_upload(write_context(request), series=series, data=dict(form.validated_data))
    except DomainError as exc:
        return _list_page(request, state, status=exc.status_code, upload_error=(str(series.pk), exc.message))
    return redirect(reverse("console:design", args=[design.pk]))


# --- forms ------------------------------------------------------------------------------------


class ReviewDecisionForm(forms.Form):
    comments = forms.CharField(required=False, max_length=MAX_TEXT)
    reason = forms.CharField(required=False, max_length=MAX_REASON)


class MarkupForm(forms.Form):
    """A markup at a point of the model, in the design's coordinates (millimetres, as the preview)."""

    x = forms.FloatField()
    y = forms.FloatField()
    z = forms.FloatField()
    annotation_text = forms.CharField(max_length=MAX_TEXT, label="Comment")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.INFO)
    review_session = forms.ChoiceField(required=False, choices=[("", "No review")], label="Review")
    # where the viewer's camera was when the point was picked (optional, all three or none)
    camera_x = forms.FloatField(required=False)
    camera_y = forms.FloatField(required=False)
    camera_z = forms.FloatField(required=False)
    target_x = forms.FloatField(required=False)
    target_y = forms.FloatField(required=False)
    target_z = forms.FloatField(required=False)

    def __init__(self, *args: Any, reviews: Sequence[ReviewSession] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["review_session"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "No review")] + [
            (str(review.pk), f"Review of {review.created_at:%Y-%m-%d %H:%M} ({review.get_status_display()})")
            for review in reviews
        ]

    def _point(self, prefix: str) -> dict[str, float] | None:
        values = [self.cleaned_data.get(f"{prefix}_{axis}") for axis in "xyz"]
        if all(value is None for value in values):
            return None
        if any(value is None for value in values):
            raise forms.ValidationError(f"Give all three {prefix} coordinates or none.")
        return {axis: float(value) for axis, value in zip("xyz", values, strict=True) if value is not None}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            data["camera_position"] = self._point("camera")
            data["camera_target"] = self._point("target")
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "position": {"x": data["x"], "y": data["y"], "z": data["z"]},
            "annotation_text": data["annotation_text"],
            "severity": data["severity"],
            "review_session": data["review_session"] or None,
        }
        for name in ("camera_position", "camera_target"):
            if data.get(name) is not None:
                values[name] = data[name]
        return values


# --- reading ----------------------------------------------------------------------------------


def _design(request: HttpRequest, design_id: str) -> tuple[ConsoleState, DesignAsset]:
    """The design in the console's organization (else 404) that the user may open (else 403 and an
    ``ITAR_VIOLATION`` audit row), as the API's object check."""
    state = require_organization(request)
    design = one_of(DesignAsset.objects.for_orgs(state.org_ids).select_related("series"), design_id, what="Design")
    plm_access.check_design(write_context(request), design)
    return state, design


def _reviews(design: DesignAsset, user: Any) -> list[dict[str, Any]]:
    reviews = list(
        ReviewSession.objects.filter(design_asset=design)
        .select_related("created_by")
        .prefetch_related("decisions__reviewer")
        .order_by("-created_at")[:REVIEWS_SHOWN]
    )
    rows = []
    for review in reviews:
        decisions = sorted(review.decisions.all(), key=lambda d: (d.reviewer.username, d.pk))
        mine = next((d for d in decisions if d.reviewer_id == user.pk), None)
        rows.append(
            {
                "review": review,
                "decisions": decisions,
                "may_decide": review.status in OPEN_REVIEW and mine is not None and mine.decision == Decision.PENDING,
            }
        )
    return rows


def _markups(design: DesignAsset) -> list[Markup]:
    return list(
        Markup.objects.filter(design_asset=design)
        .select_related("author", "review_session")
        .order_by("created_at", "pk")[:MARKUPS_SHOWN]
    )


def markup_data(markups: list[Markup]) -> list[dict[str, Any]]:
    """What the viewer draws: each markup's number (as in the list), point and labels."""
    return [
        {
            "id": str(markup.pk),
            "number": number,
            "position": markup.position,
            "camera_position": markup.camera_position,
            "camera_target": markup.camera_target,
            "severity": markup.severity,
            "status": markup.status,
            "text": markup.annotation_text,
        }
        for number, markup in enumerate(markups, start=1)
    ]


def _open_reviews(design: DesignAsset) -> list[ReviewSession]:
    return list(ReviewSession.objects.filter(design_asset=design, status__in=OPEN_REVIEW).order_by("-created_at"))


def _markups_context(design: DesignAsset, form: MarkupForm | None = None) -> dict[str, Any]:
    markups = _markups(design)
    return {
        "markups": markups,
        "markup_data": markup_data(markups),
        "markup_form": form or MarkupForm(reviews=_open_reviews(design)),
    }


def _page(
    request: HttpRequest,
    state: ConsoleState,
    design: DesignAsset,
    *,
    status: int = 200,
    form: MarkupForm | None = None,
    review_error: str = "",
) -> HttpResponse:
    job = None
    if design.processing_job_id is not None:
        job = job_visible(user=state.user).filter(pk=design.processing_job_id).first()
    context = {
        "design": design,
        "processing_job": job,
        "finished": FINISHED,
        "bom": bom_tree(design),
        "reviews": _reviews(design, state.user),
        "review_error": review_error,
        "area": "designs",
        **_markups_context(design, form),
    }
    return render(request, "console/design.html", context, status=status)


@require_GET
@console_page
def design_detail(request: HttpRequest, design_id: str) -> HttpResponse:
    state, design = _design(request, design_id)
    return _page(request, state, design)


@require_GET
@console_page
def design_preview(request: HttpRequest, design_id: str) -> Any:  # a FileResponse (streamed)
    """The GLB the viewer draws: the API's ``preview`` route for the console's login (same checks, a
    ``PREVIEW`` audit row; 404 until the design has a preview)."""
    _, design = _design(request, design_id)
    plm.design_record_preview(write_context(request), design)
    stem = design.filename.rsplit(".", 1)[0] or "design"
    response = FileResponse(design.preview.open("rb"), filename=f"{stem}.glb", content_type="model/gltf-binary")
    response["Cache-Control"] = "private, no-store"
    return response


# --- writes -----------------------------------------------------------------------------------


def _back(design: DesignAsset, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('console:design', args=[design.pk])}#{anchor}")


@require_POST
@console_page
def review_decide(request: HttpRequest, design_id: str, review_id: str, verdict: str) -> HttpResponse:
    """Approve or reject a review of this design as one of its assigned reviewers (``review_approve`` /
    ``review_reject``: the API's rules; anyone else gets 403 and nothing changes)."""
    state, design = _design(request, design_id)
    review = one_of(ReviewSession.objects.filter(design_asset=design), review_id, what="Review")
    form = ReviewDecisionForm(request.POST)
    ctx = write_context(request)
    try:
        if not form.is_valid():
            raise ValidationFailed(
                "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()),
            )
        if verdict == "approve":
            plm.review_approve(ctx, review, comments=form.cleaned_data["comments"])
        else:
            plm.review_reject(ctx, review, comments=form.cleaned_data["comments"], reason=form.cleaned_data["reason"])
    except DomainError as error:
        if is_htmx(request):  # the block again, with the reason, under the error's status
            return _reviews_fragment(request, state, design, status=error.status_code, error=error.message)
        if isinstance(error, ValidationFailed):
            return _page(request, state, design, status=400, review_error=error.message)
        raise
    if is_htmx(request):
        design.refresh_from_db()
        return _reviews_fragment(request, state, design)
    return _back(design, f"review-{review.pk}")


def _reviews_fragment(
    request: HttpRequest, state: ConsoleState, design: DesignAsset, *, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"design": design, "reviews": _reviews(design, state.user), "review_error": error, "oob": True}
    return render(request, "console/_design_reviews.html", context, status=status)


@require_POST
@console_page
def markup_add(request: HttpRequest, design_id: str) -> HttpResponse:
    """A markup at a point of the model (``markup_create``: OWNER, ADMIN, MEMBER; bad input is a 400 with
    the form's errors and nothing stored)."""
    state, design = _design(request, design_id)
    form = MarkupForm(request.POST, reviews=_open_reviews(design))
    if form.is_valid():
        try:
            plm.markup_create(write_context(request), design_asset=design, data=form.service_data())
        except DomainError as error:
            if not isinstance(error, ValidationFailed) and not is_htmx(request):
                raise  # 403 (a VIEWER): the error page
            for name, messages in error.field_errors.items():
                form.add_error(name if name in form.fields else None, messages)
            if not error.field_errors:
                form.add_error(None, error.message)
            if not isinstance(error, ValidationFailed):
                context = {"design": design, **_markups_context(design, form)}
                return render(request, "console/_design_markups.html", context, status=error.status_code)
        else:
            if is_htmx(request):
                return render(request, "console/_design_markups.html", {"design": design, **_markups_context(design)})
            return _back(design, "markups")
    if is_htmx(request):
        context = {"design": design, **_markups_context(design, form)}
        return render(request, "console/_design_markups.html", context, status=400)
    return _page(request, state, design, status=400, form=form)
