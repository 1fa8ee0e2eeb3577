"""SFT data builders on dataset layouts: SynthRoom writes the real Action Genome and PVSG layouts, which the
builders must read (frames, boxes, relations) into samples whose targets are strictly valid TOON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vsgg_training.vlm.data import SampleOptions, dataset_images, video_samples

from vsgg_ros.codec.toon import decode_toon, is_strictly_valid
from vsgg_ros.eval.readers import read_ground_truth
from vsgg_ros.synth import world_specs, write_world
from vsgg_ros.vlm.schema import build_schema
from vsgg_ros.vocab import load_vocabulary


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(out, world_specs(videos=5, frames=6, seed=3, size=(96, 72)), formats=("ag", "pvsg"))
    return out


@pytest.mark.parametrize(("dataset", "folder"), [("action_genome", "ag"), ("pvsg", "pvsg")])
def test_builder_reads_frames_and_writes_valid_toon_targets(
    world: Path, tmp_path: Path, dataset: str, folder: str
) -> None:
    root = world / folder
    truth = read_ground_truth(root, dataset, None, mode="sgdet")
    assert truth.videos
    schema = build_schema("ag" if dataset == "action_genome" else "closed", load_vocabulary("ag"))
    video = max(truth.videos, key=lambda v: sum(len(g.relations) for g in v.graphs))
    images = dataset_images(dataset, root, video)
    first = images(video.graphs[0])
    assert first.ndim == 3 and first.shape[2] == 3 and first.dtype == np.uint8
    samples = list(video_samples(video, images, schema, tmp_path, SampleOptions(), np.random.default_rng(0)))
    assert samples, "a video with relations must give at least one sample"
    by_frame = {g.frame_index: g for g in video.graphs}
    for sample in samples:
        assert sample["video_id"] == video.video_id
        target = next(m for m in sample["messages"] if m["role"] == "assistant")["content"][0]["text"]
        assert target.startswith("<answer>") and target.endswith("</answer>")
        assert is_strictly_valid(target, schema.toon, image_size=tuple(sample["image_size"]))
        decoded = decode_toon(sample["solution"], schema.toon, vocabulary=load_vocabulary("ag"))
        graph = by_frame[sample["frame_index"]]
        assert sorted(o.name for o in decoded.objects) == sorted(o.label for o in graph.objects)
        assert Path(sample["images"][0]).is_file()


def test_psg_builder_reads_the_entry_image(tmp_path: Path) -> None:
    import json

    import cv2

    root = tmp_path / "psg"
    root.mkdir()
    image = np.zeros((48, 64, 3), np.uint8)
    image[10:30, 5:25] = (0, 0, 255)  # BGR red square where the person is
    cv2.imwrite(str(root / "1.png"), image)
    entry = {
        "file_name": "1.png", "height": 48, "width": 64, "image_id": 1, "pan_seg_file_name": "1_seg.png",
        "segments_info": [{"id": 1, "category_id": 0, "iscrowd": 0, "isthing": 1, "area": 400},
                          {"id": 2, "category_id": 41, "iscrowd": 0, "isthing": 1, "area": 50}],
        "annotations": [{"bbox": [5, 10, 25, 30], "category_id": 0}, {"bbox": [30, 20, 40, 30], "category_id": 41}],
        "relations": [[0, 1, 2]],
    }  # fmt: skip
    vocab = load_vocabulary("psg")
    anno = {
        "thing_classes": list(vocab.objects[:80]), "stuff_classes": list(vocab.objects[80:]),
        "predicate_classes": list(vocab.predicates), "test_image_ids": [1], "data": [entry],
    }  # fmt: skip
    (root / "psg.json").write_text(json.dumps(anno))
    truth = read_ground_truth(root, "psg", None, mode="sgdet")
    (video,) = truth.videos
    rgb = dataset_images("psg", root, video)(video.graphs[0])
    assert tuple(rgb[20, 15]) == (255, 0, 0)  # read as RGB
    schema = build_schema("closed", vocab)
    (sample,) = video_samples(video, dataset_images("psg", root, video), schema, tmp_path / "o", SampleOptions(),
                              np.random.default_rng(0))  # fmt: skip
    decoded = decode_toon(sample["solution"], schema.toon, vocabulary=vocab)
    assert sorted(o.name for o in decoded.objects) == sorted([vocab.objects[0], vocab.objects[41]])
    assert [r.pred for r in decoded.relations] == [vocab.predicates[2]]
