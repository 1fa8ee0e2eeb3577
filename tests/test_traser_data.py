"""TraSeR windows: the frozen patch encoder, clip packing, serialized targets by hand, and the PVSG/VidVRD
builders agreeing with the in-memory SynthRoom path on SynthRoom's own written layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vsgg_ros.graph import ObjectNode, Relation, SceneGraph
from vsgg_ros.heads.traser_clip import ClipConfig, FrozenPatchEncoder, build_clip, select_objects
from vsgg_ros.heads.traser_tokens import arrange_tokens
from vsgg_ros.vlm.traser_format import TraserObject, TraserRelation

pytest.importorskip("torch")

CFG = ClipConfig(size=(112, 84))  # 4 x 3 tokens of 28 px


def test_encoder_features_depend_only_on_the_token_footprint() -> None:
    enc = FrozenPatchEncoder(CFG)
    frames = np.full((2, 84, 112, 3), 90, np.uint8)
    base = enc(frames)
    assert base.shape == (1, 3, 4, CFG.feature_dim)
    assert np.allclose(base, base[0, 0, 0])  # a uniform video gives one feature everywhere
    frames[1, 30, 60] = 255  # one pixel of token (row 1, col 2), second frame of the group
    changed = np.argwhere(np.abs(enc(frames) - base).max(axis=-1) > 0)
    assert changed.tolist() == [[0, 1, 2]]
    assert np.array_equal(FrozenPatchEncoder(CFG).weight, enc.weight)  # frozen: same seed, same weights


def test_keep_small_gives_a_sub_token_object_its_best_token_per_step() -> None:
    mask = np.zeros((4, 56, 56), bool)
    mask[0:2, 2:12, 30:40] = True  # 100 px of token (0, 1) = 0.13 coverage, steps 0 only
    strict = arrange_tokens({5: mask}, g=2, footprint=28)
    kept = arrange_tokens({5: mask}, g=2, footprint=28, keep_small=True)
    assert strict.tokens[5].tolist() == []
    assert kept.tokens[5].tolist() == [1]  # step 0, row 0, col 1; step 1 has no pixel, so nothing


def test_build_clip_pads_odd_frames_and_marks_absent_windows() -> None:
    cfg = ClipConfig(size=(56, 56), window_seconds=2.0)
    enc = FrozenPatchEncoder(cfg)
    images = [np.zeros((56, 56, 3), np.uint8)] * 5
    full = np.zeros((56, 56), bool)
    full[:28, :28] = True
    masks = {3: [full, full, None, None, None], 8: [None, None, None, None, full]}
    clip = build_clip(images, masks, cfg, enc)
    assert clip.frames == 5 and clip.object_ids == (3, 8)
    # 5 frames padded to 6 -> 3 temporal tokens of 2 s; windows of 2 s start at 0, 2, 4 s.
    assert clip.packed.window_time.tolist() == [0.0, 2.0, 4.0]
    assert clip.packed.valid.sum(axis=1).tolist() == [1.0, 1.0]
    assert clip.packed.window[0, 0] == 0 and clip.packed.window[1, 0] == 2
    with pytest.raises(ValueError, match="object 3: 2 masks for 5 frames"):
        build_clip(images, {3: [full, full]}, cfg, enc)


def test_select_objects_keeps_persons_first() -> None:
    assert select_objects({1: 8, 2: 1, 3: 5, 4: 5}, {2}, 3) == [1, 2, 3]


def _graph(k: int, rels: list[tuple[int, str, int]]) -> SceneGraph:
    objects = [ObjectNode(1, "person", (0, 0, 5, 5)), ObjectNode(6, "cup", (0, 0, 5, 5), attributes={"color": "red"}),
               ObjectNode(9, "table", (0, 0, 5, 5))]  # fmt: skip
    return SceneGraph(k, k, objects=objects, relations=[Relation(s, o, p) for s, p, o in rels])


def test_window_target_runs_by_hand() -> None:
    from vsgg_training.traser.data import window_target

    graphs = [
        _graph(0, [(1, "holding", 6), (6, "on", 9)]),
        _graph(1, [(1, "holding", 6)]),
        _graph(2, [(6, "on", 9)]),
        _graph(3, [(1, "holding", 6), (6, "on", 9), (9, "near", 42)]),  # 42 is not a given object
    ]
    target = window_target(graphs, [1, 6, 9])
    assert target.objects == (TraserObject(1, "person"), TraserObject(2, "cup", ("red",)), TraserObject(3, "table"))
    # sorted by (subject, object, predicate, start); runs of holding: 0-1 and 3; on: 0 and 2-3.
    assert target.relations == (
        TraserRelation(1, "holding", 2, 0, 1),
        TraserRelation(1, "holding", 2, 3, 3),
        TraserRelation(2, "on", 3, 0, 0),
        TraserRelation(2, "on", 3, 2, 3),
    )


def test_pvsg_and_vidvrd_builders_match_the_in_memory_synthroom_windows(tmp_path: Path) -> None:
    from vsgg_training.traser.data import pvsg_frame_loader, pvsg_samples, vidvrd_samples, window_sample

    from vsgg_ros.synth import iter_video, world_specs, write_world

    specs = world_specs(videos=2, frames=30, seed=3, size=(112, 84))
    write_world(tmp_path, specs, formats=("pvsg", "vidvrd"))
    cfg = ClipConfig(size=(112, 84), max_objects=4)
    encoder = FrozenPatchEncoder(cfg)
    direct = []
    for spec in specs:  # 10 fps sampled at 1 fps: frames 0, 10, 20
        pairs = [(f, g) for f, g in iter_video(spec) if f.index % 10 == 0]
        direct.append(window_sample(spec.video_id, [g for _, g in pairs], [f.image for f, _ in pairs], cfg, encoder))
    pvsg = pvsg_samples(tmp_path / "pvsg", "train", cfg)  # two videos: both in the train split
    vidvrd = vidvrd_samples(tmp_path / "vidvrd", "train", pvsg_frame_loader(tmp_path / "pvsg"), cfg)
    by_video = {s.video_id: s for s in direct}
    assert sorted(s.video_id for s in pvsg) == sorted(by_video)
    for s in pvsg:
        ref = by_video[s.video_id]
        assert s.text == ref.text and s.track_ids == ref.track_ids
        # Masks read back from the PNGs equal the in-memory masks; frames are lossless PNGs.
        assert np.array_equal(s.clip.packed.valid, ref.clip.packed.valid)
        assert np.allclose(s.clip.packed.tokens, ref.clip.packed.tokens, atol=1e-5)
    assert sorted(s.video_id for s in vidvrd) == sorted(by_video)
    for s in vidvrd:  # box supervision: same targets, tokens from filled boxes
        assert s.text == by_video[s.video_id].text
