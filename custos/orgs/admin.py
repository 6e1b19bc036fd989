from django.contrib import admin

from custos.orgs.models import Invitation, Membership, Organization


class MembershipInline(admin.TabularInline):
    """Read-only here: roles and attestations change through the audited services (the API)."""

    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "role", "security_clearance_level", "is_us_person", "attested_by", "attested_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = ("invited_email", "invited_user_id", "role", "expires_at", "accepted_at", "declined_at", "revoked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "subscription_tier", "is_active")
    search_fields = ("name", "slug")
    inlines = (MembershipInline, InvitationInline)
