"""Action Genome annotation pickles -> one :class:`VideoGraphs` per video (reference §2).

Layout: ``<root>/annotations/{person_bbox.pkl, object_bbox_and_relationship[_filtersmall].pkl}`` (the
files may also sit directly in ``<root>``) and optionally ``<root>/frames/<VIDEO>.mp4/<FRAME>.png``.
Keys are ``'VIDEO.mp4/000089.png'``; object boxes are xywh, person boxes xyxy (detections, ``bbox[0]``
used as STTran does). Each frame becomes a SceneGraph with the person and every visible object, and
all labels on the (person, object) pair as Relations tagged with their group (this project's AG
convention, see ``ag_adapt``). The split comes from each frame's first object's ``metadata.set``.

Frame identity: ``frame_index`` is the frame's position among all annotated frames of its video (the
files ``tools/dump_frames.py`` writes, so an image-folder run lines up by index); the frame number from
the file name is kept in ``stamp_ns`` at a nominal ``fps`` and in ``meta['frame_numbers']``.

Filters that change the frame set (STTran's defaults; OED keeps every video with one valid frame):
- ``require_person_box`` (True): drop frames whose person box is empty (``filter_nonperson_box_frame``);
- frames with no visible object have no annotation to score and are dropped;
- ``min_frames_per_video`` (3): drop videos with fewer valid frames (STTran keeps ``> 2``; OED: 1);
- ``filter_small_box`` (None = by mode as STTran: True for sgdet/sgcls, False for predcls): read
  ``object_bbox_and_relationship_filtersmall.pkl`` instead of the full file.
"""

from __future__ import annotations

import logging
import pickle
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph
from vsgg_ros.vocab import load_vocabulary

log = logging.getLogger(__name__)

PERSON_FILE = "person_bbox.pkl"
OBJECT_FILE = "object_bbox_and_relationship.pkl"
OBJECT_FILE_SMALL = "object_bbox_and_relationship_filtersmall.pkl"
RELATION_FIELDS = (
    ("attention", "attention_relationship"),
    ("spatial", "spatial_relationship"),
    ("contacting", "contacting_relationship"),
)


@dataclass(frozen=True)
class AgFilters:
    require_person_box: bool = True
    min_frames_per_video: int = 3
    filter_small_box: bool | None = None


def annotation_dir(root: str | Path) -> Path:
    """The folder holding the pickles: ``root/annotations`` or ``root`` itself."""
    r = Path(root)
    for candidate in (r / "annotations", r):
        if (candidate / PERSON_FILE).is_file():
            return candidate
    raise FileNotFoundError(f"no {PERSON_FILE} in {r} or {r / 'annotations'}: not an Action Genome root")


def is_action_genome(root: str | Path) -> bool:
    try:
        annotation_dir(root)
    except FileNotFoundError:
        return False
    return True


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        data = pickle.load(f)  # the dataset's own files; pickle is their published format
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a dict of frame key -> annotation, got {type(data).__name__}")
    return data


def _frame_number(key: str) -> int:
    name = key.rsplit("/", 1)[-1].split(".", 1)[0]
    if not name.isdigit():
        raise ValueError(f"Action Genome frame key {key!r} does not end in a numbered frame file")
    return int(name)


def _xywh_to_xyxy(bbox: Any, key: str) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in np.asarray(bbox, dtype=np.float64).reshape(4))
    if w < 0 or h < 0:
        raise ValueError(f"{key}: negative box size in {bbox!r}")
    return (x, y, x + w, y + h)


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def frame_graph(
    key: str, position: int, person: dict[str, Any], objects: list[dict[str, Any]], fps: float, video: str
) -> SceneGraph | None:
    """The SceneGraph of one annotated frame; None when no object is visible. Without a person box the
    frame keeps its objects but no relations (they all hang on the person)."""
    vocab = load_vocabulary("ag")
    boxes = np.asarray(person.get("bbox", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    visible = [o for o in objects if o.get("visible")]
    if not visible:
        return None
    person_id = vocab.object_id("person") + 1
    nodes = []
    if len(boxes):
        nodes.append(ObjectNode(person_id, "person", tuple(float(v) for v in boxes[0]), vocab.object_id("person")))
    relations: list[Relation] = []
    seen_class: dict[int, int] = defaultdict(int)
    for obj in visible:
        label = vocab.canonical_object(str(obj.get("class", "")))
        if label is None:
            raise ValueError(f"{key}: unknown Action Genome object class {obj.get('class')!r}")
        cid = vocab.object_id(label)
        oid = cid + 1 + 100 * seen_class[cid]
        seen_class[cid] += 1
        if obj.get("bbox") is None:
            raise ValueError(f"{key}: visible object {label!r} has no bbox")
        nodes.append(ObjectNode(oid, label, _xywh_to_xyxy(obj["bbox"], key), cid))
        for group, field_name in RELATION_FIELDS if len(boxes) else ():
            for name in _labels(obj.get(field_name)):
                predicate = vocab.canonical_predicate(name)
                if predicate is None or vocab.group_of(vocab.predicate_id(predicate)) != group:
                    raise ValueError(f"{key}: {name!r} is not an Action Genome {group} predicate")
                relations.append(Relation(person_id, oid, predicate, vocab.predicate_id(predicate), group))
    number = _frame_number(key)
    return SceneGraph(
        stamp_ns=round(number * 1e9 / fps),
        frame_index=position,
        frame_id="camera",
        source_id=video,
        objects=nodes,
        relations=relations,
    )


def read_action_genome(
    root: str | Path,
    split: str = "test",
    mode: str = "predcls",
    filters: AgFilters | None = None,
    fps: float = 24.0,
) -> list[VideoGraphs]:
    """Videos of one split as GT SceneGraphs, after the frame filters (see the module docstring)."""
    filters = filters or AgFilters()
    folder = annotation_dir(root)
    small = filters.filter_small_box if filters.filter_small_box is not None else mode in ("sgdet", "sgcls")
    object_path = folder / (OBJECT_FILE_SMALL if small else OBJECT_FILE)
    if small and not object_path.is_file():
        if filters.filter_small_box:
            raise FileNotFoundError(f"filter_small_box asks for {object_path}, which does not exist")
        log.warning("%s missing; using %s (no small-box filtering)", object_path.name, OBJECT_FILE)
        object_path = folder / OBJECT_FILE
    persons = _load(folder / PERSON_FILE)
    objects = _load(object_path)
    by_video: dict[str, list[str]] = defaultdict(list)
    for key in persons:
        by_video[key.split("/", 1)[0]].append(key)
    videos: list[VideoGraphs] = []
    for video in sorted(by_video):
        keys = sorted(by_video[video], key=_frame_number)
        graphs: list[SceneGraph] = []
        for position, key in enumerate(keys):
            objs = objects.get(key) or []
            if not objs or (objs[0].get("metadata") or {}).get("set") != split:
                continue
            person = persons[key]
            has_box = len(np.asarray(person.get("bbox", ())).reshape(-1)) > 0
            if not has_box and filters.require_person_box:
                continue
            graph = frame_graph(key, position, person, objs, fps, video)
            if graph is not None:
                graphs.append(graph)
        if graphs and len(graphs) >= filters.min_frames_per_video:
            size = persons[keys[0]].get("bbox_size")
            width, height = (int(size[0]), int(size[1])) if size is not None else (None, None)
            videos.append(
                VideoGraphs(
                    video,
                    graphs,
                    fps=fps,
                    width=width,
                    height=height,
                    meta={"frame_numbers": [_frame_number(k) for k in keys], "dataset": "action_genome"},
                )
            )
    return videos
