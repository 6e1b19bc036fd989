"""How ``python -m bench`` reads figures from the scripts' output (docs/verification.md)."""

from __future__ import annotations

from bench.__main__ import Figure, parse_figures


def test_convention_lines_carry_value_unit_and_baseline():
    output = "warming up\nBENCH custos_add 12.5 jobs/s baseline=25\nBENCH rss_growth 40 MB\n"
    figures = parse_figures("jobs", output)
    assert figures == [Figure("jobs", "custos_add", 12.5, "jobs/s", 25.0), Figure("jobs", "rss_growth", 40.0, "MB")]
    assert figures[0].ratio == 0.5
    assert figures[1].ratio is None


def test_a_json_object_gives_its_numeric_leaves():
    output = 'server up\n{"rate": 3.5, "latency": {"p50": 12, "p99": 40.5}, "ok": true, "name": "x"}\n'
    assert parse_figures("sqal_stream", output) == [
        Figure("sqal_stream", "rate", 3.5),
        Figure("sqal_stream", "latency.p50", 12.0),
        Figure("sqal_stream", "latency.p99", 40.5),
    ]


def test_table_rows_are_named_by_label_and_column():
    output = (
        "what                 seconds      Mpx/s\n"
        "bare NDVI              1.000      1,120.5\n"
        "analyze_scene          2.000       60.2\n"
    )
    assert parse_figures("pipeline_analysis", output) == [
        Figure("pipeline_analysis", "bare NDVI [seconds]", 1.0),
        Figure("pipeline_analysis", "bare NDVI [Mpx/s]", 1120.5),
        Figure("pipeline_analysis", "analyze_scene [seconds]", 2.0),
        Figure("pipeline_analysis", "analyze_scene [Mpx/s]", 60.2),
    ]


def test_bench_line_writes_the_convention_the_runner_reads():
    from bench.common import bench_line

    lines = [
        bench_line("jobs_embedded_custos_add", 312.4, "jobs/s", baseline=901.2),
        bench_line("pipeline memory peak", 41.25, "MB"),
        bench_line("twin_analytics_anomaly_recall", 0.95),
    ]
    assert lines == [
        "BENCH jobs_embedded_custos_add 312.4 jobs/s baseline=901.2",
        "BENCH pipeline_memory_peak 41.25 MB",
        "BENCH twin_analytics_anomaly_recall 0.95",
    ]
    assert parse_figures("x", "\n".join(lines)) == [
        Figure("x", "jobs_embedded_custos_add", 312.4, "jobs/s", 901.2),
        Figure("x", "pipeline_memory_peak", 41.25, "MB"),
        Figure("x", "twin_analytics_anomaly_recall", 0.95),
    ]
