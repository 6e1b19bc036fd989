"""``present_rows``: a page equals DRF's per-row output, whatever the rows and fields; fields are built
once per class only when nothing about them can depend on the request."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from custos.api.serializers import _CLASS_FIELDS, FieldsBuiltOnce, make_fast_list, plain_columns, present_rows
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db


class OrgRow(serializers.ModelSerializer):
    tag = serializers.SerializerMethodField()
    title = serializers.CharField(source="name")

    class Meta:
        model = Organization
        fields = ("id", "title", "slug", "is_active", "max_users", "storage_used_bytes", "created_at", "tag")

    def get_tag(self, obj: Organization) -> str:
        return f"{self.context['prefix']}:{obj.slug}"


class Contextual(serializers.CharField):
    """A field whose output depends on the request (through the serializer's context)."""

    def to_representation(self, value):
        return f"{self.context['prefix']}/{value}"


class OrgContextual(serializers.ModelSerializer):
    slug = Contextual()

    class Meta:
        model = Organization
        fields = ("id", "slug")


class OrgPlain(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ("id", "name", "is_us_organization", "max_storage_gb", "updated_at")


@pytest.fixture
def organizations():
    Organization.objects.create(name="North", slug="north", max_users=3, storage_used_bytes=2**40)
    Organization.objects.create(name="South", slug="south", is_active=False)
    return list(Organization.objects.order_by("slug"))


def _page(serializer_class, rows, **context):
    return make_fast_list(serializer_class(rows, many=True, context=context)).data


def _per_row(serializer_class, rows, **context):
    return [serializer_class(row, context=context).data for row in rows]


def test_a_page_equals_drf_per_row_and_methods_see_their_own_page(organizations):
    for prefix in ("first", "second"):  # the fields are the class's; the method is the page's
        assert _page(OrgRow, organizations, prefix=prefix) == _per_row(OrgRow, organizations, prefix=prefix)
    assert _page(OrgRow, organizations, prefix="x")[0]["tag"] == "x:north"
    assert _CLASS_FIELDS[OrgRow] is not None


def test_a_field_reading_the_request_keeps_its_own_fields_per_page(organizations):
    assert _page(OrgContextual, organizations, prefix="a") == [
        {"id": str(org.pk), "slug": f"a/{org.slug}"} for org in organizations
    ]
    assert _page(OrgContextual, organizations, prefix="b")[1]["slug"] == "b/south"
    assert _CLASS_FIELDS[OrgContextual] is None


def test_values_rows_give_the_bytes_instances_give(organizations):
    rows = list(Organization.objects.order_by("slug").values(*plain_columns(OrgPlain)))
    assert plain_columns(OrgPlain) == ("id", "name", "is_us_organization", "max_storage_gb", "updated_at")
    assert _page(OrgPlain, rows) == _per_row(OrgPlain, organizations)
    with pytest.raises(TypeError, match="more than plain columns"):
        plain_columns(OrgRow)


def test_fields_trimmed_on_one_serializer_stay_on_it(organizations):
    trimmed = OrgPlain(organizations, many=True)
    trimmed.child.fields.pop("updated_at")
    assert present_rows(trimmed.child, organizations) == [
        {"id": str(org.pk), "name": org.name, "is_us_organization": False, "max_storage_gb": 10}
        for org in organizations
    ]
    assert "updated_at" in _page(OrgPlain, organizations)[0]


class OrgOnce(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ("id", "name", "subscription_tier", "created_at")


def test_fields_built_once_give_each_serializer_its_own_bound_copies(organizations):
    first, second = OrgOnce(organizations[0]), OrgOnce(organizations[1])
    assert first.data == {**OrgPlainAll(organizations[0]).data}
    assert second.data["name"] == "South"
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second
    assert OrgOnce.__dict__["_fields_built_once"]["name"] is not first.fields["name"]


class OrgPlainAll(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ("id", "name", "subscription_tier", "created_at")


def test_value_rows_count_the_queryset_and_read_only_the_columns(organizations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from custos.api.pagination import ValueRows

    rows = ValueRows(Organization.objects.order_by("slug"), ("slug", "name"))
    with CaptureQueriesContext(connection) as queries:
        assert len(rows) == 2
        assert rows[0:5] == [{"slug": "north", "name": "North"}, {"slug": "south", "name": "South"}]
        assert rows[1] == {"slug": "south", "name": "South"}
    assert "COUNT(*)" in queries[0]["sql"] and "name" not in queries[0]["sql"]
    assert len(queries) == 3
    made = ValueRows(Organization.objects.order_by("slug"), ("slug",), make=lambda row: row[0].upper())
    assert made[0:2] == ["NORTH", "SOUTH"]
    with pytest.raises(IndexError):
        made[2]
