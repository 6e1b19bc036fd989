"""``python -m bench``: run every ``bench/*.py`` script at a small size and print one table of figures.

Each script runs in its own process (``sys.executable bench/<name>.py <small-size options>``) with a
timeout; its output is parsed into figures (see docs/verification.md, "Bench figures"):

1. ``BENCH <figure> <value> [unit] [baseline=<value>]`` lines: the convention (a figure beside the
   baseline measured in the same run);
2. a JSON object printed by the script: every numeric leaf is a figure (``a.b.c``);
3. otherwise, table rows (a label, then numbers) under a header line: one figure per numeric cell,
   named ``<label> [<column header>]``.

    python -m bench [--only name,name] [--timeout 900] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HELPERS = {"__init__", "__main__", "common", "http_asgi_native", "http_settings", "http_urls"}

# Small-size options per script (none has a --quick mode of its own); [] runs the script as is.
SMALL: dict[str, list[str]] = {
    "faults": ["--duration", "30", "--kills", "2", "--clients", "2"],
    "http": ["--duration", "2", "--warmup", "1", "--only", "1,2"],
    "jobs": ["--jobs", "50", "--only", "embedded"],
    "pipeline_analysis": ["--size", "2000", "--repeat", "1"],
    "pipeline_detection": ["--per-type", "1", "--clean", "2", "--mixed", "1", "--size", "128"],
    "pipeline_memory": ["--sizes", "1000"],
    "plm_processing": ["--columns", "4", "--rows", "4", "--repeat", "1", "--stl-triangles", "20000"],
    "serving": ["--modes", "embedded", "--rows", "50", "--duration", "2", "--warmup", "1"],
    "soak": ["--minutes", "1", "--interval", "15"],
    "sqal_stream": ["--stations", "3", "--dashboards", "2", "--duration", "5"],
    "time_indexes": ["--readings", "100000", "--samples", "10000", "--repeat", "1", "--ingest-rounds", "2"],
    "twin_analytics": ["--devices", "4", "--days", "3", "--eval-days", "1", "--repeat", "1"],
    "twin_ingest": ["--batches", "10", "--batch", "200", "--devices", "4"],
}
NEEDS = {"http": "wrk", "serving": "wrk"}

_CONVENTION = re.compile(r"^BENCH\s+(\S+)\s+(-?[\d.]+(?:e[-+]?\d+)?)(?:\s+([^\s=]+))?(?:\s+baseline=(-?[\d.]+))?", re.I)
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+(?:e[-+]?\d+)?x?%?$", re.I)


@dataclass
class Figure:
    script: str
    name: str
    value: float
    unit: str = ""
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("x%"))


def _json_figures(script: str, value: object, prefix: str = "") -> list[Figure]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [Figure(script, prefix or "value", float(value))]
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _json_figures(script, item, f"{prefix}.{key}".strip("."))]
    return []


def parse_figures(script: str, output: str) -> list[Figure]:
    """The figures of one script's output (the three forms of the module docstring, first that matches)."""
    lines = output.splitlines()
    conventional = [m for m in (_CONVENTION.match(line.strip()) for line in lines) if m]
    if conventional:
        return [
            Figure(script, m.group(1), float(m.group(2)), m.group(3) or "", float(m.group(4)) if m.group(4) else None)
            for m in conventional
        ]
    start = output.find("{")
    if start >= 0:
        try:
            return _json_figures(script, json.loads(output[start : output.rfind("}") + 1]))
        except ValueError:
            pass
    figures: list[Figure] = []
    header: list[str] = []
    for line in lines:
        cells = re.split(r"\s{2,}|\s+\|\s+|\t", line.strip())
        if len(cells) < 2:
            continue
        numeric = [c for c in cells[1:] if _NUMBER.match(c.split()[0] if c.split() else "")]
        if not numeric:
            if not _NUMBER.match(cells[0]):
                header = cells
            continue
        label = cells[0]
        for index, cell in enumerate(cells[1:], start=1):
            token = cell.split()[0] if cell.split() else ""
            if not _NUMBER.match(token):
                continue
            column = header[index] if index < len(header) and len(header) == len(cells) else f"col{index}"
            figures.append(Figure(script, f"{label} [{column}]", _number(token)))
    return figures


def versions() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    found = [
        f"machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
    ]
    psql = shutil.which("psql") or shutil.which("postgres")
    if psql:
        answer = subprocess.run([psql, "--version"], capture_output=True, text=True, check=False)
        found.append(answer.stdout.strip())
    return found


def run_script(name: str, args: list[str], timeout: int) -> tuple[str, list[Figure], str]:
    """(status, figures, note) of one script."""
    tool = NEEDS.get(name)
    if tool and shutil.which(tool) is None:
        return "skipped", [], f"needs {tool}"
    command = [sys.executable, str(HERE / f"{name}.py"), *args]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", [], f"over {timeout} s"
    seconds = time.monotonic() - started
    figures = parse_figures(name, done.stdout)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"exit {done.returncode}", figures, last[:120]
    return "ok", figures, f"{seconds:.0f} s"


def table(rows: list[Figure]) -> str:
    out = [f"{'script':20s} {'figure':58s} {'value':>14s} {'baseline':>12s} {'ratio':>7s}"]
    for f in rows:
        baseline = f"{f.baseline:,.4g}" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
        out.append(f"{f.script:20s} {f.name[:58]:58s} {f.value:>14,.4g} {baseline:>12s} {ratio:>7s}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="run every bench script, one table")
    parser.add_argument("--only", default="", help="comma-separated script names (default: all)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per script (default 900)")
    parser.add_argument("--full", action="store_true", help="each script at its default (full) size")
    args = parser.parse_args(argv)
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in HELPERS)
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]
    print("\n".join(versions()), flush=True)
    figures: list[Figure] = []
    statuses: list[str] = []
    for name in names:
        options = [] if args.full else SMALL.get(name, [])
        print(f"running bench/{name}.py {' '.join(options)}", file=sys.stderr, flush=True)
        status, found, note = run_script(name, options, args.timeout)
        figures.extend(found)
        statuses.append(f"{name:20s} {status:10s} {len(found):3d} figures  {note}")
    print(table(figures))
    print("\n".join(["", "scripts:", *statuses]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
