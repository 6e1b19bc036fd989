from __future__ import annotations

import pytest


@pytest.fixture
def eager_jobs():
    """Run tasks in-process; task errors stay in the job (as in a worker) instead of propagating."""
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def submit(client_for, django_capture_on_commit_callbacks, eager_jobs):
    """``submit(user, body)``: POST /tasks/ and run the queued task (after commit) before returning."""

    def run(user, body, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/tasks/", body, format="json", **headers)
        return response

    return run
