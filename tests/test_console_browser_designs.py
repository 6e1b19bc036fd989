"""The design page in a real browser: Debian's headless Chromium (Playwright, ``executable_path``) against
a live ``custos serve``. A STEP assembly generated with OpenCASCADE is processed as the Job would; the
operator opens it, the three.js viewer draws the GLB preview (pixels read back from the WebGL canvas)
with the stored markup as a marker, a click on the model places a new markup, and approving the review
changes the review and the design in place.

WebGL in headless Chromium: Chromium 156 (Debian 12) falls back to SwiftShader (ANGLE on Vulkan) even
with ``--disable-gpu``; the flags ``--use-angle=swiftshader --enable-unsafe-swiftshader`` ask for it
explicitly, so newer Chromium builds that refuse the implicit software fallback still draw."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.test_config import ROOT, _custos
from tests.test_console_browser import CHROMIUM, PASSWORD, _log_in, console_server

THREE = ROOT / "console" / "node_modules" / "three" / "build" / "three.module.js"
WEBGL_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
SETUP = (
    "import json; "
    "from custos.identity.tests.factories import user; "
    "from custos.orgs.tests.factories import organization; "
    "from custos.kernel.context import WriteContext; "
    "from custos.modules.plm import services; "
    "from custos.modules.plm.cad import samples; "
    "from custos.modules.plm.services.processing import design_process; "
    "from custos.modules.plm.tests.conftest import make_design, make_series; "
    "org = organization(name='Design Org', slug='design-org'); "
    f"u = user('operator@example.org', password='{PASSWORD}', organization=org, role='MEMBER'); "
    "series = make_series(org, u, part_number='BRK-2', name='Bracket'); "
    "d = make_design(series, u, content=samples.bolted_bracket_step(columns=2, rows=1), "
    "filename='bracket.step', status='PROCESSING', material='Steel'); "
    "design_process(design_id=d.pk, progress=lambda *_: None); d.refresh_from_db(); "
    "ctx = WriteContext.for_user(u, organization_id=org.pk); "
    "r = services.review_create(ctx, design_asset=d, data={'reviewers': [u.pk], 'notes': 'Release review'}); "
    "head = samples.PLATE_THICKNESS_MM + 5.5; "
    "services.markup_create(ctx, design_asset=d, data={'review_session': r.pk, 'annotation_text': "
    "'Bolt head sits proud', 'severity': 'MINOR', 'position': {'x': samples.MARGIN_MM, 'y': samples.MARGIN_MM, "
    "'z': head}}); "
    "print(json.dumps({'design': str(d.pk), 'review': str(r.pk), 'box': d.bounding_box, "
    "'triangles': d.preview_info['triangles']}))"
)
CHECK = (
    "import json; from custos.modules.plm.models import DesignAsset, Markup, ReviewSession; "
    "d = DesignAsset.objects.get(pk='{design}'); r = ReviewSession.objects.get(pk='{review}'); "
    "m = Markup.objects.get(design_asset=d, annotation_text='Check the weld here'); "
    "print(json.dumps({'design': d.status, 'review': [r.status, r.outcome], 'position': m.position, "
    "'author': m.author.email, 'camera': m.camera_position is not None}))"
)
# Pixels of the viewer's canvas that are not the background (#eef1f4), and the one nearest the centre
PIXELS = """() => {
  const canvas = document.querySelector('#design-viewer canvas');
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
  const data = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, data);
  let drawn = 0, best = null, bestDistance = Infinity;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    if (Math.abs(data[i] - 0xee) + Math.abs(data[i + 1] - 0xf1) + Math.abs(data[i + 2] - 0xf4) < 12) continue;
    drawn++;
    const d = (x - w / 2) ** 2 + (y - h / 2) ** 2;
    if (d < bestDistance) { bestDistance = d; best = [x, h - 1 - y]; }
  }
  const scale = canvas.getBoundingClientRect().width / w;
  return { drawn, total: w * h, at: best && [best[0] * scale, best[1] * scale], png: canvas.toDataURL().length };
}"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium; .ci/run does it)")
@pytest.mark.skipif(not THREE.is_file(), reason="three not installed (make install with npm)")
def test_design_viewer_draws_the_model_places_a_markup_and_approves(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ids, env, server, shots = console_server(tmp_path, SETUP, timeout=240)
    path = f"/console/designs/{ids['design']}/"
    try:
        server.wait_ready()
        module = httpx.get(f"{server.base}/static/console/vendor/three/addons/loaders/GLTFLoader.js", timeout=10)
        assert module.status_code == 200
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=WEBGL_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                _log_in(page, server.base, "operator", path)
                viewer = page.locator("#design-viewer")
                expect(viewer).to_have_attribute("data-drawn", str(ids["triangles"]), timeout=30_000)
                expect(viewer).to_have_attribute("data-markers", "1")
                expect(viewer.locator("button.marker")).to_have_text(["1"])
                expect(page.locator("#viewer-status")).to_contain_text("1 markup shown")
                # the model is drawn in the design's frame: its bounds are the processed bounding box (mm)
                bounds = json.loads(viewer.get_attribute("data-bounds") or "{}")
                for corner in ("min", "max"):
                    expected = [ids["box"][corner][axis] for axis in "xyz"]
                    assert bounds[corner] == pytest.approx(expected, abs=0.5)
                pixels = page.evaluate(PIXELS)
                assert pixels["drawn"] > pixels["total"] * 0.02, pixels  # the model covers part of the canvas
                assert pixels["png"] > 5000
                page.screenshot(path=str(shots / "design.png"), full_page=True)

                # a click on the model fills the form with the surface point; the markup is stored there
                canvas = viewer.locator("canvas")
                canvas.click(position={"x": pixels["at"][0], "y": pixels["at"][1]})
                expect(viewer).to_have_attribute("data-picked", re.compile(r"^-?[\d.]+,-?[\d.]+,-?[\d.]+$"))
                picked = [float(v) for v in (viewer.get_attribute("data-picked") or "").split(",")]
                for axis, value in zip("xyz", picked, strict=True):
                    assert float(page.locator(f"#markup-form [name='{axis}']").input_value()) == value
                    assert ids["box"]["min"][axis] - 0.5 <= value <= ids["box"]["max"][axis] + 0.5
                form = page.locator("#markup-form")
                expect(form.get_by_label("Comment")).to_be_focused()
                form.get_by_label("Comment").fill("Check the weld here")
                form.get_by_label("Severity").select_option("MAJOR")
                form.get_by_role("button", name="Add markup").click()
                expect(viewer).to_have_attribute("data-markers", "2")
                expect(page.locator(".markups li")).to_have_count(2)
                expect(page.locator(".markups li").nth(1)).to_contain_text("Check the weld here")

                # keyboard: the viewer takes focus and Enter picks the point under the centre cross
                canvas.focus()
                page.keyboard.press("Enter")
                expect(page.locator("#viewer-status")).to_contain_text("Point picked at (")
                expect(form.get_by_label("Comment")).to_be_focused()

                review = page.locator(f"#review-{ids['review']}")
                expect(review.locator(".review-state")).to_contain_text("Status: In progress")
                review.get_by_label("Comments (approval)").fill("Ready for release")
                review.get_by_role("button", name="Approve").click()
                expect(page.locator(f"#review-{ids['review']} .review-state")).to_contain_text(
                    "Status: Completed · outcome: Approved"
                )
                expect(page.locator("#design-status")).to_contain_text("Approved")
                page.screenshot(path=str(shots / "design-approved.png"), full_page=True)
                assert errors == []
            finally:
                browser.close()
    finally:
        server.stop()
    check = CHECK.replace("{design}", ids["design"]).replace("{review}", ids["review"])
    checked = _custos("manage", "shell", "-c", check, env=env, timeout=120)
    state = json.loads(checked.stdout.strip().splitlines()[-1])
    assert state == {
        "design": "APPROVED",
        "review": ["COMPLETED", "APPROVED"],
        "position": dict(zip("xyz", picked, strict=True)),
        "author": "operator@example.org",
        "camera": True,
    }
