from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from custos.identity.models import ApiKey, AuthSession, LoggedDevice, LoginFailure, PreRegistration, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "username", "is_staff", "is_active", "email_confirmed")
    search_fields = ("email", "username", "first_name", "last_name")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Custos",
            {
                "fields": (
                    "phone_number",
                    "birth_date",
                    "avatar",
                    "notification_settings",
                    "email_confirmed",
                    "credits",
                )
            },
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "device_name", "ip_address", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_reason",)
    search_fields = ("user__email", "device_name", "ip_address")
    readonly_fields = ("user", "device_name", "ip_address", "user_agent", "created_at", "last_used_at", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scopes", "is_active", "expires_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "user__email", "prefix")
    exclude = ("key_hash",)
    readonly_fields = ("user", "prefix", "last_four", "created_at", "last_used_at", "revoked_at")


@admin.register(LoggedDevice)
class LoggedDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "device_type", "device_name", "place", "last_login_at")
    search_fields = ("user__email", "device_name")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("identifier", "ip_address", "failures", "last_failure_at", "locked_until")
    search_fields = ("identifier", "ip_address")


@admin.register(PreRegistration)
class PreRegistrationAdmin(admin.ModelAdmin):
    list_display = ("email", "created_at")
    search_fields = ("email",)
