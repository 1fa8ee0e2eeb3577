"""`vsgg bench tracker` returns the documented JSON shape (tiny arguments: shape, not speed)."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch", reason="needs torch (training extra)")
pytest.importorskip("sam2", reason="needs sam2==1.1.0 (the sam2 extra)")

from vsgg_ros.bench.tracker import run_tracker_bench  # noqa: E402


def test_bench_reports_ms_per_frame_per_size_and_object_count() -> None:
    before = torch.get_num_threads()
    try:
        result = run_tracker_bench(sizes=(64,), objects=(1, 2), frames=2, memory_frames=0, threads=1)
    finally:
        torch.set_num_threads(before)
    json.dumps(result)
    assert [(r["image_size"], r["objects"]) for r in result["speed"]] == [(64, 1), (64, 2)]
    assert all(r["median_ms_per_frame"] > 0 for r in result["speed"])
    assert result["models"]["64"]["num_maskmem"] == 7 and "memory" not in result
    with pytest.raises(ValueError, match="frames must be >= 2"):
        run_tracker_bench(frames=1)
