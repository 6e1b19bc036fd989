"""Input and output shapes of organizations, memberships and users."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.api.serializers import FieldSelectionMixin
from custos.identity.models import ClearanceLevel
from custos.orgs.choices import InvitationStatus, Role, SubscriptionTier
from custos.orgs.models import Invitation, Membership, Organization
from custos.orgs.selectors import attestation_shown

_GB = 1024**3


class OrganizationSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    member_count = serializers.SerializerMethodField()
    storage_used_gb = serializers.SerializerMethodField()
    # Not ``format: email`` in the schema: an organization without a contact answers "".
    contact_email = serializers.CharField(read_only=True, help_text="E-mail address, or empty when none is set")

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
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    is_us_organization = serializers.BooleanField(required=False)
    subscription_tier = serializers.ChoiceField(choices=SubscriptionTier.choices, required=False)
    max_users = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    max_storage_gb = serializers.IntegerField(min_value=1, max_value=1000000, required=False)
    is_active = serializers.BooleanField(required=False)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    """A row of ``members/``: an active member (``status`` ACTIVE). Pending invitations share the shape
    (``PendingMemberSerializer``)."""

    user = serializers.UUIDField(source="user_id", read_only=True)
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    status = serializers.SerializerMethodField()
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)
    expires_at = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ("id", "organization", "user", "username", "email", "role", "status", "joined_at", "expires_at")
        read_only_fields = fields

    def get_status(self, obj: Membership) -> str:
        return "ACTIVE"

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, obj: Membership) -> None:
        return None


_STATUS_HELP = f"One of: {', '.join(InvitationStatus.values)}."


class PendingMemberSerializer(serializers.ModelSerializer):
    """An invitation as its organization's OWNER/ADMIN see it (the ``add_member`` answer, a pending row of
    ``members/``): only what the inviter gave (``user`` or ``email``), never whether or which account
    stands behind it."""

    organization = serializers.UUIDField(source="organization_id", read_only=True)
    user = serializers.UUIDField(source="invited_user_id", read_only=True, allow_null=True)
    username = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text=_STATUS_HELP)
    joined_at = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ("id", "organization", "user", "username", "email", "role", "status", "joined_at", "expires_at")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_username(self, obj: Invitation) -> None:
        return None

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, obj: Invitation) -> str | None:
        return obj.invited_email or None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_joined_at(self, obj: Invitation) -> None:
        return None


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as its invitee sees it (``GET /api/organizations/invitations/``)."""

    organization = serializers.UUIDField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=_STATUS_HELP)
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ("id", "organization", "organization_name", "role", "status", "invited_by", "expires_at", "created_at")
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_invited_by(self, obj: Invitation) -> str | None:
        inviter = obj.invited_by if obj.invited_by_id else None
        return inviter.email if inviter is not None else None


class InvitationTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class AddMemberSerializer(serializers.Serializer):
    user_id = serializers.UUIDField(required=False)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("user_id")) == bool(attrs.get("email")):
            raise serializers.ValidationError({"user_id": ["Give user_id or email (one of them)."]})
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
    # The attestation of the organization in context (``context["organization_id"]``: the
    # X-Organization one, else the user's only visible membership); null when that is ambiguous.
    is_us_person = serializers.SerializerMethodField()
    security_clearance_level = serializers.SerializerMethodField()

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
        # ``many=True`` gives a list (the stubs type ``.data`` as a single object's dict).
        return cast("list[dict[str, Any]]", UserOrganizationSerializer(self._memberships(obj), many=True).data)

    def get_full_name(self, obj: Any) -> str:
        return obj.get_full_name()

    def _attestation(self, obj: Any) -> Any:
        return attestation_shown(
            memberships=self._memberships(obj), organization_id=self.context.get("organization_id")
        )

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_is_us_person(self, obj: Any) -> bool | None:
        shown = self._attestation(obj)
        return None if shown is None else shown.is_us_person

    @extend_schema_field(serializers.ChoiceField(choices=ClearanceLevel.choices, allow_null=True))
    def get_security_clearance_level(self, obj: Any) -> str | None:
        shown = self._attestation(obj)
        return None if shown is None else shown.clearance_level


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)
    is_us_person = serializers.BooleanField(required=False, allow_null=True)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False, allow_null=True)
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
    is_us_person = serializers.BooleanField(required=False, allow_null=True)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False, allow_null=True)


class ProfileSerializer(serializers.Serializer):
    """What a user may change about themselves; other known fields are checked by the service."""

    username = serializers.CharField(max_length=150, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    # Read back but never changed by their owner (the service refuses a different value).
    email = serializers.EmailField(required=False)
    is_us_person = serializers.BooleanField(required=False, allow_null=True)
    security_clearance_level = serializers.ChoiceField(choices=ClearanceLevel.choices, required=False, allow_null=True)
    is_staff = serializers.BooleanField(required=False)
    is_superuser = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


def sqal_single(data: Any, message: str = "Success") -> dict[str, Any]:
    """The sqal document's single-object envelope."""
    return {"data": data, "message": message}
