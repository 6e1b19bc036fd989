"""Serves the console's pinned front-end libraries from ``console/node_modules`` (installed by ``make
install`` when npm is present) as static files under ``console/vendor/``. Only the files listed here
are exposed; when they are absent the pages work without them (plain links and forms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> file under console/node_modules
VENDOR_FILES = {
    "console/vendor/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "console/vendor/socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "console/vendor/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "console/vendor/leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "console/vendor/leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    **{
        f"console/vendor/leaflet/images/{name}": f"leaflet/dist/images/{name}"
        for name in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
    },
    # three.js as ES modules (an import map in design.html names "three" and "three/addons/")
    "console/vendor/three/three.module.js": "three/build/three.module.js",
    "console/vendor/three/three.core.js": "three/build/three.core.js",
    **{
        f"console/vendor/three/addons/{name}": f"three/examples/jsm/{name}"
        for name in (
            "loaders/GLTFLoader.js",
            "controls/OrbitControls.js",
            "utils/BufferGeometryUtils.js",
            "utils/SkeletonUtils.js",
        )
    },
}


def node_modules() -> Path:
    return Path(settings.BASE_DIR) / "console" / "node_modules"


def vendor_available(static_path: str) -> bool:
    source = VENDOR_FILES.get(static_path)
    return source is not None and (node_modules() / source).is_file()


class VendorFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if vendor_available(path):
            found = str(node_modules() / VENDOR_FILES[path])
            return [found] if find_all or kwargs.get("all") else found
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns: Any) -> Any:
        for static_path, source in VENDOR_FILES.items():
            if vendor_available(static_path):
                directory = (node_modules() / source).parent
                yield static_path, _Renamed(directory, name=Path(source).name, as_path=static_path)


class _Renamed(FileSystemStorage):
    """A storage whose one file ``name`` is listed under ``as_path`` (for collectstatic and WhiteNoise)."""

    def __init__(self, location: Path, *, name: str, as_path: str) -> None:
        super().__init__(location=str(location))
        self._name, self._as = name, as_path

    def path(self, name: str) -> str:
        return super().path(self._name if name == self._as else name)

    def open(self, name: str, mode: str = "rb") -> Any:  # type: ignore[override]
        return super().open(self._name if name == self._as else name, mode)
