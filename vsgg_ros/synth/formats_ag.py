"""Action Genome layout: annotation pickles, class lists, frame list and frame PNGs.

Written exactly as the AG download and STTran's loader expect (reference §2)::

    ag/annotations/person_bbox.pkl                  key -> {bbox (N,4) float32 XYXY, bbox_score,
                                                             bbox_size (W,H), bbox_mode 'xyxy',
                                                             keypoints (N,17,3), keypoints_logits (N,17)}
    ag/annotations/object_bbox_and_relationship.pkl key -> [{class, bbox (x,y,w,h) | None,
                                                             attention/spatial/contacting_relationship,
                                                             metadata {tag, set}, visible}]
    ag/annotations/frame_list.txt, object_classes.txt, relationship_classes.txt
    ag/frames/<video>.mp4/<frame:06d>.png

Keys are ``<video>.mp4/<frame:06d>.png``. AG annotates one person per frame: the annotated person is
person 1 when visible, else the lowest-id visible person; its box is row 0 of ``person_bbox`` (the
row STTran reads) and the object relationships are relative to it. Other visible persons follow.
Every object of the video is listed in every frame; invisible ones have ``visible`` False and None
for the box and the three relationship lists. Under the ``"involved"`` annotation policy only the
objects the annotated person interacts with are listed (AG lists only the objects it annotates).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.graph import Vocabulary
from vsgg_ros.synth.person import (
    EL_L,
    EL_R,
    FOOT_L,
    FOOT_R,
    HAND_L,
    HAND_R,
    HEAD,
    HIP_L,
    HIP_R,
    KNEE_L,
    KNEE_R,
    SH_L,
    SH_R,
)
from vsgg_ros.synth.pngio import PngSink
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.video import SynthStep
from vsgg_ros.synth.world import World

PICKLE_PROTOCOL = 4
# COCO keypoint order -> our joints. Nose, eyes and ears are all the head centre (documented).
COCO_FROM_JOINTS = (HEAD, HEAD, HEAD, HEAD, HEAD, SH_L, SH_R, EL_L, EL_R, HAND_L, HAND_R,
                    HIP_L, HIP_R, KNEE_L, KNEE_R, FOOT_L, FOOT_R)  # fmt: skip


def frame_key(video_id: str, frame: int) -> str:
    return f"{video_id}.mp4/{frame:06d}.png"


def xyxy_to_xywh(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    return (float(x1), float(y1), float(x2 - x1), float(y2 - y1))


def _listed(step: SynthStep, annotated: int | None, oid: int) -> bool:
    """Whether thing ``oid`` has an entry in this frame: always under "all", else if it is involved."""
    if step.annotated is None:
        return True
    if annotated is not None:
        return (annotated, oid) in step.annotated
    return any(thing == oid for _, thing in step.annotated)


class AGWriter:
    """Streams frames to ``<out>/ag`` and writes the pickles on :meth:`close`."""

    def __init__(self, out: Path, vocab: Vocabulary) -> None:
        self.root = out / "ag"
        self.vocab = vocab
        self.person_bbox: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.spec: VideoSpec | None = None
        self.things: list[tuple[int, str]] = []
        (self.root / "annotations").mkdir(parents=True, exist_ok=True)
        (self.root / "frames").mkdir(parents=True, exist_ok=True)

    def begin_video(self, spec: VideoSpec, world: World) -> None:
        self.spec = spec
        self.things = sorted((oid, t.label) for oid, t in world.things.items())
        (self.root / "frames" / f"{spec.video_id}.mp4").mkdir(parents=True, exist_ok=True)

    def add(self, step: SynthStep, sink: PngSink) -> None:
        spec = self.spec
        if spec is None:
            raise RuntimeError("AGWriter.add called before begin_video")
        index = step.frame.index
        key = frame_key(spec.video_id, index)
        sink.add_frame_path(self.root / "frames" / key)
        persons = sorted(pid for pid in step.persons if step.entities[pid].visible)
        self.person_bbox[key] = self._person_entry(step, persons, spec)
        annotated = persons[0] if persons else None
        entries = []
        for oid, label in self.things:
            if not _listed(step, annotated, oid):
                continue
            truth = step.entities[oid]
            labels = step.pairs.get((annotated, oid)) if annotated is not None else None
            entries.append(
                {
                    "class": label,
                    "bbox": xyxy_to_xywh(truth.box) if truth.visible and truth.box is not None else None,
                    "attention_relationship": [labels.attention] if labels else None,
                    "spatial_relationship": list(labels.spatial) if labels else None,
                    "contacting_relationship": list(labels.contacting) if labels else None,
                    "metadata": {
                        "tag": f"{spec.video_id}.mp4/{label.replace('/', '_')}/{index:06d}",
                        "set": spec.split,
                    },
                    "visible": bool(truth.visible),
                }
            )
        self.objects[key] = entries

    def _person_entry(self, step: SynthStep, persons: list[int], spec: VideoSpec) -> dict[str, Any]:
        n = len(persons)
        boxes = np.zeros((n, 4), dtype=np.float32)
        keypoints = np.zeros((n, 17, 3), dtype=np.float32)
        for row, pid in enumerate(persons):
            box = step.entities[pid].box
            assert box is not None
            boxes[row] = box
            keypoints[row, :, :2] = step.persons[pid].joints_uv[list(COCO_FROM_JOINTS)]
            keypoints[row, :, 2] = 1.0
        return {
            "bbox": boxes,
            "bbox_score": np.ones(n, dtype=np.float32),
            "bbox_size": (spec.width, spec.height),
            "bbox_mode": "xyxy",
            "keypoints": keypoints,
            "keypoints_logits": np.zeros((n, 17), dtype=np.float32),
        }

    def end_video(self) -> None:
        self.spec = None

    def close(self) -> list[Path]:
        ann = self.root / "annotations"
        written = [ann / "person_bbox.pkl", ann / "object_bbox_and_relationship.pkl"]
        with written[0].open("wb") as f:
            pickle.dump(self.person_bbox, f, protocol=PICKLE_PROTOCOL)
        with written[1].open("wb") as f:
            pickle.dump(self.objects, f, protocol=PICKLE_PROTOCOL)
        lists = {
            "frame_list.txt": sorted(self.objects),
            "object_classes.txt": [o.replace("/", "") for o in self.vocab.objects],
            "relationship_classes.txt": [p.replace("_", "") for p in self.vocab.predicates],
        }
        for name, lines in lists.items():
            path = ann / name
            path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
            written.append(path)
        return written
