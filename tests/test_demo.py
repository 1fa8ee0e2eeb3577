"""`vsgg demo` end to end on a short held-out SynthRoom video."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from rosbags.highlevel import AnyReader

from vsgg_ros.cli import main
from vsgg_ros.demo import DemoOptions, recording
from vsgg_ros.eval.readers.graphs import GT_TOPIC, read_bag_graphs


def test_demo_runs_scores_and_writes_every_output(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    gt = ["--head", "gt", "--tracker", "gt", "--detector", "none"]
    assert main(["demo", "--out", str(out), "--frames", "16", "--zmq", "off", "--json", *gt]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 16 and summary["head"] == "gt"
    # ground-truth replay under no constraint finds every annotated relation within the top 100
    assert summary["action_genome_sgdet"]["no"]["R@K"]["100"] == 100.0
    assert Path(summary["outputs"]["jsonl"]).read_text().count("\n") == 16
    with AnyReader([Path(summary["outputs"]["out"])]) as reader:
        assert sum(1 for _ in reader.messages()) == 16
    capture = cv2.VideoCapture(summary["outputs"]["render"])
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 16
    capture.release()
    recording = Path(summary["recording"])
    # a second run reuses the rendered recording instead of rendering it again
    stamp = (recording / "metadata.yaml").stat().st_mtime_ns
    assert main(["demo", "--out", str(out), "--frames", "16", "--zmq", "off", "--json", *gt]) == 0
    assert (recording / "metadata.yaml").stat().st_mtime_ns == stamp


def test_default_demo_runs_the_trained_models(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo"), "--frames", "12", "--zmq", "off", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["detector"], summary["tracker"], summary["head"]) == ("onnx", "association", "pals")
    assert {"detect", "track", "predict"} <= set(summary["stages_ms"])
    recall = summary["action_genome_sgdet"]["with"]["R@K"]
    assert 0.0 <= recall["20"] <= recall["50"] <= 100.0


def test_recording_key_carries_the_annotation_policy(tmp_path: Path) -> None:
    involved = recording(DemoOptions(out=tmp_path, frames=6))
    everything = recording(DemoOptions(out=tmp_path, frames=6, annotation="all"))
    assert involved != everything and involved.name.endswith("_involved") and everything.name.endswith("_all")
    # the involved policy labels a subset of the pairs: same objects, strictly fewer relations on the demo video
    few, many = (read_bag_graphs(r, GT_TOPIC).graphs for r in (involved, everything))
    assert [len(g.objects) for g in few] == [len(g.objects) for g in many]
    assert sum(len(g.relations) for g in few) < sum(len(g.relations) for g in many)
    with pytest.raises(ValueError, match="annotation must be one of"):
        recording(DemoOptions(out=tmp_path, frames=6, annotation="some"))
