"""The ``/api/ai/*`` contract: the model resource (ApiContractMixin), datasets and training across
tenants, roles, activation rules, and bad input (422) / no active model (400)."""

from __future__ import annotations

import pytest
from sklearn.dummy import DummyClassifier

from custos.api.testing import ApiContractMixin, CrossTenantMixin, TenantRoute, assert_error_envelope
from custos.audit.models import AuditLog
from custos.jobs.models import Job
from custos.jobs.tests.factories import job
from custos.kernel.context import WriteContext
from custos.ml import services as ml
from custos.ml.models import Dataset, MLModel, Prediction
from custos.modules.quality.ai.features import FEATURES
from custos.modules.quality.tests.test_ai_training import store


def draft(organization, *, name="Grader", task="sqal.grade"):
    return ml.model_create(
        WriteContext.system(organization_id=organization.pk), task=task, algorithm="random_forest", name=name
    )


def trained(organization, *, label="A+", activate=False, task="sqal.grade"):
    """A ready version whose estimator always answers ``label`` (a fitted DummyClassifier)."""
    estimator = DummyClassifier(strategy="constant", constant=label).fit([[0.0] * len(FEATURES)] * 2, [label, "B"])
    return ml.model_register(
        WriteContext.system(organization_id=organization.pk),
        organization_id=organization.pk,
        task=task,
        algorithm="dummy",
        estimator=estimator,
        metrics={"accuracy": 0.5, "label_source": "server_grade"},
        features=FEATURES,
        activate=activate,
    )


def dataset(organization, *, items=(), name="Set"):
    return ml.dataset_create(
        WriteContext.system(organization_id=organization.pk),
        name=name,
        task="sqal.grade",
        source="quality.QualitySample",
        items=list(items),
        roles=None,
    )


class TestAIModelContract(ApiContractMixin):
    list_url = "/api/ai/models/"
    dialect = "sqal"
    model = MLModel

    def detail_url(self, obj):
        return f"/api/ai/models/{obj.pk}"

    def create_payload(self, organization):
        return {"name": "Grader", "algorithm": "random_forest", "parameters": {"n_estimators": 10}}

    def update_payload(self, obj):
        return {"description": "changed"}

    def make_row(self, organization, user):
        return draft(organization)


class TestDatasetsAcrossTenants(CrossTenantMixin):
    routes = (TenantRoute(list="/api/ai/datasets/", detail="/api/ai/datasets/{id}", list_params={"limit": 100}),)

    @pytest.fixture
    def tenant_user(self, amir):
        return amir

    @pytest.fixture
    def own_object(self, org_a):
        return dataset(org_a)

    @pytest.fixture
    def foreign_object(self, org_b):
        return dataset(org_b)


class TestTrainingAcrossTenants(CrossTenantMixin):
    routes = (TenantRoute(list="/api/ai/training/", detail="/api/ai/training/{id}", list_params={"limit": 100}),)

    @pytest.fixture
    def tenant_user(self, amir):
        return amir

    @pytest.fixture
    def own_object(self, org_a, amir):
        return job(owner=amir, organization=org_a, job_type="sqal.ai.train", parameters={"model_id": "m"})

    @pytest.fixture
    def foreign_object(self, org_b, bob):
        return job(owner=bob, organization=org_b, job_type="sqal.ai.train")


# --- models: reads, updates, activation ------------------------------------------------------------


@pytest.mark.django_db
def test_model_create_answers_the_draft_in_camelcase(client_for, amir):
    response = client_for(amir).post(
        "/api/ai/models/",
        {"name": "LR", "task": "grade", "algorithm": "logistic_regression", "parameters": {"C": 0.5}},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Created"
    data = body["data"]
    assert (data["task"], data["version"], data["status"], data["isActive"]) == ("sqal.grade", 1, "draft", False)
    assert data["parameters"] == {"C": 0.5, "max_iter": 1000, "class_weight": None}  # sklearn names kept
    again = client_for(amir).post("/api/ai/models/", {"name": "LR2"}, format="json").json()["data"]
    assert (again["version"], again["algorithm"]) == (2, "random_forest")


@pytest.mark.django_db
def test_model_list_filters_and_pagination(client_for, amir, org_a, org_b):
    draft(org_a, name="one")
    active = trained(org_a, activate=True)
    trained(org_a, task="twin.anomaly")
    trained(org_b, activate=True)
    client = client_for(amir)
    body = client.get("/api/ai/models/").json()
    assert body["pagination"]["totalItems"] == 3
    assert [(i["task"], i["version"]) for i in body["items"]] == [
        ("sqal.grade", 2),
        ("sqal.grade", 1),
        ("twin.anomaly", 1),
    ]
    only = client.get("/api/ai/models/", {"task": "grade", "isActive": "true"}).json()
    assert [i["id"] for i in only["items"]] == [str(active.pk)]
    assert client.get("/api/ai/models/", {"status": "draft"}).json()["pagination"]["totalItems"] == 1
    for bad in ({"status": "nope"}, {"is_active": "maybe"}, {"task": "bad task!"}, {"limit": 0}):
        assert_error_envelope(client.get("/api/ai/models/", bad), status=422, dialect="sqal")


@pytest.mark.django_db
def test_one_active_model_per_task(client_for, alice, org_a):
    first, second = trained(org_a, activate=True), trained(org_a)
    client = client_for(alice)
    response = client.post(f"/api/ai/models/{second.pk}/activate/")
    assert response.status_code == 200
    assert (response.json()["data"]["isActive"], response.json()["message"]) == (True, "Model activated")
    first.refresh_from_db()
    assert (first.is_active, first.status) == (False, "retired")
    assert MLModel.objects.filter(task="sqal.grade", is_active=True).get().pk == second.pk
    assert AuditLog.objects.filter(resource_type="MLModel", action="ACTIVATE").count() == 1
    back = client.post(f"/api/ai/models/{first.pk}/activate")  # the other slash form
    assert back.status_code == 200
    assert MLModel.objects.filter(is_active=True).get().pk == first.pk


@pytest.mark.django_db
def test_deactivate_then_predict_is_400(client_for, alice, org_a, station):
    model = trained(org_a, activate=True)
    sample = store(station[0], "S-1", height=50.0)
    client = client_for(alice)
    assert client.post("/api/ai/predict/", {"analysisId": str(sample.pk)}, format="json").status_code == 200
    response = client.post(f"/api/ai/models/{model.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["data"]["isActive"] is False
    refused = client.post("/api/ai/predict/", {"analysisId": str(sample.pk)}, format="json")
    assert_error_envelope(refused, status=400, dialect="sqal")
    assert refused.json()["detail"].startswith("No active model for task sqal.grade")
    assert Prediction.objects.count() == 1
    assert_error_envelope(client.post(f"/api/ai/models/{model.pk}/deactivate/"), status=409, dialect="sqal")


@pytest.mark.django_db
def test_predict_without_any_model_is_400_and_records_nothing(client_for, amir, station):
    sample = store(station[0], "S-1", height=50.0)
    response = client_for(amir).post("/api/ai/predict/", {"analysisId": str(sample.pk)}, format="json")
    assert_error_envelope(response, status=400, dialect="sqal")
    assert Prediction.objects.count() == 0


@pytest.mark.django_db
def test_activation_rules(client_for, alice, amir, org_a):
    untrained = draft(org_a)
    ready = trained(org_a, activate=True)
    admin = client_for(alice)
    assert_error_envelope(admin.post(f"/api/ai/models/{untrained.pk}/activate/"), status=409, dialect="sqal")
    # activation, deactivation and deletion are for OWNER/ADMIN; a member gets 403 and nothing changes
    member = client_for(amir)
    assert_error_envelope(member.post(f"/api/ai/models/{ready.pk}/deactivate/"), status=403, dialect="sqal")
    assert_error_envelope(member.delete(f"/api/ai/models/{untrained.pk}"), status=403, dialect="sqal")
    # the active version cannot be deleted
    assert_error_envelope(admin.delete(f"/api/ai/models/{ready.pk}"), status=409, dialect="sqal")
    assert MLModel.objects.filter(is_active=True).get().pk == ready.pk
    assert MLModel.objects.count() == 2
    assert admin.delete(f"/api/ai/models/{untrained.pk}").status_code == 204
    assert AuditLog.objects.filter(resource_type="MLModel", action="DELETE").count() == 1


@pytest.mark.django_db
def test_deleting_a_model_removes_its_artifact(client_for, alice, org_a):
    model = trained(org_a)
    storage, name = model.artifact.storage, model.artifact.name
    assert storage.exists(name)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client_for(alice).delete(f"/api/ai/models/{model.pk}").status_code == 204
    assert not storage.exists(name)


@pytest.mark.django_db
def test_model_update_rules(client_for, amir, org_a):
    ready, untrained = trained(org_a), draft(org_a)
    client = client_for(amir)
    renamed = client.patch(f"/api/ai/models/{ready.pk}", {"name": "Renamed"}, format="json")
    assert (renamed.status_code, renamed.json()["data"]["name"]) == (200, "Renamed")
    refused = client.patch(f"/api/ai/models/{ready.pk}", {"algorithm": "logistic_regression"}, format="json")
    assert_error_envelope(refused, status=422, dialect="sqal")
    assert MLModel.objects.get(pk=ready.pk).algorithm == "dummy"
    changed = client.patch(f"/api/ai/models/{untrained.pk}", {"parameters": {"n_estimators": 7}}, format="json")
    assert changed.json()["data"]["parameters"]["n_estimators"] == 7


# --- bad input: 422, nothing changes -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "algorithm": "svm"},
        {"name": "x", "task": "twin.anomaly"},
        {"name": "x", "parameters": {"n_estimators": 0}},
        {"name": "x", "parameters": {"n_estimators": 10_000}},
        {"name": "x", "parameters": {"kernel": "rbf"}},
        {"name": "x", "parameters": {"max_depth": "deep"}},
        {"name": "x", "parameters": "many"},
    ],
)
def test_model_create_bad_input_is_422(client_for, amir, body):
    response = client_for(amir).post("/api/ai/models/", body, format="json")
    assert_error_envelope(response, status=422, dialect="sqal")
    assert isinstance(response.json()["detail"], list)
    assert MLModel.objects.count() == 0


@pytest.mark.django_db
def test_dataset_bad_input_is_422(client_for, amir, org_b, station, helios_station):
    own = store(station[0], "S-1", height=50.0)
    foreign = store(helios_station[0], "H-1", height=50.0)
    client = client_for(amir)
    cases = [
        {},
        {"name": "x", "filters": {"grades": ["Z"]}},
        {"name": "x", "filters": {"startDate": "2026-02-01T00:00:00Z", "endDate": "2026-01-01T00:00:00Z"}},
        {"name": "x", "limit": 0},
        {"name": "x", "labels": []},
        {"name": "x", "labels": [{"label": "keep"}]},
        {"name": "x", "labels": [{"analysisId": str(own.pk), "sampleId": "S-1", "label": "keep"}]},
        {"name": "x", "labels": [{"analysisId": str(foreign.pk), "label": "keep"}]},  # another organization's
        {"name": "x", "labels": [{"analysisId": str(own.pk), "label": "a"}, {"sampleId": "S-1", "label": "b"}]},
        {"name": "x", "labels": [{"analysisId": str(own.pk), "label": "a"}], "filters": {"deviceId": "SQAL_001"}},
        {"name": "x", "filters": {"deviceId": "NOPE"}},  # matches nothing
    ]
    for body in cases:
        response = client.post("/api/ai/datasets/", body, format="json")
        assert_error_envelope(response, status=422, dialect="sqal")
    assert Dataset.objects.count() == 0
    located = client.post(
        "/api/ai/datasets/", {"name": "x", "labels": [{"analysisId": str(foreign.pk), "label": "keep"}]}, format="json"
    ).json()["detail"]
    assert located[0]["loc"] == ["body", "labels[0].analysis_id"]


@pytest.mark.django_db
def test_training_bad_input_is_422(client_for, amir, org_a, org_b, station):
    one_class = [(store(station[0], f"S-{i}", height=50.0).pk, "A+") for i in range(4)]
    own = dataset(org_a, items=one_class)
    foreign = dataset(org_b)
    client = client_for(amir)
    cases = [
        {},
        {"datasetId": "not-a-uuid"},
        {"datasetId": str(foreign.pk)},
        {"datasetId": str(own.pk)},  # one class only
        {"datasetId": str(own.pk), "testSize": 0.9},
        {"datasetId": str(own.pk), "algorithm": "svm"},
        {"datasetId": str(own.pk), "modelId": str(draft(org_b).pk)},
    ]
    for body in cases:
        response = client.post("/api/ai/training/", body, format="json")
        assert_error_envelope(response, status=422, dialect="sqal")
    assert Job.objects.filter(job_type="sqal.ai.train").count() == 0
    assert MLModel.objects.filter(organization=org_a).count() == 0
    detail = client.post("/api/ai/training/", {"datasetId": str(own.pk)}, format="json").json()["detail"]
    assert "at least two classes" in detail[0]["msg"]


@pytest.mark.django_db
def test_predict_bad_input_is_422(client_for, amir, org_a, station, helios_station):
    trained(org_a, activate=True)
    own = store(station[0], "S-1", height=50.0)
    foreign = store(helios_station[0], "H-1", height=50.0)
    client = client_for(amir)
    bad_frame = {"vl53l8ch": {"distance_matrix": [[1, 2]]}, "as7341": {"channels": {"F1_415nm": -1}}}
    cases = [
        {},
        {"analysisId": str(own.pk), "sampleId": "S-1"},
        {"analysisId": "nope"},
        {"analysisId": str(foreign.pk)},  # another organization's sample
        {"sampleId": "UNKNOWN"},
        {"frame": bad_frame},
        {"frame": "text"},
        {"analysisId": str(own.pk), "task": "bad task!"},
    ]
    for body in cases:
        response = client.post("/api/ai/predict/", body, format="json")
        assert_error_envelope(response, status=422, dialect="sqal")
    assert Prediction.objects.count() == 0
    locs = [
        item["loc"] for item in client.post("/api/ai/predict/", {"frame": bad_frame}, format="json").json()["detail"]
    ]
    assert ["body", "frame.vl53l8ch.distance_matrix"] in locs
    assert ["body", "frame.as7341.channels.F1_415nm"] in locs


# --- roles and anonymous --------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401_everywhere(api_client):
    for method, path in [
        ("get", "/api/ai/datasets/"),
        ("post", "/api/ai/datasets/"),
        ("get", "/api/ai/training/"),
        ("post", "/api/ai/training/"),
        ("post", "/api/ai/predict/"),
        ("get", "/api/ai/metrics/"),
    ]:
        assert_error_envelope(getattr(api_client, method)(path, {}, format="json"), status=401, dialect="sqal")


@pytest.mark.django_db
def test_viewer_cannot_build_train_or_predict(client_for, vera, org_a, station):
    trained(org_a, activate=True)
    sample = store(station[0], "S-1", height=50.0)
    own = dataset(org_a, items=[(sample.pk, "A+")])
    client = client_for(vera)
    audit_before = AuditLog.objects.count()
    for path, body in [
        ("/api/ai/datasets/", {"name": "x"}),
        ("/api/ai/training/", {"datasetId": str(own.pk)}),
        ("/api/ai/predict/", {"analysisId": str(sample.pk)}),
    ]:
        assert_error_envelope(client.post(path, body, format="json"), status=403, dialect="sqal")
    assert (Dataset.objects.count(), Prediction.objects.count()) == (1, 0)
    assert Job.objects.filter(job_type="sqal.ai.train").count() == 0
    assert AuditLog.objects.count() == audit_before


@pytest.mark.django_db
def test_training_jobs_are_visible_to_their_owner_and_the_admins(client_for, alice, amir, adam, org_a):
    alices = job(owner=alice, organization=org_a, job_type="sqal.ai.train")
    amirs = job(owner=amir, organization=org_a, job_type="sqal.ai.train")
    job(owner=amir, organization=org_a, job_type="test")  # not a training run
    ids = {i["id"] for i in client_for(amir).get("/api/ai/training/").json()["items"]}
    assert ids == {str(amirs.pk)}
    assert client_for(amir).get(f"/api/ai/training/{alices.pk}").status_code == 404
    assert {i["id"] for i in client_for(adam).get("/api/ai/training/").json()["items"]} == {
        str(alices.pk),
        str(amirs.pk),
    }


@pytest.mark.django_db
def test_metrics_count_only_the_callers_organizations(client_for, amir, org_a, org_b):
    trained(org_a, activate=True)
    draft(org_a)
    trained(org_b, activate=True)
    dataset(org_b)
    figures = client_for(amir).get("/api/ai/metrics/").json()
    assert figures["models"]["total"] == 2
    assert figures["models"]["byStatus"] == {"draft": 1, "training": 0, "ready": 1, "failed": 0, "retired": 0}
    assert figures["datasets"] == {"total": 0, "rows": 0}
    assert figures["predictions"]["total"] == 0
    assert figures["predictions"]["referenceAgreement"] == {"compared": 0, "agreed": 0, "rate": None}
    assert_error_envelope(client_for(amir).get("/api/ai/metrics/", {"task": "a.b.c"}), status=422, dialect="sqal")
