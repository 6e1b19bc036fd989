"""Login by e-mail or username (the API's login services: lockout per account and address, audit),
logout (this session or everywhere) and the organization switcher."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from custos.console.state import ORG_KEY, SESSION_KEY, console_page, console_state, organizations_of
from custos.identity import services as identity
from custos.identity.errors import AccountLocked, AuthenticationFailed
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound

BACKEND = "django.contrib.auth.backends.ModelBackend"
MAX_IDENTIFIER = 254
MAX_PASSWORD = 4096


def _next_url(request: HttpRequest, raw: str | None) -> str:
    """Where to go after logging in: a console path on this host, else the console's home."""
    home = reverse("console:home")
    if not raw or not raw.startswith("/console/"):
        return home
    if not url_has_allowed_host_and_scheme(raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return home
    return raw


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if console_state(request) is not None:
            return redirect(_next_url(request, request.GET.get("next")))
        return render(request, "console/login.html", {"next": request.GET.get("next", "")})
    identifier = request.POST.get("identifier", "").strip()
    password = request.POST.get("password", "")
    next_url = request.POST.get("next", "")
    context = {"identifier": identifier[:MAX_IDENTIFIER], "next": next_url}
    if not identifier or not password or len(identifier) > MAX_IDENTIFIER or len(password) > MAX_PASSWORD:
        context["error"] = "Enter your e-mail address or username and your password."
        return render(request, "console/login.html", context, status=400)
    ctx = WriteContext.from_request(request)
    try:
        user = identity.login_authenticate(ctx, identifier=identifier, password=password)
    except AccountLocked as error:
        context["error"] = f"{error.message} (retry in {error.extra.get('retry_after', '?')} s)"
        return render(request, "console/login.html", context, status=429)
    except AuthenticationFailed as error:
        context["error"] = error.message
        return render(request, "console/login.html", context, status=401)
    pair = identity.session_start(ctx, user=user, device_name="Operator console", channel="console")
    login(request, user, backend=BACKEND)  # a new session key: no fixation
    request.session[SESSION_KEY] = pair.session_id
    return redirect(_next_url(request, next_url))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End this console session (``everywhere=1``: every session and token of the account)."""
    state = console_state(request)
    if state is not None:
        ctx = WriteContext.from_request(request)
        if request.POST.get("everywhere") == "1":
            identity.sessions_revoke_all(ctx, user=state.user)
        else:
            identity.session_logout(ctx, session_id=state.auth_session_id)
    logout(request)
    return redirect(reverse("console:login"))


@require_POST
@console_page
def switch_organization(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organization", "")
    if wanted not in {org.id for org in organizations_of(request.user)}:
        raise NotFound("Organization not found among your organizations.")
    request.session[ORG_KEY] = wanted
    return redirect(_next_url(request, request.POST.get("next")))
