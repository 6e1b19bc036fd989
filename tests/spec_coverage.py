"""Which routes of ``specs/endpoints.tsv`` Custos serves, per dialect."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import Resolver404, resolve

DONE_LIST = Path(__file__).with_name("spec_routes_done.tsv")
SAMPLE_UUID = "00000000-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Route:
    dialect: str
    method: str
    path: str

    def key(self) -> str:
        return f"{self.dialect}\t{self.method}\t{self.path}"


def endpoints_file() -> Path:
    return settings.CUSTOS_SHARED_DIR / "specs" / "endpoints.tsv"


def spec_routes() -> list[Route]:
    with endpoints_file().open(newline="") as handle:
        return [Route(row["dialect"], row["method"], row["path"]) for row in csv.DictReader(handle, delimiter="\t")]


def done_routes() -> list[Route]:
    lines = [line for line in DONE_LIST.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [Route(*line.split("\t")) for line in lines]


def sample_path(path: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return "DEVICE_001" if name == "device_id" else SAMPLE_UUID

    return re.sub(r"\{([^}]+)\}", value, path)


def _websocket_served(path: str) -> bool:
    from config.asgi import serves_websocket

    return serves_websocket(path)


def is_served(route: Route) -> bool:
    if route.method == "WS":
        return _websocket_served(route.path)
    try:
        match = resolve(sample_path(route.path))
    except Resolver404:
        return False
    callback = match.func
    method = route.method.lower()
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return method in actions
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, method)
    return True  # a plain function view answers every method itself


def coverage() -> dict[str, tuple[int, int]]:
    table: dict[str, list[int]] = {}
    for route in spec_routes():
        counts = table.setdefault(route.dialect, [0, 0])
        counts[1] += 1
        counts[0] += is_served(route)
    return {dialect: (served, total) for dialect, (served, total) in table.items()}
