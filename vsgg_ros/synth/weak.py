"""Weak labels: the unlocalized scene graph of each clip's middle frame (PLA / SF-VidSGG setting).

The labelled frame is ``round(0.5 * (n - 1))`` (Python rounding, as ``get_label_list(n, 1)`` in
zjucsq/PLA computes it, reference §3.1). A weak label keeps the object classes and the
(subject class, predicate, object class) triplets of that frame and drops boxes, masks and ids.
"""

from __future__ import annotations

from typing import Any

from vsgg_ros.graph import SceneGraph


def middle_frame(frames: int) -> int:
    if frames < 1:
        raise ValueError(f"a clip needs at least one frame, got {frames}")
    return round(0.5 * (frames - 1))


def weak_label(video_id: str, graph: SceneGraph) -> dict[str, Any]:
    """Classes (with multiplicity) and distinct triplets of one frame, sorted, without localisation."""
    return {
        "video_id": video_id,
        "frame": graph.frame_index,
        "key": f"{video_id}.mp4/{graph.frame_index:06d}.png",
        "objects": sorted(o.label for o in graph.objects),
        "triplets": [list(t) for t in sorted(set(graph.triplets()))],
    }
