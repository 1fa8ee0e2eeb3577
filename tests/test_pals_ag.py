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
