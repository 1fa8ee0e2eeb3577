"""OpenPSG ``psg.json`` -> one single-frame :class:`VideoGraphs` per image (reference §5.3).

Keys: ``data`` (per image: ``image_id``, ``file_name``, ``height``, ``width``, ``pan_seg_file_name``,
``segments_info``, ``annotations [{bbox: xyxy, category_id}]`` index-aligned with the segments,
``relations [[s_idx, o_idx, predicate_idx]]`` 0-based), ``thing_classes``, ``stuff_classes``,
``predicate_classes`` and ``test_image_ids``. Object ids are the annotation indices; names index
``thing_classes + stuff_classes``. As OpenPSG's loader: images without relations are dropped and
repeated (s, o, p) triplets kept once (several predicates per pair stay). With ``seg_root`` the
panoptic PNG (segment id = R + 256 G + 65536 B) gives each object's mask.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vsgg_ros.eval.readers.pvsg import read_panoptic_png
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import Mask, ObjectNode, Relation, SceneGraph


def psg_json(root: str | Path) -> Path:
    r = Path(root)
    for p in (r, r / "psg.json", r / "psg" / "psg.json"):
        if p.is_file():
            return p
    raise FileNotFoundError(f"no psg.json at {r}")


def is_psg(root: str | Path) -> bool:
    try:
        p = psg_json(root)
    except FileNotFoundError:
        return False
    head = p.read_text(encoding="utf-8", errors="replace")[:65536]
    return '"predicate_classes"' in head or '"thing_classes"' in head


def image_from_entry(
    entry: dict[str, Any], classes: list[str], predicates: list[str], seg_root: Path | None
) -> VideoGraphs:
    image_id = str(entry["image_id"])
    ids = read_panoptic_png(seg_root / entry["pan_seg_file_name"]) if seg_root is not None else None
    segments = entry.get("segments_info", [])
    objects = []
    for i, ann in enumerate(entry.get("annotations", [])):
        cid = int(ann["category_id"])
        if not 0 <= cid < len(classes):
            raise ValueError(f"image {image_id}: category_id {cid} outside 0..{len(classes) - 1}")
        mask = None
        if ids is not None and i < len(segments):
            mask = Mask.from_array(ids == int(segments[i]["id"]))
        x1, y1, x2, y2 = (float(v) for v in ann["bbox"])
        objects.append(ObjectNode(i, classes[cid], (x1, y1, x2, y2), cid, mask=mask))
    relations: dict[tuple[int, int, int], Relation] = {}
    for s, o, p in entry.get("relations", []):
        if not 0 <= int(p) < len(predicates):
            raise ValueError(f"image {image_id}: predicate index {p} outside 0..{len(predicates) - 1}")
        relations.setdefault((int(s), int(o), int(p)), Relation(int(s), int(o), predicates[int(p)], int(p)))
    graph = SceneGraph(0, 0, source_id=image_id, objects=objects, relations=list(relations.values()))
    return VideoGraphs(
        image_id,
        [graph],
        width=int(entry.get("width", 0)) or None,
        height=int(entry.get("height", 0)) or None,
        meta={"dataset": "psg", "file_name": entry.get("file_name", "")},
    )


def read_psg(root: str | Path, split: str = "test", seg_root: str | Path | None = None) -> list[VideoGraphs]:
    """Images of ``split`` (``test``: the ids in ``test_image_ids``; ``train``: all others)."""
    path = psg_json(root)
    anno = json.loads(path.read_text(encoding="utf-8"))
    classes = list(anno["thing_classes"]) + list(anno["stuff_classes"])
    predicates = list(anno["predicate_classes"])
    test_ids = {str(i) for i in anno.get("test_image_ids", [])}
    if split not in ("test", "train"):
        raise ValueError(f"PSG split must be 'test' or 'train', got {split!r}")
    seg = Path(seg_root) if seg_root is not None else None
    out = []
    for entry in anno["data"]:
        if (str(entry["image_id"]) in test_ids) != (split == "test") or not entry.get("relations"):
            continue
        out.append(image_from_entry(entry, classes, predicates, seg))
    return out
