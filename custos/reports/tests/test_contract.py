"""The API contract of the report resources (custos.api.testing.ApiContractMixin), sqal dialect."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custos.api.testing import ApiContractMixin, assert_error_envelope
from custos.reports.models import Report, ReportTemplate, ScheduledReport

pytestmark = pytest.mark.django_db


class TestTemplateContract(ApiContractMixin):
    list_url = "/api/reports/templates/"
    dialect = "sqal"
    model = ReportTemplate

    def detail_url(self, obj):
        return f"/api/reports/templates/{obj.pk}"

    def create_payload(self, organization):
        return {"name": "Stations", "reportType": "quality_summary", "sections": ["devices"], "title": "Stations"}

    def update_payload(self, obj):
        return {"title": "changed"}

    def make_row(self, organization, user):
        return ReportTemplate.objects.create(
            organization=organization, name=f"T {organization.slug}", report_type="quality_summary", created_by=user
        )


class TestScheduleContract(ApiContractMixin):
    list_url = "/api/reports/scheduled/"
    dialect = "sqal"
    model = ScheduledReport

    def detail_url(self, obj):
        return f"/api/reports/scheduled/{obj.pk}"

    def create_payload(self, organization):
        return {
            "name": "Daily",
            "reportType": "quality_summary",
            "frequency": "daily",
            "time": "06:00",
            "recipients": ["qa@example.com"],
        }

    def update_payload(self, obj):
        return {"name": "changed"}

    def make_row(self, organization, user):
        return ScheduledReport.objects.create(
            organization=organization,
            name="Nightly",
            report_type="quality_summary",
            frequency="daily",
            recipients=["x@example.com"],
            created_by=user,
        )


class TestReportContract(ApiContractMixin):
    """Reports have no update route: the viewer's PATCH is 405 (DELETE and POST 403); a create also starts
    the generation Job, whose own ``job_update`` event follows ``report.create``."""

    list_url = "/api/reports/"
    dialect = "sqal"
    model = Report
    write_methods = ("delete",)

    def detail_url(self, obj):
        return f"/api/reports/{obj.pk}"

    def create_payload(self, organization):
        return {"reportType": "quality_summary", "format": "csv", "days": 3}

    def update_payload(self, obj):
        return {"name": "changed"}

    def make_row(self, organization, user):
        moment = datetime(2026, 3, 1, tzinfo=UTC)
        return Report.objects.create(
            organization=organization,
            name="R",
            report_type="quality_summary",
            format="csv",
            period_start=moment,
            period_end=moment.replace(day=8),
            created_by=user,
        )

    def test_viewer_create_update_delete_are_403_and_change_nothing(self, client_for, viewer, own_object, org_a):
        client = client_for(viewer)
        rows_before, audit_before = Report.objects.count(), self.audit_count()
        stored = self.snapshot(own_object)
        assert_error_envelope(
            client.post(self.list_url, self.create_payload(org_a), format="json"), status=403, dialect="sqal"
        )
        assert_error_envelope(client.delete(self.detail_url(own_object)), status=403, dialect="sqal")
        assert (
            client.patch(self.detail_url(own_object), self.update_payload(own_object), format="json").status_code == 405
        )
        assert Report.objects.count() == rows_before and self.snapshot(own_object) == stored
        assert self.audit_count() == audit_before

    def test_member_create_is_201_with_one_audit_row_and_one_event(
        self, client_for, writer, org_a, published, django_capture_on_commit_callbacks, settings, tmp_path
    ):
        settings.MEDIA_ROOT = str(tmp_path)
        audit_before = self.audit_count(action="CREATE")
        with django_capture_on_commit_callbacks(execute=False):
            response = client_for(writer).post(self.list_url, self.create_payload(org_a), format="json")
        assert response.status_code == 201, response.content
        assert Report.objects.count() == 1 and self.audit_count(action="CREATE") == audit_before + 1
        assert [call.get("event") or call["topic"] for call in published] == ["report.create", "job_update"]
        assert str(published[0]["organization_id"]) == str(org_a.pk)
