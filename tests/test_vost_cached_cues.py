"""`vsgg run --head vost --cues FILE`: VOST reads the graphs of an earlier VLM pass as its cues."""

from __future__ import annotations

from pathlib import Path

import pytest

from vsgg_ros.config import RunConfig
from vsgg_ros.demo import DemoOptions, recording
from vsgg_ros.eval.evaluate import EvalConfig, evaluate_paths
from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph
from vsgg_ros.heads.vost_cues import cached_cues
from vsgg_ros.run import run


def test_cached_cues_are_keyed_by_source_and_frame() -> None:
    graph = SceneGraph(
        stamp_ns=0, frame_index=3, source_id="cam",
        objects=[ObjectNode(1, "person", (0.0, 0.0, 10.0, 20.0)), ObjectNode(2, "cup", (5.0, 5.0, 8.0, 8.0))],
        relations=[Relation(1, 2, "holding", score=0.9), Relation(2, 1, "in_front_of", score=0.4)],
    )  # fmt: skip
    provider = cached_cues([graph])
    (cue,) = provider.cues(Frame(3, 0, None, source_id="cam"))  # type: ignore[arg-type]
    assert (cue.subject, cue.object, cue.predicates, cue.score) == ("person", "cup", ("holding", "in_front_of"), 0.9)
    assert provider.cues(Frame(4, 0, None, source_id="cam")) == []  # type: ignore[arg-type]
    assert provider.cues(Frame(3, 0, None, source_id="other")) == []  # type: ignore[arg-type]


def test_vost_with_an_earlier_vlm_pass_as_cues_beats_no_cues(tmp_path: Path) -> None:
    bag = recording(DemoOptions(out=tmp_path, frames=12, zmq=None, progress=False))
    vlm = tmp_path / "vlm.jsonl"  # the "VLM pass": the recording's ground truth replayed, i.e. a perfect VLM
    run(RunConfig(source=str(bag), head="gt", tracker="gt", jsonl=str(vlm)), progress=False)

    def recall_at_20(cues: str | None, name: str) -> float:
        out = tmp_path / f"{name}.jsonl"
        run(RunConfig(source=str(bag), head="vost", tracker="gt", cues=cues, jsonl=str(out)), progress=False)
        report = evaluate_paths(out, bag, EvalConfig(protocol="ag", mode="sgdet", constraint="with"))
        return float(report["metrics"]["R@K"]["20"])

    cued, blind = recall_at_20(str(vlm), "cued"), recall_at_20(None, "blind")
    assert cued >= blind + 0.2, (cued, blind)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"--cues .*no scene graphs"):
        run(RunConfig(source=str(bag), head="vost", tracker="gt", cues=str(empty)), progress=False)
    with pytest.raises(ValueError, match="only the vost head reads cues"):
        run(RunConfig(source=str(bag), head="pals", tracker="gt", cues=str(vlm)), progress=False)


class _SlowVlm:
    """The ground-truth replay as a VLM that takes ``delay_s`` per answer and fails on frame ``fail_at``."""

    model_id = "slow-gt"

    def __init__(self, delay_s: float, fail_at: int = -1) -> None:
        from vsgg_ros.ground_truth import GroundTruthPredictor

        self.inner, self.delay_s, self.fail_at, self.seen = GroundTruthPredictor(), delay_s, fail_at, []

    def predict(self, frame, tracks):  # type: ignore[no-untyped-def]
        import time

        self.seen.append(frame.index)
        time.sleep(self.delay_s)
        if frame.index == self.fail_at:
            raise RuntimeError("VLM server returned 500")
        return self.inner.predict(frame, tracks)


def _frames(n: int) -> list:
    from vsgg_ros.bench.synthetic import SyntheticSource

    return list(SyntheticSource(n_frames=n, n_objects=4, fps=30.0).frames())


def _tracks(frame) -> list:  # type: ignore[no-untyped-def]
    from vsgg_ros.graph import Track

    return [Track(o.id, o.box, o.label, o.class_id, o.score) for o in frame.ground_truth.objects]


def _wait(condition, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    import time

    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_live_vlm_feed_answers_the_newest_frame_and_drops_the_rest() -> None:
    from vsgg_ros.heads.vlm_cue_feed import VlmCueFeed

    frames = _frames(20)
    vlm = _SlowVlm(delay_s=0.05, fail_at=frames[0].index)
    feed = VlmCueFeed(vlm, max_age_frames=100)
    try:
        assert feed.latest() is None and feed.provider.cues(frames[0]) == []
        feed.offer(frames[0], _tracks(frames[0]))
        _wait(lambda: feed.failed == 1)  # the VLM call on frame 0 fails: no answer, nothing else lost
        assert feed.latest() is None and feed.answered == 0
        for frame in frames[1:]:  # offered far faster than the VLM answers
            feed.offer(frame, _tracks(frame))
        _wait(lambda: feed.latest() is not None and feed.latest().frame_index == frames[-1].index)
        assert len(vlm.seen) < len(frames)  # frames offered while it was busy were dropped, not queued
        assert feed.failed == 1
        graph = feed.latest()
        truth = frames[-1].ground_truth
        assert {(r.subject_id, r.object_id, r.predicate) for r in graph.relations} == {
            (r.subject_id, r.object_id, r.predicate) for r in truth.relations
        }
        assert {o.id: o.box for o in graph.objects} == {o.id: o.box for o in truth.objects}
        assert feed.provider.cues(frames[-1])  # the newest answer, as cues with the tracks' boxes
    finally:
        feed.close()
    assert not feed._thread.is_alive()


def test_vsgg_run_wires_vost_to_a_live_vlm_and_survives_an_unreachable_server() -> None:
    from vsgg_ros.heads.vlm_cue_feed import VlmCuedPredictor
    from vsgg_ros.run import build_models

    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens: every VLM call fails
    config = RunConfig(source="unused", head="vost", tracker="gt", cues="vlm", vlm={"endpoint": dead, "timeout_s": 1})
    predictor = build_models(config).predictor
    assert isinstance(predictor, VlmCuedPredictor)
    try:
        frame = _frames(1)[0]
        prediction = predictor.predict(frame, _tracks(frame))  # VOST answers at once, without waiting for the VLM
        assert prediction.frame_index == frame.index
        feed = predictor.feed
        _wait(lambda: feed.answered + feed.failed >= 1)
        assert feed.provider.cues(frame) == [] or feed.answered == 1  # a failed or empty answer gives no cues
    finally:
        predictor.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
