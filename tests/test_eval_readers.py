"""Dataset readers on small files written in each dataset's documented format (reference §2, §4.1, §5)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from vsgg_ros.codec.jsoncodec import dumps_graph
from vsgg_ros.eval.ag_adapt import ag_gt_from_graph
from vsgg_ros.eval.readers import AgFilters, read_graphs, read_ground_truth
from vsgg_ros.eval.readers.action_genome import read_action_genome
from vsgg_ros.eval.readers.psg import read_psg
from vsgg_ros.eval.readers.pvsg import read_pvsg, video_source
from vsgg_ros.eval.readers.vidvrd import read_vidvrd, split_triplets
from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph
from vsgg_ros.io.bag_writer import write_recording

# ---------------------------------------------------------------- Action Genome


def ag_object(
    cls, bbox, visible=True, attention=("looking_at",), spatial=("in_front_of",), contacting=("holding",), split="test"
):
    return {
        "class": cls,
        "bbox": bbox if visible else None,
        "attention_relationship": list(attention) if visible else None,
        "spatial_relationship": list(spatial) if visible else None,
        "contacting_relationship": list(contacting) if visible else None,
        "metadata": {"tag": "x", "set": split},
        "visible": visible,
    }


def person(box=(10.0, 20.0, 110.0, 220.0)):
    bbox = np.array([box], dtype=np.float32) if box is not None else np.zeros((0, 4), dtype=np.float32)
    return {"bbox": bbox, "bbox_score": np.ones(len(bbox)), "bbox_size": (480, 270), "bbox_mode": "xyxy"}


@pytest.fixture()
def ag_root(tmp_path: Path) -> Path:
    persons, objects = {}, {}
    # AAA: 5 annotated frames; 000009 has no person box, 000013 no visible object -> 3 valid frames.
    for name in ("000001", "000005", "000009", "000013", "000017"):
        key = f"AAA.mp4/{name}.png"
        persons[key] = person(None if name == "000009" else (10.0, 20.0, 110.0, 220.0))
        objects[key] = [
            ag_object("cup/glass/bottle", (200.0, 50.0, 20.0, 30.0), spatial=("in_front_of", "beneath")),
            ag_object("sofa/couch", (0.0, 150.0, 300.0, 100.0), visible=name != "000013", contacting=("sitting_on",)),
        ]
        if name == "000013":
            objects[key][0]["visible"] = False
    # BBB: two valid test frames (dropped by STTran's "more than 2" rule); CCC: train split.
    for video, split in (("BBB", "test"), ("CCC", "train")):
        for name in ("000002", "000004", "000006")[: 2 if video == "BBB" else 3]:
            key = f"{video}.mp4/{name}.png"
            persons[key] = person()
            objects[key] = [ag_object("chair", (5.0, 5.0, 10.0, 10.0), split=split)]
    ann = tmp_path / "ag" / "annotations"
    ann.mkdir(parents=True)
    with (ann / "person_bbox.pkl").open("wb") as f:
        pickle.dump(persons, f)
    with (ann / "object_bbox_and_relationship.pkl").open("wb") as f:
        pickle.dump(objects, f)
    small = {k: [o for o in v if o["class"] != "cup/glass/bottle"] or v for k, v in objects.items()}
    with (ann / "object_bbox_and_relationship_filtersmall.pkl").open("wb") as f:
        pickle.dump(small, f)
    return tmp_path / "ag"


def test_action_genome_frames_boxes_relations_and_filters(ag_root: Path) -> None:
    videos = read_action_genome(ag_root, "test", mode="predcls")
    assert [v.video_id for v in videos] == ["AAA.mp4"]  # BBB has 2 valid frames < 3, CCC is train
    v = videos[0]
    # positions among all 5 annotated frames; 000009 (no person) and 000013 (nothing visible) dropped
    assert [g.frame_index for g in v.graphs] == [0, 1, 4]
    assert v.meta["frame_numbers"] == [1, 5, 9, 13, 17]
    assert (v.width, v.height) == (480, 270)
    g = v.graphs[1]
    assert g.stamp_ns == round(5 * 1e9 / 24.0)
    labels = {o.label: o for o in g.objects}
    assert labels["person"].box == (10.0, 20.0, 110.0, 220.0)
    assert labels["cup/glass/bottle"].box == (200.0, 50.0, 220.0, 80.0)  # xywh -> xyxy
    cup = labels["cup/glass/bottle"].id
    person_id = labels["person"].id
    cup_rels = sorted((r.predicate, r.group) for r in g.relations if r.object_id == cup)
    assert cup_rels == [
        ("beneath", "spatial"),
        ("holding", "contacting"),
        ("in_front_of", "spatial"),
        ("looking_at", "attention"),
    ]
    assert all(r.subject_id == person_id for r in g.relations)
    # the evaluator's view: spatial object -> person, attention/contacting person -> object
    gt = ag_gt_from_graph(g)
    p, c = [o.id for o in g.objects].index(person_id), [o.id for o in g.objects].index(cup)
    assert [c, p, 4] in gt.relations.tolist() and [p, c, 14] in gt.relations.tolist()


def test_action_genome_filter_options(ag_root: Path) -> None:
    oed_like = read_action_genome(ag_root, "test", filters=AgFilters(min_frames_per_video=1))
    assert [v.video_id for v in oed_like] == ["AAA.mp4", "BBB.mp4"]
    kept = read_action_genome(ag_root, "test", filters=AgFilters(require_person_box=False))
    frame = next(g for g in kept[0].graphs if g.frame_index == 2)  # the person-less frame stays, without relations
    assert frame.relations == [] and "person" not in {o.label for o in frame.objects}
    # sgdet reads the filtersmall pickle (our copy has no cups), predcls the full one
    sgdet = read_action_genome(ag_root, "test", mode="sgdet")
    assert "cup/glass/bottle" not in {o.label for g in sgdet[0].graphs for o in g.objects}
    assert read_action_genome(ag_root, "train")[0].video_id == "CCC.mp4"


def test_action_genome_bad_class_is_named(ag_root: Path, tmp_path: Path) -> None:
    ann = ag_root / "annotations"
    objects = pickle.loads((ann / "object_bbox_and_relationship.pkl").read_bytes())
    objects["AAA.mp4/000001.png"][0]["class"] = "spaceship"
    (ann / "object_bbox_and_relationship.pkl").write_bytes(pickle.dumps(objects))
    with pytest.raises(ValueError, match=r"AAA.mp4/000001.png.*spaceship"):
        read_action_genome(ag_root, "test")


# ---------------------------------------------------------------- VidVRD / VidOR


def vidvrd_anno(vid: str, version: bool = False) -> dict:
    box = lambda x: {"xmin": x, "ymin": 0, "xmax": x + 9, "ymax": 9}  # noqa: E731
    traj = [
        [
            {"tid": 0, "bbox": box(0), "generated": 0, "tracker": "none"},
            {"tid": 1, "bbox": box(20 + f), "generated": 0, "tracker": "none"},
        ]
        for f in range(6)
    ]
    anno = {
        "video_id": vid,
        "video_path": f"{vid}.mp4",
        "frame_count": 6,
        "fps": 30.0,
        "width": 320,
        "height": 240,
        "subject/objects": [{"tid": 0, "category": "dog"}, {"tid": 1, "category": "ball"}],
        "trajectories": traj,
        "relation_instances": [
            {"subject_tid": 0, "object_tid": 1, "predicate": "chase", "begin_fid": 1, "end_fid": 4},
            {"subject_tid": 1, "object_tid": 0, "predicate": "front", "begin_fid": 0, "end_fid": 6},
        ],
    }
    if version:
        anno["version"] = "VERSION 1.0"
    return anno


def test_vidvrd_json(tmp_path: Path) -> None:
    for split, vids in (("test", ["v1", "v2"]), ("train", ["t1"])):
        (tmp_path / split).mkdir()
        for vid in vids:
            (tmp_path / split / f"{vid}.json").write_text(json.dumps(vidvrd_anno(vid)))
    videos = read_vidvrd(tmp_path, "test")
    assert [v.video_id for v in videos] == ["v1", "v2"]
    v = videos[0]
    assert len(v.graphs) == 6 and v.fps == 30.0
    chase = next(i for i in v.relation_instances if i.triplet == ("dog", "chase", "ball"))
    assert chase.span == (1, 4) and chase.obj_traj[:, 0].tolist() == [21.0, 22.0, 23.0]  # end exclusive
    assert [g.frame_index for g in v.graphs if any(r.predicate == "chase" for r in g.relations)] == [1, 2, 3]
    truth = read_ground_truth(tmp_path)
    assert truth.kind == "vidvrd" and truth.train_triplets == {("dog", "chase", "ball"), ("ball", "front", "dog")}
    assert split_triplets(tmp_path, "train") == truth.train_triplets


def test_vidor_nested_layout_with_version(tmp_path: Path) -> None:
    folder = tmp_path / "annotation" / "validation" / "0001"
    folder.mkdir(parents=True)
    (folder / "123.json").write_text(json.dumps(vidvrd_anno("123", version=True)))
    truth = read_ground_truth(tmp_path)
    assert truth.kind == "vidor" and truth.videos[0].meta["dataset"] == "vidor"


def test_vidvrd_bad_span_is_refused(tmp_path: Path) -> None:
    anno = vidvrd_anno("v")
    anno["relation_instances"][0]["end_fid"] = 9
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "v.json").write_text(json.dumps(anno))
    with pytest.raises(ValueError, match=r"relation 0 has span \[1, 9\)"):
        read_vidvrd(tmp_path, "test")


# ---------------------------------------------------------------- PVSG


def test_pvsg_json_and_masks(tmp_path: Path) -> None:
    vid = "0001_4164158586"
    assert video_source(vid) == "vidor" and video_source("P01_01") == "epic_kitchen" and video_source("abc") == "ego4d"
    anno = {
        "objects": {"thing": ["adult", "cup"], "stuff": ["floor"]},
        "relations": ["holding", "on"],
        "split": {
            "vidor": {"train": [], "val": [vid]},
            "epic_kitchen": {"train": [], "val": []},
            "ego4d": {"train": [], "val": []},
        },
        "data": [
            {
                "video_id": vid,
                "meta": {"num_frames": 4},
                "objects": [{"object_id": 1, "category": "adult"}, {"object_id": 2, "category": "cup"}],
                "relations": [[1, 2, "holding", [[1, 2]]]],  # inclusive: frames 1 and 2
            }
        ],
    }
    (tmp_path / "pvsg.json").write_text(json.dumps(anno))
    masks = tmp_path / "vidor" / "masks" / vid
    masks.mkdir(parents=True)
    for f in range(4):
        ids = np.zeros((12, 16), np.uint8)
        ids[0:4, 0:4] = 1
        if f != 2:  # the cup is hidden in frame 2
            ids[6:10, 8:12] = 2
        if f == 3:  # frame 3 as an RGB-encoded PNG: id = R + 256 G + 65536 B
            rgb = np.zeros((12, 16, 3), np.uint8)
            rgb[..., 0] = ids  # cv2 writes BGR: channel 2 is R
            cv2.imwrite(str(masks / f"{f:04d}.png"), rgb[..., ::-1])
        else:
            cv2.imwrite(str(masks / f"{f:04d}.png"), ids)
    (v,) = read_pvsg(tmp_path, "val")
    assert len(v.graphs) == 4
    cup = next(o for o in v.graphs[1].objects if o.id == 2)
    assert cup.box == (8.0, 6.0, 12.0, 10.0) and cup.mask.to_array().sum() == 16
    assert [o.id for o in v.graphs[2].objects] == [1]
    assert [o.id for o in v.graphs[3].objects] == [1, 2]
    # holding on frames 1..2 inclusive, but frame 2 lacks the cup: only frame 1 keeps it
    assert [g.frame_index for g in v.graphs if g.relations] == [1]
    assert read_ground_truth(tmp_path).kind == "pvsg"


# ---------------------------------------------------------------- PSG


def test_psg_json(tmp_path: Path) -> None:
    entry = lambda i, rels: {  # noqa: E731
        "file_name": f"{i}.jpg",
        "height": 10,
        "width": 10,
        "image_id": i,
        "pan_seg_file_name": f"{i}.png",
        "segments_info": [{"id": 1, "category_id": 0, "iscrowd": 0, "isthing": 1, "area": 4}],
        "annotations": [{"bbox": [0, 0, 2, 2], "category_id": 0}, {"bbox": [3, 3, 5, 5], "category_id": 2}],
        "relations": rels,
    }
    anno = {
        "thing_classes": ["person", "cup"],
        "stuff_classes": ["floor"],
        "predicate_classes": ["on", "holding"],
        "test_image_ids": [1, 2],
        "data": [entry(1, [[0, 1, 1], [0, 1, 1], [0, 1, 0]]), entry(2, []), entry(3, [[0, 1, 0]])],
    }
    (tmp_path / "psg.json").write_text(json.dumps(anno))
    images = read_psg(tmp_path, "test")
    assert [v.video_id for v in images] == ["1"]  # image 2 has no relation, image 3 is train
    g = images[0].graphs[0]
    assert [o.label for o in g.objects] == ["person", "floor"]
    assert sorted(r.predicate for r in g.relations) == ["holding", "on"]  # duplicate (0,1,holding) once
    assert read_ground_truth(tmp_path).kind == "psg"


# ---------------------------------------------------------------- recordings


def test_bag_and_jsonl_graphs(tmp_path: Path) -> None:
    graphs = [
        SceneGraph(1_000 * i, i, objects=[ObjectNode(1, "person", (0, 0, 5, 5))], relations=[Relation(1, 1, "x")])
        for i in range(3)
    ]
    image = np.zeros((8, 8, 3), np.uint8)
    write_recording(tmp_path / "rec", ((Frame(g.frame_index, g.stamp_ns, image), g) for g in graphs))
    truth = read_ground_truth(tmp_path / "rec")
    assert truth.kind == "bag" and len(truth.videos) == 1
    assert [g.stamp_ns for g in truth.videos[0].graphs] == [0, 1000, 2000]
    lines = [dumps_graph(g) for g in graphs]
    lines.insert(1, '{"not": "a graph"}')
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n\n")
    stream = read_graphs(tmp_path / "p.jsonl")
    assert len(stream.graphs) == 3 and stream.invalid == 1 and "line 2" in stream.errors[0]
    with pytest.raises(ValueError, match="cannot tell"):
        read_ground_truth(tmp_path / "p.jsonl")
