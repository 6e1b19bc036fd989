"""The API contract of the PLM resources and cross-organization isolation on every route."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from custos.api.testing import ApiContractMixin, CrossTenantMixin, TenantRoute
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewDecision, ReviewSession
from custos.modules.plm.tests.conftest import attach_preview, make_design, make_series

pytestmark = pytest.mark.django_db


def _design(organization, user):
    return attach_preview(make_design(make_series(organization, user), user, content=b"ISO-10303-21;\n"))


class TestSeriesContract(ApiContractMixin):
    list_url = "/api/series/"
    dialect = "enginel"
    model = DesignSeries

    def detail_url(self, obj):
        return f"/api/series/{obj.pk}/"

    def create_payload(self, organization):
        return {"part_number": "NEW-1", "name": "New bracket", "category": "AEROSPACE"}

    def update_payload(self, obj):
        return {"description": "changed"}

    def make_row(self, organization, user):
        return make_series(organization, user)


class TestNodeContract(ApiContractMixin):
    list_url = "/api/bom-nodes/"
    dialect = "enginel"
    model = AssemblyNode

    @pytest.fixture
    def own_design(self, org_a, alice):
        return _design(org_a, alice)

    @pytest.fixture
    def own_object(self, own_design, org_a):
        return AssemblyNode.objects.create(
            organization=org_a, design_asset=own_design, path="0001", depth=1, part_name="Root"
        )

    def detail_url(self, obj):
        return f"/api/bom-nodes/{obj.pk}/"

    def create_payload(self, organization):
        design = DesignAsset.objects.filter(organization=organization).first() or _design(organization, None)
        return {"design_asset": str(design.pk), "part_name": "Bolt", "quantity": 12}

    def update_payload(self, obj):
        return {"quantity": 4}

    def make_row(self, organization, user):
        design = _design(organization, user)
        return AssemblyNode.objects.create(
            organization=organization, design_asset=design, path="0001", depth=1, part_name="R"
        )


class TestMarkupContract(ApiContractMixin):
    list_url = "/api/markups/"
    dialect = "enginel"
    model = Markup

    @pytest.fixture
    def own_object(self, org_a, alice):
        return self.make_row(org_a, alice)

    def detail_url(self, obj):
        return f"/api/markups/{obj.pk}/"

    def create_payload(self, organization):
        design = DesignAsset.objects.filter(organization=organization).first() or _design(organization, None)
        return {"design_asset": str(design.pk), "position": {"x": 1, "y": 2, "z": 3}, "annotation_text": "Check"}

    def update_payload(self, obj):
        return {"annotation_text": "changed"}

    def make_row(self, organization, user):
        design = _design(organization, user)
        return Markup.objects.create(
            organization=organization,
            design_asset=design,
            author=user,
            position={"x": 0, "y": 0, "z": 0},
            annotation_text="t",
        )


class TestDesignsAcrossTenants(CrossTenantMixin):
    routes = (
        TenantRoute(list="/api/designs/", detail="/api/designs/{id}/", write_methods=("patch", "delete")),
        TenantRoute(detail="/api/designs/{id}/metadata/"),
        TenantRoute(detail="/api/designs/{id}/bom/"),
        TenantRoute(detail="/api/designs/{id}/download/"),
        TenantRoute(detail="/api/designs/{id}/preview/"),
    )

    @pytest.fixture
    def tenant_user(self, amir):
        return amir

    @pytest.fixture
    def own_object(self, org_a, alice):
        return _design(org_a, alice)

    @pytest.fixture
    def foreign_object(self, org_b, bob):
        return _design(org_b, bob)

    def test_foreign_design_actions_are_404_and_change_nothing(self, client_for, amir, foreign_object, org_b, bob):
        client = client_for(amir)
        before = model_to_dict(DesignAsset.objects.get(pk=foreign_object.pk))
        pk = foreign_object.pk
        for url, body in [
            (f"/api/designs/{pk}/finalize_upload/", {}),
            (f"/api/designs/{pk}/finalize/", {}),
            (f"/api/designs/{pk}/start_review/", {"reviewer_ids": [str(amir.pk)]}),
            (f"/api/designs/{pk}/approve/", {}),
            (f"/api/series/{foreign_object.series_id}/designs/", None),
        ]:
            response = client.post(url, body, format="json") if body is not None else client.get(url)
            assert response.status_code == 404, (url, response.status_code)
        assert model_to_dict(DesignAsset.objects.get(pk=pk)) == before
        assert not ReviewSession.objects.exists()


class TestReviewsAcrossTenants(CrossTenantMixin):
    routes = (TenantRoute(list="/api/reviews/", detail="/api/reviews/{id}/", write_methods=("patch",)),)

    @pytest.fixture
    def tenant_user(self, amir):
        return amir

    def _review(self, organization, user):
        review = ReviewSession.objects.create(organization=organization, design_asset=_design(organization, user))
        ReviewDecision.objects.create(review=review, reviewer=user)
        return review

    @pytest.fixture
    def own_object(self, org_a, amir):
        return self._review(org_a, amir)

    @pytest.fixture
    def foreign_object(self, org_b, bob):
        return self._review(org_b, bob)

    def test_foreign_review_decisions_are_404(self, client_for, bob, amir, foreign_object):
        for verb in ("approve", "reject"):
            assert (
                client_for(amir).post(f"/api/reviews/{foreign_object.pk}/{verb}/", {}, format="json").status_code == 404
            )
        assert ReviewDecision.objects.get(review=foreign_object).decision == "PENDING"


def test_foreign_markup_and_node_actions_are_404(client_for, amir, org_b, bob):
    design = _design(org_b, bob)
    markup = Markup.objects.create(
        organization=org_b, design_asset=design, position={"x": 0, "y": 0, "z": 0}, annotation_text="t"
    )
    client = client_for(amir)
    for verb in ("resolve", "dismiss"):
        assert client.post(f"/api/markups/{markup.pk}/{verb}/", {}, format="json").status_code == 404
    assert Markup.objects.get(pk=markup.pk).status == "OPEN"
    response = client.post("/api/bom-nodes/", {"design_asset": str(design.pk), "part_name": "X"}, format="json")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"design_asset": [f'Invalid pk "{design.pk}" - object does not exist.']}
    assert not AssemblyNode.objects.exists()
