"""VidVRD/VidOR-style annotation, one json per video (reference §4.1).

``vidvrd/<split>/<video>.json`` with ``version``, ``video_id``, ``video_path``, ``frame_count``, ``fps``,
``width``, ``height``, ``subject/objects`` [{tid, category}], ``trajectories`` (one list per frame of
{tid, bbox {xmin, ymin, xmax, ymax}, generated, tracker}) and ``relation_instances`` [{subject_tid,
object_tid, predicate, begin_fid, end_fid}] with ``end_fid`` exclusive. Boxes are integer pixels with
inclusive max corners (the VidVRD-helper convention: areas add 1); ``generated`` is 0 and ``tracker``
"none" because every box is ground truth. Split folders are ``train`` and ``test``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from vsgg_ros.synth.pngio import PngSink
from vsgg_ros.synth.spans import Timeline
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.video import SynthStep
from vsgg_ros.synth.world import World


def inclusive_box(box: tuple[float, float, float, float]) -> dict[str, int]:
    """Continuous (x1, y1, x2, y2) pixel-edge box -> integer pixel box with inclusive max corner."""
    x1, y1, x2, y2 = box
    return {"xmin": int(x1), "ymin": int(y1), "xmax": math.ceil(x2) - 1, "ymax": math.ceil(y2) - 1}


class VidVRDWriter:
    def __init__(self, out: Path) -> None:
        self.root = out / "vidvrd"
        self.spec: VideoSpec | None = None
        self.labels: dict[int, str] = {}
        self.trajectories: list[list[dict[str, Any]]] = []
        self.seen: set[int] = set()
        self.timeline = Timeline()
        self.written: list[Path] = []

    def begin_video(self, spec: VideoSpec, world: World) -> None:
        self.spec = spec
        self.labels = {p.id: "person" for p in world.persons} | {oid: t.label for oid, t in world.things.items()}
        self.trajectories = []
        self.seen = set()
        self.timeline = Timeline()

    def add(self, step: SynthStep, sink: PngSink) -> None:
        boxes = [
            {"tid": o.id, "bbox": inclusive_box(o.box), "generated": 0, "tracker": "none"} for o in step.graph.objects
        ]
        self.trajectories.append(boxes)
        self.seen.update(o.id for o in step.graph.objects)
        self.timeline.add(step.frame.index, (r.key for r in step.graph.relations))

    def end_video(self) -> None:
        spec = self.spec
        if spec is None:
            return
        instances = [
            {"subject_tid": s, "object_tid": o, "predicate": pred, "begin_fid": start, "end_fid": end}
            for (s, o, pred), spans in self.timeline.spans()
            for start, end in spans
        ]
        doc = {
            "version": "VERSION 1.0",
            "video_id": spec.video_id,
            "video_path": f"{spec.video_id}.mp4",
            "frame_count": spec.frames,
            "fps": spec.fps,
            "width": spec.width,
            "height": spec.height,
            "subject/objects": [{"tid": tid, "category": self.labels[tid]} for tid in sorted(self.seen)],
            "trajectories": self.trajectories,
            "relation_instances": instances,
        }
        folder = self.root / spec.split
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{spec.video_id}.json"
        path.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
        self.written.append(path)
        self.spec = None

    def close(self) -> list[Path]:
        return self.written
