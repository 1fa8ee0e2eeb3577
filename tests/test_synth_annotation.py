"""SynthRoom's annotation policy: "all" unchanged byte for byte, "involved" keeps only interacting pairs.

The "all" digests were recorded with the generator as it was before the policy existed (commit
7c30b90, before ``VideoSpec.annotation``), so they pin today's default to the old output. The
"involved" set is checked against the world the renderer itself steps (passed into ``iter_steps``),
frame by frame, and against the AG group rules of reference §1.2 (one attention, ≥1 spatial, ≥1
contacting label per annotated pair).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
from collections import Counter
from pathlib import Path

import pytest

from vsgg_ros.synth.annotation import involved_pairs
from vsgg_ros.synth.cli import add_synth_commands
from vsgg_ros.synth.compose import build_world
from vsgg_ros.synth.relations import focus, pair_labels
from vsgg_ros.synth.spec import VideoSpec, world_specs
from vsgg_ros.synth.video import SynthStep, iter_steps
from vsgg_ros.synth.writer import write_world

SIZE = (96, 72)
# sha256 of world_specs(3, 8, seed=3, size=96x72) from the pre-option generator (see module docstring).
OLD_STREAM_DIGEST = "2d630445da2b38fd50d7d106379a557e7752db52e00716e9a436433b83030ec5"
OLD_FILES_DIGEST = "460ab16e0102aa7d6a1ad986229680c64ab179b5ee05ab42362b31817ec901fa"


def _stream_digest(specs: list[VideoSpec]) -> str:
    h = hashlib.sha256()
    for spec in specs:
        for step in iter_steps(spec):
            h.update(step.frame.image.tobytes())
            h.update(step.label_map.tobytes())
            g = step.graph
            h.update(repr([(o.id, o.label, o.box, o.class_id, o.state) for o in g.objects]).encode())
            rels = [(r.subject_id, r.object_id, r.predicate, r.predicate_id, r.group) for r in g.relations]
            h.update(repr(rels).encode())
            h.update(repr(sorted(step.pairs.items())).encode())
    return h.hexdigest()


def _files_digest(root: Path) -> str:
    """Every annotation file (PNG frames and bag payloads excluded: encoder-version dependent)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix not in (".png", ".mcap", ".db3"):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _pair(step: SynthStep, subject: int, obj: int) -> tuple[int, int]:
    """(person, thing) of a relation, whatever its AG direction."""
    return (subject, obj) if subject in step.persons else (obj, subject)


def test_all_policy_is_byte_identical_to_the_generator_before_the_option(tmp_path: Path) -> None:
    specs = world_specs(3, 8, 3, SIZE)
    assert all(s.annotation == "all" for s in specs)
    assert _stream_digest(specs) == OLD_STREAM_DIGEST
    write_world(tmp_path, specs)
    assert _files_digest(tmp_path) == OLD_FILES_DIGEST
    assert "annotation" not in json.loads((tmp_path / "synthroom.json").read_text())["arguments"]


@pytest.mark.parametrize("seed,index", [(0, 8), (1000, 2), (7, 9), (5, 0), (5, 3)])
def test_involved_set_is_every_pair_interactive_in_some_frame(seed: int, index: int) -> None:
    spec = VideoSpec(seed=seed, index=index, frames=30, size=SIZE)
    world = build_world(spec)
    ever: set[tuple[int, int]] = set()
    shown: set[tuple[int, int]] = set()
    for step in iter_steps(spec, world):
        things = list(world.things.values())
        for p in world.persons:
            assert p.joints is not None
            focus_id, angles = focus(p, p.joints, things)
            for t in things:
                labels = pair_labels(p, p.joints, t, focus_id, angles[t.id], 1.0)
                if labels.attention == "looking_at" or labels.contacting != ("not_contacting",):
                    ever.add((p.id, t.id))
        shown |= {pair for pair, labels in step.pairs.items() if labels.interactive}
    involved = involved_pairs(spec)
    assert involved == ever
    assert shown <= involved  # what the images show interacting is always annotated
    assert involved  # every scenario's person interacts with something


def test_involved_stream_filters_relations_only() -> None:
    for index in range(4):
        full = VideoSpec(seed=11, index=index, frames=12, size=SIZE)
        inv = VideoSpec(seed=11, index=index, frames=12, size=SIZE, annotation="involved")
        keep = involved_pairs(inv)
        for a, b in zip(iter_steps(full), iter_steps(inv), strict=True):
            assert a.frame.image.tobytes() == b.frame.image.tobytes()
            assert [(o.id, o.box) for o in a.graph.objects] == [(o.id, o.box) for o in b.graph.objects]
            expected = [r for r in a.graph.relations if _pair(a, r.subject_id, r.object_id) in keep]
            assert b.graph.relations == expected
            assert set(b.pairs) == {pair for pair in a.pairs if pair in keep}
            assert b.annotated == keep and a.annotated is None


def test_every_annotated_pair_has_one_attention_and_spatial_and_contacting_labels() -> None:
    annotated = 0
    for spec in world_specs(4, 10, 21, SIZE, annotation="involved"):
        for step in iter_steps(spec):
            groups: dict[tuple[int, int], Counter[str]] = {}
            for r in step.graph.relations:
                groups.setdefault(_pair(step, r.subject_id, r.object_id), Counter())[r.group] += 1
            assert set(groups) == set(step.pairs)
            for counts in groups.values():
                assert counts["attention"] == 1 and counts["spatial"] >= 1 and counts["contacting"] >= 1
            annotated += len(groups)
    assert annotated > 0


def test_involved_world_files_list_only_involved_objects(tmp_path: Path) -> None:
    specs = world_specs(2, 6, 13, SIZE, annotation="involved")
    write_world(tmp_path, specs)
    manifest = json.loads((tmp_path / "synthroom.json").read_text())
    assert manifest["arguments"]["annotation"] == "involved"
    objects = pickle.loads((tmp_path / "ag/annotations/object_bbox_and_relationship.pkl").read_bytes())
    for spec in specs:
        world = build_world(spec)
        keep = involved_pairs(spec)
        for step in iter_steps(spec):
            key = f"{spec.video_id}.mp4/{step.frame.index:06d}.png"
            persons = sorted(pid for pid in step.persons if step.entities[pid].visible)
            if not persons:
                continue  # no annotated person: every involved thing is listed, without relationships
            expected = sorted(world.things[t].label for p, t in keep if p == persons[0])
            assert sorted(o["class"] for o in objects[key]) == expected
            for entry in objects[key]:
                assert entry["visible"] == (entry["attention_relationship"] is not None)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vsgg")
    add_synth_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["synth", *argv])
    return int(args.handler(args))


def test_cli_annotation_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--videos", "2", "--frames", "6", "--size", "96x72", "--seed", "4", "--json"]
    assert _run(["--out", str(tmp_path / "all"), *base]) == 0
    full = json.loads(capsys.readouterr().out)
    assert _run(["--out", str(tmp_path / "inv"), "--annotation", "involved", *base]) == 0
    inv = json.loads(capsys.readouterr().out)
    assert inv["frames"] == full["frames"] and inv["objects_per_frame"] == full["objects_per_frame"]
    assert inv["relations"] < full["relations"] and inv["pairs"] < full["pairs"]
    assert _run(["--out", str(tmp_path / "bad"), "--annotation", "some", *base]) == 2
    assert "annotation" in capsys.readouterr().err


def test_spec_rejects_unknown_policy() -> None:
    with pytest.raises(ValueError, match="'every'"):
        VideoSpec(annotation="every")
