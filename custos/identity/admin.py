from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from custos.identity.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "username", "is_staff", "is_active", "email_confirmed")
    search_fields = ("email", "username", "first_name", "last_name")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
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
                    "is_us_person",
                    "security_clearance_level",
                )
            },
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)
