"""PVSG-style layout: one ``pvsg.json`` plus per-frame panoptic id PNGs (reference §5.1).

::

    pvsg/pvsg.json
    pvsg/synthroom/frames/<video>/<frame:04d>.png   RGB frame
    pvsg/synthroom/masks/<video>/<frame:04d>.png    uint8, pixel value == object_id (0 = nothing)

``pvsg.json`` has ``objects`` {thing: AG classes, stuff: []}, ``relations`` (the AG predicates),
``split`` {"synthroom": {train, val}} and ``data`` entries with ``video_id``, ``meta``, ``objects``
[{object_id, category, is_thing}] and ``relations`` [[subject_id, object_id, predicate, spans]]. Spans
are ``[start, end]`` with an inclusive end, the way OpenPVSG's metric walks ``range(start, end + 1)``.
Deviation from the real data set: the source folder and split key are ``synthroom``, not
vidor/epic_kitchen/ego4d. Only visible instances are painted in the masks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vsgg_ros.graph import Vocabulary
from vsgg_ros.synth.pngio import PngSink
from vsgg_ros.synth.spans import Timeline
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.video import SynthStep
from vsgg_ros.synth.world import World

SOURCE = "synthroom"


class PVSGWriter:
    def __init__(self, out: Path, vocab: Vocabulary) -> None:
        self.root = out / "pvsg"
        self.vocab = vocab
        self.videos: list[dict[str, Any]] = []
        self.split: dict[str, list[str]] = {"train": [], "val": []}
        self.spec: VideoSpec | None = None
        self.labels: dict[int, str] = {}
        self.seen: set[int] = set()
        self.timeline = Timeline()
        self.root.mkdir(parents=True, exist_ok=True)

    def begin_video(self, spec: VideoSpec, world: World) -> None:
        self.spec = spec
        self.labels = {p.id: "person" for p in world.persons} | {oid: t.label for oid, t in world.things.items()}
        self.seen = set()
        self.timeline = Timeline()
        for kind in ("frames", "masks"):
            (self.root / SOURCE / kind / spec.video_id).mkdir(parents=True, exist_ok=True)

    def add(self, step: SynthStep, sink: PngSink) -> None:
        spec = self.spec
        if spec is None:
            raise RuntimeError("PVSGWriter.add called before begin_video")
        name = f"{step.frame.index:04d}.png"
        sink.add_frame_path(self.root / SOURCE / "frames" / spec.video_id / name)
        sink.submit_mask(step.label_map, self.root / SOURCE / "masks" / spec.video_id / name)
        self.seen.update(o.id for o in step.graph.objects)
        self.timeline.add(step.frame.index, (r.key for r in step.graph.relations))

    def end_video(self) -> None:
        spec = self.spec
        if spec is None:
            return
        relations = [
            [s, o, pred, [[start, end - 1] for start, end in spans]] for (s, o, pred), spans in self.timeline.spans()
        ]
        self.videos.append(
            {
                "video_id": spec.video_id,
                "meta": {"num_frames": spec.frames, "width": spec.width, "height": spec.height, "fps": spec.fps},
                "objects": [
                    {"object_id": oid, "category": self.labels[oid], "is_thing": True} for oid in sorted(self.seen)
                ],
                "relations": relations,
            }
        )
        self.split["val" if spec.split == "test" else "train"].append(spec.video_id)
        self.spec = None

    def close(self) -> list[Path]:
        doc = {
            "objects": {"thing": list(self.vocab.objects), "stuff": []},
            "relations": list(self.vocab.predicates),
            "split": {SOURCE: self.split},
            "data": self.videos,
        }
        path = self.root / "pvsg.json"
        path.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
        return [path]
