"""Soak: the fault script's mixed workload (``bench/faults.py``) for N minutes without kills, watching memory
and latency over time; flat is the goal.

    .venv/bin/python bench/soak.py --minutes 10                 # embedded mode
    .venv/bin/python bench/soak.py --minutes 10 --mode scaled   # PostgreSQL, Redis, RabbitMQ, separate worker

Starts the service as ``bench/faults.py`` does (same settings, same seed), then runs ``--clients`` clients:
each repeats a login every tenth round, ``POST /api/pipelines/``, two readings batches with
``Idempotency-Key``, ``POST /api/bugs/``, an alert acknowledgement, every ``--jobs-every`` rounds a design
upload and a report job, then sleeps ``--pause`` seconds; and streams one ``sensor_data`` frame every
``--frame-period`` seconds over ``/ws/sensors/``.

Every ``--interval`` seconds (default 30) it prints the resident memory (RSS, psutil) of each process of
the service (serve, Granian's worker, the job worker and its pool) and the p50/p99 latency of each kind of
request in that interval. At the end: the least-squares slope of each process's RSS (MB/min) and of each
kind's p50 (ms/min) over the run (the first interval, the warm-up, left out), the growth they imply over
the run, a verdict (``flat`` when no RSS grows by more than ``--rss-tolerance`` of its mean and no p50 by
more than ``--latency-tolerance`` of its mean), the acknowledged writes checked against the stored rows
as in the fault script, and ``BENCH`` lines. Exit status 0 when flat and nothing is lost, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "bench"]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.faults import (  # noqa: E402 - after the path fix above
    Client,
    Ledger,
    Seed,
    ServiceError,
    Stack,
    flush_redis,
    prepare_database,
    progress,
    purge_rabbitmq,
    seed,
    setup_django,
    summary,
    verify,
    wait_for_jobs,
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points; 0 with fewer than two distinct x."""
    if len(points) < 2:
        return 0.0
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def process_table(stack: Stack) -> dict[str, Any]:
    """A stable name per live process of the service -> psutil.Process: ``serve``, ``granian.<n>``,
    ``job-worker`` (serve's embedded worker) or ``worker`` (the separate one), ``<that>.pool.<n>``."""
    import psutil

    named: dict[str, Any] = {}
    for label, root_process in (("serve", stack.server), ("worker", stack.worker)):
        if root_process is None or root_process.poll() is not None:
            continue
        root = psutil.Process(root_process.pid)
        named[label] = root
        try:
            children = sorted(root.children(), key=lambda p: p.pid)
        except psutil.Error:
            continue
        granian = 0
        for child in children:
            try:
                is_worker = label == "serve" and "worker" in child.cmdline()
                pool = sorted(child.children(recursive=True), key=lambda p: p.pid)
            except psutil.Error:
                continue
            if label == "worker":
                role = f"worker.pool.{len([n for n in named if n.startswith('worker.pool')])}"
            elif is_worker:
                role = "job-worker"
            else:
                role, granian = f"granian.{granian}", granian + 1
            named[role] = child
            for n, grandchild in enumerate(pool):
                named[f"{role}.pool.{n}"] = grandchild
    return named


class Watch:
    def __init__(self, stack: Stack, ledger: Ledger, interval: float) -> None:
        self.stack = stack
        self.ledger = ledger
        self.interval = interval
        self.rss: dict[str, list[tuple[float, float]]] = {}
        self.p50: dict[str, list[tuple[float, float]]] = {}
        self.p99: dict[str, list[tuple[float, float]]] = {}
        self.all_latencies: dict[str, list[float]] = {}

    def sample(self, minute: float) -> None:
        import psutil

        rss_line = []
        for name, process in sorted(process_table(self.stack).items()):
            try:
                mb = process.memory_info().rss / 2**20
            except psutil.Error:
                continue
            self.rss.setdefault(name, []).append((minute, mb))
            rss_line.append(f"{name}={mb:.0f}")
        window, self.ledger.latencies = self.ledger.latencies, []
        per_kind: dict[str, list[float]] = {}
        for _, kind, seconds in window:
            per_kind.setdefault(kind, []).append(seconds * 1000)
        lat_line = []
        for kind, values in sorted(per_kind.items()):
            self.all_latencies.setdefault(kind, []).extend(values)
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            self.p50.setdefault(kind, []).append((minute, p50))
            self.p99.setdefault(kind, []).append((minute, p99))
            lat_line.append(f"{kind} {p50:.0f}/{p99:.0f} (n={len(values)})")
        print(f"t={minute:5.1f} min  RSS MB: {', '.join(rss_line)}", flush=True)
        print(f"             latency ms p50/p99: {'; '.join(lat_line)}", flush=True)

    async def run(self, started: float, until: float) -> None:
        n = 0
        while True:
            n += 1
            due = started + n * self.interval
            if due > until + 1:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.sample((time.monotonic() - started) / 60)


def trend(series: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(slope per minute, mean, growth over the run implied by the slope), the first sample left out."""
    points = series[1:] if len(series) > 2 else series
    if not points:
        return 0.0, 0.0, 0.0
    per_minute = slope(points)
    mean = statistics.fmean(y for _, y in points)
    return per_minute, mean, per_minute * (points[-1][0] - points[0][0])


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


async def soak(stack: Stack, seeded: Seed, ledger: Ledger, args: argparse.Namespace) -> Watch:
    started = time.monotonic()
    until = started + args.minutes * 60
    watch = Watch(stack, ledger, args.interval)
    clients = [Client(i, stack.base, seeded, mine, ledger, until) for i, mine in enumerate(seeded.clients)]
    for client in clients:
        client.refill_alerts = True  # acknowledging again is harmless: the route keeps being exercised
    tasks = [asyncio.create_task(c.run(pause=args.pause, jobs_every=args.jobs_every)) for c in clients]
    tasks += [asyncio.create_task(c.station(period=args.frame_period)) for c in clients]
    tasks.append(asyncio.create_task(watch.run(started, until)))
    await asyncio.gather(*tasks)
    return watch


def report(watch: Watch, args: argparse.Namespace) -> tuple[list[str], bool]:
    lines = ["", f"{'process':32s} {'mean MB':>8s} {'slope MB/min':>13s} {'growth MB':>10s} {'growth %':>9s}"]
    flat = True
    for name, series in sorted(watch.rss.items()):
        per_minute, mean, growth = trend(series)
        share = growth / mean if mean else 0.0
        flat = flat and share <= args.rss_tolerance
        lines.append(f"{name:32s} {mean:8.1f} {per_minute:13.3f} {growth:10.1f} {100 * share:8.1f}%")
    lines += ["", f"{'request':16s} {'p50 ms':>8s} {'p99 ms':>8s} {'n':>7s} {'p50 slope ms/min':>17s} {'growth %':>9s}"]
    for kind, values in sorted(watch.all_latencies.items()):
        per_minute, mean, growth = trend(watch.p50.get(kind, []))
        share = growth / mean if mean else 0.0
        flat = flat and share <= args.latency_tolerance
        lines.append(
            f"{kind:16s} {percentile(values, 0.5):8.1f} {percentile(values, 0.99):8.1f} {len(values):7d} "
            f"{per_minute:17.3f} {100 * share:8.1f}%"
        )
    return lines, flat


def bench_lines(watch: Watch, mode: str) -> list[str]:
    out = []
    for name, series in sorted(watch.rss.items()):
        per_minute, _, _ = trend(series)
        out.append(f"BENCH soak_{mode}_rss_{slug(name)} {series[-1][1]:.1f} MB")
        out.append(f"BENCH soak_{mode}_rss_slope_{slug(name)} {per_minute:.3f} MB/min")
    for kind, values in sorted(watch.all_latencies.items()):
        per_minute, _, _ = trend(watch.p50.get(kind, []))
        out.append(f"BENCH soak_{mode}_p50_{kind} {percentile(values, 0.5):.1f} ms")
        out.append(f"BENCH soak_{mode}_p99_{kind} {percentile(values, 0.99):.1f} ms")
        out.append(f"BENCH soak_{mode}_p50_slope_{kind} {per_minute:.3f} ms/min")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--interval", type=float, default=30, help="seconds between samples (default 30)")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds each client sleeps after a round")
    parser.add_argument("--jobs-every", type=int, default=15, help="a design upload and a report every N rounds")
    parser.add_argument("--frame-period", type=float, default=1.0, help="seconds between a station's frames")
    parser.add_argument("--rss-tolerance", type=float, default=0.10, help="largest RSS growth still flat (share)")
    parser.add_argument("--latency-tolerance", type=float, default=0.50, help="largest p50 growth still flat")
    parser.add_argument("--database", default="", help="scaled mode: DATABASE_URL (default: custos_faults)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0 or args.clients < 1 or args.jobs_every < 1:
        parser.error("--minutes, --interval > 0; --clients, --jobs-every >= 1")

    workdir = Path(tempfile.mkdtemp(prefix=f"custos-soak-{args.mode}-"))
    stack = Stack(args.mode, workdir, visibility_timeout=60, database_url=args.database)
    try:
        if args.mode == "scaled":
            prepare_database(stack.env["DATABASE_URL"])
            flush_redis(stack.env["REDIS_URL"])
            purge_rabbitmq(stack.env)
        progress(f"custos serve ({args.mode}) in {workdir}")
        stack.start_server(migrate=True, timeout=600)
        stack.start_worker()
        setup_django(stack.env)
        seeded = seed(args.clients, alerts_per_client=20)
        ledger = Ledger(keep_latencies=True)
        progress(f"soak for {args.minutes:g} min with {args.clients} clients, a sample every {args.interval:g} s")
        watch = asyncio.run(soak(stack, seeded, ledger, args))
        job_count, stuck, _, _, statuses = wait_for_jobs(seeded, 120)
        found = verify(ledger, seeded)
    except ServiceError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        stack.stop()
        return 2
    finally:
        stack.stop()
    lines, flat = report(watch, args)
    print("\n".join(lines))
    table, lost, acked = summary(found, ledger)
    print()
    print(table)
    print(f"jobs: {job_count}, stuck: {len(stuck)}; {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}")
    verdict = "flat" if flat else "NOT flat"
    print(
        f"\nverdict: {verdict} (RSS growth <= {100 * args.rss_tolerance:.0f}%, p50 growth <= "
        f"{100 * args.latency_tolerance:.0f}% over {args.minutes:g} min); lost writes: {lost} of {acked}"
    )
    print("\n".join(bench_lines(watch, args.mode)))
    print(f"BENCH soak_{args.mode}_lost_writes {lost} writes baseline=0")
    print(f"BENCH soak_{args.mode}_flat {1 if flat else 0}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if flat and lost == 0 and not stuck else 1


if __name__ == "__main__":
    raise SystemExit(main())
