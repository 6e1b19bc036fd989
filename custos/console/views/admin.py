"""Admin pages: the audit log with search and CSV export, jobs with progress and cancel, members and
invitations, the caller's API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.audit.exports import audit_export_record, export_rows
from custos.audit.selectors import audit_search, audit_visible
from custos.console.state import console_page, is_htmx, write_context
from custos.console.views.common import parse_uuid, require_organization
from custos.identity.models import ApiKeyScope
from custos.identity.selectors import api_key_list
from custos.identity.services.api_keys import IssuedApiKey, api_key_create, api_key_revoke
from custos.jobs import services as jobs
from custos.jobs.models import FINISHED
from custos.jobs.selectors import job_get, job_visible
from custos.kernel.errors import NotFound, ValidationFailed
from custos.orgs.models import Membership, Organization
from custos.orgs.selectors import member_rows

AUDIT_PAGE_SIZE = 50
MAX_QUERY = 200
JOBS_SHOWN = 100
API_KEYS_SHOWN = 100
MAX_KEY_NAME = 100
MAX_KEY_DAYS = 3650
MAX_KEY_NETWORKS = 50


@require_GET
@console_page
def audit_log(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    rows = audit_search(queryset=audit_visible(user=state.user, org_ids=state.org_ids), text=text)
    page = Paginator(rows.order_by("-sequence"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/admin_audit.html", {"page": page, "q": text, "area": "admin"})


def _visible_jobs(request: HttpRequest):  # type: ignore[no-untyped-def]
    state = require_organization(request)
    return job_visible(user=state.user).filter(organization_id=state.organization_id)


@require_GET
@console_page
def job_list(request: HttpRequest) -> HttpResponse:
    jobs_shown = list(_visible_jobs(request).order_by("-created_at")[:JOBS_SHOWN])
    return render(request, "console/admin_jobs.html", {"jobs": jobs_shown, "finished": FINISHED, "area": "admin"})


def _job(request: HttpRequest, job_id: str):  # type: ignore[no-untyped-def]
    state = require_organization(request)
    job = job_get(user=state.user, job_id=job_id)
    if str(job.organization_id) != str(state.organization_id):
        raise NotFound("Task not found.")
    return job


@require_GET
@console_page
def job_row(request: HttpRequest, job_id: str) -> HttpResponse:
    """One job's row (polled by the jobs page while the job runs)."""
    return render(request, "console/_job_row.html", {"job": _job(request, job_id), "finished": FINISHED})


@require_POST
@console_page
def job_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    job = jobs.job_cancel(write_context(request), _job(request, job_id))
    if is_htmx(request):
        return render(request, "console/_job_row.html", {"job": job, "finished": FINISHED})
    return redirect(reverse("console:jobs"))


@require_GET
@console_page
def members(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    organization = Organization.objects.get(pk=state.organization_id)
    rows = member_rows(organization=organization, viewer=state.user)
    people = [row for row in rows if isinstance(row, Membership)]
    invitations = [row for row in rows if not isinstance(row, Membership)]
    return render(
        request,
        "console/admin_members.html",
        {"members": people, "invitations": invitations, "organization": organization, "area": "admin"},
    )


@require_GET
@console_page
def audit_export(request: HttpRequest) -> HttpResponse:
    """The rows the audit page shows for this search, as CSV (``custos.audit.exports``, at most
    ``MAX_EXPORT_ROWS``; the copy is itself recorded as ``EXPORT``)."""
    state = require_organization(request)
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    rows = audit_search(queryset=audit_visible(user=state.user, org_ids=state.org_ids), text=text)
    content, content_type, truncated = export_rows(rows.order_by("sequence"), "csv")
    audit_export_record(
        write_context(request), export_format="csv", filters={"q": text, "source": "console"}, truncated=truncated
    )
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["X-Export-Truncated"] = "true" if truncated else "false"
    return response


def _api_keys_page(
    request: HttpRequest,
    *,
    issued: IssuedApiKey | None = None,
    error: str = "",
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> HttpResponse:
    state = require_organization(request)
    keys = list(api_key_list(user=state.user).order_by("-created_at")[:API_KEYS_SHOWN])
    context = {
        "keys": keys,
        "issued": issued,
        "error": error,
        "form": form or {},
        "scopes": ApiKeyScope.choices,
        "area": "admin",
    }
    response = render(request, "console/admin_api_keys.html", context, status=status)
    if issued is not None:
        response["Cache-Control"] = "no-store"  # the raw key is shown once and never cached
    return response


@require_http_methods(["GET", "POST"])
@console_page
def api_keys(request: HttpRequest) -> HttpResponse:
    """The caller's API keys, masked; creating one shows the raw key once (``api_key_create``)."""
    if request.method == "GET":
        return _api_keys_page(request)
    name = request.POST.get("name", "").strip()
    scopes = request.POST.getlist("scopes")
    expires_days = request.POST.get("expires_days", "").strip()
    allowed_ips = request.POST.get("allowed_ips", "").strip()
    form: dict[str, Any] = {"name": name, "scopes": scopes, "expires_days": expires_days, "allowed_ips": allowed_ips}
    if not name or len(name) > MAX_KEY_NAME:
        return _api_keys_page(request, error=f"Name the key (1 to {MAX_KEY_NAME} characters).", status=400, form=form)
    expires_at = None
    if expires_days:
        days = int(expires_days) if expires_days.isascii() and expires_days.isdigit() and len(expires_days) < 6 else 0
        if not 1 <= days <= MAX_KEY_DAYS:
            return _api_keys_page(
                request, error=f"Expiry: a whole number of days from 1 to {MAX_KEY_DAYS}.", status=400, form=form
            )
        expires_at = timezone.now() + timedelta(days=days)
    networks = [part.strip() for part in allowed_ips.split(",") if part.strip()]
    if len(networks) > MAX_KEY_NETWORKS or len(allowed_ips) > MAX_KEY_NETWORKS * 45:
        return _api_keys_page(request, error=f"At most {MAX_KEY_NETWORKS} addresses.", status=400, form=form)
    try:
        issued = api_key_create(
            write_context(request), name=name, scopes=scopes, expires_at=expires_at, allowed_ips=networks
        )
    except ValidationFailed as error:
        messages = [message for values in (error.field_errors or {}).values() for message in values]
        return _api_keys_page(request, error=" ".join(messages) or error.message, status=400, form=form)
    return _api_keys_page(request, issued=issued)


@require_POST
@console_page
def api_key_revoke_view(request: HttpRequest, key_id: str) -> HttpResponse:
    require_organization(request)
    api_key_revoke(write_context(request), key_id=parse_uuid(key_id, what="API key"))
    return redirect(reverse("console:api-keys"))
