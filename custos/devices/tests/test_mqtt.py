"""MQTT ingestion: payload parsing, the batch store (per-message refusals, idempotency) and the bridge
against the Mosquitto broker on 127.0.0.1:1883 (skipped when it is unreachable; CI has it)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import timedelta

import orjson
import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from custos.devices.models import Device, Reading
from custos.devices.mqtt import Bridge, Message, Refused, broker_address, parse, store
from custos.devices.services import device_token_issue
from custos.kernel.context import WriteContext

BROKER = ("127.0.0.1", 1883)


def _z(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _base():
    return timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def _token(device) -> str:
    return device_token_issue(
        WriteContext.system(organization_id=device.organization_id), device_id=device.device_id
    ).token


def _refused(topic, payload, properties=None) -> str:
    with pytest.raises(Refused) as caught:
        parse(topic, payload, properties)
    return caught.value.reason


def test_parse_accepts_the_two_topics_and_both_payload_forms():
    rows = [{"timestamp": "2026-01-01T00:00:00Z", "value": 1.5}]
    message = parse("devices/DEVICE_001/telemetry", orjson.dumps({"token": "dvt_x", "readings": rows}))
    assert (message.device_id, message.token, message.readings, message.message_id) == (
        "DEVICE_001",
        "dvt_x",
        rows,
        None,
    )
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = ("token", "dvt_y")
    message = parse("iot/device/PUMP-7/data", orjson.dumps(rows), properties)
    assert (message.device_id, message.token, message.readings) == ("PUMP-7", "dvt_y", rows)
    message = parse("devices/D/telemetry", orjson.dumps({"token": "t", "readings": rows, "message_id": "m-1"}))
    assert message.message_id == "m-1"


def test_parse_refuses_bad_messages(settings):
    rows = [{"timestamp": "2026-01-01T00:00:00Z", "value": 1}]
    assert _refused("devices/D/other", b"[]") == "bad_topic"
    assert _refused("devices/bad id!/telemetry", b"[]") == "bad_topic"
    assert _refused("devices/D/telemetry", b"{not json") == "bad_json"
    assert _refused("devices/D/telemetry", b'"text"') == "bad_payload"
    assert _refused("devices/D/telemetry", orjson.dumps({"token": "t", "readings": []})) == "bad_payload"
    assert _refused("devices/D/telemetry", orjson.dumps({"token": "t", "readings": {"a": 1}})) == "bad_payload"
    assert _refused("devices/D/telemetry", orjson.dumps({"token": "t", "readings": rows, "message_id": 5})) == (
        "bad_payload"
    )
    assert _refused("devices/D/telemetry", orjson.dumps(rows)) == "no_token"
    settings.DEVICES_INGEST_MAX_ROWS = 2
    assert _refused("devices/D/telemetry", orjson.dumps({"token": "t", "readings": rows * 3})) == "too_large"
    settings.DEVICES_INGEST_MAX_BODY_BYTES = 1024
    assert _refused("devices/D/telemetry", b"[" + b" " * 2000 + b"]") == "too_large"


def test_broker_address():
    assert broker_address("mqtt://127.0.0.1:1883") == {
        "host": "127.0.0.1",
        "port": 1883,
        "tls": False,
        "username": None,
        "password": None,
    }
    assert broker_address("mqtts://bridge:s%40cret@broker.example") == {
        "host": "broker.example",
        "port": 8883,
        "tls": True,
        "username": "bridge",
        "password": "s@cret",
    }


@pytest.mark.django_db
def test_store_refuses_only_the_bad_messages_and_stores_message_ids_once(org_a, org_b):
    boiler = Device.objects.create(organization=org_a, device_id="DEVICE_001", device_type="temperature_sensor")
    pump = Device.objects.create(organization=org_a, device_id="PUMP_7", device_type="pressure_sensor")
    token, pump_token = _token(boiler), _token(pump)
    t = _base()
    good = Message("DEVICE_001", token, [{"timestamp": _z(t), "value": 1.0}])
    also = Message("DEVICE_001", token, [{"timestamp": _z(t + timedelta(seconds=1)), "value": 2.0, "metric": "rpm"}])
    bad_row = Message("DEVICE_001", token, [{"timestamp": _z(t), "value": "hot"}])
    keyed = Message("DEVICE_001", token, [{"timestamp": _z(t + timedelta(seconds=2)), "value": 3.0}], "m-1")
    again = Message("DEVICE_001", token, [{"timestamp": _z(t + timedelta(seconds=2)), "value": 3.0}], "m-1")
    stolen = Message("DEVICE_001", pump_token, [{"timestamp": _z(t), "value": 9.0}])
    forged = Message("DEVICE_001", "dvt_forged", [{"timestamp": _z(t), "value": 9.0}])

    outcome = store([good, bad_row, also, keyed, stolen, forged])
    assert outcome.stored == [good, also, keyed]
    assert [(m, r.reason) for m, r in outcome.refused] == [
        (stolen, "wrong_device"),
        (forged, "bad_token"),
        (bad_row, "invalid_readings"),
    ]
    assert "value: must be a number, not str" in outcome.refused[2][1].detail

    outcome = store([again])  # redelivered by the broker: stored once
    assert outcome.stored == [again] and outcome.refused == []
    assert sorted(Reading.objects.filter(device=boiler).values_list("metric", "value")) == [
        ("rpm", 2.0),
        ("value", 1.0),
        ("value", 3.0),
    ]
    assert not Reading.objects.filter(device=pump).exists()


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker on 127.0.0.1:1883 (CI runs Mosquitto there)")
def test_bridge_against_the_broker(org_a):
    suffix = uuid.uuid4().hex[:8].upper()
    device = Device.objects.create(organization=org_a, device_id=f"MQTT_{suffix}", device_type="temperature_sensor")
    other = Device.objects.create(organization=org_a, device_id=f"MQTT_{suffix}_B", device_type="pressure_sensor")
    token, other_token = _token(device), _token(other)
    bridge = Bridge("mqtt://127.0.0.1:1883", client_id=f"custos-test-{suffix}", batch_seconds=0.05, session_expiry=0)
    thread = threading.Thread(target=bridge.run, daemon=True)
    thread.start()
    publisher = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"custos-test-pub-{suffix}", protocol=mqtt.MQTTv5
    )
    try:
        assert bridge.subscribed.wait(15), "the bridge did not subscribe"
        publisher.connect(*BROKER)
        publisher.loop_start()
        t = _base()
        topic, data_topic = f"devices/{device.device_id}/telemetry", f"iot/device/{device.device_id}/data"
        keyed = {"token": token, "message_id": "boot-1", "readings": [{"timestamp": _z(t), "value": 20.5}]}
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = ("token", token)
        one = [{"timestamp": _z(t), "value": 1}]
        sent = [
            publisher.publish(topic, orjson.dumps(keyed), qos=1),
            publisher.publish(topic, orjson.dumps(keyed), qos=1),  # a duplicate: stored once
            publisher.publish(
                data_topic,
                orjson.dumps([{"timestamp": _z(t + timedelta(seconds=5)), "value": 21, "metric": "temp"}]),
                qos=1,
                properties=properties,
            ),
            publisher.publish(topic, orjson.dumps({"token": "dvt_forged", "readings": one}), qos=1),
            publisher.publish(topic, orjson.dumps({"token": other_token, "readings": one}), qos=1),
            publisher.publish(topic, b"{nope", qos=1),
            publisher.publish(topic, orjson.dumps({"token": token, "readings": [{"timestamp": _z(t)}]}), qos=1),
        ]
        for info in sent:
            info.wait_for_publish(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with bridge._lock:
                done = bridge.stats["stored"] + bridge.stats["refused"]
            if done >= len(sent):  # other test runs may publish on the shared broker too: at least ours
                mine = [r for r in bridge.refusals if r[1] == device.device_id]
                if len(mine) >= 4 and Reading.objects.filter(device=device).count() >= 2:
                    break
            time.sleep(0.1)
        assert sorted(Reading.objects.filter(device=device).values_list("metric", "value")) == [
            ("temp", 21.0),
            ("value", 20.5),
        ]
        assert sorted(reason for reason, device_id in bridge.refusals if device_id == device.device_id) == [
            "bad_json",
            "bad_token",
            "invalid_readings",
            "wrong_device",
        ]
        assert not Reading.objects.filter(device=other).exists()
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        bridge.stop()
        thread.join(timeout=10)


def test_custos_mqtt_needs_a_broker_url(tmp_path):
    from tests.test_config import _clean_env, _custos

    result = _custos("mqtt", env=_clean_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "custos: MQTT_URL is not set (or pass --url mqtt://host:1883)"
