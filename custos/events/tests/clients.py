"""Small synchronous real-time clients for the tests: a plain WebSocket one and a Socket.IO one."""

from __future__ import annotations

import json
import queue
import time
from typing import Any

import socketio
from websockets.sync.client import connect


class WsClient:
    def __init__(self, url: str, **kwargs: Any) -> None:
        # Channels' origin check refuses handshakes without an Origin header (browsers always send one).
        origin = "http://" + url.split("://", 1)[1].split("/", 1)[0]
        kwargs.setdefault("origin", origin)
        self._context = connect(url, open_timeout=10, **kwargs)
        self.connection = self._context.__enter__()

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.connection.recv(timeout=timeout))

    def receive_until(self, predicate, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(timeout=max(0.1, deadline - time.monotonic()))
            if predicate(message):
                return message

    def close(self) -> None:
        self._context.__exit__(None, None, None)


class SioClient:
    """Records every event it receives, in order, as ``(event, data)``."""

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: queue.Queue = queue.Queue()

        @self.client.on("*")
        def catch_all(event: str, data: Any = None) -> None:
            self.events.put((event, data))

    def connect(self, base: str, **kwargs: Any) -> None:
        self.client.connect(base, transports=["websocket"], wait_timeout=10, **kwargs)

    def emit(self, event: str, data: Any = None) -> None:
        self.client.emit(event, data)

    def next(self, timeout: float = 10) -> tuple[str, Any]:
        return self.events.get(timeout=timeout)

    def wait_for(self, predicate, timeout: float = 20) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            item = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            if predicate(*item):
                return item

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()
