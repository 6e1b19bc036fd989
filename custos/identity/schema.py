"""OpenAPI security schemes of the authenticators (drf-spectacular extensions, loaded by the app)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "custos.identity.authentication.CustosJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <jwt>` (or `Token <jwt>`)",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "custos.identity.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: ApiKey <key>`",
        }


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "custos.identity.authentication.CookieJWTAuthentication"
    name = "jwtCookieAuth"
    match_subclasses = False

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "access_token_cookie",
            "description": "Unsafe methods also need `X-CSRF-TOKEN` equal to the `csrf_access_token` cookie.",
        }
