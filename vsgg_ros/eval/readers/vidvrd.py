"""ImageNet-VidVRD / VidOR annotation json -> :class:`VideoGraphs` (``xdshang/VidVRD-helper``, reference §4.1).

One json file per video: ``subject/objects`` (tid -> category), ``trajectories`` (one list of boxes per
frame, ``bbox`` as xmin/ymin/xmax/ymax) and ``relation_instances`` with ``[begin_fid, end_fid)``.
VidOR files carry ``"version": "VERSION 1.0"``; VidVRD files have no version. Each frame becomes a
SceneGraph with the objects present in it and the relations holding on it; the exact relation instances
(triplet, span, both trajectories) are kept in ``VideoGraphs.relation_instances``.

Layouts found by :func:`annotation_files`: ``<root>/<split>/*.json`` (VidVRD), and
``<root>/annotation/<split>/<group>/*.json`` or ``<root>/<split>/<group>/*.json`` (VidOR).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.eval.video import RelationInstance, VideoGraphs
from vsgg_ros.graph import Box, ObjectNode, Relation, SceneGraph


def _box(roi: dict[str, Any], where: str) -> Box:
    try:
        b = roi["bbox"]
        return (float(b["xmin"]), float(b["ymin"]), float(b["xmax"]), float(b["ymax"]))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{where}: bad trajectory box {roi!r}") from err


def video_from_annotation(anno: dict[str, Any], where: str = "annotation") -> VideoGraphs:
    """One video's annotation dict as per-frame graphs plus its exact relation instances."""
    for key in ("video_id", "subject/objects", "trajectories", "relation_instances"):
        if key not in anno:
            raise ValueError(f"{where}: missing key {key!r}; not a VidVRD/VidOR annotation")
    vid = str(anno["video_id"])
    categories = {int(o["tid"]): str(o["category"]) for o in anno["subject/objects"]}
    trajectories = anno["trajectories"]
    n_frames = max(int(anno.get("frame_count", 0) or 0), len(trajectories))
    fps = float(anno.get("fps", 0.0) or 0.0) or None
    boxes: list[dict[int, Box]] = []
    for fid in range(n_frames):
        rois = trajectories[fid] if fid < len(trajectories) else []
        boxes.append({int(r["tid"]): _box(r, f"{where} frame {fid}") for r in rois})
    relations_by_frame: list[list[Relation]] = [[] for _ in range(n_frames)]
    instances: list[RelationInstance] = []
    for i, inst in enumerate(anno["relation_instances"]):
        s, o, predicate = int(inst["subject_tid"]), int(inst["object_tid"]), str(inst["predicate"])
        begin, end = int(inst["begin_fid"]), int(inst["end_fid"])
        if s not in categories or o not in categories:
            raise ValueError(f"{where}: relation {i} refers to an unknown tid")
        if not 0 <= begin < end <= n_frames:
            raise ValueError(f"{where}: relation {i} has span [{begin}, {end}) outside 0..{n_frames}")
        missing = [f for f in range(begin, end) if s not in boxes[f] or o not in boxes[f]]
        if missing:
            raise ValueError(f"{where}: relation {i} lacks a box for tid {s} or {o} at frames {missing[:5]}")
        instances.append(
            RelationInstance(
                triplet=(categories[s], predicate, categories[o]),
                span=(begin, end),
                sub_traj=np.array([boxes[f][s] for f in range(begin, end)]),
                obj_traj=np.array([boxes[f][o] for f in range(begin, end)]),
                subject_id=s,
                object_id=o,
            )
        )
        for f in range(begin, end):
            relations_by_frame[f].append(Relation(s, o, predicate))
    stamp = 1e9 / fps if fps else 0.0
    graphs = []
    for fid in range(n_frames):
        objects = [ObjectNode(tid, categories.get(tid, ""), box) for tid, box in sorted(boxes[fid].items())]
        rels = list({r.key: r for r in relations_by_frame[fid]}.values())  # one edge per key and frame
        graphs.append(SceneGraph(round(fid * stamp), fid, source_id=vid, objects=objects, relations=rels))
    width, height = anno.get("width"), anno.get("height")
    return VideoGraphs(
        vid,
        graphs,
        fps=fps,
        width=int(width) if width else None,
        height=int(height) if height else None,
        relation_instances=instances,
        meta={"dataset": "vidor" if "version" in anno else "vidvrd"},
    )


def read_vidvrd_video(path: str | Path) -> VideoGraphs:
    p = Path(path)
    try:
        anno = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{p}: not valid JSON ({err})") from err
    return video_from_annotation(anno, str(p))


def annotation_files(root: str | Path, split: str) -> list[Path]:
    r = Path(root)
    for folder in (r / split, r / "annotation" / split):
        if folder.is_dir():
            files = sorted(folder.rglob("*.json"))
            if files:
                return files
    raise FileNotFoundError(f"no annotation json under {r / split} or {r / 'annotation' / split}")


def is_vidvrd(root: str | Path, split: str) -> bool:
    try:
        files = annotation_files(root, split)
    except FileNotFoundError:
        return False
    head = files[0].read_text(encoding="utf-8", errors="replace")[:4096]
    return '"subject/objects"' in head or '"relation_instances"' in head or '"trajectories"' in head


def read_vidvrd(root: str | Path, split: str = "test") -> list[VideoGraphs]:
    """Every video of a split (VidVRD ``train``/``test``; VidOR ``training``/``validation``)."""
    return [read_vidvrd_video(p) for p in annotation_files(root, split)]


def split_triplets(root: str | Path, split: str) -> set[tuple[str, str, str]]:
    """Every (subject, predicate, object) category triplet of a split: the training set for zero-shot."""
    triplets: set[tuple[str, str, str]] = set()
    for p in annotation_files(root, split):
        anno = json.loads(p.read_text(encoding="utf-8"))
        cats = {int(o["tid"]): str(o["category"]) for o in anno.get("subject/objects", [])}
        for inst in anno.get("relation_instances", []):
            triplets.add((cats[int(inst["subject_tid"])], str(inst["predicate"]), cats[int(inst["object_tid"])]))
    return triplets
