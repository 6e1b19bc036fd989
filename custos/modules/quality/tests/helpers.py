"""Frames built to the documented ``sensor_data`` shape (notes.md "sqal (004)")."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter
from django.urls import path

from custos.modules.quality.analysis.spectral import BANDS, REFERENCE_SHARES
from custos.modules.quality.consumers import RealtimeConsumer, StationConsumer

REFERENCE_MM = 100.0
# The same routes as custos/dialects/sqal/quality_routes.py (a module may not import a dialect).
APPLICATION = URLRouter(
    [path("ws/sensors/", StationConsumer.as_asgi()), path("ws/realtime/", RealtimeConsumer.as_asgi())]
)


def good_channels(scale: int = 40000) -> dict[str, int]:
    channels = {name: int(share * scale) for name, share in zip(BANDS, REFERENCE_SHARES, strict=True)}
    return {**channels, "Clear": 30000, "NIR": 5000}


def heights_matrix(height: float = 50.0) -> list[list[float]]:
    return [[REFERENCE_MM - height] * 8 for _ in range(8)]


def frame(sample_id: str = "S-0001", *, height: float = 50.0, channels: dict | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {
        "type": "sensor_data",
        "timestamp": "2026-12-01T10:00:00Z",
        "sample_id": sample_id,
        "device_id": "SQAL_001",
        "location": "Line 1",
        "vl53l8ch": {
            "distance_matrix": heights_matrix(height),
            "reflectance_matrix": [[40] * 8 for _ in range(8)],
            "amplitude_matrix": [[900] * 8 for _ in range(8)],
            "reference_distance_mm": REFERENCE_MM,
            "quality_score": 0.2,
            "grade": "C",
            "defects": ["bruise", {"type": "hematoma", "severity": "high", "pos": [1, 2]}],
        },
        "as7341": {"channels": channels or good_channels(), "integration_time": 100, "gain": 4},
        "fusion": {"final_score": 0.3, "final_grade": "C"},
        "meta": {"firmware": "1.2.0"},
        "lot_abattage": "LOT-42",
        "eleveur": "Ferme Dupont",
        "provenance": "Landes",
        "unknown_key": {"ignored": True},
    }
    body.update(extra)
    return body


def run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    return async_to_sync(coroutine_function)(*args, **kwargs)


class Socket(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to the routed consumers in-process (``channels.testing`` needs
    daphne, which the project does not install)."""

    def __init__(self, path: str) -> None:
        route, _, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": route,
            "raw_path": route.encode(),
            "query_string": query.encode(),
            "headers": [],
            "subprotocols": [],
        }
        super().__init__(APPLICATION, scope)

    async def connect(self, timeout: float = 5) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        reply = await self.receive_output(timeout)
        if reply["type"] == "websocket.close":
            return False, reply.get("code", 1000)
        return reply["type"] == "websocket.accept", None

    async def send_json(self, content: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(content)})

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def receive_json(self, timeout: float = 5) -> Any:
        reply = await self.receive_output(timeout)
        assert reply["type"] == "websocket.send", reply
        return json.loads(reply["text"])

    async def nothing(self, timeout: float = 0.5) -> bool:
        return await self.receive_nothing(timeout)

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


async def connect(path: str) -> tuple[Socket, bool, Any]:
    socket = Socket(path)
    connected, code = await socket.connect()
    return socket, connected, code
