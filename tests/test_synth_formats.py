"""SynthRoom files on disk: byte-identical reruns and the documented AG / PVSG / VidVRD structures.

Structures are checked against the reference notes (shared/reference/vsgg-research-code.md §2 for
Action Genome, §4.1 for VidVRD, §5.1-5.2 for PVSG), and against the in-memory ground truth the files
were written from; the AG pickles are loaded in a fresh interpreter that never imports vsgg_ros.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from vsgg_ros.synth.spec import world_specs
from vsgg_ros.synth.video import SynthStep, iter_steps
from vsgg_ros.synth.weak import middle_frame
from vsgg_ros.synth.writer import parse_formats, write_world

SIZE = (96, 72)
VIDEOS, FRAMES = 5, 12
OBJECT_KEYS = {
    "class", "bbox", "attention_relationship", "spatial_relationship", "contacting_relationship", "metadata", "visible",
}  # fmt: skip
PERSON_KEYS = {"bbox", "bbox_score", "bbox_size", "bbox_mode", "keypoints", "keypoints_logits"}


def _write(root: Path, seed: int) -> Path:
    write_world(root, world_specs(VIDEOS, FRAMES, seed, SIZE))
    return root


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("synth_a"), seed=2)


@pytest.fixture(scope="module")
def truth() -> dict[str, list[SynthStep]]:
    return {spec.video_id: list(iter_steps(spec)) for spec in world_specs(VIDEOS, FRAMES, 2, SIZE)}


def test_same_arguments_give_byte_identical_files(out: Path, tmp_path: Path) -> None:
    again = _digest(_write(tmp_path / "b", seed=2))
    first = _digest(out)
    assert len(first) > VIDEOS * FRAMES * 3
    assert first == again


def test_different_seed_gives_different_files(out: Path, tmp_path: Path) -> None:
    other = _digest(_write(tmp_path / "c", seed=3))
    first = _digest(out)
    assert first["synthroom.json"] != other["synthroom.json"]
    assert not set(first.values()) & set(other.values()) - {first.get("ag/annotations/object_classes.txt")} - {
        first.get("ag/annotations/relationship_classes.txt")
    }


_LOADER = """
import pickle, sys
sys.modules["numpy"] = None  # object annotations must not need numpy (plain Python values)
with open(sys.argv[1], "rb") as f:
    objects = pickle.load(f)
print(len(objects), "vsgg_ros" in sys.modules)
"""


def test_ag_object_pickle_loads_with_plain_pickle(out: Path) -> None:
    path = out / "ag/annotations/object_bbox_and_relationship.pkl"
    done = subprocess.run([sys.executable, "-c", _LOADER, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(VIDEOS * FRAMES), "False"]


def test_ag_annotation_structure(out: Path, truth: dict[str, list[SynthStep]]) -> None:
    ann = out / "ag/annotations"
    with (ann / "object_bbox_and_relationship.pkl").open("rb") as f:
        objects = pickle.load(f)
    with (ann / "person_bbox.pkl").open("rb") as f:
        persons = pickle.load(f)
    assert set(objects) == set(persons)
    assert (ann / "frame_list.txt").read_text().splitlines() == sorted(objects)
    key_re = re.compile(r"^(SR2V\d{4})\.mp4/(\d{6})\.png$")
    for key, entries in objects.items():
        m = key_re.match(key)
        assert m, key
        vid, frame = m.group(1), int(m.group(2))
        assert (out / "ag/frames" / key).is_file()
        step = truth[vid][frame]
        split = "test" if int(vid[-4:]) % 5 == 4 else "train"
        person = persons[key]
        assert set(person) == PERSON_KEYS and person["bbox_mode"] == "xyxy" and person["bbox_size"] == SIZE
        boxes = person["bbox"]
        assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
        assert person["keypoints"].shape == (boxes.shape[0], 17, 3)
        visible_persons = sorted(o.id for o in step.graph.objects if o.label == "person")
        assert boxes.shape[0] == len(visible_persons)
        by_id = step.graph.object_by_id()
        for row, pid in enumerate(visible_persons):
            assert tuple(boxes[row].tolist()) == by_id[pid].box  # xyxy, as the graph
        things = sorted((e.id, e.label) for e in step.entities.values() if e.label != "person")
        assert [e["class"] for e in entries] == [label for _, label in things]
        for entry, (oid, label) in zip(entries, things, strict=True):
            assert set(entry) == OBJECT_KEYS
            assert entry["metadata"] == {"tag": f"{vid}.mp4/{label.replace('/', '_')}/{frame:06d}", "set": split}
            if not entry["visible"]:
                assert entry["bbox"] is None and entry["attention_relationship"] is None
                continue
            x, y, w, h = entry["bbox"]
            assert (x, y, x + w, y + h) == by_id[oid].box  # xywh on disk, xyxy in the graph
            if visible_persons:
                labels = step.pairs[(visible_persons[0], oid)]
                assert entry["attention_relationship"] == [labels.attention]
                assert entry["spatial_relationship"] == list(labels.spatial)
                assert entry["contacting_relationship"] == list(labels.contacting)
            else:
                assert entry["attention_relationship"] is None


def test_ag_class_lists_use_the_raw_file_spelling(out: Path) -> None:
    objects = (out / "ag/annotations/object_classes.txt").read_text().splitlines()
    predicates = (out / "ag/annotations/relationship_classes.txt").read_text().splitlines()
    assert len(objects) == 36 and objects[0] == "person" and objects[35] == "window"
    assert {"cupglassbottle", "sofacouch", "phonecamera", "closetcabinet", "papernotebook"} <= set(objects)
    assert len(predicates) == 26 and predicates[:3] == ["lookingat", "notlookingat", "unsure"]
    assert predicates[-1] == "writingon" and "haveitontheback" in predicates


def _holds(steps: list[SynthStep], key: tuple[int, int, str], frame: int) -> bool:
    return key in {r.key for r in steps[frame].graph.relations}


def test_pvsg_json_masks_and_inclusive_spans(out: Path, truth: dict[str, list[SynthStep]]) -> None:
    doc = json.loads((out / "pvsg/pvsg.json").read_text())
    assert set(doc) == {"objects", "relations", "split", "data"}
    assert doc["objects"]["stuff"] == [] and len(doc["objects"]["thing"]) == 36 and len(doc["relations"]) == 26
    assert sorted(doc["split"]["synthroom"]["val"]) == ["SR2V0004"]
    for video in doc["data"]:
        vid, steps = video["video_id"], truth[video["video_id"]]
        assert video["meta"]["num_frames"] == FRAMES
        ids = {o["object_id"] for o in video["objects"]}
        for step in steps:
            png = cv2.imread(str(out / f"pvsg/synthroom/masks/{vid}/{step.frame.index:04d}.png"), cv2.IMREAD_UNCHANGED)
            assert png.dtype == np.uint8 and png.shape == (SIZE[1], SIZE[0])
            assert set(np.unique(png).tolist()) - {0} <= ids
            for obj in step.graph.objects:
                assert np.array_equal(png == obj.id, obj.mask.to_array())
        for s, o, pred, spans in video["relations"]:
            covered = set()
            for start, end in spans:
                covered.update(range(start, end + 1))  # OpenPVSG walks range(start, end + 1)
            for f in range(FRAMES):
                assert _holds(steps, (s, o, pred), f) == (f in covered)


def test_vidvrd_json_trajectories_and_exclusive_ends(out: Path, truth: dict[str, list[SynthStep]]) -> None:
    files = sorted((out / "vidvrd").rglob("*.json"), key=lambda p: p.name)
    assert [p.parent.name for p in files] == ["train"] * 4 + ["test"]
    for path in files:
        doc = json.loads(path.read_text())
        steps = truth[doc["video_id"]]
        assert doc["frame_count"] == len(doc["trajectories"]) == FRAMES
        assert (doc["width"], doc["height"]) == SIZE
        for f, boxes in enumerate(doc["trajectories"]):
            by_id = steps[f].graph.object_by_id()
            assert {b["tid"] for b in boxes} == set(by_id)
            for b in boxes:
                x1, y1, x2, y2 = by_id[b["tid"]].box
                assert b["bbox"] == {"xmin": x1, "ymin": y1, "xmax": x2 - 1, "ymax": y2 - 1}
        for inst in doc["relation_instances"]:
            key = (inst["subject_tid"], inst["object_tid"], inst["predicate"])
            assert inst["begin_fid"] < inst["end_fid"]
            for f in range(inst["begin_fid"], inst["end_fid"]):
                assert _holds(steps, key, f)
            assert inst["end_fid"] == FRAMES or not _holds(steps, key, inst["end_fid"])


def test_weak_labels_are_the_unlocalized_middle_frame(out: Path, truth: dict[str, list[SynthStep]]) -> None:
    weak = json.loads((out / "weak_labels.json").read_text())["videos"]
    assert set(weak) == set(truth)
    for vid, label in weak.items():
        assert label["frame"] == 6  # round(0.5 * (12 - 1)) == round(5.5) == 6
        graph = truth[vid][6].graph
        assert label["objects"] == sorted(o.label for o in graph.objects)
        assert sorted(map(tuple, label["triplets"])) == sorted(set(graph.triplets()))
        assert set(label) == {"video_id", "frame", "key", "objects", "triplets"}


def test_manifest_records_arguments_and_scenarios(out: Path) -> None:
    manifest = json.loads((out / "synthroom.json").read_text())
    assert manifest["arguments"]["seed"] == 2 and manifest["arguments"]["size"] == list(SIZE)
    assert [v["video_id"] for v in manifest["videos"]] == [f"SR2V{i:04d}" for i in range(VIDEOS)]
    summary = manifest["summary"]
    assert summary["pairs"] == summary["interactive_pairs"] + summary["non_interactive_pairs"]
    assert sum(summary["predicates"].values()) == summary["relations"]


def test_format_names_are_validated() -> None:
    assert parse_formats("ag, vidvrd,ag") == ("ag", "vidvrd")
    with pytest.raises(ValueError, match="choose from ag, pvsg, vidvrd, bag"):
        parse_formats("ag,coco")


def test_middle_frame_follows_pla_rounding() -> None:
    # round(0.5 * (n - 1)) with Python's round-half-to-even, as zjucsq/PLA computes it.
    assert [middle_frame(n) for n in (1, 2, 4, 5, 6, 12)] == [0, 0, 2, 2, 2, 6]
    with pytest.raises(ValueError):
        middle_frame(0)
