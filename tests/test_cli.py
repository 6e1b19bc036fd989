"""The ``custos`` command: first-start administrator, demo data, checks, argument errors."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from custos.cli import ensure_admin, main
from custos.kernel.demo import load_demo
from custos.orgs.models import Membership, Organization
from tests.test_config import _clean_env, _custos

pytestmark = pytest.mark.django_db


def test_ensure_admin_generates_one_administrator_and_prints_it_once(settings):
    settings.CUSTOS_ADMIN_EMAIL = ""
    settings.CUSTOS_ADMIN_PASSWORD = ""
    out = io.StringIO()
    ensure_admin(out)
    line = out.getvalue().strip()
    assert line.startswith("custos: created administrator admin@custos.local with password ")
    password = line.split(" with password ")[1].split()[0]
    admin = get_user_model().objects.get(email="admin@custos.local")
    assert admin.is_superuser and admin.is_staff and admin.check_password(password)
    again = io.StringIO()
    ensure_admin(again)
    assert again.getvalue() == ""
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_ensure_admin_from_environment_never_prints_the_password(settings):
    settings.CUSTOS_ADMIN_EMAIL = "Ops@Example.com"
    settings.CUSTOS_ADMIN_PASSWORD = "a-long-operator-password"
    out = io.StringIO()
    ensure_admin(out)
    assert "a-long-operator-password" not in out.getvalue()
    admin = get_user_model().objects.get(is_superuser=True)
    assert admin.email == "ops@example.com"
    assert admin.check_password("a-long-operator-password")


def _row_counts() -> dict[str, int]:
    """Rows per model, leaving out the append-only trails (audit, events, jobs' results) that a re-run may add to."""
    from django.apps import apps

    trails = {"audit", "events", "django_celery_results", "django_celery_beat", "sessions", "admin"}
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in trails and not model._meta.proxy
    }


def test_demo_is_idempotent(capsys):
    first = load_demo(progress=False)
    assert first[0] == "organizations: 2 organizations, 8 new users (password 'custos-demo-2026')"
    after_first = _row_counts()
    second = load_demo(progress=False)
    assert second[:2] == [
        "organizations: 2 organizations, 0 new users (password 'custos-demo-2026')",
        "pipelines: pipeline 'Basento Crude Line', 0 new analysed images",
    ]
    assert [line.split(":")[0] for line in second] == [line.split(":")[0] for line in first]
    after_second = _row_counts()
    assert {
        label: (count, after_second[label]) for label, count in after_first.items() if after_second[label] != count
    } == {}
    assert Organization.objects.count() == 2
    assert Membership.objects.count() == 8
    owner = Membership.objects.get(user__email="owner.northwind@example.com")
    assert (owner.organization.slug, owner.role) == ("northwind-energy", "OWNER")


@pytest.mark.parametrize("argv", [["serve", "--port", "0"], ["worker", "--concurrency", "0"]])
def test_bad_numbers_are_refused(argv, capsys):
    assert main(argv) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_check_command_reports_every_dependency(tmp_path):
    result = _custos("check", env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip() and "ok" in line]
    assert names[-3:] == ["database", "cache", "queue"]


def test_audit_verify_command(tmp_path):
    env = _clean_env(tmp_path)
    assert _custos("migrate", env=env).returncode == 0
    result = _custos("audit", "verify", env=env)
    assert (result.returncode, result.stdout.strip()) == (0, "audit chain intact: 0 rows")


def test_demo_includes_an_analysed_pipeline():
    from custos.modules.pipelines.models import Pipeline, SatelliteImage

    load_demo(progress=False)
    pipeline = Pipeline.objects.get(name="Basento Crude Line")
    assert pipeline.organization.slug == "northwind-energy"
    assert list(SatelliteImage.objects.values_list("processing_status", flat=True)) == ["completed", "completed"]
