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
