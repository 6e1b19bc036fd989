"""The official JavaScript client (socket.io-client 4.x, ``tests/js``) against a live ``custos serve``:
it authenticates, subscribes to a device stream, joins ``dashboard_updates``, pings, and receives
``stream_data`` for readings posted over HTTP (and, with the Mosquitto broker on 127.0.0.1:1883,
published over MQTT to the bridge that ``custos serve`` starts when ``MQTT_URL`` is set)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from queue import Empty, Queue

import httpx
import orjson
import pytest

from tests.test_config import ROOT, _clean_env, _custos
from tests.test_serve import Server

JS = ROOT / "tests" / "js"
NODE = shutil.which("node")
DEVICE = "DEVICE_JS"
SETUP = (
    "import json; "
    "from rest_framework_simplejwt.tokens import RefreshToken; "
    "from custos.identity.tests.factories import user; "
    "from custos.orgs.tests.factories import organization; "
    "from custos.devices.services import device_token_issue; "
    "from custos.kernel.context import WriteContext; "
    "org = organization(name='JS Org', slug='js-org'); "
    "u = user('js@example.org', password='a-long-test-password', organization=org, role='OWNER'); "
    f"issued = device_token_issue(WriteContext.system(organization_id=org.id), device_id='{DEVICE}', "
    "device_type='temperature_sensor'); "
    "print(json.dumps({'access': str(RefreshToken.for_user(u).access_token), 'device': issued.token, "
    "'org': str(org.id)}))"
)


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=2):
            return True
    except OSError:
        return False


def _lines(process: subprocess.Popen) -> Queue:
    lines: Queue = Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="node is not installed (the JavaScript client test needs it)")
def test_javascript_client_receives_stream_data(tmp_path):
    assert (JS / "node_modules" / "socket.io-client").is_dir(), "run `npm ci --prefix tests/js` (make install)"
    mqtt = _broker_up()
    env = _clean_env(tmp_path, CUSTOS_EMBEDDED_WORKER="false")
    if mqtt:
        env["MQTT_URL"] = "mqtt://127.0.0.1:1883"
        env["MQTT_BATCH_MILLISECONDS"] = "50"
        env["MQTT_SESSION_EXPIRY_SECONDS"] = "0"  # no session left on the broker after the test
    assert _custos("migrate", env=env, timeout=240).returncode == 0
    made = _custos("manage", "shell", "-c", SETUP, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    secrets = json.loads(made.stdout.strip().splitlines()[-1])
    server = Server(env, tmp_path / "serve.log")
    node = None
    try:
        server.wait_ready()
        node = subprocess.Popen(  # noqa: S603
            [NODE, str(JS / "stream_client.js"), server.base, secrets["access"], DEVICE, "2" if mqtt else "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = _lines(node)
        received: list[dict] = []
        while True:
            line = lines.get(timeout=60)
            assert line is not None, f"the client ended early: {received}"
            if line == "READY":
                break
            received.append(json.loads(line))
        events = [item["event"] for item in received]
        assert events[0] == "connection_established"
        assert {"stream_subscribed", "room_joined", "pong"} <= set(events)
        assert {"event": "stream_subscribed", "data": {"status": "success", "stream_id": DEVICE}} in received

        base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        posted = httpx.post(
            f"{server.base}/api/devices/{DEVICE}/readings",
            json=[{"timestamp": _z(base), "value": 21.5}, {"timestamp": _z(base + timedelta(seconds=10)), "value": 22}],
            headers={"Authorization": f"Device {secrets['device']}"},
            timeout=20,
        )
        assert posted.status_code == 201, posted.text
        if mqtt:
            import paho.mqtt.client as paho

            publisher = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
            publisher.connect("127.0.0.1", 1883)
            publisher.loop_start()
            # the bridge may still be subscribing: published again until its stream_data arrives, stored once
            # (message_id: a repeat is an idempotent replay, which sends no stream_data either)
            reading = {"timestamp": _z(base + timedelta(seconds=20)), "value": 23}
            body = {"token": secrets["device"], "message_id": "js-1", "readings": [reading]}
            info = publisher.publish(f"devices/{DEVICE}/telemetry", orjson.dumps(body), qos=1)
            info.wait_for_publish(10)

        streamed: list[dict] = []
        answer = None
        while answer is None:
            try:
                line = lines.get(timeout=5 if mqtt else 60)
            except Empty:
                if mqtt:
                    info = publisher.publish(f"devices/{DEVICE}/telemetry", orjson.dumps(body), qos=1)
                    continue
                raise
            assert line is not None, f"the client ended early: {streamed}"
            item = json.loads(line)
            if item["event"] == "stream_data":
                streamed.append(item["data"])
            elif item["event"] == "data_response":
                answer = item["data"]
        assert node.wait(timeout=20) == 0
        assert streamed[0] == {
            "stream_id": DEVICE,
            "device_id": DEVICE,
            "organization_id": secrets["org"],
            "timestamp": _z(base + timedelta(seconds=10)),
            "metric": "value",
            "value": 22.0,
            "count": 2,
            "readings": [
                {"timestamp": _z(base), "metric": "value", "value": 21.5},
                {"timestamp": _z(base + timedelta(seconds=10)), "metric": "value", "value": 22.0},
            ],
        }
        if mqtt:
            publisher.loop_stop()
            publisher.disconnect()
            assert streamed[1]["readings"] == [{**reading, "metric": "value", "value": 23.0}]
        assert answer["type"] == "health_data" and [d["device_id"] for d in answer["data"]] == [DEVICE]
    finally:
        if node is not None and node.poll() is None:
            node.kill()
        server.stop()
