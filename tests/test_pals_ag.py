"""PALS's Action Genome reader agrees with the in-memory SynthRoom path on SynthRoom's own AG layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the PALS training package needs the training extra (torch)")

from vsgg_training.pals.ag import load_ag_videos

from vsgg_ros.synth import iter_video, world_specs, write_world


@pytest.fixture(scope="module")
def ag_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("ag")
    specs = world_specs(videos=2, frames=10, seed=3, annotation="involved")
    write_world(out, specs, formats=("ag",))
    return out / "ag", specs


def _triplets(graph) -> set[tuple[str, tuple[str, ...]]]:
    """Predicate and the pair's labels, undirected: AG stores every relation person -> object, while
    SynthRoom's in-memory truth points spatial ones object -> person (``table in_front_of person``)."""
    labels = {o.id: o.label for o in graph.objects}
    return {(r.predicate, tuple(sorted((labels[r.subject_id], labels[r.object_id])))) for r in graph.relations}


def test_frames_boxes_and_relations_match_the_rendered_videos(ag_world) -> None:
    root, specs = ag_world
    videos = load_ag_videos(root, "train", detector_seed=0)
    assert [v.video_id for v in videos] == [s.video_id for s in specs]
    for video, spec in zip(videos, specs, strict=True):
        rendered = list(iter_video(spec))
        assert len(video.truth) == len(rendered) == video.images.shape[0] == len(video.detections)
        for graph, image, gt in zip(video.truth, video.images, video.gt_objects, strict=True):
            frame, truth = rendered[graph.frame_index]
            assert np.array_equal(image, frame.image)  # PNG frames are lossless
            # AG lists the annotated (involved) objects only: each is a rendered object of the same class and box.
            boxes = {(o.label, tuple(o.box)) for o in truth.objects}
            assert {(o.label, tuple(o.box)) for o in graph.objects} <= boxes
            assert _triplets(graph) <= _triplets(truth)
            assert len(gt.boxes) == len(graph.objects)
    assert any(len(d.boxes) for v in videos for d in v.detections)


def test_bounds_and_missing_inputs_are_named(ag_world, tmp_path: Path) -> None:
    root, _ = ag_world
    small = load_ag_videos(root, "train", detector_seed=0, max_videos=1, max_frames=3)
    assert len(small) == 1 and small[0].images.shape[0] == len(small[0].truth) == 3
    assert load_ag_videos(root, "test", detector_seed=0) == []  # both videos are in the train split
    with pytest.raises(FileNotFoundError, match="no frames/ folder"):
        load_ag_videos(tmp_path, "train", detector_seed=0)
    broken = tmp_path / "broken"
    (broken / "frames").mkdir(parents=True)
    (broken / "annotations").symlink_to(root / "annotations")
    with pytest.raises(FileNotFoundError, match=r"frame .*000000\.png is missing"):
        load_ag_videos(broken, "train", detector_seed=0)


def test_frames_of_another_size_are_resized_with_their_boxes() -> None:
    from vsgg_training.pals.ag import fit

    from vsgg_ros.graph import ObjectNode, SceneGraph

    graph = SceneGraph(0, 0, objects=[ObjectNode(1, "person", (64.0, 48.0, 320.0, 480.0))])
    image = np.zeros((480, 640, 3), np.uint8)
    image[48:480, 64:320] = 255
    small, resized = fit(image, graph, (320, 240))
    assert small.shape == (240, 320, 3)
    assert resized.objects[0].box == pytest.approx((32.0, 24.0, 160.0, 240.0))
    assert small[30, 40].tolist() == [255, 255, 255] and small[10, 200].tolist() == [0, 0, 0]
    assert graph.objects[0].box == (64.0, 48.0, 320.0, 480.0)  # the input graph is left alone
    same, kept = fit(small, resized, (320, 240))
    assert same is small and kept is resized


def test_cli_trains_and_evaluates_on_the_action_genome_layout(tmp_path: Path) -> None:
    import json

    from vsgg_training.pals.cli import main

    specs = world_specs(videos=5, frames=8, seed=3, annotation="involved")
    write_world(tmp_path, specs, formats=("ag",))
    test_ids = [s.video_id for s in specs if s.split == "test"]
    assert len(test_ids) == 1  # every fifth video
    out = tmp_path / "run"
    base = ["train", "--data", "ag", "--root", str(tmp_path / "ag"), "--out", str(out), "--frames", "8"]
    argv = [*base, "--videos", "3", "--val-videos", "1", "--test-videos", "1", "--epochs", "1"]
    argv += ["--backbone-epochs", "1"]
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["data"] == "ag"
    for section in ("eval", "val"):
        recall = report[section]["predcls/with"]
        assert set(recall) >= {"10", "20", "50"} and all(0.0 <= v <= 1.0 for v in recall.values())
    assert (out / "model.pt").is_file()
    with pytest.raises(SystemExit, match="needs --root"):
        main(["train", "--data", "ag", "--out", str(out)])
    with pytest.raises(ValueError, match="leave none for --val-videos"):
        main([*base, "--videos", "4", "--val-videos", "1"])  # the world's train split holds 4 videos
