"""``Authorization: Device <token>``: a device acting with its own credential.

The request then has no user (``request.user`` is anonymous) and carries ``request.device``, which
``WriteContext.from_request`` picks up, so a device's writes are attributed to the device. Views that
accept devices list this class next to the defaults (see ``custos.devices.api.views``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from custos.devices.services import device_authenticate


class DeviceTokenAuthentication(BaseAuthentication):
    keyword = b"device"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid device token header.")
        device = device_authenticate(raw=parts[1].decode("latin-1"))
        if device is None:
            raise exceptions.AuthenticationFailed("Invalid device token.")
        request.device = device
        django_request = getattr(request, "_request", None)
        if django_request is not None:
            django_request.device = device
        return AnonymousUser(), device

    def authenticate_header(self, request: Any) -> str:
        return "Device"
