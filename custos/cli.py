"""The ``custos`` command (also ``python -m custos``).

custos serve [--host H] [--port P] [--workers N] [--no-migrate]   HTTP + WebSockets on one port
custos worker [--beat] [--concurrency N]           a job worker
custos beat                                        the periodic-task scheduler
custos mqtt [--url URL]                            MQTT telemetry ingestion (MQTT_URL)
custos migrate | createsuperuser | check | demo    set-up and checks
custos audit verify                                check the audit log's hash chain
custos manage <django command> [args]              any Django management command
custos spec-report [--run]                         documented routes served (and passing) per dialect
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from custos.ops.supervisor import WorkerSupervisor


def _setup() -> None:
    """Configure Django; a malformed setting ends the command with one line naming the variable."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.env import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"custos: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def ensure_admin(out=sys.stdout) -> None:
    """First start: an administrator from CUSTOS_ADMIN_EMAIL/PASSWORD, else a generated one printed once."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return
    email = settings.CUSTOS_ADMIN_EMAIL or "admin@custos.local"
    password = settings.CUSTOS_ADMIN_PASSWORD or secrets.token_urlsafe(18)
    user_model.objects.create_superuser(email=email, username="admin", password=password, email_confirmed=True)
    if settings.CUSTOS_ADMIN_PASSWORD:
        print(f"custos: created administrator {email} (password from CUSTOS_ADMIN_PASSWORD)", file=out)
    else:
        print(f"custos: created administrator {email} with password {password}  (shown only once)", file=out)


def _start_embedded_worker() -> WorkerSupervisor | None:
    """The embedded job worker, supervised: restarted with back-off when it dies (``custos.ops.supervisor``)."""
    from django.conf import settings

    from custos.ops.supervisor import WorkerSupervisor, status_path

    if not settings.EMBEDDED_WORKER:
        return None
    command = [sys.executable, "-m", "custos", "worker", "--beat", "--concurrency", "2"]
    supervisor = WorkerSupervisor(
        command,
        env=os.environ.copy(),
        status_file=status_path(),
        max_backoff=float(settings.CUSTOS_WORKER_RESTART_MAX_BACKOFF),
        report=lambda message: print(message, file=sys.stderr, flush=True),
    )
    supervisor.start()
    return supervisor


def _start_mqtt_bridge() -> WorkerSupervisor | None:
    """``custos mqtt`` beside the server when ``MQTT_URL`` is set, supervised like the embedded worker."""
    from pathlib import Path

    from django.conf import settings

    from custos.ops.supervisor import WorkerSupervisor

    if not settings.MQTT_URL:
        return None
    supervisor = WorkerSupervisor(
        [sys.executable, "-m", "custos", "mqtt"],
        env=os.environ.copy(),
        status_file=Path(settings.CUSTOS_HOME) / "run" / "mqtt-bridge.json",
        max_backoff=float(settings.CUSTOS_WORKER_RESTART_MAX_BACKOFF),
        report=lambda message: print(
            message.replace("embedded job worker", "MQTT bridge"), file=sys.stderr, flush=True
        ),
    )
    supervisor.start()
    return supervisor


WORKERS_KILL_TIMEOUT = 30  # seconds a server worker has to finish its requests on SIGTERM/SIGINT


def cmd_serve(args: argparse.Namespace) -> int:
    from custos.ops import multiprocess

    multiprocess.prepare(args.workers)  # before Django (and prometheus_client) is imported
    _setup()
    from granian import Granian
    from granian.constants import Interfaces

    if not args.no_migrate:
        _manage("migrate", "--no-input", "--verbosity", "0")
    ensure_admin()
    worker = _start_embedded_worker()
    bridge = _start_mqtt_bridge()
    print(f"custos: serving on http://{args.host}:{args.port}/ with {args.workers} worker(s)", flush=True)
    multiprocess.release_database_connections()  # Granian forks its workers: each opens its own pool
    try:
        Granian(
            "config.asgi:application",
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            websockets=True,
            log_access=False,
            workers_kill_timeout=WORKERS_KILL_TIMEOUT,  # a worker stuck in a request does not block shutdown
        ).serve()
    finally:
        if bridge is not None:
            bridge.stop(timeout=20)
        if worker is not None:
            worker.stop(timeout=20)
    return 0


def cmd_mqtt(args: argparse.Namespace) -> int:
    """Subscribe to the telemetry topics and store what devices publish, until SIGTERM/SIGINT."""
    _setup()
    import logging
    import signal

    from django.conf import settings

    from custos.devices.mqtt import TOPICS, Bridge

    url = args.url or settings.MQTT_URL
    if not url:
        print("custos: MQTT_URL is not set (or pass --url mqtt://host:1883)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    bridge = Bridge(url)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: bridge.stop())
    print(
        f"custos: MQTT ingestion from {bridge.address['host']}:{bridge.address['port']} ({', '.join(TOPICS)})",
        flush=True,
    )
    bridge.run()
    print(f"custos: MQTT ingestion stopped: {dict(sorted(bridge.stats.items()))}", flush=True)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from config.celery import app

    argv = ["worker", "--loglevel", args.loglevel, "--concurrency", str(args.concurrency)]
    if args.beat:
        argv += ["--beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    app.worker_main(argv)
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    _setup()
    from config.celery import app

    app.start(
        [
            "beat",
            "--loglevel",
            args.loglevel,
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
        ]
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _manage("migrate", "--no-input")
    return 0


def cmd_createsuperuser(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    call_command("createsuperuser", *args.rest)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Django's system checks plus the live dependency checks; non-zero exit when anything fails."""
    _setup()
    from custos.ops.checks import run_checks

    _manage("check", "--fail-level", "WARNING")
    failed = False
    for name, result in run_checks().items():
        print(f"{name:10s} {result.label}  ({result.latency_ms} ms)")
        failed = failed or not result.ok
    return 1 if failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    from custos.kernel.demo import load_demo

    _manage("migrate", "--no-input", "--verbosity", "0")
    load_demo(progress=not args.quiet)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import CommandError

    try:
        _manage("audit", args.action)
    except CommandError as exc:
        print(f"custos: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["custos manage", *args.rest])
    return 0


def cmd_spec_report(args: argparse.Namespace) -> int:
    """Covered/total routes per dialect; with --run, passing/total from the conformance suite."""
    from custos.ops.spec_report import main as spec_report

    return spec_report([*(["--run"] if args.run else []), *(["-k", args.select] if args.select else [])])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="custos", description="Custos platform")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve HTTP, WebSockets and Socket.IO on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="skip migrations on start (a deploy step ran `custos migrate`)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a job worker")
    worker.add_argument("--beat", action="store_true", help="also run the periodic-task scheduler")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(func=cmd_worker)

    beat = sub.add_parser("beat", help="run the periodic-task scheduler")
    beat.add_argument("--loglevel", default="INFO")
    beat.set_defaults(func=cmd_beat)

    mqtt = sub.add_parser("mqtt", help="ingest device telemetry from the MQTT broker of MQTT_URL")
    mqtt.add_argument("--url", default="", help="broker URL (default: MQTT_URL)")
    mqtt.set_defaults(func=cmd_mqtt)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    createsuperuser = sub.add_parser("createsuperuser", help="create an administrator")
    createsuperuser.add_argument("rest", nargs=argparse.REMAINDER)
    createsuperuser.set_defaults(func=cmd_createsuperuser)
    sub.add_parser("check", help="system checks and dependency checks").set_defaults(func=cmd_check)
    demo = sub.add_parser("demo", help="load realistic demo data")
    demo.add_argument("--quiet", action="store_true")
    demo.set_defaults(func=cmd_demo)
    audit = sub.add_parser("audit", help="audit log tools")
    audit.add_argument("action", choices=["verify"], help="verify: check the hash chain end to end")
    audit.set_defaults(func=cmd_audit)
    report = sub.add_parser("spec-report", help="documented routes served and passing, per dialect")
    report.add_argument("--run", action="store_true", help="also run the conformance suite (passing/total)")
    report.add_argument("-k", dest="select", default="", help="only routes matching this pytest -k expression")
    report.set_defaults(func=cmd_spec_report)
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("port", "workers", "concurrency"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            print(f"custos: --{name} must be at least 1", file=sys.stderr)
            return 2
    return args.func(args)
