"""Input and output shapes of organizations, memberships and users."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.api.serializers import FieldSelectionMixin
from custos.identity.models import ClearanceLevel
from custos.orgs.choices import Role, SubscriptionTier
from custos.orgs.models import Membership, Organization

_GB = 1024**3


class OrganizationSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    member_count = serializers.SerializerMethodField()
    storage_used_gb = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = (
            "id",
            "name",
            "slug",
            "description",
            "is_active",
            "is_us_organization",
            "subscription_tier",
            "max_users",
            "max_storage_gb",
            "member_count",
            "storage_used_gb",
            "contact_email",
            "contact_phone",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_member_count(self, obj: Organization) -> int:
        count = getattr(obj, "member_count", None)
        return count if count is not None else obj.memberships.count()

    def get_storage_used_gb(self, obj: Organization) -> float:
        return round(obj.storage_used_bytes / _GB, 3)


class OrganizationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_us_organization = serializers.BooleanField(required=False)
    subscription_tier = serializers.ChoiceField(choices=SubscriptionTier.choices, required=False)
    max_users = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    max_storage_gb = serializers.IntegerField(min_value=1, max_value=1000000, required=False)
    is_active = serializers.BooleanField(required=False)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True)
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ("id", "organization", "user", "username", "email", "role", "joined_at")
        read_only_fields = fields


class AddMemberSerializer(serializers.Serializer):
    user_id = serializers.UUIDField(required=False)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("user_id") and not attrs.get("email"):
            raise serializers.ValidationError({"user_id": ["Give user_id or email."]})
        return attrs


# --- Users ----------------------------------------------------------------------------------


class UserOrganizationSerializer(serializers.Serializer):
    organization_id = serializers.UUIDField()
    organization_name = serializers.CharField(source="organization.name")
    role = serializers.CharField()


class UserSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    """The union of the pipeline and enginel user shapes."""

    organization = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()
    full_name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = (
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "is_us_person",
            "security_clearance_level",
            "organization",
            "organizations",
            "phone_number",
            "date_joined",
            "last_login",
        )
        read_only_fields = fields

    def _memberships(self, obj: Any) -> list[Membership]:
        # Prefetched by the selector (active organizations only): no query per user.
        return list(obj.memberships.all())

    def get_organization(self, obj: Any) -> str | None:
        memberships = self._memberships(obj)
        return memberships[0].organization.name if memberships else None

    @extend_schema_field(UserOrganizationSerializer(many=True))
    def get_organizations(self, obj: Any) -> list[dict[str, Any]]:
        return UserOrganizationSerializer(self._memberships(obj), many=True).data

    def get_full_name(self, obj: Any) -> str:
        return obj.get_full_name()


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)
    is_us_person = serializers.BooleanField(required=False)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False)
    organization_id = serializers.UUIDField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class UserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)
    is_us_person = serializers.BooleanField(required=False)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False)


class ProfileSerializer(serializers.Serializer):
    """What a user may change about themselves; other known fields are checked by the service."""

    username = serializers.CharField(max_length=150, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    # Read back but never changed by their owner (the service refuses a different value).
    email = serializers.EmailField(required=False)
    is_us_person = serializers.BooleanField(required=False)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False)
    is_staff = serializers.BooleanField(required=False)
    is_superuser = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


def sqal_single(data: Any, message: str = "Success") -> dict[str, Any]:
    """The sqal document's single-object envelope."""
    return {"data": data, "message": message}
