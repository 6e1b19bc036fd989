"""Domain errors raised by services and selectors.

Services never build HTTP responses. They raise these, and each dialect's exception handler
(``custos.api.errors``) renders them in that dialect's envelope with the error's status and code.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "BAD_REQUEST"
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field_errors = field_errors or {}
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 400
    code = "VALIDATION_ERROR"
    default_message = "Validation error"


def does_not_exist(field: str, value: object) -> ValidationFailed:
    """The error for a related object named in a body that the caller cannot see (DRF's wording): the same
    whether it exists in another organization or not at all."""
    return ValidationFailed(field_errors={field: [f'Invalid pk "{value}" - object does not exist.']})


class NotFound(DomainError):
    status_code = 404
    code = "RESOURCE_NOT_FOUND"
    default_message = "Not found."


class PermissionDenied(DomainError):
    status_code = 403
    code = "PERMISSION_DENIED"
    default_message = "You do not have permission to perform this action."


class Conflict(DomainError):
    status_code = 409
    code = "CONFLICT"
    default_message = "The resource already exists or is in a conflicting state."


class LimitExceeded(DomainError):
    status_code = 403
    code = "ORGANIZATION_LIMIT_EXCEEDED"
    default_message = "Subscription limit reached."


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    default_message = "Service temporarily unavailable."
