"""The tables the conformance suite needs where the documents give no usable value.

* ``BODIES``: a valid body for routes whose document has no example (or an example that cannot be sent
  as written, e.g. with made-up ids): a value, or a function of the client (``makers``) that makes
  what the body refers to and returns it (a dict, or ``makers.Multipart`` for an upload).
* ``REQUESTS``: routes whose call is more than a body (cookies, headers, raw content): a function of
  the client and the persona returning the keyword arguments of the call.
* ``QUERIES``: the query string of GET routes whose document requires parameters.
* ``FRESH``: per collection, the maker of a new object: every write route with a placeholder of that
  collection works on an object made for it (state changes and deletions never meet another test);
  the reads (and the role matrix's refused writes) share one per session (``SHARED``).
* ``PERSONA``: who calls, where not the OWNER of the demo organization ``northwind-energy``.
* ``COLLECTIONS``: where the id of a placeholder is found when it is not the path before it.
* ``EXPECT``: the documented status of the case this suite sends, where it is not the method's success.
* ``PUBLIC``: routes the documents give without authentication (beside those marked in their text).
* ``KNOWN_FAILING``: routes served but not conforming, each with the product reason; they run as strict
  xfail (a listed route that passes fails the suite: remove its line).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from custos.ops.spec_report import Route
from tests.conformance import makers as m
from tests.conformance.live import Api

R = Route
STAFF = "staff"
THROWAWAY = "throwaway"  # a new account per test, for routes that end their caller's credential

PUBLIC: set[tuple[str, str]] = {
    ("GET", "/swagger/"),
    ("GET", "/redoc/"),
    ("GET", "/swagger.json"),
    ("GET", "/health/"),
    ("GET", "/api/health/"),
    ("GET", "/api/health/detailed/"),
    ("GET", "/api/docs/"),
    ("GET", "/api/redoc/"),
    ("GET", "/api/schema/"),
    ("GET", "/metrics/"),
    ("GET", "/metrics"),
    ("POST", "/api/auth/users/"),
    ("POST", "/api/auth/jwt/create/"),
    ("POST", "/api/auth/jwt/refresh/"),
    ("POST", "/api/auth/jwt/verify/"),
    ("POST", "/api/auth/users/reset_password/"),
    ("POST", "/api/auth/users/reset_password_confirm/"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/login/"),
    ("POST", "/api/auth/refresh/"),
    ("POST", "/api/access/users/"),
    ("POST", "/api/access/auth/login/"),
    ("POST", "/api/access/auth/refresh/"),
    ("POST", "/api/access/billing/webhook/"),
    ("GET", "/"),
    ("POST", "/api/access/pre-register/"),
}
PUBLIC_PREFIXES = ("/api/access/reset-password-control/", "/api/access/email-confirmation-control/")

# Routes that end the credential they are called with, or change the caller's password.
CREDENTIAL_ENDING = {
    ("POST", "/api/auth/jwt/logout/"),
    ("DELETE", "/api/auth/users/me/"),
    ("POST", "/api/auth/users/set_password/"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/logout/"),
    ("POST", "/api/access/auth/logout/"),
    ("DELETE", "/api/access/users/me/"),
    ("POST", "/api/auth/sessions/revoke_all/"),
}

STAFF_PREFIXES = (
    "/api/admin/users/",
    "/api/admin/settings/",
    "/api/users/",
    "/api/access/users/",
    "/api/settings/",
    "/api/monitoring/",
)
# Routes whose caller is not the default (OWNER, or staff under STAFF_PREFIXES).
PERSONA: dict[tuple[str, str], str] = {
    ("GET", "/api/access/pre-register/"): STAFF,
}

COLLECTIONS: dict[str, str] = {
    "/api/alerts/acknowledge/{alert_id}": "/api/alerts",
    "/api/tasks/status/{task_id}": "/api/tasks/",
    "/api/devices/{device_id}": "/api/devices",
    "/api/analysis/history/{analysis_id}": "/api/analysis/history/",
}

Maker = Callable[[Api], Any]

FRESH: dict[str, Maker] = {
    "/api/users/": m.new_user,
    "/api/access/users/": m.new_user,
    "/api/admin/users/": m.new_user,
    "/api/pipelines/": m.new_pipeline,
    "/api/satellite-images/": m.new_image,
    "/api/analysis-results/": m.new_result,
    "/api/alerts/": m.new_alert,
    "/api/segments/": m.new_segment,
    "/api/configurations/": m.new_configuration,
    "/api/access/logged-devices/": m.new_logged_device,
    "/api/alerts": m.open_twin_alert,
    "/api/tasks/": m.new_task,
    "/api/organizations/": m.new_organization,
    "/api/series/": m.new_series,
    "/api/designs/": m.new_design,
    "/api/bom-nodes/": m.new_bom_node,
    "/api/reviews/": m.new_review,
    "/api/markups/": m.new_markup,
    "/api/auth/api-keys/": m.new_api_key,
    "/api/ai/models/": m.new_model,
    "/api/ai/training/": m.new_training,
    "/api/firmware/versions/": m.new_firmware,
    "/api/firmware/ota/": m.new_ota,
    "/api/admin/devices/": m.new_device,
    "/api/sensors/devices/": m.new_device,
    "/api/reports/": m.new_report,
    "/api/reports/scheduled/": m.new_scheduled,
    "/api/analysis/history/": m.analysis_id,
}
# The one object per session of a FRESH collection that the reads share (``test_routes.shared``), where it
# is also the object of other makers; the other collections share the first object their FRESH maker makes.
SHARED: dict[str, Maker] = {
    "/api/designs/": m.shared_design,  # processed once; the markups and BOM nodes are made on it too
}
# Routes that need their object in a given state (a fresh one, made in that state).
FRESH_ROUTE: dict[tuple[str, str], Maker] = {
    ("POST", "/api/designs/{id}/finalize_upload/"): m.uploaded_design,
    ("POST", "/api/designs/{id}/approve/"): m.designs_in_review,
    ("POST", "/api/analysis-jobs/{id}/cancel/"): m.queued_job,
    ("POST", "/api/ai/models/{model_id}/activate/"): m.trained_model,
    ("POST", "/api/ai/models/{model_id}/deactivate/"): m.active_model,
}

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/auth/users/"): lambda api: {
        "email": f"reg-{m.tag()}@example.com",
        "password": "Conformance-pw-2026!",
        "re_password": "Conformance-pw-2026!",
    },
    ("POST", "/api/auth/jwt/create/"): {"email": m.OWNER_EMAIL, "password": "custos-demo-2026"},
    ("POST", "/api/auth/jwt/refresh/"): lambda api: {"refresh": m.jwt_pair(api)["refresh"]},
    ("POST", "/api/auth/users/reset_password/"): {"email": "member.northwind@example.com"},
    ("POST", "/api/users/"): lambda api: {"email": f"user-{m.tag()}@example.com", "password": "Conformance-pw-2026!"},
    ("POST", "/api/pipelines/"): lambda api: {
        "name": f"Conformance line {m.tag()}",
        "length_km": 2.2,
        "diameter_mm": 400,
        "material": "steel",
        "start_lat": 40.6,
        "start_lon": 15.3,
        "end_lat": 40.61,
        "end_lon": 15.32,
    },
    ("POST", "/api/satellite-images/"): m.image_body,
    ("POST", "/api/analysis-results/"): m.result_body,
    ("POST", "/api/alerts/"): m.alert_body,
    ("POST", "/api/segments/"): m.segment_body,
    ("POST", "/api/configurations/"): m.configuration_body,
    ("POST", "/api/analysis-results/{id}/verify/"): {"verification_notes": "Confirmed on site."},
    ("POST", "/api/analysis-results/{id}/mark-false-positive/"): {"verification_notes": "Shadow of a cloud."},
    ("POST", "/api/alerts/{id}/resolve/"): {"resolution_notes": "Repaired."},
    ("POST", "/api/bugs/"): {"title": "Conformance bug", "description": "Found by the conformance suite."},
    ("POST", "/api/bugs/{bug_id}/comments/"): {"content": "A comment from the conformance suite."},
    ("POST", "/api/auth/login"): {"username": m.OWNER_EMAIL, "password": "custos-demo-2026"},
    ("POST", "/api/auth/login/"): {"username": m.OWNER_EMAIL, "password": "custos-demo-2026"},
    ("POST", "/api/auth/register"): lambda api: {
        "username": f"twin{m.tag()}",
        "email": f"twin-{m.tag()}@example.com",
        "password": "Conformance-pw-2026!",
    },
    ("POST", "/api/access/users/"): lambda api: {
        "email": f"acc-{m.tag()}@example.com",
        "username": f"acc{m.tag()}",
        "password": "Conformance-pw-2026!",
        "password_confirm": "Conformance-pw-2026!",
    },
    ("POST", "/api/access/auth/login/"): {"email": m.OWNER_EMAIL, "password": "custos-demo-2026"},
    ("POST", "/api/access/auth/refresh/"): lambda api: {"refresh": m.jwt_pair(api)["refresh"]},
    ("POST", "/api/access/users/me/avatar/"): lambda api: m.Multipart({}, {"avatar": ("me.png", m.png(), "image/png")}),
    ("POST", "/api/access/logged-devices/"): lambda api: m.device_body(),
    ("POST", "/api/access/reset-password-control/"): {"email": "member.northwind@example.com"},
    ("POST", "/api/access/pre-register/"): lambda api: {"email": f"pre-{m.tag()}@example.com"},
    ("POST", "/api/organizations/{id}/add_member/"): lambda api: {
        "email": f"invitee-{m.tag()}@example.com",
        "role": "MEMBER",
    },
    ("POST", "/api/access/billing/checkout/"): {
        "product": "credits_100",
        "success_url": "https://app.example.com/billing/success",
        "cancel_url": "https://app.example.com/billing/cancel",
    },
    ("POST", "/api/designs/{id}/finalize_upload/"): lambda api: {"file_hash": api.ids["uploaded-file-hash"]},
    ("POST", "/tasks/"): {"type": "add", "x": 2, "y": 3},
    ("POST", "/api/series/"): lambda api: {
        "organization": m.organization(api),
        "part_number": f"TB-{m.tag()}",
        "name": "Turbine Blade Mark II",
        "description": "Improved blade design with better heat resistance",
        "category": "AEROSPACE",
    },
    ("POST", "/api/designs/upload-url/"): lambda api: {
        "series": m.new_series(api),
        "filename": "turbine_blade_v3.step",
        "file_size": 16777216,
        "content_type": "application/step",
    },
    ("POST", "/api/designs/"): m.design_body,
    ("PATCH", "/api/designs/{id}/"): {"material": "Ti-6Al-4V", "revision": "B"},
    ("POST", "/api/designs/{id}/start_review/"): lambda api: {
        "reviewer_ids": [m.me(api)],
        "due_date": "2030-12-20T00:00:00Z",
        "notes": "Please review before production",
    },
    ("POST", "/api/designs/{id}/approve/"): {"notes": "Design meets all requirements"},
    ("POST", "/api/bom-nodes/"): m.bom_body,
    ("POST", "/api/reviews/"): m.review_body,
    ("POST", "/api/reviews/{id}/approve/"): {"comments": "All requirements met", "approved": True},
    ("POST", "/api/reviews/{id}/reject/"): {"comments": "Dimensions do not match", "reason": "INCORRECT_DIMENSIONS"},
    ("POST", "/api/markups/"): m.markup_body,
    ("POST", "/api/markups/{id}/resolve/"): {"resolution_notes": "Increased wall thickness to 3mm"},
    ("POST", "/api/markups/{id}/dismiss/"): {"reason": "Not applicable for this revision"},
    ("POST", "/api/auth/refresh/"): lambda api: {"refresh_token": m.enginel_refresh(api)},
    ("POST", "/api/auth/api-keys/"): lambda api: {"name": f"CI key {m.tag()}"},
    ("POST", "/api/organizations/"): lambda api: m.org_body(),
    ("POST", "/api/ai/models/"): lambda api: m.model_body(),
    ("POST", "/api/ai/datasets/"): m.dataset_body,
    ("POST", "/api/ai/training/"): m.training_body,
    ("POST", "/api/ai/predict/"): m.predict_body,
    ("POST", "/api/firmware/versions/"): lambda api: m.firmware_body(),
    ("POST", "/api/firmware/ota/"): m.ota_body,
    ("POST", "/api/admin/users/"): lambda api: {"email": f"admin-made-{m.tag()}@example.com"},
    ("POST", "/api/reports/"): {"report_type": "quality_summary", "format": "json"},
    ("POST", "/api/reports/scheduled/"): lambda api: m.scheduled_body(),
    ("POST", "/api/reports/templates/"): lambda api: {"name": f"Template {m.tag()}", "report_type": "quality_summary"},
}


def _throwaway_refresh(api: Api, persona: str) -> dict[str, Any]:
    return {"body": {"refresh": m.jwt_pair(api, persona, api.passwords[persona])["refresh"]}}


def _set_password(api: Api, persona: str) -> dict[str, Any]:
    return {"body": {"current_password": api.passwords[persona], "new_password": f"Changed-{m.tag()}-pw!"}}


def _delete_me(api: Api, persona: str) -> dict[str, Any]:
    return {"body": {"current_password": api.passwords[persona]}}


def _reset_confirm(api: Api, persona: str) -> dict[str, Any]:
    email = api.throwaway()
    api.call("POST", "/api/auth/users/reset_password/", None, {"email": email})
    uid, token = m.mail_tokens(api, email)
    return {"body": {"uid": uid, "token": token, "new_password": f"Reset-{m.tag()}-pw!"}}


def _access_reset_confirm(api: Api, persona: str) -> dict[str, Any]:
    email = api.throwaway()
    api.call("POST", "/api/access/reset-password-control/", None, {"email": email})
    uid, token = m.mail_tokens(api, email)
    password = f"Reset-{m.tag()}-pw!"
    return {"body": {"uid": uid, "token": token, "new_password": password, "new_password_confirm": password}}


def _email_confirm(api: Api, persona: str) -> dict[str, Any]:
    email = api.throwaway()
    api.call("POST", "/api/access/email-confirmation-control/", email, {})
    uid, token = m.mail_tokens(api, email)
    return {"body": {"uid": uid, "token": token}}


def _email_request(api: Api, persona: str) -> dict[str, Any]:
    return {"body": {}, "persona": api.throwaway()}


def _webhook(api: Api, persona: str) -> dict[str, Any]:
    payload, headers = m.stripe_event()
    return {"content": payload, "headers": headers}


def _twin_refresh(api: Api, persona: str) -> dict[str, Any]:
    cookies = m.cookie_login(api)
    csrf = cookies.get("csrf_refresh_token") or cookies.get("csrf_access_token") or ""
    return {"body": {}, "cookies": cookies, "headers": {"X-CSRF-TOKEN": csrf}, "persona": None}


REQUESTS: dict[tuple[str, str], Callable[[Api, str], dict[str, Any]]] = {
    ("POST", "/api/auth/jwt/logout/"): _throwaway_refresh,
    ("POST", "/api/access/auth/logout/"): _throwaway_refresh,
    ("POST", "/api/auth/users/set_password/"): _set_password,
    ("DELETE", "/api/auth/users/me/"): _delete_me,
    ("DELETE", "/api/access/users/me/"): _delete_me,
    ("POST", "/api/auth/users/reset_password_confirm/"): _reset_confirm,
    ("POST", "/api/access/reset-password-control/confirm/"): _access_reset_confirm,
    ("POST", "/api/access/email-confirmation-control/"): _email_request,
    ("POST", "/api/access/email-confirmation-control/confirm/"): _email_confirm,
    ("POST", "/api/access/billing/webhook/"): _webhook,
    ("POST", "/api/auth/refresh"): _twin_refresh,
}

QUERIES: dict[tuple[str, str], str] = {
    ("GET", "/api/predictions"): "device_id=TEMP_001",
    ("GET", "/api/historical_data"): "device_id=TEMP_001",
    ("GET", "/api/designs/convert-units/"): "value=25.4&from_unit=mm&to_unit=in",
}

EXPECT: dict[tuple[str, str], set[int]] = {
    # djoser answers these with 204 No Content (the pipeline document lists the djoser routes without codes).
    ("POST", "/api/auth/users/reset_password/"): {204},
    ("POST", "/api/auth/users/reset_password_confirm/"): {204},
    ("POST", "/api/auth/users/set_password/"): {204},
}

KNOWN_FAILING: dict[Route, str] = {
    R("access", "POST", "/api/access/billing/checkout/"): (
        "environment: no STRIPE_SECRET_KEY on the test server and no Stripe stand-in to point the adapter "
        'at: 503 {"error":"Payments are not configured on this server."} (the documented refusal)'
    ),
}
