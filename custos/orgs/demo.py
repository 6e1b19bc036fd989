"""Demo organizations and their people: one persona per role in each of two organizations."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from custos.kernel.demo import register_demo
from custos.orgs.choices import Role, SubscriptionTier
from custos.orgs.models import Membership, Organization

DEMO_PASSWORD = "custos-demo-2026"  # noqa: S105 - documented demo credential, printed by `custos demo`

ORGANIZATIONS = (
    ("northwind-energy", "Northwind Energy", SubscriptionTier.ENTERPRISE, True),
    ("helios-foods", "Helios Foods", SubscriptionTier.PROFESSIONAL, False),
)


@register_demo("organizations", order=10)
def load_organizations() -> str:
    user_model = get_user_model()
    created = 0
    for slug, name, tier, us_org in ORGANIZATIONS:
        organization, _ = Organization.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "subscription_tier": tier, "is_us_organization": us_org, "max_users": 50},
        )
        for role in Role:
            local = f"{role.value.lower()}.{slug.split('-')[0]}"
            email = f"{local}@example.com"
            user = user_model.objects.filter(email=email).first()
            if user is None:
                user = user_model.objects.create_user(
                    email=email,
                    username=local,
                    password=DEMO_PASSWORD,
                    first_name=role.label,
                    last_name=name.split()[0],
                    email_confirmed=True,
                )
                created += 1
            # The demo organization attests its own people (the U.S. one: all U.S. persons).
            Membership.objects.get_or_create(
                organization=organization, user=user, defaults={"role": role, "is_us_person": us_org}
            )
    return f"{len(ORGANIZATIONS)} organizations, {created} new users (password {DEMO_PASSWORD!r})"
