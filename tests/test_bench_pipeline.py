"""`vsgg bench pipeline` runs and reports every section; timing goals are judged by the bench, not here."""

from __future__ import annotations

from vsgg_ros.bench.pipeline import measure_memory, measure_overhead, measure_overload, rss_bytes


def test_overhead_section_accounts_for_the_frame() -> None:
    result = measure_overhead(frames=100)
    assert result["objects"] == 20 and result["relations"] == 60
    assert result["wall_ms_per_frame"] >= result["overhead_ms_per_frame"] >= 0
    assert result["wall_ms_per_frame"] > 0


def test_overload_keeps_the_queue_bounded_and_publishes_every_frame() -> None:
    result = measure_overload(frames=30, predictor_ms=30.0)
    assert result["graphs_out"] + result["drops"].get("input_queue_full", 0) == result["frames_in"] == 30
    assert result["predictions"] < 30  # the predictor cannot keep up by construction
    assert result["inbox_max_depth"] <= result["inbox_bound"]
    assert result["prediction_latency_ms"]["count"] >= 1


def test_memory_section_reads_rss() -> None:
    assert rss_bytes() > 10 * 2**20
    result = measure_memory(frames=300)
    assert result["rss_before_mb"] > 0 and result["frames"] == 300
