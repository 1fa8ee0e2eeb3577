"""The readers on SynthRoom's dataset files (Action Genome pickles, VidVRD json, PVSG json + masks) agree
with SynthRoom's own per-frame ground truth, and replaying that ground truth through `evaluate_graphs`
scores perfectly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

synth_writer = pytest.importorskip("vsgg_ros.synth.writer")
from vsgg_ros.eval.ag_adapt import ag_gt_from_graph  # noqa: E402
from vsgg_ros.eval.evaluate import EvalConfig, evaluate_graphs  # noqa: E402
from vsgg_ros.eval.readers import AgFilters, read_ground_truth  # noqa: E402
from vsgg_ros.graph import SceneGraph  # noqa: E402
from vsgg_ros.synth.spec import world_specs  # noqa: E402
from vsgg_ros.synth.video import iter_video  # noqa: E402


@pytest.fixture(scope="module")
def synthroom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[SceneGraph]], str]:
    out = tmp_path_factory.mktemp("synthroom")
    specs = world_specs(2, 6, 0, (96, 72), 0.3, 10.0)
    synth_writer.write_world(out, specs, ("ag", "pvsg", "vidvrd"))
    truth = {s.video_id: [dataclasses.replace(g, source_id=s.video_id) for _, g in iter_video(s)] for s in specs}
    assert len({s.split for s in specs}) == 1
    return out, truth, specs[0].split


def keys(graph: SceneGraph) -> set[tuple[int, int, str]]:
    present = {o.id for o in graph.objects}
    return {r.key for r in graph.relations if r.subject_id in present and r.object_id in present}


def test_vidvrd_and_pvsg_frames_match_synthroom(synthroom) -> None:
    out, truth, split = synthroom
    vidvrd = read_ground_truth(out / "vidvrd", split=split)
    pvsg = read_ground_truth(out / "pvsg", split="val" if split == "test" else "train")
    assert vidvrd.kind == "vidvrd" and pvsg.kind == "pvsg"
    for video in vidvrd.videos:
        expected = truth[video.video_id]
        assert [keys(g) for g in video.graphs] == [keys(g) for g in expected]
    for video in pvsg.videos:
        expected = {g.frame_index: keys(g) for g in truth[video.video_id]}
        assert all(keys(g) <= expected[g.frame_index] for g in video.graphs)
        assert sum(len(g.relations) for g in video.graphs) > 0
        assert all(o.mask is not None for g in video.graphs for o in g.objects)


def ag_triplets(graph: SceneGraph) -> set[tuple[int, int, int]]:
    """The AG evaluator's view (class ids, spatial pointing object -> person), whatever the storage."""
    gt = ag_gt_from_graph(graph)
    return {(int(gt.labels[s]), int(p), int(gt.labels[o])) for s, o, p in gt.relations}


def test_action_genome_pickles_match_synthroom(synthroom) -> None:
    # SynthRoom's graphs store spatial labels object -> person, the pickles on the (person, object)
    # pair; the evaluator reads both the same way. The pickles hold one annotated person per frame, so
    # their triplets are a subset of SynthRoom's.
    out, truth, split = synthroom
    ag = read_ground_truth(out / "ag", split=split, ag_filters=AgFilters(min_frames_per_video=1))
    assert ag.kind == "action_genome" and ag.videos
    for video in ag.videos:
        by_index = {g.frame_index: ag_triplets(g) for g in truth[video.video_id.removesuffix(".mp4")]}
        for g in video.graphs:
            assert g.relations and ag_triplets(g) <= by_index[g.frame_index]


def test_replaying_synthroom_truth_against_its_files_is_perfect(synthroom) -> None:
    out, truth, split = synthroom
    gt = read_ground_truth(out / "vidvrd", split=split)
    predictions = [g for graphs in truth.values() for g in graphs]
    report = evaluate_graphs(predictions, gt, EvalConfig(protocol="traser", align="index"))
    assert report["alignment"]["gt_without_prediction"] == 0
    assert report["metrics"]["relation recall"] == {"tIoU>0.5": 1.0, "tIoU>0.1": 1.0}
    assert report["metrics"]["triplet recall"]["tIoU>0.5"] == 1.0
    sgg = evaluate_graphs(predictions, gt, EvalConfig(protocol="sgg", align="index", iou_convention="continuous"))
    # VidVRD stores integer boxes with inclusive corners, so boxes differ slightly from SynthRoom's
    # continuous ones; every object still aligns (IoU >= 0.5) and every relation is found.
    assert sgg["metrics"]["relation"]["recall"] == 1.0
