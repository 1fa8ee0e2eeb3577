"""OnnxDetector: a Detector over any exported detector folder, on any HeadRuntime backend.

The folder is a regular head folder (``model.onnx``, ``io_spec.json``, ``parity.npz``) whose io_spec
carries a ``"detector"`` section declaring the output layout and classes, e.g.::

    "detector": {"format": "yolo-raw", "input": "images", "output": "output0",
                 "input_size": [640, 640], "resize": "letterbox",
                 "classes": "coco80", "label_map": "coco80_to_ag.json", "vocabulary": "ag",
                 "score_threshold": 0.25, "iou_threshold": 0.7}

``"nms": true`` adds class-wise NMS (at ``iou_threshold``) to the NMS-free layouts; ``yolo-raw`` always
has it. ``classes`` is a list of names or a packaged/in-folder ``{"classes": [...]}`` file; ``label_map`` is
``"identity"`` or a map file (in the folder, else packaged).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vsgg_ros.detection.formats import FORMATS, decode
from vsgg_ros.detection.labelmap import LabelMap, load_class_names, packaged
from vsgg_ros.detection.preprocess import RESIZE_MODES, prepare
from vsgg_ros.graph import Frame
from vsgg_ros.heads.runtime import HeadRuntime
from vsgg_ros.interfaces import Detection
from vsgg_ros.vocab import load_vocabulary


@dataclass(frozen=True)
class DetectorSpec:
    layout: str
    input: str
    output: str
    input_size: tuple[int, int]
    resize: str
    label_map: LabelMap
    score_threshold: float
    iou_threshold: float
    nms: bool = False

    @classmethod
    def from_io_spec(cls, folder: Path, extra: dict[str, Any]) -> DetectorSpec:
        section = extra.get("detector")
        if not isinstance(section, dict):
            raise ValueError(f"{folder}/io_spec.json has no 'detector' section declaring the output format")
        layout = str(section.get("format"))
        if layout not in FORMATS:
            raise ValueError(f"{folder}: detector format {layout!r} not in {FORMATS}")
        resize = str(section.get("resize", "letterbox"))
        if resize not in RESIZE_MODES:
            raise ValueError(f"{folder}: detector resize {resize!r} not in {RESIZE_MODES}")
        classes = section.get("classes")
        if isinstance(classes, str):
            local = folder / classes
            names = load_class_names(local if local.is_file() else classes)
        elif isinstance(classes, list):
            names = tuple(str(c) for c in classes)
        else:
            raise ValueError(f"{folder}: detector 'classes' must be a list of names or a classes file")
        vocabulary = load_vocabulary(str(section.get("vocabulary", "ag")))
        map_name = str(section.get("label_map", "identity"))
        if map_name == "identity":
            label_map = LabelMap.identity(names, vocabulary)
        else:
            path = folder / map_name if (folder / map_name).is_file() else packaged(map_name)
            label_map = LabelMap.from_file(path, names, vocabulary)
        width, height = (int(v) for v in section["input_size"])
        nms = section.get("nms", False)
        if not isinstance(nms, bool):
            raise ValueError(f"{folder}: detector 'nms' must be true or false, got {nms!r}")
        return cls(
            layout,
            str(section["input"]),
            str(section["output"]),
            (width, height),
            resize,
            label_map,
            float(section.get("score_threshold", 0.25)),
            float(section.get("iou_threshold", 0.7)),
            nms,
        )


class OnnxDetector:
    """Implements :class:`vsgg_ros.interfaces.Detector`: frame -> detections in image pixels, head labels."""

    def __init__(
        self,
        folder: Path,
        backend: str = "ort-cpu",
        score_threshold: float | None = None,
        *,
        iou_threshold: float | None = None,
        max_det: int = 100,
        threads: int | None = None,
        strict: bool | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        folder = Path(folder)
        self.runtime = HeadRuntime.load(folder, backend, strict=strict, cache_dir=cache_dir, threads=threads)
        self.spec = DetectorSpec.from_io_spec(folder, self.runtime.spec.extra)
        self.score_threshold = self.spec.score_threshold if score_threshold is None else score_threshold
        self.iou_threshold = self.spec.iou_threshold if iou_threshold is None else iou_threshold
        self.max_det = max_det

    def detect(self, frame: Frame) -> list[Detection]:
        tensor, transform = prepare(frame.image, self.spec.input_size, self.spec.resize)
        output = self.runtime.run({self.spec.input: tensor})[self.spec.output]
        raw = decode(
            self.spec.layout,
            output,
            self.score_threshold,
            self.spec.input_size,
            self.iou_threshold,
            self.max_det,
            self.spec.nms,
        )
        boxes = transform.to_image(raw.boxes)
        detections: list[Detection] = []
        for box, score, cls in zip(boxes, raw.scores, raw.classes, strict=True):
            mapped = self.spec.label_map(int(cls))
            if mapped is None or box[2] <= box[0] or box[3] <= box[1]:
                continue
            label, class_id = mapped
            detections.append(
                Detection((float(box[0]), float(box[1]), float(box[2]), float(box[3])), label, class_id, float(score))
            )
        return detections
