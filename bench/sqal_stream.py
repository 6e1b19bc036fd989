"""SQAL streaming: N stations at 1 Hz with ~140 KB ``sensor_data`` frames and M dashboards, end to end.

Starts the real ASGI application (``config.asgi``) under uvicorn in a subprocess, in embedded mode on a
fresh temporary CUSTOS_HOME (SQLite, migrated first), registers one organization, one user and N
stations with device tokens, then runs the clients in this process (``websockets``):

* each station connects to ``/ws/sensors/?token=...``, waits for ``connection_established``, then sends
  one frame per second (8x8 matrices, the 8x8x128 bins and padding up to ``--frame-kb``) and waits for
  its ``ack``; the send-to-ack time is the ingest latency (validation, analysis, storage, publish);
* each dashboard connects to ``/ws/realtime/?token=<JWT>`` and counts the ``sensor_update`` messages.

Prints frames/s acknowledged, ack latency p50/p99, and updates/s delivered to dashboards with the
delivery ratio (updates received / (acks x dashboards)).

    .venv/bin/python bench/sqal_stream.py --stations 10 --dashboards 10 --duration 30

Exit status 0 after printing the figures, 1 when the server does not start or a frame is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path and bench/http.py would shadow the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "bench"]
HOST = "127.0.0.1"
ORIGIN = f"http://{HOST}"  # devices send none; the ASGI router's origin check wants one (see docs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _setup(stations: int) -> tuple[list[str], str]:
    """Migrate, then one organization, its owner and ``stations`` device tokens."""
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    from custos.devices.services import device_token_issue
    from custos.identity.tests.factories import user
    from custos.kernel.context import WriteContext
    from custos.orgs.tests.factories import organization

    call_command("migrate", verbosity=0)
    org = organization(name="Bench Foods", slug="bench-foods")
    owner = user("owner@bench.example", password="bench-password-123", organization=org, role="OWNER")
    ctx = WriteContext.for_user(owner, organization_id=org.id)
    tokens = [device_token_issue(ctx, device_id=f"SQAL_{i:03d}").token for i in range(stations)]
    return tokens, str(RefreshToken.for_user(owner).access_token)


def _frame(device_id: str, sample_id: str, frame_kb: int) -> str:
    bins = [[[(r * 8 + c + b) % 500 for b in range(128)] for c in range(8)] for r in range(8)]
    body = {
        "type": "sensor_data",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sample_id": sample_id,
        "device_id": device_id,
        "vl53l8ch": {
            "distance_matrix": [[50 + ((r + c) % 3) for c in range(8)] for r in range(8)],
            "reflectance_matrix": [[40] * 8 for _ in range(8)],
            "amplitude_matrix": [[900] * 8 for _ in range(8)],
            "reference_distance_mm": 100,
        },
        "vl53l8ch_raw": {"bins_matrix": bins},
        "as7341": {
            "channels": {
                "F1_415nm": 2400,
                "F2_445nm": 3200,
                "F3_480nm": 4000,
                "F4_515nm": 5200,
                "F5_555nm": 6000,
                "F6_590nm": 6400,
                "F7_630nm": 6800,
                "F8_680nm": 6000,
                "Clear": 30000,
                "NIR": 5000,
            },
        },
        "lot_abattage": "LOT-BENCH",
    }
    text = json.dumps(body)
    missing = frame_kb * 1024 - len(text)
    if missing > 0:
        body["as7341_raw"] = {"padding": "x" * missing}
        text = json.dumps(body)
    return text


async def _station(url: str, device_id: str, frame_kb: int, until: float, latencies: list[float]) -> None:
    import websockets

    async with websockets.connect(url, origin=ORIGIN, max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_established"
        n = 0
        while time.monotonic() < until:
            started = time.monotonic()
            n += 1
            await ws.send(_frame(device_id, f"{device_id}-{n}", frame_kb))
            reply = json.loads(await ws.recv())
            if reply.get("type") != "ack":
                raise SystemExit(f"frame refused: {reply}")
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def _dashboard(url: str, until: float, counts: list[int], index: int) -> None:
    import websockets

    async with websockets.connect(url, origin=ORIGIN, max_size=None) as ws:
        await ws.recv()
        while time.monotonic() < until + 2:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except TimeoutError:
                continue
            if message.get("type") == "sensor_update":
                counts[index] += 1


async def _run(port: int, tokens: list[str], jwt: str, args: argparse.Namespace) -> dict:
    until = time.monotonic() + args.duration
    latencies: list[float] = []
    counts = [0] * args.dashboards
    dashboards = [
        asyncio.create_task(_dashboard(f"ws://{HOST}:{port}/ws/realtime/?token={jwt}", until, counts, i))
        for i in range(args.dashboards)
    ]
    await asyncio.sleep(0.5)
    started = time.monotonic()
    await asyncio.gather(
        *(
            _station(f"ws://{HOST}:{port}/ws/sensors/?token={token}", f"SQAL_{i:03d}", args.frame_kb, until, latencies)
            for i, token in enumerate(tokens)
        )
    )
    elapsed = time.monotonic() - started
    await asyncio.gather(*dashboards)
    latencies.sort()
    acks = len(latencies)
    return {
        "stations": len(tokens),
        "dashboards": args.dashboards,
        "frame_kb": args.frame_kb,
        "acks": acks,
        "frames_per_s": round(acks / elapsed, 2),
        "ack_p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "ack_p99_ms": round(1000 * latencies[min(acks - 1, int(acks * 0.99))], 1) if latencies else None,
        "updates_per_s": round(sum(counts) / elapsed, 2),
        "delivery_ratio": round(sum(counts) / (acks * args.dashboards), 3) if acks and args.dashboards else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--dashboards", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--frame-kb", type=int, default=140)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="custos-sqal-bench-")
    env = {
        **os.environ,
        "CUSTOS_HOME": home,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CUSTOS_EMBEDDED_WORKER": "false",
        "QUALITY_BENCH": "1",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    os.environ.update({k: v for k, v in env.items() if k in ("CUSTOS_HOME", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPO_ROOT))
    os.chdir(REPO_ROOT)
    tokens, jwt = _setup(args.stations)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws",
            "websockets-sansio",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex((HOST, port)) == 0:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        result = asyncio.run(_run(port, tokens, jwt, args))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
