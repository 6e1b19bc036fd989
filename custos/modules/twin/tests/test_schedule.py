"""The periodic tasks of the twin analytics are in the beat schedule, and their task names exist."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_retraining_and_scoring_are_scheduled():
    from config.celery import app

    scheduled = dict(PeriodicTask.objects.filter(task__startswith="twin.").values_list("task", "interval__every"))
    assert scheduled == {"twin.retrain_models_periodic": 1, "twin.update_health_scores": 1}
    app.loader.import_default_modules()
    assert {"twin.retrain_models_periodic", "twin.update_health_scores", "twin.train_models"} <= set(app.tasks)


def test_periodic_retraining_queues_one_job_per_organization(org_a, org_b, run_jobs_inline):
    from custos.jobs.models import Job
    from custos.modules.twin.tasks import retrain_models_periodic
    from custos.modules.twin.tests.conftest import make_device

    make_device(org_a, "A1")
    make_device(org_b, "B1")
    started = retrain_models_periodic()
    jobs = Job.objects.filter(job_type="twin.train_models")
    assert sorted(str(j.pk) for j in jobs) == sorted(started)
    assert {j.organization_id for j in jobs} == {org_a.pk, org_b.pk}
