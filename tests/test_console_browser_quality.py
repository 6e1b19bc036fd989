"""The quality page in a real browser (Debian's headless Chromium driven by Playwright, against a live
``custos serve``): a station pushes samples over ``/ws/sensors/`` with its device token; the console of
its organization, live over ``/ws/realtime/``, shows the new sample's row with its grade without a
reload, while a console of another organization, also live, never shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from tests.test_config import ROOT
from tests.test_console_browser import CHROMIUM, PASSWORD, _log_in, console_server

CHART_JS = ROOT / "console" / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
SETUP = (
    "import json; "
    "from custos.identity.tests.factories import user; "
    "from custos.orgs.tests.factories import organization; "
    "from custos.devices.services import device_token_issue; "
    "from custos.kernel.context import WriteContext; "
    "org = organization(name='Quality Org', slug='quality-org'); "
    "other = organization(name='Other Foods', slug='other-foods'); "
    f"owner = user('operator@example.org', password='{PASSWORD}', organization=org, role='OWNER'); "
    f"user('stranger@example.org', password='{PASSWORD}', organization=other, role='OWNER'); "
    "issued = device_token_issue(WriteContext.for_user(owner, organization_id=org.id), device_id='SQAL_001'); "
    "print(json.dumps({'token': issued.token}))"
)


def _push(base: str, token: str, frames: list[dict]) -> list[dict]:
    """Send ``frames`` over ``/ws/sensors/`` as the station would; the server's replies (``ack``)."""
    from websockets.sync.client import connect

    replies = []
    with connect(f"{base.replace('http://', 'ws://')}/ws/sensors/?token={token}", max_size=None) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_established"
        for body in frames:
            socket.send(orjson.dumps(body).decode())
            replies.append(json.loads(socket.recv(timeout=20)))
    return replies


def _frame(sample_id: str, *, height: float) -> dict:
    from custos.modules.quality.tests.helpers import frame

    return frame(sample_id, height=height, timestamp=datetime.now(UTC).isoformat())


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run does it)")
def test_graded_samples_arrive_live_only_in_their_organizations_console(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    made_ids, _env, server, shots = console_server(tmp_path, SETUP)
    token = made_ids["token"]
    try:
        server.wait_ready()
        if CHART_JS.is_file():
            assert httpx.get(f"{server.base}/static/console/vendor/chart.umd.min.js", timeout=10).status_code == 200
        earlier = _push(
            server.base, token, [_frame(f"EARLY-{n}", height=h) for n, h in enumerate((48.0, 50.0, 52.5, 51.0))]
        )
        assert [reply["type"] for reply in earlier] == ["ack"] * 4, earlier
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                operator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                stranger = browser.new_context().new_page()
                _log_in(operator, server.base, "operator", path="/console/quality/")
                _log_in(stranger, server.base, "stranger", path="/console/quality/")
                for page in (operator, stranger):
                    expect(page.locator("#latest-samples")).to_have_attribute("data-live", "on", timeout=20_000)
                    expect(page.locator("[data-quality-label]")).to_have_text("Updates: live")
                expect(operator.locator("#latest-samples tr.sample-row")).to_have_count(4)
                expect(operator.locator("#process-samples")).to_have_text("4")
                expect(stranger.locator("#latest-samples")).to_contain_text("No samples yet.")
                if CHART_JS.is_file():
                    expect(operator.locator("#capability-chart")).to_have_attribute("data-drawn", "1")
                    expect(operator.locator("#delta-e-chart")).to_have_attribute("data-drawn", "4")
                # the tables behind the charts open from the keyboard
                summary = operator.locator("#capability-table summary")
                summary.focus()
                operator.keyboard.press("Enter")
                expect(operator.locator("#capability-table")).to_have_attribute("open", "")

                [ack] = _push(server.base, token, [_frame("LIVE-1", height=50.0)])
                assert ack["type"] == "ack" and ack["sample_id"] == "LIVE-1", ack
                first = operator.locator("#latest-samples tbody tr").first
                expect(first).to_contain_text("LIVE-1", timeout=15_000)
                expect(first.locator(".grade")).to_have_text(ack["fusion_grade"])
                expect(first).to_contain_text("SQAL_001")
                expect(operator.locator("#latest-samples tr.sample-row")).to_have_count(5)
                operator.screenshot(path=str(shots / "quality.png"), full_page=True)

                # the other organization's console, live all along, never got it
                expect(stranger.locator("#latest-samples")).to_have_attribute("data-live", "on")
                expect(stranger.locator("#latest-samples tr.sample-row")).to_have_count(0)
                expect(stranger.locator("#latest-samples")).to_contain_text("No samples yet.")
                assert "LIVE-1" not in stranger.content() and "SQAL_001" not in stranger.content()
            finally:
                browser.close()
    finally:
        server.stop()
