"""The shipped TraSeR head (models/traser-synth): resampler parity through HeadRuntime, the LM loads and the
streaming Predictor decodes a held-out SynthRoom window into vocabulary names and relations on its tracks.
Quality is not asserted: the shipped model writes a near-constant answer (card.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from vsgg_ros.heads.parity import compare, read_parity
from vsgg_ros.heads.runtime import HeadRuntime

FOLDER = Path(__file__).resolve().parents[1] / "models" / "traser-synth"
pytestmark = pytest.mark.skipif(not (FOLDER / "traser.json").is_file(), reason="models/traser-synth not built")


def test_shipped_resampler_replays_its_parity_cases() -> None:
    runtime = HeadRuntime.load(FOLDER, "ort-cpu", threads=1)
    for case in read_parity(FOLDER / "parity.npz"):
        compare(case.outputs, runtime.run(case.inputs), atol=1e-4, rtol=0.0)
    spec = json.loads((FOLDER / "io_spec.json").read_text())
    lm_hidden = json.loads((FOLDER / "lm" / "lm_config.json").read_text())["hidden_size"]
    assert spec["head"] == "traser" and spec["config"]["d_out"] == lm_hidden


def test_shipped_head_names_the_tracks_of_a_held_out_window() -> None:
    import torch

    from vsgg_ros.ground_truth import GroundTruthTracker
    from vsgg_ros.heads.traser import TraserPredictor
    from vsgg_ros.synth import VideoSpec, iter_video

    torch.set_num_threads(1)
    head = TraserPredictor.from_folder(FOLDER, max_new_tokens=600, every_seconds=6.0)
    tracker = GroundTruthTracker()
    spec = VideoSpec(seed=0, index=4, frames=80)  # a held-out video of the training world
    for frame, graph in iter_video(spec):
        frame.ground_truth = graph
        pred = head.predict(frame, tracker.step(frame, None))
    assert head.windows == 2  # at 1 s (two samples) and 6 s later, at 7 s (eight samples)
    answer = head.last_window.decoded
    assert answer.graph.objects, answer.problems
    known = {o.id: o.label for _, g in iter_video(spec) for o in g.objects}
    assert set(pred.labels) <= set(known)
    assert all(label.class_id >= 0 for label in pred.labels.values())  # names inside the AG vocabulary
    for r in pred.relations:
        assert {r.subject_id, r.object_id} <= set(known) and r.predicate_id >= 0
