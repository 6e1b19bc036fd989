"""``custos demo``: a scheduled report (registered with ``register_demo``)."""

from __future__ import annotations

from django.utils import timezone

from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.orgs.choices import Role
from custos.orgs.models import Membership, Organization
from custos.reports.models import ReportTemplate, ScheduledReport
from custos.reports.registry import report_kinds
from custos.reports.services import schedule_create, schedules_run_due, template_create

PREFERRED = ("quality_summary", "twin_health")


@register_demo("sqal-reports", order=330)
def load_reports() -> str:
    organization = Organization.objects.filter(slug="northwind-energy").first()
    if organization is None:
        return "skipped (no demo organization)"
    kinds = {kind.name: kind for kind in report_kinds()}
    kind = next((kinds[name] for name in PREFERRED if name in kinds), None)
    if kind is None:
        return "skipped (no report type registered)"
    owner = Membership.objects.filter(organization=organization, role=Role.OWNER).select_related("user").first()
    ctx = WriteContext.for_user(owner.user if owner else None, organization_id=organization.pk)
    if owner is None:
        ctx = WriteContext.system(organization_id=organization.pk)
    template = ReportTemplate.objects.filter(organization=organization, name="Weekly overview").first()
    if template is None:
        template = template_create(
            ctx,
            data={
                "name": "Weekly overview",
                "report_type": kind.name,
                "title": f"{organization.name}: {kind.title.lower()}",
                "sections": list(kind.sections),
                "default_format": "pdf",
            },
        )
    schedule = ScheduledReport.objects.filter(organization=organization, name="Weekly overview").first()
    started: list[str] = []
    if schedule is None:
        schedule = schedule_create(
            ctx,
            data={
                "name": "Weekly overview",
                "template_id": template.pk,
                "format": "pdf",
                "frequency": "weekly",
                "day_of_week": 0,
                "hour": 7,
                "minute": 0,
                "recipients": [owner.user.email if owner else "owner.northwind@example.com"],
            },
        )
        # Run it once now so the demo has a generated, e-mailed report to show.
        ScheduledReport.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
        started = schedules_run_due()
    return f"template {template.name!r}, weekly schedule {schedule.name!r} ({kind.name}), {len(started)} run started"
