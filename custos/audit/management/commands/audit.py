from django.core.management.base import BaseCommand, CommandError

from custos.audit.services import audit_verify_and_remember


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` walks the hash chain and fails on the first tampered row."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        report = audit_verify_and_remember()  # the health check reports the result too
        if not report.ok:
            raise CommandError(f"audit chain broken at row {report.broken_at}: {report.reason}")
        self.stdout.write(f"audit chain intact: {report.checked} rows")
