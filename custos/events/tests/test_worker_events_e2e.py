"""End to end, with real processes: an event published by the job worker reaches a plain WebSocket
client and a Socket.IO client of the server.

Embedded mode (no REDIS_URL): ``custos serve`` with its embedded worker; the event crosses from the
worker to the server through the database relay. Scaled mode (REDIS_URL, CELERY_BROKER_URL and
DATABASE_URL set): a fresh PostgreSQL database, ``custos serve`` and a separate ``custos worker`` on
RabbitMQ, events through Redis (channel layer and Socket.IO manager).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from custos.events.tests.clients import SioClient, WsClient
from tests.test_config import ROOT, _clean_env, _custos
from tests.test_serve import Server

TOKEN = (
    "from django.contrib.auth import get_user_model; "
    "from rest_framework_simplejwt.tokens import RefreshToken; "
    "u = get_user_model().objects.create_user(email='eve@example.org', password='a-long-test-password'); "
    "print(RefreshToken.for_user(u).access_token)"
)


def _scaled_database(name: str) -> str:
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _drop_database(name: str) -> None:
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _delete_queue(broker: str, queue: str) -> None:
    from kombu import Connection

    with Connection(broker) as connection:
        connection.default_channel.queue_delete(queue)


def _stop(process: subprocess.Popen) -> None:
    children = psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    for child in children:
        if child.is_running():
            child.kill()


@pytest.mark.slow
def test_events_from_the_worker_process_reach_websocket_and_socketio_clients(tmp_path):
    scaled = bool(os.environ.get("REDIS_URL"))
    suffix = secrets.token_hex(4)
    database = f"custos_e2e_events_{suffix}"
    env = _clean_env(tmp_path)
    processes: list[subprocess.Popen] = []
    if scaled:
        env.update(
            DATABASE_URL=_scaled_database(database),
            REDIS_URL=os.environ["REDIS_URL"],
            CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
            CUSTOS_QUEUE=f"e2e-events-{suffix}",  # our own queue: no other worker takes these jobs
            CUSTOS_EMBEDDED_WORKER="false",
        )
    else:
        env["CUSTOS_EMBEDDED_WORKER"] = "true"
    server = None
    ws = sio = None
    try:
        assert _custos("migrate", env=env, timeout=240).returncode == 0
        made = _custos("manage", "shell", "-c", TOKEN, env=env, timeout=120)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        server = Server(env, tmp_path / "serve.log")
        server.wait_ready()
        if scaled:
            log = (tmp_path / "worker.log").open("w")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "custos", "worker", "--concurrency", "1"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        ws = WsClient(f"ws://127.0.0.1:{server.port}/ws/events/?token={token}")
        assert ws.receive()["type"] == "connection_established"
        ws.send({"type": "subscribe", "topic": "jobs"})
        assert ws.receive() == {"type": "subscribed", "topic": "jobs"}
        sio = SioClient()
        sio.connect(server.base, auth={"token": token})
        assert sio.next()[0] == "connection_established"
        sio.emit("subscribe", {"room": "jobs"})
        assert sio.next() == ("subscribed", {"status": "success", "room": "jobs"})

        response = httpx.post(
            f"{server.base}/tasks/",
            json={"type": "add", "x": 5, "y": 3},
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]

        def done(payload):
            return payload["task_id"] == task_id and payload["status"] == "SUCCESS"

        ws_event = ws.receive_until(lambda m: m["type"] == "event" and done(m["payload"]), timeout=60)
        assert (ws_event["topic"], ws_event["event"], ws_event["payload"]["result"]) == ("jobs", "job_update", 8)
        _event, data = sio.wait_for(lambda name, data: name == "job_update" and done(data), timeout=60)
        assert data["result"] == 8
        status = httpx.get(f"{server.base}/tasks/{task_id}/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert status.json() == {"task_id": task_id, "task_type": "add", "status": "SUCCESS", "result": 8}
    finally:
        for client in (ws, sio):
            if client is not None:
                client.close()
        for process in processes:
            _stop(process)
        if server is not None:
            server.stop()
        if scaled:
            _drop_database(database)
            _delete_queue(env["CELERY_BROKER_URL"], env["CUSTOS_QUEUE"])
