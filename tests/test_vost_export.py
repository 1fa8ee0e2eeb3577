"""The committed VOST-SGG export: ONNX Runtime reproduces torch, and the Predictor works with and without cues."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vsgg_ros.graph import Frame, Track
from vsgg_ros.heads.runtime import HeadRuntime
from vsgg_ros.heads.vost import VostPredictor
from vsgg_ros.heads.vost_cues import CachedCues, Cue

FOLDER = Path(__file__).resolve().parents[1] / "models" / "vost-synth"
pytestmark = pytest.mark.skipif(not (FOLDER / "model.onnx").is_file(), reason="models/vost-synth not exported")


@pytest.fixture(scope="module")
def runtime() -> HeadRuntime:
    return HeadRuntime.load(FOLDER, "ort-cpu", threads=1)


@pytest.fixture(scope="module")
def head() -> VostPredictor:
    return VostPredictor(FOLDER)


def test_parity_golden_replays_on_onnxruntime(runtime: HeadRuntime) -> None:
    report = runtime.check_parity(atol=1e-4, rtol=1e-4)
    assert report and all(v <= 1e-4 for case in report.values() for v in case.values())


def test_onnxruntime_matches_torch_on_fresh_inputs(runtime: HeadRuntime) -> None:
    pytest.importorskip("torch")
    from vsgg_training.vost.export import example_inputs, load_model, torch_outputs
    from vsgg_training.vost.model import VostStreamingGraph

    model = load_model(FOLDER / "model.pt")
    graph = VostStreamingGraph(model).eval()
    for cues, refs in ((1, 1), (model.cfg.queries, 5)):
        inputs = example_inputs(model.cfg, cues, refs, seed=cues * 31 + refs)
        got, want = runtime.run(inputs), torch_outputs(graph, inputs)
        for name, value in want.items():
            np.testing.assert_allclose(got[name], value, atol=1e-4, rtol=1e-4, err_msg=f"{name} at {cues}x{refs}")


def _scene() -> tuple[Frame, list[Track]]:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    tracks = [Track(5, (100, 40, 160, 230), "person"), Track(7, (150, 120, 190, 160), "cup/glass/bottle"),
              Track(9, (20, 150, 120, 235), "table")]  # fmt: skip
    return Frame(0, 0, image, source_id="v"), tracks


def test_predictor_without_cues_gives_26_wide_scores_and_bounded_buffer(head: VostPredictor) -> None:
    frame, tracks = _scene()
    head.reset()
    for i in range(6):
        frame.index = i
        pred = head.predict(frame, tracks)
        assert len(head.stream.refs) == min(i + 1, head.stream.shape.ref_frames)
    for (s, o), vec in pred.distributions.items():
        assert s == 5 and o in (7, 9)
        assert vec.shape == (26,) and np.all((vec >= 0) & (vec <= 1))
    assert {r.subject_id for r in pred.relations if r.group != "spatial"} <= {5}


def test_predictor_uses_cached_cues_and_changes_its_answer(head: VostPredictor) -> None:
    frame, tracks = _scene()
    cue = Cue("person", "cup/glass/bottle", ("looking_at", "holding"), tracks[0].box, tracks[1].box)
    provider = CachedCues({("v", 0): [cue]})
    head.reset()
    a = head.stream.step(frame.image, [])
    head.reset()
    b = head.stream.step(frame.image, provider.cues(frame))
    assert not np.allclose(a["tri"], b["tri"])
    assert provider.cues(Frame(1, 0, frame.image, source_id="v")) == []


def test_predictor_rejects_a_non_image(head: VostPredictor) -> None:
    with pytest.raises(ValueError, match="HxWx3"):
        head.predict(Frame(0, 0, np.zeros((4, 4), np.uint8)), [])
