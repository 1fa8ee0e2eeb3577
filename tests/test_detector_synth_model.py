"""The committed SynthRoom detector (models/detector-synth): loads, reproduces its parity file, finds people.

Held-out frames come from a SynthRoom world seed the detector never trained on (training used seeds 1-3).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from vsgg_ros.bench.e2e import render_frames, run_e2e_bench
from vsgg_ros.detection.detector import OnnxDetector
from vsgg_ros.heads.runtime import HeadRuntime
from vsgg_ros.synth import VideoSpec, iter_steps
from vsgg_ros.tracking.association import AssociationTracker
from vsgg_ros.tracking.boxes import iou_matrix

FOLDER = Path(__file__).resolve().parents[1] / "models" / "detector-synth"
pytestmark = pytest.mark.skipif(not (FOLDER / "model.onnx").is_file(), reason="models/detector-synth not built")


def test_parity_file_is_reproduced_on_ort_cpu() -> None:
    rt = HeadRuntime.load(FOLDER)
    report = rt.check_parity(atol=1e-4, rtol=1e-3)
    assert set(report) == {"single", "batch2"}
    assert rt.io_spec["detector"]["format"] == "yolo-end2end"


def test_finds_people_on_held_out_videos() -> None:
    # A regression guard at the level the card reports (person AP@0.5 0.88): on these four held-out
    # videos the committed model localises 68% of the people at IoU 0.5 and 93% at IoU 0.3 (the previous
    # model, person AP@0.5 0.69, found 51% and 66%: it would fail here).
    detector = OnnxDetector(FOLDER)
    at_03 = at_05 = total = 0
    for index in range(4):
        for step in iter_steps(VideoSpec(seed=4242, index=index, frames=10)):
            people = [o.box for o in step.graph.objects if o.label == "person"]
            boxes = [d.box for d in detector.detect(step.frame) if d.label == "person"]
            total += len(people)
            if people and boxes:
                best = iou_matrix(people, boxes).max(axis=1)
                at_03 += int((best >= 0.3).sum())
                at_05 += int((best >= 0.5).sum())
    assert total > 50
    assert at_03 / total >= 0.85 and at_05 / total >= 0.6


def test_e2e_bench_runs_every_stage() -> None:
    report = run_e2e_bench(frames=12, detector_folder=FOLDER, predictor=None, warmup=2)
    assert report["frames"] == 12 and report["size"] == "320x240"
    assert {"detect", "track"} <= set(report["stages_mean_ms"])
    assert report["objects_per_frame"] > 0 and report["fps"] > 0
    assert 0.0 <= report["engine_overhead_share"] < 1.0


def test_detector_and_tracker_give_stable_ids_on_a_held_out_video() -> None:
    detector, tracker = OnnxDetector(FOLDER), AssociationTracker()
    ids_per_frame = [
        {t.track_id for t in tracker.step(f, detector.detect(f))} for f in render_frames(20, (320, 240), seed=4242)
    ]
    # once objects are confirmed, most of them keep their id from frame to frame
    kept = [len(a & b) / max(len(a), 1) for a, b in pairwise(ids_per_frame[5:])]
    assert sum(kept) / len(kept) >= 0.8


def test_no_same_class_duplicates_survive_on_held_out_frames() -> None:
    # the in-graph 3x3 peak picking left two or three boxes on tall objects; the declared NMS removes them
    detector = OnnxDetector(FOLDER, score_threshold=0.05)
    assert detector.spec.nms and detector.iou_threshold == 0.5
    for step in iter_steps(VideoSpec(seed=4242, index=1, frames=6)):
        found = detector.detect(step.frame)
        for label in {d.label for d in found}:
            boxes = [d.box for d in found if d.label == label]
            iou = iou_matrix(boxes, boxes)
            assert (iou[~np.eye(len(boxes), dtype=bool)] <= 0.5 + 1e-9).all(), label
