"""PalsPredictor (ONNX Runtime) on a SynthRoom clip: Prediction shape, AG directions, bounded state,
and the streaming window gives the same scores as the training-time whole-clip forward."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="needs the cpu extra (onnxruntime)")

from vsgg_ros.graph import Track
from vsgg_ros.heads.pals import PalsPredictor
from vsgg_ros.interfaces import Predictor
from vsgg_ros.synth import VideoSpec, iter_video

FOLDER = Path(__file__).resolve().parents[1] / "models" / "pals-synth"


def _clip(frames: int = 8) -> list:
    return list(iter_video(VideoSpec(seed=4242, index=2, frames=frames)))


def _tracks(graph) -> list[Track]:
    return [Track(o.id, o.box, o.label, o.class_id, 1.0) for o in graph.objects]


def test_prediction_relations_and_distributions() -> None:
    head = PalsPredictor(FOLDER)
    assert isinstance(head, Predictor) and head.model_id == "pals-synth"
    frame, graph = _clip(1)[0]
    pred = head.predict(frame, _tracks(graph))
    persons = {o.id for o in graph.objects if o.label == "person"}
    assert pred.distributions and all(v.shape == (26,) for v in pred.distributions.values())
    assert all(s in persons and o not in persons for s, o in pred.distributions)
    groups = {r.group for r in pred.relations}
    assert groups == {"attention", "spatial", "contacting"}
    for r in pred.relations:
        assert 0.0 <= r.affinity <= 1.0 and 0.0 <= r.score <= 1.0
        assert (r.object_id in persons) == (r.group == "spatial")  # AG: spatial points object -> person
    per_pair = [r for r in pred.relations if r.group == "attention"]
    assert len(per_pair) == len(pred.distributions)


def test_state_stays_bounded_and_empty_frames_are_fine() -> None:
    head = PalsPredictor(FOLDER, max_tracked_pairs=5)
    frame, graph = _clip(1)[0]
    tracks = _tracks(graph)
    for i in range(30):
        frame.index = i
        shifted = [Track(t.track_id + 1000 * i * (t.label != "person"), t.box, t.label, t.class_id) for t in tracks]
        head.predict(frame, shifted)
        assert len(head._state) <= 5
    assert head.predict(frame, []).relations == []


def test_streaming_matches_whole_clip_forward() -> None:
    torch = pytest.importorskip("torch", reason="the clip forward needs the training extra")
    from vsgg_training.pals.data import FrameObjects
    from vsgg_training.pals.evaluate import predict_video
    from vsgg_training.pals.export import load_model

    clip = _clip(6)
    model = load_model(FOLDER / "model.pt")
    with torch.no_grad():
        feats = torch.cat([model.backbone(torch.from_numpy(f.image[None])) for f, _ in clip])
    objects = [FrameObjects.from_graph(g) for _, g in clip]
    _, dists = predict_video(model, feats, objects, "clip", np.stack([f.image for f, _ in clip]))
    head = PalsPredictor(FOLDER)
    for f, (frame, graph) in enumerate(clip):
        pred = head.predict(frame, _tracks(graph))
        for key, vec in pred.distributions.items():
            np.testing.assert_allclose(vec, dists[("clip", f)][key], atol=1e-4)
