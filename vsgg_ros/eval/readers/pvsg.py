"""PVSG ``pvsg.json`` + panoptic mask PNGs -> :class:`VideoGraphs` (reference §5.1).

``pvsg.json``: ``objects {thing, stuff}``, ``relations`` (predicate names), ``split {source: {train,
val}}`` and ``data`` (per video: ``video_id``, ``meta.num_frames``, ``objects [{object_id, category}]``,
``relations [[subject_id, object_id, predicate, [[start, end], ...]]]`` with *inclusive* ends, as
OpenPVSG's ``range(start, end + 1)``). Masks: ``<root>/<source>/masks/<video>/<frame:04d>.png`` where a
pixel's value is the object id (single channel) or ``R + 256 G + 65536 B`` (RGB). ``<source>`` is the
``split`` key listing the video when that folder exists (SynthRoom writes ``synthroom``), else it follows
the video id as in OpenPVSG: ``P...`` EPIC-KITCHENS, a 4-digit prefix VidOR, anything else Ego4D. Frame
stamps use ``meta.fps`` when present (SynthRoom), else PVSG's 5 fps.

Each frame's graph holds the objects whose mask is non-empty there (box = the mask's tight box, mask as
RLE) and, on the frames of each relation's spans where both of its objects are visible (OpenPVSG's
``gt_real``), that relation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import Mask, ObjectNode, Relation, SceneGraph


def video_source(video_id: str) -> str:
    head = video_id.split("_")[0]
    if video_id.startswith("P"):
        return "epic_kitchen"
    if head.isdigit() and len(head) == 4:
        return "vidor"
    return "ego4d"


def pvsg_json(root: str | Path) -> Path:
    r = Path(root)
    p = r if r.is_file() else r / "pvsg.json"
    if not p.is_file():
        raise FileNotFoundError(f"no pvsg.json at {r}")
    return p


def is_pvsg(root: str | Path) -> bool:
    try:
        p = pvsg_json(root)
    except FileNotFoundError:
        return False
    head = p.read_text(encoding="utf-8", errors="replace")[:65536]
    return '"split"' in head or '"thing"' in head


def read_panoptic_png(path: Path) -> np.ndarray:
    """Object-id image of one mask PNG (uint8/uint16 grey, or RGB as R + 256 G + 65536 B)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"cannot read mask image {path}")
    if img.ndim == 3:
        b, g, r = (img[..., i].astype(np.int64) for i in range(3))
        return r + 256 * g + 65536 * b
    return img.astype(np.int64)


def _tight_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))


def mask_folder(root: Path, video_id: str, source: str | None = None) -> Path:
    """``<root>/<source>/masks/<video>``: the split's source key when that folder exists, else the
    source OpenPVSG infers from the id."""
    if source is not None and (root / source / "masks" / video_id).is_dir():
        return root / source / "masks" / video_id
    return root / video_source(video_id) / "masks" / video_id


def video_from_entry(entry: dict[str, Any], root: Path, source: str | None = None) -> VideoGraphs:
    vid = str(entry["video_id"])
    fps = float((entry.get("meta") or {}).get("fps", 0.0) or 5.0)
    categories = {int(o["object_id"]): str(o["category"]) for o in entry.get("objects", [])}
    mask_dir = mask_folder(root, vid, source)
    files = sorted(mask_dir.glob("*.png")) if mask_dir.is_dir() else []
    n_frames = int((entry.get("meta") or {}).get("num_frames", 0) or len(files))
    spans: list[tuple[int, int, str, set[int]]] = []
    for i, rel in enumerate(entry.get("relations", [])):
        try:
            s, o, predicate, ranges = int(rel[0]), int(rel[1]), str(rel[2]), rel[3]
            frames = {f for start, end in ranges for f in range(int(start), int(end) + 1)}
        except (TypeError, ValueError, IndexError) as err:
            raise ValueError(f"video {vid}: relation {i} is not [subject, object, predicate, [[start, end]]]") from err
        spans.append((s, o, predicate, frames))
    graphs = []
    for fid in range(n_frames):
        path = mask_dir / f"{fid:04d}.png"
        objects: list[ObjectNode] = []
        if path.is_file():
            ids = read_panoptic_png(path)
            for oid, category in sorted(categories.items()):
                mask = ids == oid
                if mask.any():
                    objects.append(ObjectNode(oid, category, _tight_box(mask), mask=Mask.from_array(mask)))
        present = {o.id for o in objects}
        relations = [Relation(s, o, p) for s, o, p, frames in spans if fid in frames and s in present and o in present]
        graphs.append(SceneGraph(round(fid * 1e9 / fps), fid, source_id=vid, objects=objects, relations=relations))
    return VideoGraphs(vid, graphs, fps=fps, meta={"dataset": "pvsg", "source": mask_dir.parent.parent.name})


def read_pvsg(root: str | Path, split: str = "val", sources: tuple[str, ...] | None = None) -> list[VideoGraphs]:
    """Videos of ``split`` (``train``/``val``) from every source listed in the file's ``split`` (or only
    ``sources``), with masks read from disk."""
    path = pvsg_json(root)
    anno = json.loads(path.read_text(encoding="utf-8"))
    wanted: list[tuple[str, str]] = []
    for source, splits in (anno.get("split") or {}).items():
        if sources is None or source in sources:
            wanted.extend((str(v), source) for v in (splits or {}).get(split, []))
    entries = {str(e["video_id"]): e for e in anno.get("data", [])}
    unknown = [v for v, _ in wanted if v not in entries]
    if unknown:
        raise ValueError(f"{path}: split {split!r} lists videos missing from 'data': {unknown[:5]}")
    return [video_from_entry(entries[v], path.parent, source=source) for v, source in wanted]
