"""Who is using the console and in which organization.

A console login is an ``AuthSession`` like an API login (``identity.services.session_start``), held by
the Django session: "log out everywhere", a password change or an expired session ends the console too.
The console shows one organization at a time (the switcher); every page reads through the domain's
selectors narrowed to ``[state.organization_id]``, as an API call with ``X-Organization`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from custos.identity.selectors import session_is_live
from custos.kernel.context import WriteContext
from custos.kernel.errors import DomainError
from custos.orgs.models import Membership

SESSION_KEY = "console_auth_session"
ORG_KEY = "console_organization"


@dataclass(frozen=True)
class OrgChoice:
    id: str
    name: str
    role: str


@dataclass(frozen=True)
class ConsoleState:
    user: Any
    auth_session_id: str
    organizations: list[OrgChoice]
    current: OrgChoice | None

    @property
    def organization_id(self) -> Any:
        return self.current.id if self.current else None

    @property
    def org_ids(self) -> list[Any]:
        return [self.current.id] if self.current else []

    @property
    def role(self) -> str | None:
        return self.current.role if self.current else None

    @property
    def is_admin(self) -> bool:
        return self.role in {"OWNER", "ADMIN"}

    @property
    def can_write(self) -> bool:
        return self.role in {"OWNER", "ADMIN", "MEMBER"}


def organizations_of(user: Any) -> list[OrgChoice]:
    """The user's active organizations with their role, by name."""
    rows = (
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )
    return [OrgChoice(id=str(m.organization_id), name=m.organization.name, role=m.role) for m in rows]


def console_state(request: HttpRequest) -> ConsoleState | None:
    """The console state of a request, or ``None`` when it has no live console login."""
    user = getattr(request, "user", None)
    session_id = request.session.get(SESSION_KEY)
    if user is None or not user.is_authenticated or not session_id:
        return None
    if not session_is_live(session_id=session_id, user_id=user.pk):
        logout(request)  # revoked elsewhere (log out everywhere, password change) or expired
        return None
    organizations = organizations_of(user)
    wanted = request.session.get(ORG_KEY)
    current = next((org for org in organizations if org.id == wanted), organizations[0] if organizations else None)
    return ConsoleState(user=user, auth_session_id=session_id, organizations=organizations, current=current)


def write_context(request: HttpRequest) -> WriteContext:
    state: ConsoleState = request.console  # type: ignore[attr-defined]
    return WriteContext.from_request(request, organization_id=state.organization_id)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def console_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A console page: a live console login is required (else the login page, then back here), the
    state is on ``request.console``, and a domain error is shown as a page with its status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state = console_state(request)
        if state is None:
            if is_htmx(request):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = reverse("console:login")
                return response
            return redirect(f"{reverse('console:login')}?next={quote(request.get_full_path())}")
        request.console = state  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return render(
                request,
                "console/error.html",
                {"status": error.status_code, "message": error.message},
                status=error.status_code,
            )

    return wrapper
