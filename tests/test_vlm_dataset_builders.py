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
