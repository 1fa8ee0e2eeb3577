"""The engine runs end to end with the SAM2 tracker on a SynthRoom bag (random weights: plumbing, not quality).

Detections are the frame's ground-truth boxes, so discovery prompts real object boxes; the graphs must come
out every frame with tracker-assigned ids that only increase and labels taken from the detections.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs torch (training extra)")
pytest.importorskip("sam2", reason="needs sam2==1.1.0 (the sam2 extra)")

from vsgg_ros.graph import Frame, SceneGraph  # noqa: E402
from vsgg_ros.interfaces import Detection  # noqa: E402
from vsgg_ros.io.bag_source import BagSource  # noqa: E402
from vsgg_ros.pipeline import Pipeline  # noqa: E402
from vsgg_ros.synth import VideoSpec, iter_video  # noqa: E402
from vsgg_ros.synth.bag import write_bag  # noqa: E402
from vsgg_ros.tracking.sam2_stream import build_sam2_tracker  # noqa: E402

FRAMES = 8


class GroundTruthBoxes:
    """A detector that reports the annotated boxes of the frame."""

    def detect(self, frame: Frame) -> list[Detection]:
        gt = frame.ground_truth
        return [] if gt is None else [Detection(o.box, o.label, o.class_id, o.score) for o in gt.objects]


class ListSink:
    def __init__(self) -> None:
        self.graphs: list[SceneGraph] = []
        self.closed = False

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        self.graphs.append(graph)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_pipeline_with_sam2_tracker_on_a_synthroom_bag(tmp_path: Path) -> None:
    spec = VideoSpec(frames=FRAMES, size=(128, 96))
    bag = write_bag(tmp_path / "room.mcap", iter_video(spec), video_id=spec.video_id, fps=spec.fps)
    labels = {o.label for _, g in iter_video(spec) for o in g.objects}
    tracker = build_sam2_tracker(
        {"model": {"micro": True, "image_size": 64, "device": "cpu"}, "max_lost_sec": None, "max_objects": 8}
    )
    sink = ListSink()
    stats = Pipeline(BagSource(bag), tracker, None, [sink], detector=GroundTruthBoxes()).run()

    assert sink.closed and stats["frames_out"] == FRAMES
    assert [g.frame_index for g in sink.graphs] == list(range(FRAMES))
    seen: list[int] = []
    for graph in sink.graphs:
        ids = [o.id for o in graph.objects]
        assert len(ids) == len(set(ids)) and graph.objects
        assert {o.label for o in graph.objects} <= labels
        for o in graph.objects:
            assert o.mask is None or (o.mask.height, o.mask.width) == (96, 128)
        seen += [i for i in ids if i not in seen]
    assert seen == sorted(seen) and seen[0] == 1  # ids are handed out in increasing order, never reused
    assert tracker.stats["discovered"] == len(seen) <= 8
    assert "track" in stats["stages_ms"] and "detect" in stats["stages_ms"]
