from __future__ import annotations

import socket
import threading
import time

import pytest


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, django_db_blocker):
    """The real ASGI application (HTTP, Channels, Socket.IO) under uvicorn in a thread of this process,
    on the test database; its lifespan starts the embedded event relay."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        "config.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    blocker = django_db_blocker.unblock()  # the server's threads reach the test database too
    blocker.__enter__()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test ASGI server did not start")
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    blocker.__exit__(None, None, None)
    _fresh_socketio_manager()


def _fresh_socketio_manager() -> None:
    """Each module's server runs its own event loop, which ends with it. The Socket.IO server object is a
    process global, and in scaled mode its Redis manager holds a connection and a listener of the loop it
    was first used in: the next module's server gets a new manager (a process of ``custos serve`` has one
    loop for its lifetime, so this concerns the tests only)."""
    from custos.events import sio as sio_module

    manager = sio_module._manager()
    if manager is None:
        return
    server = sio_module.sio
    server.manager = manager
    manager.set_server(server)
    server.manager_initialized = False


@pytest.fixture
def token_for():
    from rest_framework_simplejwt.tokens import RefreshToken

    return lambda user: str(RefreshToken.for_user(user).access_token)
