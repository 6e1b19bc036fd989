"""The operator console in a real browser: Debian's headless Chromium, driven by Playwright (no browser
download: ``executable_path``), against a live ``custos serve``. It logs in, opens the twin fleet page,
acknowledges an alarm and sees the row change in place (htmx when installed, else a form post)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_config import ROOT, _clean_env, _custos
from tests.test_serve import Server

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", shutil.which("chromium") or "") if path and Path(path).exists()), None
)
HTMX = ROOT / "console" / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
LEAFLET = ROOT / "console" / "node_modules" / "leaflet" / "dist" / "leaflet.js"
SOCKET_IO = ROOT / "console" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
PASSWORD = "a-long-console-password"
SETUP = (
    "import json; "
    "from custos.identity.tests.factories import user; "
    "from custos.orgs.tests.factories import organization; "
    "from custos.alerts.tests.factories import alert; "
    "from custos.devices.models import Device; "
    "org = organization(name='Browser Org', slug='browser-org'); "
    f"u = user('operator@example.org', password='{PASSWORD}', organization=org, role='MEMBER'); "
    "Device.objects.create(organization=org, device_id='DEV_BROWSER', device_type='temperature_sensor', "
    "status='warning', unit='C'); "
    "a = alert(organization=org, source='twin', alert_type='temperature_high', severity='high', "
    "subject_type='device', subject_id='DEV_BROWSER', message='Temperature above 80'); "
    "from custos.modules.pipelines.models import Pipeline; "
    "Pipeline.objects.create(organization=org, name='Ionian line', length_km=12.0, diameter_mm=500, "
    "material='steel', route={'type': 'LineString', 'coordinates': [[23.0, 38.0], [23.1, 38.05]]}); "
    "p = alert(organization=org, source='pipeline', alert_type='leak', severity='critical', "
    "message='Leak suspected near valve 4'); "
    "print(json.dumps({'alert': str(a.pk), 'pipeline_alert': str(p.pk)}))"
)
CHECK = (
    "from custos.alerts.models import Alert; "
    "a = Alert.objects.get(pk='{alert}'); p = Alert.objects.get(pk='{pipeline_alert}'); "
    "print(a.status, a.acknowledged_by.email, p.status, p.resolution_notes)"
)


def console_server(
    tmp_path: Path, setup: str, *, timeout: int = 120
) -> tuple[dict[str, Any], dict[str, str], Server, Path]:
    """A migrated data directory with ``setup`` run in it (a ``custos manage shell`` script whose last
    printed line is JSON): what it printed, the environment, a server started on it and the screenshots
    folder (``CUSTOS_SCREENSHOTS``, else the test's own)."""
    env = _clean_env(tmp_path, CUSTOS_EMBEDDED_WORKER="false")
    assert _custos("migrate", env=env, timeout=240).returncode == 0
    made = _custos("manage", "shell", "-c", setup, env=env, timeout=timeout)
    assert made.returncode == 0, made.stderr
    shots = Path(os.environ.get("CUSTOS_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    return json.loads(made.stdout.strip().splitlines()[-1]), env, Server(env, tmp_path / "serve.log"), shots


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run does it)")
def test_operator_logs_in_and_acknowledges_an_alarm(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    made_ids, env, server, shots = console_server(tmp_path, SETUP)
    alert_id, pipeline_alert = made_ids["alert"], made_ids["pipeline_alert"]
    try:
        server.wait_ready()
        if HTMX.is_file():  # served from console/node_modules by custos.console.finders
            assert httpx.get(f"{server.base}/static/console/vendor/htmx.min.js", timeout=10).status_code == 200
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                page.goto(f"{server.base}/console/twin/")
                expect(page).to_have_url(f"{server.base}/console/login/?next=/console/twin/")
                page.get_by_label("E-mail or username").fill("operator")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                expect(page).to_have_url(f"{server.base}/console/twin/")
                card = page.locator("li.card[data-device='DEV_BROWSER']")
                expect(card).to_contain_text("Status: Warning")
                expect(card).to_contain_text("Open alarms: 1")
                page.screenshot(path=str(shots / "twin-fleet.png"), full_page=True)
                row = page.locator(f"#alarm-{alert_id}")
                expect(row).to_contain_text("Temperature above 80")
                row.get_by_role("button", name="Acknowledge").click()
                expect(page.locator(f"#alarm-{alert_id} .alarm-state")).to_have_text(
                    "Acknowledged by operator@example.org"
                )
                page.screenshot(path=str(shots / "twin-fleet-acknowledged.png"), full_page=True)

                page.get_by_role("link", name="Pipelines").click()
                expect(page.locator(".figures")).to_contain_text("Open alerts1 (1 critical)")
                if LEAFLET.is_file():  # the route drawn by Leaflet as an SVG path
                    expect(page.locator("#pipeline-map")).to_have_attribute("data-drawn", "1")
                    expect(page.locator("#pipeline-map path.route")).to_have_count(1)
                page.screenshot(path=str(shots / "pipelines.png"), full_page=True)
                row = page.locator(f"#pipeline-alert-{pipeline_alert}")
                row.get_by_label("Notes").fill("Valve 4 replaced")
                row.get_by_role("button", name="Resolve").click()
                expect(page.locator(f"#pipeline-alert-{pipeline_alert} .alert-state")).to_have_text("Resolved")

                page.goto(f"{server.base}/console/admin/audit/")
                expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
                expect(page.locator("tr.audit-row").first).to_be_visible()
                page.screenshot(path=str(shots / "admin-audit.png"), full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    check = CHECK.replace("{alert}", alert_id).replace("{pipeline_alert}", pipeline_alert)
    checked = _custos("manage", "shell", "-c", check, env=env, timeout=120)
    assert checked.stdout.strip().splitlines()[-1] == "acknowledged operator@example.org resolved Valve 4 replaced"


LIVE_SETUP = (
    "import json; "
    "from custos.identity.tests.factories import user; "
    "from custos.orgs.tests.factories import organization; "
    "from custos.alerts.tests.factories import alert; "
    "from custos.devices.models import AlertRule, Device; "
    "org = organization(name='Live Org', slug='live-org'); "
    "other = organization(name='Other Org', slug='other-org'); "
    f"user('operator@example.org', password='{PASSWORD}', organization=org, role='MEMBER'); "
    f"user('supervisor@example.org', password='{PASSWORD}', organization=org, role='MEMBER'); "
    f"user('stranger@example.org', password='{PASSWORD}', organization=other, role='OWNER'); "
    "Device.objects.create(organization=org, device_id='DEV_LIVE', device_type='temperature_sensor', unit='C'); "
    "AlertRule.objects.create(organization=org, name='too_hot', metric='temperature', operator='>', "
    "threshold=80.0, severity='critical', duration_seconds=0); "
    "a = alert(organization=org, source='twin', alert_type='temperature_high', severity='high', "
    "subject_type='device', subject_id='DEV_LIVE', message='Temperature above 80'); "
    "print(json.dumps({'alert': str(a.pk)}))"
)
INGEST = (
    "from django.utils import timezone; "
    "from custos.devices.models import Device; from custos.devices.services import readings_ingest; "
    "from custos.identity.models import User; from custos.kernel.context import WriteContext; "
    "d = Device.objects.get(device_id='DEV_LIVE'); "
    "ctx = WriteContext.for_user(User.objects.get(email='operator@example.org'), organization_id=d.organization_id); "
    "readings_ingest(ctx, device=d, rows=[{'timestamp': timezone.now().isoformat(), 'value': 97.5, "
    "'metric': 'temperature'}]); print('ingested')"
)


def _log_in(page, base: str, identifier: str, path: str = "/console/twin/") -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/login/?next={path}")
    page.get_by_label("E-mail or username").fill(identifier)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}{path}")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run does it)")
@pytest.mark.skipif(not SOCKET_IO.is_file(), reason="socket.io-client not installed (make install with npm)")
def test_alarms_arrive_and_acknowledgements_spread_live_over_socketio(tmp_path):
    """Two consoles of one organization joined to the Socket.IO rooms (polling off while live): an alarm
    raised by readings ingested in another process appears in both; acknowledged in one, it changes in
    the other. A third console of another organization sees none of it."""
    from playwright.sync_api import expect, sync_playwright

    made_ids, env, server, shots = console_server(tmp_path, LIVE_SETUP)
    first_alert = made_ids["alert"]
    try:
        server.wait_ready()
        assert httpx.get(f"{server.base}/static/console/vendor/socket.io.min.js", timeout=10).status_code == 200
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                pages = []
                for identifier in ("operator", "supervisor", "stranger"):
                    page = browser.new_context().new_page()
                    _log_in(page, server.base, identifier)
                    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=20_000)
                    expect(page.locator("[data-live-label]")).to_have_text("Updates: live")
                    pages.append(page)
                operator, supervisor, stranger = pages
                for page in (operator, supervisor):
                    expect(page.locator("li.card[data-device='DEV_LIVE']")).to_contain_text("Open alarms: 1")
                expect(stranger.locator("#alarms")).to_contain_text("No open alarms.")

                ingested = _custos("manage", "shell", "-c", INGEST, env=env, timeout=120)
                assert ingested.stdout.strip().endswith("ingested"), ingested.stderr
                for page in (operator, supervisor):
                    expect(page.locator("li.card[data-device='DEV_LIVE']")).to_contain_text(
                        "Open alarms: 2", timeout=15_000
                    )
                    expect(page.locator("#alarms tr.alarm-row")).to_have_count(2)
                operator.screenshot(path=str(shots / "twin-live-alarm.png"), full_page=True)

                operator.locator(f"#alarm-{first_alert}").get_by_role("button", name="Acknowledge").click()
                state = f"#alarm-{first_alert} .alarm-state"
                expect(operator.locator(state)).to_have_text("Acknowledged by operator@example.org")
                expect(supervisor.locator(state)).to_have_text("Acknowledged by operator@example.org", timeout=15_000)
                supervisor.screenshot(path=str(shots / "twin-live-acknowledged-elsewhere.png"), full_page=True)
                expect(stranger.locator("#alarms")).to_contain_text("No open alarms.")
                expect(stranger.locator("#fleet")).to_have_text("No devices.")
                expect(stranger.locator("li.card")).to_have_count(0)
            finally:
                browser.close()
    finally:
        server.stop()
