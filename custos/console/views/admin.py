"""Admin pages: the audit log with search and CSV export, jobs with progress and cancel, members and
invitations, the caller's API keys, and the settings (the organization's profile; the platform's settings
record for platform staff)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework import serializers

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
from custos.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from custos.ops import services as ops
from custos.ops.api.settings import SystemSettingsSerializer
from custos.ops.selectors import settings_current
from custos.orgs import services as orgs
from custos.orgs.api.serializers import OrganizationInputSerializer
from custos.orgs.choices import Role
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


@require_GET
@console_page
def job_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """One job's progress (``_job_progress.html``), polled every 2 s by any page that includes it while
    the job is pending or running; the answer for a finished job no longer polls."""
    return render(request, "console/_job_progress.html", {"job": _job(request, job_id), "finished": FINISHED})


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
    return _members_page(request)


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


def _members_page(
    request: HttpRequest, *, form: InviteForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    state = require_organization(request)
    organization = Organization.objects.get(pk=state.organization_id)
    rows = member_rows(organization=organization, viewer=state.user)
    people = [row for row in rows if isinstance(row, Membership)]
    invitations = [row for row in rows if not isinstance(row, Membership)]
    context = {
        "members": people,
        "invitations": invitations,
        "organization": organization,
        "area": "admin",
        "invite_form": form or InviteForm(),
        "invite_error": error,
        "invited": request.GET.get("invited") == "1",
    }
    return render(request, "console/admin_members.html", context, status=status)


@require_POST
@console_page
def member_invite(request: HttpRequest) -> HttpResponse:
    """Invite someone by e-mail (``orgs.services.invitation_create``: OWNER/ADMIN, only an OWNER grants
    OWNER, within the organization's user limit; the invitee is mailed a single-use link). Bad input or a
    refusal answers the page with the reason and nothing stored."""
    state = require_organization(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form=form, status=400)
    organization = Organization.objects.get(pk=state.organization_id)
    try:
        orgs.invitation_create(
            write_context(request),
            organization=organization,
            role=form.cleaned_data["role"],
            email=form.cleaned_data["email"],
        )
    except DomainError as exc:
        return _members_page(request, form=form, error=exc.message, status=exc.status_code)
    return redirect(reverse("console:members") + "?invited=1")


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


# --- settings -----------------------------------------------------------------------------------
# Two sections, each validated by the API's own serializer and written by the API's own service:
# the organization's profile (``OrganizationInputSerializer`` + ``orgs.services.organization_update``,
# OWNER/ADMIN, read by every member) and the platform's settings record (``SystemSettingsSerializer`` +
# ``ops.services.settings_update``: platform staff only, as ``/api/settings/`` and ``/api/admin/settings/``).

ORGANIZATION_SETTINGS = ("name", "description", "contact_email", "contact_phone")
SETTING_LABELS = {
    "name": "Name",
    "description": "Description",
    "contact_email": "Contact e-mail",
    "contact_phone": "Contact phone",
    "site_name": "Site name",
    "timezone": "Time zone",
    "email_notifications": "E-mail notifications",
    "sms_notifications": "SMS notifications",
    "alert_notifications": "Alert notifications",
    "analysis_confidence_threshold": "Analysis confidence threshold (0 to 1)",
    "data_retention_days": "Data retention (days)",
    "image_retention_days": "Image retention (days)",
    "log_retention_days": "Log retention (days)",
    "session_timeout_minutes": "Session timeout (minutes)",
    "password_min_length": "Minimum password length",
    "failed_login_lockout": "Failed logins before lockout",
    "lockout_minutes": "Lockout (minutes)",
    "api_rate_limit": "API rate limit (requests per hour)",
    "max_file_size_mb": "Maximum file size (MB)",
    "maintenance_mode": "Maintenance mode",
}
SETTING_HELP = {"timezone": "An IANA name, such as UTC or Europe/Paris."}
HTML_INTEGER_LIMIT = 2**31  # larger bounds (the serializer's 64-bit defaults) are not worth an attribute


@dataclass(frozen=True)
class SettingField:
    """One input of a settings form, described from the API serializer's field."""

    name: str
    label: str
    kind: str  # text, textarea, email, number, checkbox
    value: Any
    errors: tuple[str, ...] = ()
    help: str = ""
    required: bool = False
    max_length: int | None = None
    min_value: Any = None
    max_value: Any = None
    step: str = ""


@dataclass
class SettingsSection:
    key: str  # "organization" or "system": the element id and the ``saved`` marker
    title: str
    action: str
    editable: bool
    fields: list[SettingField]
    error: str = ""
    saved: bool = False
    facts: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def field_errors(self) -> bool:
        return any(item.errors for item in self.fields)

    @property
    def invalid(self) -> bool:
        return bool(self.error) or self.field_errors


def _setting_field(
    serializer_field: serializers.Field, name: str, value: Any, errors: Iterable[str] = ()
) -> SettingField:
    def bound(limit: Any) -> Any:
        return limit if limit is not None and abs(limit) < HTML_INTEGER_LIMIT else None

    common: dict[str, Any] = {
        "name": name,
        "label": SETTING_LABELS.get(name, str(serializer_field.label or name)),
        "value": value,
        "errors": tuple(str(error) for error in errors),
        "help": SETTING_HELP.get(name, ""),
    }
    if isinstance(serializer_field, serializers.BooleanField):
        return SettingField(kind="checkbox", **common)
    if isinstance(serializer_field, serializers.IntegerField | serializers.FloatField):
        return SettingField(
            kind="number",
            required=True,
            min_value=bound(serializer_field.min_value),
            max_value=bound(serializer_field.max_value),
            step="1" if isinstance(serializer_field, serializers.IntegerField) else "any",
            **common,
        )
    assert isinstance(serializer_field, serializers.CharField)
    kind = "email" if isinstance(serializer_field, serializers.EmailField) else "text"
    max_length = serializer_field.max_length
    if kind == "text" and max_length is not None and max_length > 255:
        kind = "textarea"
    return SettingField(kind=kind, required=not serializer_field.allow_blank, max_length=max_length, **common)


def _fields(
    serializer: serializers.Serializer,
    names: Iterable[str],
    values: dict[str, Any],
    errors: dict[str, Any],
) -> list[SettingField]:
    return [_setting_field(serializer.fields[name], name, values.get(name), errors.get(name, ())) for name in names]


def _submitted(request: HttpRequest, serializer: serializers.Serializer, names: Iterable[str]) -> dict[str, Any]:
    """The section's values from a form post: a checkbox is on when sent; other fields as typed."""
    return {
        name: (name in request.POST)
        if isinstance(serializer.fields[name], serializers.BooleanField)
        else request.POST.get(name, "")
        for name in names
    }


def _error_lists(errors: Any, names: Iterable[str]) -> tuple[dict[str, Any], str]:
    """Field errors of the section's fields, and the rest as one message."""
    errors = dict(errors or {})
    own = {name: errors.pop(name) for name in list(errors) if name in set(names)}
    rest = " ".join(str(message) for values in errors.values() for message in values)
    return own, rest


def _organization_of(request: HttpRequest) -> Organization:
    state = require_organization(request)
    return Organization.objects.get(pk=state.organization_id)


def _may_edit_organization(request: HttpRequest) -> bool:
    state = request.console  # type: ignore[attr-defined]
    return bool(state.is_admin or state.user.is_staff)


def _organization_section(
    request: HttpRequest,
    organization: Organization,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
    error: str = "",
    saved: bool = False,
) -> SettingsSection:
    shown = values if values is not None else {name: getattr(organization, name) for name in ORGANIZATION_SETTINGS}
    used_gb = organization.storage_used_bytes / 1024**3
    return SettingsSection(
        key="organization",
        title=f"Organization: {organization.name}",
        action=reverse("console:settings-organization"),
        editable=_may_edit_organization(request),
        fields=_fields(OrganizationInputSerializer(), ORGANIZATION_SETTINGS, shown, errors or {}),
        error=error,
        saved=saved,
        facts=[
            ("Identifier (slug)", organization.slug),
            ("US organization", "yes" if organization.is_us_organization else "no"),
            ("Subscription", organization.subscription_tier),
            ("Members at most", organization.max_users),
            ("Storage", f"{used_gb:.3f} GB used of {organization.max_storage_gb} GB"),
        ],
    )


def _system_section(
    request: HttpRequest,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
    error: str = "",
    saved: bool = False,
) -> SettingsSection | None:
    """The platform's settings record: platform staff only (as the API); ``None`` for everyone else."""
    if not request.user.is_staff:
        return None
    record = settings_current()
    shown = values if values is not None else {name: getattr(record, name) for name in ops.EDITABLE_SETTINGS}
    return SettingsSection(
        key="system",
        title="Platform settings (every organization)",
        action=reverse("console:settings-system"),
        editable=True,
        fields=_fields(SystemSettingsSerializer(), ops.EDITABLE_SETTINGS, shown, errors or {}),
        error=error,
        saved=saved,
        facts=[("Last changed", timezone.localtime(record.updated_at).strftime("%Y-%m-%d %H:%M:%S"))],
    )


def _settings_answer(request: HttpRequest, section: SettingsSection, *, status: int) -> HttpResponse:
    """After a post: the section's fragment for htmx, the whole page otherwise (a redirect when saved)."""
    if is_htmx(request):
        return render(request, "console/admin_settings_form.html", {"section": section}, status=status)
    if status == 200:
        return redirect(f"{reverse('console:settings')}?saved={section.key}")
    return _settings_page(request, replace=section, status=status)


def _settings_page(request: HttpRequest, *, replace: SettingsSection | None = None, status: int = 200) -> HttpResponse:
    state = request.console  # type: ignore[attr-defined]
    if state.current is None and not state.user.is_staff:
        require_organization(request)  # 403: nothing to show
    saved = request.GET.get("saved", "") if request.method == "GET" else ""
    sections: list[SettingsSection] = []
    if state.current is not None:
        sections.append(_organization_section(request, _organization_of(request), saved=saved == "organization"))
    system = _system_section(request, saved=saved == "system")
    if system is not None:
        sections.append(system)
    if replace is not None:
        sections = [replace if section.key == replace.key else section for section in sections]
    return render(request, "console/admin_settings.html", {"sections": sections, "area": "admin"}, status=status)


@require_GET
@console_page
def settings_page(request: HttpRequest) -> HttpResponse:
    """The organization's settings (every member reads them) and, for platform staff, the platform's."""
    return _settings_page(request)


@require_POST
@console_page
def settings_organization(request: HttpRequest) -> HttpResponse:
    """Change the organization's profile as ``PATCH /api/organizations/{id}/`` does (OWNER/ADMIN)."""
    organization = _organization_of(request)
    if not _may_edit_organization(request):
        raise PermissionDenied("This requires the OWNER or ADMIN role in the organization.")
    serializer = OrganizationInputSerializer(
        data=_submitted(request, OrganizationInputSerializer(), ORGANIZATION_SETTINGS), partial=True
    )
    errors: Any = None
    if serializer.is_valid():
        try:
            organization = orgs.organization_update(
                write_context(request), organization=organization, data=dict(serializer.validated_data)
            )
        except ValidationFailed as failure:
            errors = failure.field_errors or {"": [failure.message]}
    else:
        errors = serializer.errors
    if errors is None:
        return _settings_answer(request, _organization_section(request, organization, saved=True), status=200)
    own, rest = _error_lists(errors, ORGANIZATION_SETTINGS)
    section = _organization_section(request, organization, values=dict(serializer.initial_data), errors=own, error=rest)
    return _settings_answer(request, section, status=400)


@require_POST
@console_page
def settings_system(request: HttpRequest) -> HttpResponse:
    """Change the platform's settings record as ``PATCH /api/admin/settings/`` does (platform staff)."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may change the system settings.")
    serializer = SystemSettingsSerializer(
        settings_current(), data=_submitted(request, SystemSettingsSerializer(), ops.EDITABLE_SETTINGS), partial=True
    )
    errors: Any = None
    if serializer.is_valid():
        try:
            # The record is the platform's, not the console's organization's: audited without one.
            ops.settings_update(write_context(request).within(None), data=dict(serializer.validated_data))
        except ValidationFailed as failure:
            errors = failure.field_errors or {"": [failure.message]}
    else:
        errors = serializer.errors
    if errors is None:
        return _settings_answer(request, _system_section(request, saved=True), status=200)  # type: ignore[arg-type]
    own, rest = _error_lists(errors, ops.EDITABLE_SETTINGS)
    section = _system_section(request, values=dict(serializer.initial_data), errors=own, error=rest)
    return _settings_answer(request, section, status=400)  # type: ignore[arg-type]
