"""Role-based write permission for organization-owned resources.

Reads need only authentication: ``TenantViewSet`` already limits what can be seen. Writes need the role
OWNER, ADMIN or MEMBER in the organization concerned (the one the row belongs to, or for a create the
caller's current organization); VIEWERs read only.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from custos.api.tenancy import current_organization_id
from custos.orgs.choices import WRITE_ROLES
from custos.orgs.selectors import role_of


class OrganizationRolePermission(BasePermission):
    message = "Your role in this organization does not allow changes."
    write_roles = WRITE_ROLES

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk"):
            return True  # object writes are decided per object below
        return role_of(user=request.user, organization=current_organization_id(request)) in self.write_roles

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return role_of(user=request.user, organization=obj.organization_id) in self.write_roles
