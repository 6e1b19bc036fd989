"""The list presenter (``custos.api.serializers.present_rows``) on the audit lists against DRF's own
per-row output, and the filter backend that leaves the FilterSet unbuilt when no filter is named."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone
from djangorestframework_camel_case.util import camelize

from custos.api.filtering import FilterBackend
from custos.api.serializers import FastListSerializer, make_fast_list
from custos.audit.api.serializers import ActivityLogSerializer, AuditLogSerializer
from custos.audit.api.views import AuditLogViewSet
from custos.audit.models import AuditLog
from custos.audit.services import audit_record
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_rows(alice, bob, org_a, org_b):
    """Rows with every kind of value: None and empty columns, a failure, nested changes, a legacy
    vocabulary, a system actor, and another organization's row."""
    return [
        audit_record(
            actor=alice,
            action="CREATE",
            resource_type="DesignAsset",
            resource_id="d-1",
            resource_name="turbine_blade_v3.step",
            changes={"filename": "turbine_blade_v3.step", "nested": {"a": [1, None, "x"]}, "some_key": 1},
            organization_id=org_a.pk,
        ),
        audit_record(actor=alice, action="LOGIN", resource_type="User", resource_id=str(alice.pk)),  # no org
        audit_record(
            actor=alice,
            action="auth.login_failed",
            resource_type="periodic_task",
            success=False,
            error_message="bad password",
            organization_id=org_a.pk,
        ),
        audit_record(WriteContext.system(), action="PURGE", resource_type="MonitoringConfiguration", changes={}),
        audit_record(actor=bob, action="DELETE", resource_type="Pipeline", resource_id="p-9", organization_id=org_b.pk),
    ]


def _per_row(serializer_class, rows, dialect):
    """DRF's own output, one row at a time (``Serializer.to_representation``)."""
    context = {"view": SimpleNamespace(dialect=dialect)}
    return [serializer_class(row, context=context).data for row in rows]


@pytest.mark.parametrize(
    ("serializer_class", "dialect"),
    [(AuditLogSerializer, "enginel"), (AuditLogSerializer, "sqal"), (ActivityLogSerializer, "pipeline")],
)
def test_the_page_equals_the_rows_presented_one_by_one(varied_rows, serializer_class, dialect):
    rows = list(AuditLog.objects.order_by("-sequence"))
    page = make_fast_list(serializer_class(rows, many=True, context={"view": SimpleNamespace(dialect=dialect)}))
    assert isinstance(page, FastListSerializer)
    presented = page.data
    assert presented == _per_row(serializer_class, rows, dialect)
    assert [list(item) for item in presented] == [list(item) for item in _per_row(serializer_class, rows, dialect)]
    assert any(item.get("organization_id", item.get("organization")) is None for item in presented)
    assert any(item["ip_address"] is None for item in presented)
    assert any(item["success"] is False for item in presented)


def test_timestamps_follow_the_current_timezone_as_drf_does(varied_rows):
    rows = list(AuditLog.objects.order_by("-sequence"))
    with timezone.override("Europe/Paris"):
        context = {"view": SimpleNamespace(dialect="enginel")}
        page = make_fast_list(AuditLogSerializer(rows, many=True, context=context)).data
        assert page == _per_row(AuditLogSerializer, rows, "enginel")
    assert page[0]["timestamp"].endswith(("+01:00", "+02:00"))


def _by_rows(body_items, serializer_class, dialect):
    rows = {str(row.pk): row for row in AuditLog.objects.filter(pk__in=[item["id"] for item in body_items])}
    return _per_row(serializer_class, [rows[item["id"]] for item in body_items], dialect)


@pytest.mark.parametrize(
    ("url", "params", "serializer_class", "dialect"),
    [
        ("/api/audit-logs/", {}, AuditLogSerializer, "enginel"),
        ("/api/audit-logs/search/", {"q": "o"}, AuditLogSerializer, "enginel"),
        ("/api/activity-logs/", {"page_size": 2, "page": 2}, ActivityLogSerializer, "pipeline"),
    ],
)
def test_list_bodies_equal_the_per_row_serializer(
    client_for, varied_rows, alice, url, params, serializer_class, dialect
):
    body = client_for(alice).get(url, params).json()
    assert body["results"]
    assert body["results"] == _by_rows(body["results"], serializer_class, dialect)
    foreign = str(varied_rows[-1].pk)  # bob's row of the other organization is never presented
    assert foreign not in {item["id"] for item in body["results"]}


def test_the_admin_list_equals_the_per_row_serializer_camel_cased(client_for, varied_rows, alice):
    items = client_for(alice).get("/api/admin/audit/", {"limit": 100}).json()["items"]
    assert len(items) == 3  # her organization's rows and her own
    expected = camelize(_by_rows(items, AuditLogSerializer, "sqal"), ignore_fields=("changes",))
    assert items == expected
    assert str(varied_rows[-1].pk) not in {item["id"] for item in items}


def test_field_selection_trims_the_page(client_for, varied_rows, alice):
    client = client_for(alice)
    full = client.get("/api/audit-logs/").json()["results"]
    trimmed = client.get("/api/audit-logs/", {"fields": "id,action_display,timestamp"}).json()["results"]
    assert trimmed == [{k: item[k] for k in ("id", "action_display", "timestamp")} for item in full]
    again = client.get("/api/audit-logs/").json()["results"]  # the selection does not stick to the class
    assert again == full


# --- the filter backend ----------------------------------------------------------------------------


def _request(**params):
    return SimpleNamespace(query_params=params)


def test_without_a_filter_parameter_the_rows_are_left_as_they_are(varied_rows):
    queryset = AuditLog.objects.order_by("-sequence")
    view = AuditLogViewSet()
    backend = FilterBackend()
    assert backend.filter_queryset(_request(page_size="5", q="x", fields="id"), queryset, view) is queryset
    filtered = backend.filter_queryset(_request(action="login", page_size="5"), queryset, view)
    assert filtered is not queryset
    assert [row.action for row in filtered] == ["LOGIN"]
    # a parameter that starts with a filter's name (a range filter's sub-field) still builds the FilterSet
    assert backend.filter_queryset(_request(success_min="1"), queryset, view) is not queryset


def test_filters_still_refuse_bad_values(client_for, varied_rows, alice):
    response = client_for(alice).get("/api/audit-logs/", {"organization_id": "nope"})
    assert response.status_code == 400
