"""How well do the twin analytics find injected faults, and how fast is a day of 1 Hz history bucketed?

One run, one fresh database (embedded: a SQLite file under a temporary CUSTOS_HOME):

1. A fleet (``--devices``, half temperature sensors, half vibration sensors) with ``--days`` of readings
   every ``--step`` seconds: a per-device level, Gaussian noise, a slow daily cycle. Injected into it:
   * anomalies: single-reading spikes of 6 to 12 sigma (either sign), about ``--spikes`` per device per
     day, at known timestamps;
   * failures: on about a third of the devices per period, the value drifts upwards over 12 hours
     (linearly, to 5 sigma), then a ``failure`` event is recorded, the device is silent for 4 hours and
     a ``repair`` event is recorded.
   The generator is seeded (``--seed``): the same fleet every run.
2. Training (the training job's own code, ``services.train_all``) uses only the data before the split
   (the last ``--eval-days`` are held out), then:
   * anomaly recall / precision: each device's held-out period through ``device_predictions`` (the
     route's code), flags against the injected spikes; the 12 hours before each failure (a genuine
     drift, not an injected spike) are left out of this count;
   * failures flagged ahead: for each held-out failure, whether any hourly window ending between 24 h
     and 1 h before it has probability >= 0.5; and the false-alarm share of hourly windows on devices
     that did not fail in the held-out period.
3. ``GET /api/historical_data`` over a device with 24 h of 1 Hz readings (86,400 rows) in 100 buckets
   (``interval=864``), through Django's full request stack in this process: median of ``--repeat`` runs.

Run it from the repository root::

    .venv/bin/python bench/twin_analytics.py
    .venv/bin/python bench/twin_analytics.py --devices 40 --days 21 --seed 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.common import bench_line, bench_owner, machine_load, setup_django  # noqa: E402 - after the path is set


def _fleet(args, org, now):
    """Store the fleet; return ground truth: spikes {device_pk: set(epoch)}, failures [(device, moment)],
    drift windows {device_pk: [(start, end)]}."""
    import numpy as np

    from custos.devices.models import Device, DeviceEvent, Reading

    rng = np.random.default_rng(args.seed)
    start = now - timedelta(days=args.days)
    count = int(args.days * 86400 / args.step)
    base_t = np.asarray([start.timestamp() + args.step * i for i in range(count)])
    spikes, failures, drifts = {}, [], {}
    period = 86400 * 3  # one failure chance per device per three days
    for index in range(args.devices):
        kind = "temperature_sensor" if index % 2 == 0 else "vibration_sensor"
        level, sigma = (60 + 3 * index, 0.5) if kind == "temperature_sensor" else (0.3 + 0.01 * index, 0.02)
        device = Device.objects.create(organization=org, device_id=f"DEV_{index:03d}", device_type=kind)
        values = level + sigma * rng.normal(0, 1, count) + 0.5 * sigma * np.sin(2 * np.pi * base_t / 86400)
        keep = np.ones(count, dtype=bool)
        drifts[device.pk] = []
        # failures: at a random moment of some three-day periods (not in the first two days)
        for period_start in np.arange(base_t[0] + 2 * 86400, base_t[-1] - 86400, period):
            if rng.random() > 0.35:
                continue
            moment = period_start + rng.uniform(0, period - 86400)
            ramp = (base_t > moment - 12 * 3600) & (base_t <= moment)
            values[ramp] += 5 * sigma * (1 - (moment - base_t[ramp]) / (12 * 3600))
            keep &= ~((base_t > moment) & (base_t <= moment + 4 * 3600))
            failure_at = datetime.fromtimestamp(moment, tz=UTC)
            DeviceEvent.objects.create(organization=org, device=device, timestamp=failure_at, event_type="failure")
            DeviceEvent.objects.create(
                organization=org, device=device, timestamp=failure_at + timedelta(hours=4), event_type="repair"
            )
            failures.append((device, failure_at))
            drifts[device.pk].append((moment - 12 * 3600, moment))
        # spikes, away from drifts and silences
        chosen = set()
        candidates = np.flatnonzero(keep)
        for position in rng.choice(candidates, size=int(args.spikes * args.days), replace=False):
            t = base_t[position]
            if any(a - 3600 <= t <= b + 4 * 3600 for a, b in drifts[device.pk]):
                continue
            values[position] += rng.choice([-1, 1]) * rng.uniform(6, 12) * sigma
            chosen.add(float(t))
        spikes[device.pk] = chosen
        Reading.objects.bulk_create(
            (
                Reading(
                    device=device,
                    organization=org,
                    timestamp=datetime.fromtimestamp(t, tz=UTC),
                    value=float(v),
                )
                for t, v in zip(base_t[keep], values[keep], strict=True)
            ),
            batch_size=5000,
        )
    return spikes, failures, drifts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--eval-days", type=int, default=7)
    parser.add_argument("--step", type=int, default=300, help="seconds between readings of the fleet")
    parser.add_argument("--spikes", type=float, default=2.0, help="injected spikes per device per day")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="custos-bench-twin-") as home:
        setup_django(Path(home))
        import numpy as np
        from django.utils import timezone

        from custos.devices.models import Device, Reading
        from custos.kernel.context import WriteContext
        from custos.modules.twin import services

        org, _user, client = bench_owner()
        now = timezone.now().replace(microsecond=0)

        began = time.perf_counter()
        spikes, failures, drifts = _fleet(args, org, now)
        stored = Reading.objects.filter(organization=org).count()
        print(f"fleet: {args.devices} devices, {stored} readings over {args.days} days every {args.step} s, "
              f"{sum(len(s) for s in spikes.values())} spikes, {len(failures)} failures "
              f"({time.perf_counter() - began:.1f} s to generate)")  # fmt: skip

        split = now - timedelta(days=args.eval_days)
        began = time.perf_counter()
        trained = services.train_all(
            WriteContext.system(organization_id=org.pk), organization_id=org.pk, until=split, days=args.days
        )
        print(f"training on the {args.days - args.eval_days} days before the split: "
              f"{time.perf_counter() - began:.1f} s; anomaly models "
              f"{[(m['scope'], m['version']) for m in trained['anomaly_models']]}, failure model "
              f"{trained['failure_model'] and trained['failure_model']['metrics']}")  # fmt: skip

        # Anomalies over the held-out days.
        true_positive = false_positive = false_negative = 0
        hours = args.eval_days * 24
        for device in Device.objects.filter(organization=org):
            answer = services.device_predictions(device, hours=hours, now=now)["anomaly_prediction"]
            flagged = {datetime.fromisoformat(t).timestamp() for t in answer["anomaly_timestamps"]}
            truth = {t for t in spikes[device.pk] if t > split.timestamp()}

            def excluded(t, pk=device.pk):
                return any(a <= t <= b for a, b in drifts[pk])

            flagged = {t for t in flagged if not excluded(t)}
            true_positive += len(flagged & truth)
            false_positive += len(flagged - truth)
            false_negative += len(truth - flagged)
        recall = true_positive / max(1, true_positive + false_negative)
        precision = true_positive / max(1, true_positive + false_positive)
        print(f"anomalies (held-out {args.eval_days} days): recall {recall:.3f}, precision {precision:.3f} "
              f"(tp {true_positive}, fp {false_positive}, fn {false_negative}; targets recall >= 0.9 at "
              f"precision >= 0.8)")  # fmt: skip

        # Failures over the held-out days: flagged at least one hour ahead?
        held_out = [(d, moment) for d, moment in failures if moment > split + timedelta(hours=24)]
        ahead = 0
        for device, moment in held_out:
            answer = services.device_predictions(device, hours=23, now=moment - timedelta(hours=1))
            probabilities = answer["failure_prediction"]["failure_probabilities"]
            ahead += any(p >= 0.5 for p in probabilities)
        failed_pks = {d.pk for d, _ in held_out}
        alarms = windows = 0
        for device in Device.objects.filter(organization=org).exclude(pk__in=failed_pks):
            answer = services.device_predictions(device, hours=hours, now=now)["failure_prediction"]
            windows += len(answer["failure_probabilities"])
            alarms += sum(p >= 0.5 for p in answer["failure_probabilities"])
        share = ahead / len(held_out) if held_out else float("nan")
        print(f"failures flagged >= 1 h ahead: {ahead}/{len(held_out)} = {share:.0%} (target 80 %); "
              f"false alarms on devices without a held-out failure: {alarms}/{windows} hourly windows "
              f"({alarms / max(1, windows):.2%})")  # fmt: skip

        # /api/historical_data: 24 h of 1 Hz readings in 100 buckets.
        device = Device.objects.create(organization=org, device_id="HZ_1", device_type="temperature_sensor")
        first = now - timedelta(hours=24)
        Reading.objects.bulk_create(
            (
                Reading(device=device, organization=org, timestamp=first + timedelta(seconds=i), value=20 + (i % 60))
                for i in range(1, 86401)
            ),
            batch_size=10_000,
        )
        query = {"device_id": "HZ_1", "hours": 24, "interval": "864"}
        timings = []
        for _ in range(args.repeat + 1):
            began = time.perf_counter()
            response = client.get("/api/historical_data", query)
            timings.append(time.perf_counter() - began)
            if response.status_code != 200:
                print("historical_data failed:", response.status_code, response.content[:200])
                return 1
        body = response.json()
        print(f"/api/historical_data, 86,400 1 Hz readings -> {len(body['values'])} buckets: median "
              f"{statistics.median(timings[1:]) * 1000:.1f} ms, min {min(timings[1:]) * 1000:.1f} ms "
              f"over {args.repeat} runs (first run {timings[0] * 1000:.1f} ms)")  # fmt: skip
        print(f"load average {machine_load()} (1, 5, 15 min; {os.cpu_count()} CPUs)")
        print(bench_line("twin_analytics_anomaly_recall", recall))
        print(bench_line("twin_analytics_anomaly_precision", precision))
        if held_out:
            print(bench_line("twin_analytics_failures_flagged_ahead", share))
        print(bench_line("twin_analytics_false_alarm_share", alarms / max(1, windows)))
        print(bench_line("twin_analytics_historical_data_median", statistics.median(timings[1:]) * 1000, "ms"))
        del np
    return 0


if __name__ == "__main__":
    sys.exit(main())
