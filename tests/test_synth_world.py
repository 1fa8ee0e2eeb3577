"""SynthRoom generator: determinism, masks vs pixels, graph structure in Action Genome form.

Golden facts come from the AG reference notes (§1.1 group slices, §1.2 directions), from pycocotools
(mask encoding) and from plain numpy recomputation of boxes, not from re-running the generator.
"""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from vsgg_ros.graph import TrackState
from vsgg_ros.synth.compose import build_world
from vsgg_ros.synth.masks import instances
from vsgg_ros.synth.render import Renderer
from vsgg_ros.synth.spec import VideoSpec, difficulty_params, parse_size, world_specs
from vsgg_ros.synth.video import iter_steps, iter_video
from vsgg_ros.vocab import load_vocabulary

SMALL = (128, 96)


def _steps(spec: VideoSpec) -> list:
    return list(iter_steps(spec))


@pytest.fixture(scope="module")
def clip() -> list:
    return _steps(VideoSpec(seed=3, index=0, frames=16, size=(160, 120)))


def test_same_spec_gives_identical_frames_and_graphs() -> None:
    spec = VideoSpec(seed=7, index=2, frames=8, size=SMALL)
    a, b = _steps(spec), _steps(spec)
    for x, y in zip(a, b, strict=True):
        assert x.frame.image.tobytes() == y.frame.image.tobytes()
        assert x.label_map.tobytes() == y.label_map.tobytes()
        assert x.graph == y.graph


def test_different_seeds_give_different_worlds() -> None:
    a = build_world(VideoSpec(seed=1, index=0, frames=4, size=SMALL))
    b = build_world(VideoSpec(seed=2, index=0, frames=4, size=SMALL))
    layout_a = sorted((t.label, round(t.x, 3), round(t.z, 3)) for t in a.things.values())
    layout_b = sorted((t.label, round(t.x, 3), round(t.z, 3)) for t in b.things.values())
    assert layout_a != layout_b
    fa = next(iter_video(VideoSpec(seed=1, index=0, frames=1, size=SMALL)))[0]
    fb = next(iter_video(VideoSpec(seed=2, index=0, frames=1, size=SMALL)))[0]
    assert fa.image.tobytes() != fb.image.tobytes()


def test_frames_are_rgb_at_the_requested_size_and_stamped_by_fps(clip: list) -> None:
    for step in clip:
        assert step.frame.image.shape == (120, 160, 3) and step.frame.image.dtype == np.uint8
        assert step.frame.stamp_ns == step.graph.stamp_ns == round(step.frame.index * 1e9 / 10.0)
        assert step.graph.frame_index == step.frame.index
        assert step.graph.source_id == step.frame.source_id == "SR3V0000"


def test_masks_are_the_label_map_and_boxes_are_tight(clip: list) -> None:
    for step in clip:
        union = np.zeros(step.label_map.shape, dtype=np.int32)
        for obj in step.graph.objects:
            mask = obj.mask.to_array()
            assert np.array_equal(mask, step.label_map == obj.id)
            ys, xs = np.nonzero(mask)
            assert obj.box == (xs.min(), ys.min(), xs.max() + 1.0, ys.max() + 1.0)
            union += mask
        assert union.max() <= 1, "instance masks overlap"
        shown = set(np.unique(step.label_map).tolist()) - {0}
        assert shown == {o.id for o in step.graph.objects}


def test_instances_match_pycocotools_per_mask_encoding() -> None:
    rng = np.random.default_rng(0)
    maps = [np.ones((3, 4), np.uint8), np.array([[0, 0], [0, 7]], np.uint8), np.zeros((5, 5), np.uint8)]
    for _ in range(60):
        lm = np.zeros((int(rng.integers(1, 30)), int(rng.integers(1, 30))), np.uint8)
        for _ in range(int(rng.integers(1, 6))):
            y, x = int(rng.integers(0, lm.shape[0])), int(rng.integers(0, lm.shape[1]))
            lm[y : y + int(rng.integers(1, 15)), x : x + int(rng.integers(1, 15))] = int(rng.integers(1, 256))
        maps.append(lm)
    for lm in maps:
        found = instances(lm)
        assert set(found) == set(np.unique(lm).tolist()) - {0}
        for oid, inst in found.items():
            mask = lm == oid
            ref = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
            assert inst.mask.counts == ref["counts"].decode("ascii")
            assert inst.area == int(mask.sum())
            ys, xs = np.nonzero(mask)
            assert inst.box == (xs.min(), ys.min(), xs.max() + 1.0, ys.max() + 1.0)


def test_sprite_cache_renders_what_direct_drawing_renders() -> None:
    spec = VideoSpec(seed=5, index=3, frames=6, size=(160, 120), difficulty=1.0)
    cached, direct = Renderer(build_world(spec)), Renderer(build_world(spec), cache_sprites=False)
    for i in range(spec.frames):
        a, b = cached.render(i, i / spec.fps), direct.render(i, i / spec.fps)
        assert np.array_equal(a.ids, b.ids)
        assert np.array_equal(a.image, b.image)


def test_relations_follow_action_genome_groups_and_directions(clip: list) -> None:
    vocab = load_vocabulary("ag")
    slices = {"attention": range(0, 3), "spatial": range(3, 9), "contacting": range(9, 26)}
    for step in clip:
        labels = {o.id: o.label for o in step.graph.objects}
        for o in step.graph.objects:
            assert o.class_id == vocab.objects.index(o.label)
        per_pair: dict[tuple[int, int], dict[str, list[str]]] = {}
        for r in step.graph.relations:
            assert vocab.predicates[r.predicate_id] == r.predicate
            assert r.predicate_id in slices[r.group]
            if r.group == "spatial":
                person, obj = r.object_id, r.subject_id
            else:
                person, obj = r.subject_id, r.object_id
            assert labels[person] == "person" and labels[obj] != "person"
            per_pair.setdefault((person, obj), {}).setdefault(r.group, []).append(r.predicate)
        persons = [i for i, lab in labels.items() if lab == "person"]
        objects = [i for i, lab in labels.items() if lab != "person"]
        assert set(per_pair) == {(p, o) for p in persons for o in objects}
        for groups in per_pair.values():
            assert len(groups["attention"]) == 1
            assert len(groups["spatial"]) >= 1
            assert len(groups["contacting"]) >= 1
            if "not_contacting" in groups["contacting"]:
                assert groups["contacting"] == ["not_contacting"]


def test_track_ids_are_stable_and_new_only_on_first_sight(clip: list) -> None:
    first: dict[int, int] = {}
    label_of: dict[int, str] = {}
    for step in clip:
        for o in step.graph.objects:
            assert label_of.setdefault(o.id, o.label) == o.label
            if o.id not in first:
                first[o.id] = step.frame.index
                assert o.state == TrackState.NEW
            else:
                assert o.state == TrackState.TRACKED


def test_spec_validation_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        VideoSpec(difficulty=1.5)
    with pytest.raises(ValueError, match="size"):
        VideoSpec(size=(8, 8))
    with pytest.raises(ValueError, match="frames"):
        VideoSpec(frames=0)
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_size("320by240")
    assert parse_size("640x360") == (640, 360)
    with pytest.raises(ValueError, match="videos"):
        world_specs(0, 10)


def test_difficulty_raises_every_nuisance() -> None:
    easy, hard = difficulty_params(0.0), difficulty_params(1.0)
    assert easy.max_objects < hard.max_objects <= 10 and easy.min_objects >= 3
    for name in ("second_person_prob", "foreground_occluder_prob", "jitter_px", "pan_px", "noise_sigma", "blur"):
        assert getattr(easy, name) < getattr(hard, name), name


def test_split_puts_every_fifth_video_in_test() -> None:
    splits = [s.split for s in world_specs(10, 2)]
    assert splits == ["train"] * 4 + ["test"] + ["train"] * 4 + ["test"]
