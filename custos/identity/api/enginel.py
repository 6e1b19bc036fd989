"""The enginel account routes besides login/refresh/logout (shared): verify, sessions, API keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from custos.api.viewsets import DialectViewSet
from custos.identity import selectors, services
from custos.identity.api.common import DialectGenericView, NotApiKey, auth_type, current_session_id, user_context
from custos.identity.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    AuthUserSerializer,
    SessionSerializer,
    VerifySerializer,
)
from custos.identity.models import ApiKey, AuthSession
from custos.kernel.context import WriteContext

UUID_REGEX = "[0-9a-fA-F-]{36}"


class VerifyView(DialectGenericView):
    dialect = "enginel"
    permission_classes = (IsAuthenticated,)
    serializer_class = VerifySerializer

    def get(self, request: Any) -> Response:
        auth = request.auth
        expires_at = None
        if hasattr(auth, "get") and auth.get("exp"):
            expires_at = datetime.fromtimestamp(int(auth["exp"]), tz=UTC).isoformat().replace("+00:00", "Z")
        elif getattr(auth, "expires_at", None):
            expires_at = auth.expires_at.isoformat().replace("+00:00", "Z")
        return Response(
            {
                "valid": True,
                "user": AuthUserSerializer(request.user, context=user_context(request, request.user)).data,
                "auth_type": auth_type(request),
                "session_id": current_session_id(request),
                "expires_at": expires_at,
            }
        )


class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    """The caller's live sessions; revoke one (POST ``{id}/revoke/`` or DELETE) or all (``revoke_all/``)."""

    dialect = "enginel"
    serializer_class = SessionSerializer
    permission_classes = (IsAuthenticated, NotApiKey)
    lookup_value_regex = UUID_REGEX

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AuthSession.objects.none()
        if self.action in ("list",):
            return selectors.session_list_active(user=self.request.user)
        return selectors.session_list(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_session_id": current_session_id(self.request)}

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: Any = None) -> Response:
        session = services.session_revoke(WriteContext.from_request(request), session_id=self.get_object().pk)
        return Response(self.get_serializer(session).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Any, pk: Any = None) -> Response:
        services.session_revoke(WriteContext.from_request(request), session_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"revoked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"])
    def revoke_all(self, request: Any) -> Response:
        """Log out everywhere: every session and token of the caller, this one included."""
        count = services.sessions_revoke_all(WriteContext.from_request(request), user=request.user)
        return Response({"revoked": count})


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    dialect = "enginel"
    serializer_class = ApiKeySerializer
    permission_classes = (IsAuthenticated, NotApiKey)
    lookup_value_regex = UUID_REGEX

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ApiKey.objects.none()
        return selectors.api_key_list(user=self.request.user)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Any) -> Response:
        form = ApiKeyCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = services.api_key_create(WriteContext.from_request(request), **form.validated_data)
        body = ApiKeySerializer(issued.api_key).data
        return Response({"key": issued.raw, **body}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Any, pk: Any = None) -> Response:
        services.api_key_revoke(WriteContext.from_request(request), key_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ApiKeySerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: Any = None) -> Response:
        key = services.api_key_revoke(WriteContext.from_request(request), key_id=self.get_object().pk)
        return Response(ApiKeySerializer(key).data)
