"""Admin pages: the audit log with search, jobs with progress and cancel, members and invitations."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from custos.audit.selectors import audit_search, audit_visible
from custos.console.state import console_page, is_htmx, write_context
from custos.console.views.common import require_organization
from custos.jobs import services as jobs
from custos.jobs.models import FINISHED
from custos.jobs.selectors import job_get, job_visible
from custos.kernel.errors import NotFound
from custos.orgs.models import Membership, Organization
from custos.orgs.selectors import member_rows

AUDIT_PAGE_SIZE = 50
MAX_QUERY = 200
JOBS_SHOWN = 100


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
