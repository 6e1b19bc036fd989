"""Job progress in the console: the ``_job_progress.html`` fragment and its view, the jobs page's rows
(polled every 2 s while a job is pending or running, no longer once it is final), tenancy and visibility."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from custos.console.tests.test_console import logged_in
from custos.jobs import services as jobs
from custos.jobs.models import Job, JobStatus
from custos.jobs.tests.factories import job
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def progress_text(content: bytes, job_id) -> str:
    match = re.search(
        rf'id="job-progress-text-{job_id}" class="job-progress-text">(.*?)</span>', content.decode(), re.S
    )
    assert match, content
    return html.unescape(match.group(1))


def progress_value(content: bytes, job_id) -> str:
    match = re.search(
        rf'<progress max="100" value="(\d+)" aria-labelledby="job-progress-text-{job_id}">', content.decode()
    )
    assert match, content
    return match.group(1)


def test_progress_fragment_shows_the_stored_progress_and_polls_while_running(org_a, alice):
    running = job(owner=alice, organization=org_a, job_type="analysis", status=JobStatus.STARTED)
    jobs.job_progress(WriteContext.system(), job=running, current=3, total=8, message="Reading bands & masks")
    stored = Job.objects.get(pk=running.pk)
    response = logged_in(alice).get(f"/console/admin/jobs/{running.pk}/progress/")
    assert response.status_code == 200
    assert progress_text(response.content, running.pk) == (
        f"In progress · {stored.percent} % · step {stored.progress_current} of {stored.progress_total} · "
        f"{stored.progress_message}"
    )
    assert progress_text(response.content, running.pk) == "In progress · 38 % · step 3 of 8 · Reading bands & masks"
    assert progress_value(response.content, running.pk) == "38"
    assert (
        f'hx-get="/console/admin/jobs/{running.pk}/progress/" hx-trigger="every 2s" hx-swap="outerHTML"'
        in response.content.decode()
    )


def test_a_pending_job_without_steps_shows_zero(org_a, alice):
    waiting = job(owner=alice, organization=org_a)
    response = logged_in(alice).get(f"/console/admin/jobs/{waiting.pk}/progress/")
    assert progress_text(response.content, waiting.pk) == "Pending · 0 %"
    assert progress_value(response.content, waiting.pk) == "0"
    assert b'hx-trigger="every 2s"' in response.content


def test_rows_poll_while_running_and_stop_once_final(org_a, alice):
    running = job(owner=alice, organization=org_a, status=JobStatus.PROGRESS, progress_current=1, progress_total=4)
    client = logged_in(alice)
    page = client.get("/console/admin/jobs/").content.decode()
    row = re.search(rf'<tr id="job-{running.pk}".*?</tr>', page, re.S).group(0)
    # the row polls itself; the progress inside it does not poll a second time
    assert row.count('hx-trigger="every 2s"') == 1
    assert f'hx-get="/console/admin/jobs/{running.pk}/row/"' in row
    assert progress_text(row.encode(), running.pk) == "In progress · 25 % · step 1 of 4"

    jobs.job_finish(WriteContext.system(), job_id=running.pk, status=JobStatus.SUCCESS, result={"ok": True})
    final = client.get(f"/console/admin/jobs/{running.pk}/row/", **HTMX)
    assert final.status_code == 200
    assert b"hx-trigger" not in final.content
    assert b"hx-get" not in final.content
    assert b">Cancel</button>" not in final.content
    assert progress_text(final.content, running.pk) == "Succeeded · 100 % · step 4 of 4"
    fragment = client.get(f"/console/admin/jobs/{running.pk}/progress/")
    assert b"hx-trigger" not in fragment.content
    assert progress_value(fragment.content, running.pk) == "100"


def test_cancelling_with_htmx_answers_a_final_row(org_a, alice):
    running = job(owner=alice, organization=org_a, status=JobStatus.STARTED)
    response = logged_in(alice).post(f"/console/admin/jobs/{running.pk}/cancel/", **HTMX)
    assert response.status_code == 200
    assert b'<td class="job-status">Cancelled</td>' in response.content
    assert b"hx-trigger" not in response.content
    assert progress_text(response.content, running.pk) == "Cancelled · 0 %"
    assert Job.objects.get(pk=running.pk).status == JobStatus.CANCELLED


def test_another_organizations_job_is_a_404(org_a, org_b, alice, bob):
    foreign = job(owner=bob, organization=org_b, status=JobStatus.PROGRESS, progress_current=1, progress_total=2)
    client = logged_in(alice)
    for suffix in ("progress", "row"):
        response = client.get(f"/console/admin/jobs/{foreign.pk}/{suffix}/")
        assert response.status_code == 404
        assert b"step 1 of 2" not in response.content
    assert client.get("/console/admin/jobs/not-a-uuid/progress/").status_code == 404
    assert client.post(f"/console/admin/jobs/{foreign.pk}/cancel/", **HTMX).status_code == 404
    assert Job.objects.get(pk=foreign.pk).status == JobStatus.PROGRESS
    # a personal job of alice (no organization) is not the console organization's either
    personal = job(owner=alice)
    assert client.get(f"/console/admin/jobs/{personal.pk}/progress/").status_code == 404


def test_members_follow_their_own_jobs_only(org_a, alice, amir, vera):
    own = job(owner=amir, organization=org_a, status=JobStatus.PROGRESS, progress_current=2, progress_total=2)
    assert progress_text(logged_in(amir).get(f"/console/admin/jobs/{own.pk}/progress/").content, own.pk) == (
        "In progress · 100 % · step 2 of 2"
    )
    assert logged_in(alice).get(f"/console/admin/jobs/{own.pk}/progress/").status_code == 200  # the OWNER
    assert logged_in(vera).get(f"/console/admin/jobs/{own.pk}/progress/").status_code == 404  # another member


def test_progress_needs_a_login(org_a, alice):
    running = job(owner=alice, organization=org_a, status=JobStatus.STARTED)
    anonymous = Client()
    assert anonymous.get(f"/console/admin/jobs/{running.pk}/progress/").status_code == 302
    htmx = anonymous.get(f"/console/admin/jobs/{running.pk}/progress/", **HTMX)
    assert (htmx.status_code, htmx["HX-Redirect"]) == (401, "/console/login/")
