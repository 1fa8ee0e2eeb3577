"""SAGE at run time: parity of both exported graphs, vocabulary change without re-export, bounded state."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from vsgg_ros.graph import Frame, Track
from vsgg_ros.heads.runtime import HeadRuntime
from vsgg_ros.heads.sage import SagePredictor
from vsgg_ros.heads.sage_pairs import BoxHistory, FrameObject, ordered_pairs
from vsgg_ros.heads.sage_text import HashEncoder, class_inputs, describe_pair

FOLDER = Path(__file__).resolve().parents[1] / "models" / "sage-synth"
needs_model = pytest.mark.skipif(not (FOLDER / "model.onnx").is_file(), reason="models/sage-synth not exported")


def _scene(index: int) -> tuple[Frame, list[Track]]:
    rng = np.random.default_rng(index)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    tracks = [
        Track(1, (100.0 + index, 60.0, 140.0, 200.0), "person", 0, 0.9),
        Track(2, (130.0, 120.0, 160.0, 150.0), "cup/glass/bottle", 0, 0.8),
        Track(3, (40.0, 150.0, 300.0, 230.0), "table", 0, 0.7),
    ]
    return Frame(index, index * 33_000_000, image), tracks


@needs_model
@pytest.mark.parametrize("sub", ["", "text"])
def test_parity_replays(sub):
    runtime = HeadRuntime.load(FOLDER / sub if sub else FOLDER, "ort-cpu")
    report = runtime.check_parity()
    assert report and all(v <= 1e-3 for case in report.values() for v in case.values())


@needs_model
def test_vocabulary_change_changes_output_without_reexport():
    head = SagePredictor(FOLDER, encoder=HashEncoder())
    frame, tracks = _scene(0)
    first = head.predict(frame, tracks)
    assert {r.predicate for r in first.relations} <= set(head.predicates)
    head.reset()
    head.set_vocabulary(["sitting_on", "holding", "beneath"])
    second = head.predict(frame, tracks)
    assert head.classifier.shape[0] == 3
    assert {r.predicate for r in second.relations} <= {"sitting_on", "holding", "beneath"}
    assert second.relations
    key = next(iter(second.distributions))
    assert second.distributions[key].shape == (3,) and first.distributions[key].shape == (len(head.spec["predicates"]),)
    head.reset()
    head.set_vocabulary(["beneath", "holding", "sitting_on"])
    third = head.predict(frame, tracks)
    # same names in another order: same scores permuted, so the cache really is per vocabulary
    np.testing.assert_allclose(third.distributions[key][[2, 1, 0]], second.distributions[key], rtol=1e-4, atol=1e-6)


@needs_model
def test_bad_vocabulary_is_rejected():
    head = SagePredictor(FOLDER, encoder=HashEncoder())
    for bad in ([], ["on", "on"], ["  "]):
        with pytest.raises(ValueError, match="vocabulary"):
            head.set_vocabulary(bad)


@needs_model
def test_state_stays_bounded_on_a_long_stream():
    head = SagePredictor(FOLDER, encoder=HashEncoder(), max_tracked_pairs=8)
    for i in range(12):
        frame, tracks = _scene(i)
        tracks = [Track(t.track_id + 10 * i, t.box, t.label, 0, t.score) for t in tracks]
        head.predict(frame, tracks)
    assert len(head._state) <= 8
    assert len(head._history) <= head._history.frames * 3


def test_box_history_pads_and_forgets():
    h = BoxHistory(3)
    h.update(0, [FrameObject(7, "cup", (0, 0, 10, 10))])
    h.update(1, [FrameObject(7, "cup", (1, 0, 11, 10))])
    traj = h.trajectory(7)
    assert traj.shape == (3, 4) and traj[0, 0] == 0 and traj[1, 0] == 0 and traj[2, 0] == 1
    h.update(5, [])
    assert len(h) == 0


def test_ordered_pairs_and_class_inputs():
    assert ordered_pairs(3, 10).tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    enc = HashEncoder()
    x = class_inputs(["sitting_on", "in_front_of"], enc, max_words=2)
    assert x["word_mask"].tolist() == [[1, 1], [1, 1]]
    np.testing.assert_allclose(x["words"][0, 1], enc.encode(["on"])[0])
    np.testing.assert_allclose(np.linalg.norm(x["w_clip"], axis=1), 1.0, rtol=1e-5)


def test_describer_reads_only_geometry_and_labels():
    views = describe_pair(
        "person", "cup/glass/bottle", ((10, 10, 50, 110), (40, 60, 60, 80)), (None, (30, 60, 50, 80)),
        ["person", "cup/glass/bottle"], (320, 240),
    )  # fmt: skip
    # subject centre x 30/320 < 0.33 -> left; area 4000/76800 = 0.052 -> medium; no earlier box -> just appeared
    assert views[0] == "a person, medium, on the left, just appeared"
    # object moved +10 px of 320 (> 1%) -> moving right; area 400/76800 < 0.015 -> small
    assert views[1] == "a cup or glass or bottle, small, on the left, moving right"
    # overlap 10*20 = 200 of the smaller area 400 -> 0.5, not > 0.5; centre gap 20 / max width 40 < 1.5 -> next to
    # subject centre y 60 vs object 70, 0.25 * height 100 = 25 -> level with
    assert views[2] == "a person next to a cup or glass or bottle, level with it, just met"
    assert views[3] == "an indoor room with 2 things: cup or glass or bottle, person"
