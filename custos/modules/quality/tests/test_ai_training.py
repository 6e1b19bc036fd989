"""SQAL AI end to end on constructed samples whose grades are known: datasets, training Jobs, held-out
metrics, activation, prediction (stored sample and frame), metrics, demo loader."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.jobs.models import Job
from custos.kernel.context import WriteContext
from custos.ml import services as ml
from custos.ml.models import Dataset, MLModel, Prediction
from custos.modules.quality.ai import services
from custos.modules.quality.ai.features import FEATURES
from custos.modules.quality.models import QualitySample
from custos.modules.quality.services import parse_frame, sample_ingest
from custos.modules.quality.tests.helpers import frame

# Constructed classes (uniform 8x8 heights, the reference spectrum): the server grades them
# A+ (about 50 mm), A (about 42 mm: ToF 0.68, fused 0.808) and REJECT (about 30 mm: ToF 0.40 < 0.45).
CLASSES = {"A+": 50.0, "A": 42.0, "REJECT": 30.0}
OFFSETS = (-0.4, -0.2, 0.0, 0.2, 0.4, -0.3, 0.3, 0.1)  # 8 samples per class


def store(device, sample_id, *, height, minutes_ago=10):
    when = timezone.now() - timedelta(minutes=minutes_ago)
    body = frame(sample_id, height=height, timestamp=when.isoformat(), device_id=device.device_id)
    ctx = WriteContext(device=device, organization_id=device.organization_id)
    return sample_ingest(ctx, device=device, frame=parse_frame(body, device_id=device.device_id)).sample


def store_classes(device, *, prefix="S"):
    samples = {}
    minute = 200
    for grade, height in CLASSES.items():
        for index, offset in enumerate(OFFSETS):
            minute -= 1
            sample = store(device, f"{prefix}-{grade}-{index}", height=height + offset, minutes_ago=minute)
            samples.setdefault(grade, []).append(sample)
    return samples


def train(client, body, capture):
    """POST /api/ai/training/ with the Job run in this process after commit."""
    with capture(execute=True):
        response = client.post("/api/ai/training/", body, format="json")
    return response


@pytest.fixture
def graded(station):
    return store_classes(station[0])


@pytest.mark.django_db
def test_graded_samples_have_the_constructed_grades(graded):
    assert {grade: sorted({s.grade for s in samples}) for grade, samples in graded.items()} == {
        "A+": ["A+"],
        "A": ["A"],
        "REJECT": ["REJECT"],
    }


@pytest.mark.django_db
def test_dataset_of_server_grades_counts_each_class(client_for, amir, graded):
    response = client_for(amir).post(
        "/api/ai/datasets/", {"name": "All graded", "filters": {"deviceId": "SQAL_001"}}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["size"], data["task"], data["labelSource"], data["source"]) == (
        24,
        "sqal.grade",
        "server_grade",
        "quality.QualitySample",
    )
    assert data["classCounts"] == [
        {"label": "A", "count": 8},
        {"label": "A+", "count": 8},
        {"label": "REJECT", "count": 8},
    ]
    dataset = Dataset.objects.get(pk=data["id"])
    assert dataset.items.count() == 24
    assert set(dataset.items.values_list("subject_id", flat=True)) == {
        s.pk for samples in graded.values() for s in samples
    }
    assert AuditLog.objects.filter(resource_type="Dataset", action="CREATE").count() == 1


@pytest.mark.django_db
def test_dataset_filters_by_grade_and_limit(client_for, amir, graded):
    client = client_for(amir)
    body = client.post(
        "/api/ai/datasets/", {"name": "Rejects", "filters": {"grades": ["REJECT"]}, "limit": 3}, format="json"
    ).json()["data"]
    assert (body["size"], body["classCounts"]) == (3, [{"label": "REJECT", "count": 3}])
    newest = sorted(graded["REJECT"], key=lambda s: s.timestamp, reverse=True)[:3]
    assert set(Dataset.objects.get(pk=body["id"]).items.values_list("subject_id", flat=True)) == {s.pk for s in newest}


@pytest.mark.django_db
def test_training_well_separated_classes_scores_one_on_the_held_out_split(
    client_for, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(amir)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    response = train(client, {"datasetId": dataset_id, "name": "Grader", "parameters": {"n_estimators": 25}},
                     django_capture_on_commit_callbacks)  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()["data"]
    assert created["status"] == "PENDING"  # as presented when created; the Job ran after commit
    job = Job.objects.get(pk=created["id"])
    assert (job.status, job.job_type, job.progress_current, job.progress_total) == ("SUCCESS", "sqal.ai.train", 4, 4)
    model = MLModel.objects.get(pk=created["modelId"])
    assert (model.status, model.is_active, model.version, model.task, model.name) == (
        "ready", False, 1, "sqal.grade", "Grader"
    )  # fmt: skip
    metrics = model.metrics
    assert (metrics["accuracy"], metrics["precision"], metrics["recall"], metrics["f1"]) == (1.0, 1.0, 1.0, 1.0)
    assert (metrics["train_size"], metrics["test_size"]) == (18, 6)  # 25 % of 24, two of each class
    assert metrics["confusion_matrix"] == {"labels": ["A", "A+", "REJECT"], "matrix": [[2, 0, 0], [0, 2, 0], [0, 0, 2]]}
    assert model.features == list(FEATURES)
    assert model.parameters["n_estimators"] == 25
    assert model.samples == 24
    assert model.artifact.name.endswith("sqal.grade/all/v1.joblib")

    detail = client.get(f"/api/ai/training/{created['id']}").json()["data"]
    assert detail["status"] == "SUCCESS"
    assert detail["progress"] == {"current": 4, "total": 4, "percent": 100, "message": "Storing the model"}
    assert detail["result"]["metrics"] == {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert (detail["result"]["samples"], detail["result"]["skippedSamples"]) == (24, 0)


@pytest.mark.django_db
def test_training_is_deterministic(client_for, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks):
    client = client_for(amir)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    body = {"datasetId": dataset_id, "algorithm": "logistic_regression", "testSize": 0.5}
    first = train(client, body, django_capture_on_commit_callbacks).json()["data"]["modelId"]
    second = train(client, body, django_capture_on_commit_callbacks).json()["data"]["modelId"]
    one, two = MLModel.objects.get(pk=first), MLModel.objects.get(pk=second)
    assert (one.version, two.version) == (1, 2)
    assert one.metrics == two.metrics
    assert one.metrics["test_size"] == 12


@pytest.mark.django_db
def test_activate_predict_sample_and_frame_then_metrics(
    client_for, alice, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(amir)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    body = {"datasetId": dataset_id, "parameters": {"n_estimators": 25}, "activate": True}
    model_id = train(client, body, django_capture_on_commit_callbacks).json()["data"]["modelId"]
    assert MLModel.objects.get(pk=model_id).is_active is True

    reject = graded["REJECT"][0]
    answer = client.post("/api/ai/predict/", {"analysisId": str(reject.pk)}, format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()["data"]
    assert (data["label"], data["task"], data["modelId"], data["modelVersion"]) == ("REJECT", "sqal.grade", model_id, 1)
    assert data["input"] == {"source": "sample", "analysisId": str(reject.pk), "sampleId": reject.sample_id,
                             "deviceId": "SQAL_001"}  # fmt: skip
    assert data["referenceLabel"] == "REJECT"
    assert data["probabilities"][0]["label"] == "REJECT"
    assert abs(sum(p["probability"] for p in data["probabilities"]) - 1.0) < 1e-6
    assert set(data["features"]) == set(FEATURES)

    by_station = client.post("/api/ai/predict/", {"sampleId": graded["A"][3].sample_id}, format="json")
    assert by_station.json()["data"]["label"] == "A"

    # A frame never stored: about 50 mm on the reference spectrum, so A+ (the server would grade it A+ too).
    sent = frame("NEW-1", height=50.1)
    answer = client.post("/api/ai/predict/", {"frame": sent}, format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()["data"]
    assert (data["label"], data["referenceLabel"], data["input"]["source"]) == ("A+", "A+", "frame")
    assert not QualitySample.objects.filter(sample_id="NEW-1").exists()

    assert Prediction.objects.count() == 3
    assert AuditLog.objects.filter(resource_type="Prediction", action="CREATE").count() == 3
    figures = client.get("/api/ai/metrics/").json()
    assert figures["predictions"]["total"] == 3
    assert figures["predictions"]["byLabel"] == [
        {"label": "A", "count": 1},
        {"label": "A+", "count": 1},
        {"label": "REJECT", "count": 1},
    ]
    assert figures["predictions"]["referenceAgreement"] == {"compared": 3, "agreed": 3, "rate": 1.0}
    assert [(m["modelId"], m["version"], m["count"]) for m in figures["predictions"]["byModel"]] == [(model_id, 1, 3)]
    assert figures["training"]["total"] == 1
    assert figures["training"]["succeeded"] == 1
    assert figures["models"]["byStatus"]["ready"] == 1
    assert [(m["id"], m["accuracy"], m["f1"]) for m in figures["models"]["active"]] == [(model_id, 1.0, 1.0)]
    assert figures["datasets"] == {"total": 1, "rows": 24}


@pytest.mark.django_db
def test_operator_labels_train_their_own_task(
    client_for, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(amir)
    labels = [{"analysisId": str(s.pk), "label": "keep"} for s in graded["A+"]]
    labels += [{"sampleId": s.sample_id, "deviceId": "SQAL_001", "label": "discard"} for s in graded["REJECT"]]
    response = client.post("/api/ai/datasets/", {"name": "Sorting", "task": "sorting", "labels": labels}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["task"], data["labelSource"], data["size"]) == ("sqal.sorting", "operator", 16)
    assert data["classCounts"] == [{"label": "discard", "count": 8}, {"label": "keep", "count": 8}]
    trained = train(client, {"datasetId": data["id"], "activate": True}, django_capture_on_commit_callbacks)
    model = MLModel.objects.get(pk=trained.json()["data"]["modelId"])
    assert (model.task, model.metrics["accuracy"], model.metrics["label_source"]) == ("sqal.sorting", 1.0, "operator")
    answer = client.post("/api/ai/predict/", {"task": "sorting", "analysisId": str(graded["A"][0].pk)}, format="json")
    assert answer.status_code == 200
    assert answer.json()["data"]["referenceLabel"] is None  # operator labels are not server grades
    # the grade task still has no active model
    refused = client.post("/api/ai/predict/", {"analysisId": str(graded["A"][0].pk)}, format="json")
    assert refused.status_code == 400


@pytest.mark.django_db
def test_retraining_a_trained_model_makes_its_next_version(
    client_for, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(amir)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    first = train(client, {"datasetId": dataset_id, "name": "Grader"}, django_capture_on_commit_callbacks)
    first_id = first.json()["data"]["modelId"]
    again = train(client, {"datasetId": dataset_id, "modelId": first_id}, django_capture_on_commit_callbacks)
    second = MLModel.objects.get(pk=again.json()["data"]["modelId"])
    assert str(second.pk) != first_id
    assert (second.version, second.name, second.status) == (2, "Grader", "ready")


@pytest.mark.django_db
def test_training_a_declared_draft_trains_that_version(
    client_for, amir, graded, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(amir)
    draft = client.post(
        "/api/ai/models/",
        {"name": "Boosted", "algorithm": "gradient_boosting", "parameters": {"n_estimators": 20, "max_depth": 2}},
        format="json",
    ).json()["data"]
    assert (draft["status"], draft["version"], draft["parameters"]["learning_rate"]) == ("draft", 1, 0.1)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    response = train(client, {"datasetId": dataset_id, "modelId": draft["id"]}, django_capture_on_commit_callbacks)
    assert response.json()["data"]["modelId"] == draft["id"]
    model = MLModel.objects.get(pk=draft["id"])
    assert (model.status, model.algorithm, model.metrics["accuracy"], str(model.dataset_id)) == (
        "ready", "gradient_boosting", 1.0, dataset_id
    )  # fmt: skip


@pytest.mark.django_db
def test_a_failed_training_marks_the_model_failed(client_for, amir, graded, run_jobs_inline,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    client = client_for(amir)
    dataset_id = client.post("/api/ai/datasets/", {"name": "All"}, format="json").json()["data"]["id"]
    # The samples go away after the dataset was built: nothing left to learn from.
    QualitySample.objects.all().delete()
    with pytest.raises(services.ValidationFailed):
        train(client, {"datasetId": dataset_id}, django_capture_on_commit_callbacks)
    model = MLModel.objects.get()
    job = Job.objects.get(job_type="sqal.ai.train")
    assert (model.status, job.status) == ("failed", "FAILURE")
    assert "at least two classes" in model.error
    assert not model.artifact


@pytest.mark.django_db
def test_demo_loader_trains_and_activates_once(station):
    from custos.modules.quality.ai.demo import load_ai_model

    assert load_ai_model().endswith("skipped")  # no samples yet
    store_classes(station[0])
    summary = load_ai_model()
    assert "held-out accuracy 1.000, active" in summary
    model = MLModel.objects.get(task="sqal.grade")
    assert (model.is_active, model.status, model.samples) == (True, "ready", 24)
    assert "active model v1 kept" in load_ai_model()
    assert MLModel.objects.count() == 1 and Dataset.objects.count() == 1


@pytest.mark.django_db
def test_registry_refuses_activating_a_draft(org_a, alice):
    ctx = WriteContext.for_user(alice, organization_id=org_a.pk)
    draft = ml.model_create(ctx, task="sqal.grade", algorithm="random_forest", name="x")
    with pytest.raises(services.Conflict):
        ml.model_activate(ctx, draft)
    assert MLModel.objects.get().is_active is False
