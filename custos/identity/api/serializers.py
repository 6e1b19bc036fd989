"""Input and output shapes of the account routes (one set per dialect where the specs differ)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.api.serializers import FieldsBuiltOnce
from custos.identity.models import (
    ApiKey,
    ApiKeyScope,
    AuthSession,
    ClearanceLevel,
    DeviceType,
    LoggedDevice,
    PreRegistration,
)
from custos.identity.selectors import ACTIVE_MEMBERSHIPS
from custos.orgs.selectors import Attestation, attestation_shown, platform_role

User = get_user_model()

AVATAR_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")


# --- Output -----------------------------------------------------------------------------------


class PipelineUserSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "username", "first_name", "last_name")
        read_only_fields = fields


class AttestationFieldsMixin(serializers.Serializer):
    """``is_us_person`` / ``security_clearance_level`` of a user response: the attestation of the
    organization in context (``context["organization_id"]``, the X-Organization one), else of the user's
    only organization; ``null`` with several organizations and none named, or with none."""

    is_us_person = serializers.SerializerMethodField()
    security_clearance_level = serializers.SerializerMethodField()

    def _attestation(self, user: Any) -> Attestation | None:
        # ``context`` is the serializer's own dict (the stubs type it read-only).
        cache = cast("dict[str, Any]", self.context).setdefault("_attestations", {})
        if user.pk not in cache:
            memberships = getattr(user, ACTIVE_MEMBERSHIPS, None)
            if memberships is None:
                memberships = list(user.memberships.filter(organization__is_active=True))
            cache[user.pk] = attestation_shown(
                memberships=memberships, organization_id=self.context.get("organization_id")
            )
        return cache[user.pk]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_is_us_person(self, user: Any) -> bool | None:
        shown = self._attestation(user)
        return None if shown is None else shown.is_us_person

    @extend_schema_field(serializers.ChoiceField(choices=ClearanceLevel.choices, allow_null=True))
    def get_security_clearance_level(self, user: Any) -> str | None:
        shown = self._attestation(user)
        return None if shown is None else shown.clearance_level


class AccessUserSerializer(AttestationFieldsMixin, serializers.ModelSerializer):
    avatar = serializers.ImageField(read_only=True)

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "phone_number",
            "birth_date",
            "avatar",
            "notification_settings",
            "email_confirmed",
            "credits",
            "is_us_person",
            "security_clearance_level",
            "is_staff",
            "date_joined",
            "last_login",
        )
        read_only_fields = fields


class AuthUserSerializer(AttestationFieldsMixin, serializers.ModelSerializer):
    """The ``user`` of the shared login body (twin's ``{id, username, email, created_at, role}`` and more)."""

    role = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "is_staff",
            "is_us_person",
            "security_clearance_level",
            "email_confirmed",
            "created_at",
        )
        read_only_fields = fields

    def get_role(self, user: Any) -> str:
        return platform_role(user=user)


class TokenBodySerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    expires_in = serializers.IntegerField()
    token_type = serializers.CharField()
    user = AuthUserSerializer()


class TokenRefreshBodySerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    expires_in = serializers.IntegerField()
    token_type = serializers.CharField()


class AccessRefreshPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TwinMeSerializer(serializers.Serializer):
    logged_in_as = serializers.CharField()
    role = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    user = AuthUserSerializer()
    auth_type = serializers.CharField()
    session_id = serializers.UUIDField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class SessionSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = AuthSession
        fields = (
            "id",
            "device_name",
            "ip_address",
            "user_agent",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_current",
        )
        read_only_fields = fields

    def get_is_current(self, session: AuthSession) -> bool:
        return str(session.pk) == str(self.context.get("current_session_id") or "")


class ApiKeySerializer(serializers.ModelSerializer):
    key_masked = serializers.CharField(read_only=True)

    class Meta:
        model = ApiKey
        fields: tuple[str, ...] = (
            "id",
            "name",
            "key_masked",
            "scopes",
            "allowed_ips",
            "expires_at",
            "is_active",
            "last_used_at",
            "revoked_at",
            "created_at",
        )
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once: only its hash is stored.")

    class Meta(ApiKeySerializer.Meta):
        fields = ("key", *ApiKeySerializer.Meta.fields)
        read_only_fields = fields


class LoggedDeviceSerializer(serializers.ModelSerializer):
    device_type = serializers.ChoiceField(choices=DeviceType.choices)
    device_name = serializers.CharField(max_length=150)
    place = serializers.CharField(max_length=150, required=False, allow_blank=True)

    class Meta:
        model = LoggedDevice
        fields = ("id", "device_type", "device_name", "place", "ip_address", "last_login_at", "created_at")
        read_only_fields = ("id", "ip_address", "created_at")
        validators: list[Any] = []  # uniqueness is checked by the service (one 400 non-field error)


class PreRegistrationSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(required=False)
    email_address = serializers.EmailField(required=False, write_only=True)
    email_adress = serializers.EmailField(required=False, write_only=True)

    class Meta:
        model = PreRegistration
        fields = ("id", "email", "email_address", "email_adress", "created_at")
        read_only_fields = ("id", "created_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        email = attrs.get("email") or attrs.get("email_address") or attrs.get("email_adress")
        if not email:
            raise serializers.ValidationError({"email": ["This field is required."]})
        return {"email": email}


# --- Input ------------------------------------------------------------------------------------


def _unique(model_field: str, value: str) -> str:
    if User.objects.filter(**{f"{model_field}__iexact": value.strip()}).exists():
        raise serializers.ValidationError(f"A user with this {model_field.replace('_', ' ')} already exists.")
    return value


class AccessRegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    password_confirm = serializers.CharField(write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    notification_settings = serializers.DictField(required=False)
    avatar = serializers.ImageField(required=False, allow_null=True)

    def validate_email(self, value: str) -> str:
        return _unique("email", value)

    def validate_username(self, value: str) -> str:
        return _unique("username", value)

    def validate_avatar(self, value: Any) -> Any:
        return validate_avatar_file(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["password"] != attrs.pop("password_confirm"):
            raise serializers.ValidationError("Passwords do not match.")
        return attrs


def validate_avatar_file(value: Any) -> Any:
    if value is None:
        return value
    if value.size > settings.AVATAR_MAX_BYTES:
        raise serializers.ValidationError(f"The image is larger than {settings.AVATAR_MAX_BYTES // 1024} KB.")
    image = getattr(value, "image", None)
    if image is None or image.format not in AVATAR_FORMATS:
        raise serializers.ValidationError(f"Upload a {', '.join(AVATAR_FORMATS)} image.")
    return value


class AvatarSerializer(serializers.Serializer):
    avatar = serializers.ImageField()

    def validate_avatar(self, value: Any) -> Any:
        return validate_avatar_file(value)


class ProfileUpdateSerializer(serializers.Serializer):
    """Only profile fields: clearance, staff/superuser flags, credits and e-mail state are not accepted."""

    username = serializers.CharField(max_length=150, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    notification_settings = serializers.DictField(required=False)


class PipelineRegisterSerializer(serializers.Serializer):
    """djoser's body; ``username`` is optional (the original client sent none): derived from the e-mail."""

    email = serializers.EmailField()
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    re_password = serializers.CharField(write_only=True, required=False, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate_email(self, value: str) -> str:
        return _unique("email", value)

    def validate_username(self, value: str) -> str:
        return _unique("username", value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "re_password" in attrs and attrs.pop("re_password") != attrs["password"]:
            raise serializers.ValidationError("The two password fields didn't match.")
        return attrs


class TwinRegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class LoginSerializer(serializers.Serializer):
    """``{email|username, password, device_name?}``: either identifier (an e-mail works in both)."""

    email = serializers.CharField(required=False, max_length=254)
    username = serializers.CharField(required=False, max_length=254)
    password = serializers.CharField(trim_whitespace=False, max_length=4096)
    device_name = serializers.CharField(required=False, allow_blank=True, max_length=150)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        identifier = attrs.get("email") or attrs.get("username")
        if not identifier:
            raise serializers.ValidationError({"email": ["This field is required (or give username)."]})
        attrs["identifier"] = identifier
        return attrs


class AccessLoginSerializer(LoginSerializer):
    pass


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class OptionalRefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False)
    refresh = serializers.CharField(required=False)


class TokenVerifyInputSerializer(serializers.Serializer):
    token = serializers.CharField()


class EmailRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    email_address = serializers.EmailField(required=False)
    email_adress = serializers.EmailField(required=False, help_text="Alias of email_address (the original's spelling).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        email = attrs.get("email") or attrs.get("email_address") or attrs.get("email_adress")
        if not email and not self.context.get("allow_missing"):
            raise serializers.ValidationError({"email": ["This field is required."]})
        return {"email": email or ""}


class UidTokenSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=100)
    token = serializers.CharField(max_length=200)


class AccessResetConfirmSerializer(UidTokenSerializer):
    new_password = serializers.CharField(trim_whitespace=False)
    new_password_confirm = serializers.CharField(trim_whitespace=False, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "new_password_confirm" in attrs and attrs.pop("new_password_confirm") != attrs["new_password"]:
            raise serializers.ValidationError("Passwords do not match.")
        return attrs


class PipelineResetConfirmSerializer(UidTokenSerializer):
    new_password = serializers.CharField(trim_whitespace=False)
    re_new_password = serializers.CharField(trim_whitespace=False, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "re_new_password" in attrs and attrs.pop("re_new_password") != attrs["new_password"]:
            raise serializers.ValidationError("The two password fields didn't match.")
        return attrs


class SetPasswordSerializer(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)
    re_new_password = serializers.CharField(trim_whitespace=False, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "re_new_password" in attrs and attrs.pop("re_new_password") != attrs["new_password"]:
            raise serializers.ValidationError("The two password fields didn't match.")
        return attrs


class CurrentPasswordSerializer(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False)


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKeyScope.choices), default=lambda: ["read"], allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    allowed_ips = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
