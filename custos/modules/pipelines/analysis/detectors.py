"""One detector per anomaly type. Each turns the corridor pixels into a per-pixel *score* (1.0 at its threshold,
higher is stronger) and a candidate mask; the engine groups candidates into regions.

Baselines are robust statistics of the corridor itself (median and MAD-based sigma), so a detector reacts
to what stands out from this corridor on this date, not to fixed global values alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from custos.modules.pipelines.analysis import indices

_EPS = np.float32(1e-6)


@dataclass(frozen=True)
class DetectorInput:
    """The corridor pixels only, as 1-D arrays in one order (see ``scene.Corridor``)."""

    bands: dict[str, np.ndarray]  # the current image
    previous: dict[str, np.ndarray] | None  # the previous image of this pipeline, if any
    distance_m: np.ndarray  # distance of each pixel to the pipe
    rows: np.ndarray
    cols: np.ndarray
    facilities: tuple[tuple[int, int], ...]  # facility points (row, col)

    def has(self, *names: str) -> bool:
        return all(name in self.bands for name in names)

    def previous_has(self, *names: str) -> bool:
        return self.previous_bands(*names) is not None

    def previous_bands(self, *names: str) -> dict[str, np.ndarray] | None:
        """The previous image if there is one and it has all ``names``, else None."""
        if self.previous is not None and all(name in self.previous for name in names):
            return self.previous
        return None


@dataclass(frozen=True)
class Candidates:
    mask: np.ndarray
    score: np.ndarray  # >= 1 where the mask is set
    statistic: str  # what the score measures, for raw_data
    value: np.ndarray  # the physical quantity (index, kelvin, mm ...) for raw_data


def robust_z(values: np.ndarray) -> np.ndarray:
    """(values - median) / (1.4826 * MAD) over the corridor pixels."""
    sample = values
    if sample.size == 0:
        return np.zeros_like(values, dtype=np.float32)
    median = np.float32(np.median(sample))
    sigma = np.float32(1.4826 * np.median(np.abs(sample - median))) + _EPS
    return (values - median) / sigma


def vegetation_encroachment(data: DetectorInput) -> Candidates | None:
    """Dense vegetation (NDVI >= 0.6) that also stands out (z >= 3) from the corridor's vegetation."""
    if not data.has("red", "nir"):
        return None
    value = indices.ndvi(data.bands["nir"], data.bands["red"])
    z = robust_z(value)
    mask = (value >= 0.6) & (z >= 3.0)
    return Candidates(mask, value / np.float32(0.6), "ndvi", value)


def leak_detection(data: DetectorInput) -> Candidates | None:
    """Hydrocarbon staining: ground much darker than the corridor (brightness z <= -4) whose
    SWIR1/SWIR2 contrast rises (hydrocarbon index z >= 3)."""
    if not data.has("green", "red", "nir", "swir16", "swir22"):
        return None
    bands = data.bands
    bright = indices.brightness(bands["green"], bands["red"], bands["nir"], bands["swir16"])
    hci = indices.hydrocarbon_index(bands["swir16"], bands["swir22"])
    z_bright = robust_z(bright)
    z_hci = robust_z(hci)
    mask = (z_bright <= -4.0) & (z_hci >= 3.0)
    return Candidates(mask, -z_bright / np.float32(4.0), "hydrocarbon_index", hci)


def thermal_anomaly(data: DetectorInput) -> Candidates | None:
    """Surface temperature at least 4 robust sigmas and 3 K above the corridor baseline."""
    if not data.has("thermal"):
        return None
    kelvin = data.bands["thermal"]
    z = robust_z(kelvin)
    excess = kelvin - np.float32(np.median(kelvin)) if kelvin.size else kelvin
    mask = (z >= 4.0) & (excess >= 3.0)
    return Candidates(mask, z / np.float32(4.0), "temperature_excess_k", excess)


def weather_damage(data: DetectorInput) -> Candidates | None:
    """New standing water: NDWI > 0 now where it was <= 0 on the previous image, a rise of >= 0.3."""
    previous = data.previous_bands("green", "nir")
    if not data.has("green", "nir") or previous is None:
        return None
    now = indices.ndwi(data.bands["green"], data.bands["nir"])
    before = indices.ndwi(previous["green"], previous["nir"])
    rise = now - before
    mask = (now > 0.0) & (before <= 0.0) & (rise >= 0.3)
    return Candidates(mask, rise / np.float32(0.3), "ndwi_change", rise)


def construction_activity(data: DetectorInput) -> Candidates | None:
    """Newly exposed soil: bare-soil index >= 0.25 now, up by >= 0.2 since the previous image."""
    names = ("blue", "red", "nir", "swir16")
    previous = data.previous_bands(*names)
    if not data.has(*names) or previous is None:
        return None
    now = indices.bare_soil_index(*(data.bands[name] for name in names))
    before = indices.bare_soil_index(*(previous[name] for name in names))
    rise = now - before
    mask = (now >= 0.25) & (rise >= 0.2)
    return Candidates(mask, rise / np.float32(0.2), "bsi_change", rise)


def ground_subsidence(data: DetectorInput) -> Candidates | None:
    """Ground moved down by 10 mm or more (displacement band), and 4 robust sigmas below the corridor."""
    if not data.has("displacement"):
        return None
    mm = data.bands["displacement"]
    z = robust_z(mm)
    mask = (mm <= -10.0) & (z <= -4.0)
    return Candidates(mask, -mm / np.float32(10.0), "displacement_mm", mm)


EXPOSED_M = 30.0  # how close to the pipe the ground counts as over an exposed segment


def corrosion_detection(data: DetectorInput) -> Candidates | None:
    """Iron oxide on exposed segments: within 30 m of the pipe, bare (NDVI < 0.3), red/blue >= 3."""
    if not data.has("blue", "red", "nir"):
        return None
    bands = data.bands
    ratio = indices.iron_oxide_ratio(bands["red"], bands["blue"])
    exposed = (data.distance_m <= EXPOSED_M) & (indices.ndvi(bands["nir"], bands["red"]) < 0.3)
    z = robust_z(ratio)
    mask = exposed & (ratio >= 3.0) & (z >= 4.0)
    return Candidates(mask, ratio / np.float32(3.0), "iron_oxide_ratio", ratio)


FACILITY_RADIUS_PX = 8


def equipment_damage(data: DetectorInput) -> Candidates | None:
    """Structural change at facility points: brightness changed by >= 0.1 within 8 pixels of a facility."""
    names = ("green", "red", "nir")
    previous = data.previous_bands(*names)
    if not data.facilities or not data.has(*names) or previous is None:
        return None
    now = indices.brightness(*(data.bands[name] for name in names))
    before = indices.brightness(*(previous[name] for name in names))
    change = np.abs(now - before)
    near = np.zeros(change.shape, dtype=bool)
    for row, col in data.facilities:
        near |= (np.abs(data.rows - row) <= FACILITY_RADIUS_PX) & (np.abs(data.cols - col) <= FACILITY_RADIUS_PX)
    mask = near & (change >= 0.1)
    return Candidates(mask, change / np.float32(0.1), "brightness_change", change)


DETECTORS: dict[str, Callable[[DetectorInput], Candidates | None]] = {
    "leak_detection": leak_detection,
    "vegetation_encroachment": vegetation_encroachment,
    "ground_subsidence": ground_subsidence,
    "construction_activity": construction_activity,
    "equipment_damage": equipment_damage,
    "corrosion_detection": corrosion_detection,
    "thermal_anomaly": thermal_anomaly,
    "weather_damage": weather_damage,
}
