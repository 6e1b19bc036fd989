"""The default alarm rules for every existing organization, and the periodic no-data evaluation."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Evaluate the twin no-data alarm rules", "devices.evaluate_no_data_rules", 1, "minutes"),)

# name, metric, operator, threshold, severity, duration_seconds (= custos.devices.rules.DEFAULT_RULES)
DEFAULT_RULES = (
    ("temperature_warning", "temperature", ">", 80.0, "warning", 300),
    ("temperature_critical", "temperature", ">", 95.0, "critical", 60),
    ("vibration_warning", "vibration", ">", 0.5, "warning", 180),
)


def install(apps, schema_editor):
    organization_model = apps.get_model("orgs", "Organization")
    rule_model = apps.get_model("devices", "AlertRule")
    for organization_id in organization_model.objects.values_list("pk", flat=True):
        existing = set(rule_model.objects.filter(organization_id=organization_id).values_list("name", flat=True))
        rule_model.objects.bulk_create(
            [
                rule_model(
                    organization_id=organization_id,
                    name=name,
                    metric=metric,
                    operator=operator,
                    threshold=threshold,
                    severity=severity,
                    duration_seconds=duration,
                )
                for name, metric, operator, threshold, severity, duration in DEFAULT_RULES
                if name not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_alert_rules"), ("orgs", "0003_invitations_attestation"), BEAT_DEPENDENCY]
    operations = [migrations.RunPython(install, migrations.RunPython.noop), schedule_operation(SCHEDULE)]
