"""The operator console in a real browser: Debian's headless Chromium, driven by Playwright (no browser
download: ``executable_path``), against a live ``custos serve``. It logs in, opens the twin fleet page,
acknowledges an alarm and sees the row change in place (htmx when installed, else a form post)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.test_config import ROOT, _clean_env, _custos
from tests.test_serve import Server

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", shutil.which("chromium") or "") if path and Path(path).exists()), None
)
HTMX = ROOT / "console" / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
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
    "print(json.dumps({'alert': str(a.pk)}))"
)
CHECK = (
    "from custos.alerts.models import Alert; "
    "a = Alert.objects.get(pk='{alert}'); print(a.status, a.acknowledged_by.email)"
)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run does it)")
def test_operator_logs_in_and_acknowledges_an_alarm(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    env = _clean_env(tmp_path, CUSTOS_EMBEDDED_WORKER="false")
    assert _custos("migrate", env=env, timeout=240).returncode == 0
    made = _custos("manage", "shell", "-c", SETUP, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    alert_id = json.loads(made.stdout.strip().splitlines()[-1])["alert"]
    server = Server(env, tmp_path / "serve.log")
    shots = Path(os.environ.get("CUSTOS_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
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
            finally:
                browser.close()
    finally:
        server.stop()
    checked = _custos("manage", "shell", "-c", CHECK.replace("{alert}", alert_id), env=env, timeout=120)
    assert checked.stdout.strip().splitlines()[-1] == "acknowledged operator@example.org"
