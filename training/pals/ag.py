"""Action Genome clips for PALS: the same :class:`VideoData` the SynthRoom path builds, read from disk.

Layout (the AG download after its frame dump, or SynthRoom's ``ag`` writer)::

    <root>/annotations/person_bbox.pkl, object_bbox_and_relationship.pkl
    <root>/frames/<video>.mp4/<frame:06d>.png

Ground truth comes from :func:`vsgg_ros.eval.readers.action_genome.read_action_genome`, so training and
evaluation read AG with the same filters. Detections are the SynthRoom recipe's simulated detector run
on that truth (jittered, occasionally missed boxes with track ids); on a GPU, replacing it with a real
detector's boxes is where SGDET training on AG would go next. Frames are resized to ``size`` (the exported
graph's input, 320 x 240) with every box scaled alike, as the runtime does before the head sees a frame;
``size=None`` keeps native frames.

AG videos are loaded whole into memory (frames as uint8): ``max_videos`` and ``max_frames`` bound that.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
from vsgg_training.pals.config import IMAGE_SIZE
from vsgg_training.pals.data import FrameObjects, VideoData
from vsgg_training.pals.detsim import SimulatedDetector

from vsgg_ros.eval.readers.action_genome import read_action_genome
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.vlm.assembly import scale_box


def frame_path(root: Path, video_id: str, graph: SceneGraph, fps: float) -> Path:
    """The PNG of one annotated frame: AG's frame number is the graph's stamp times ``fps``."""
    number = round(graph.stamp_ns * fps / 1e9)
    return root / "frames" / video_id / f"{number:06d}.png"


def read_frame(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"Action Genome frame {path} is missing or not an image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def scaled(graph: SceneGraph, sx: float, sy: float) -> SceneGraph:
    """The graph with every object box scaled by (``sx``, ``sy``); relations and ids unchanged."""
    objects = [dataclasses.replace(o, box=scale_box(o.box, sx, sy)) for o in graph.objects]
    return dataclasses.replace(graph, objects=objects)


def fit(image: np.ndarray, graph: SceneGraph, size: tuple[int, int] | None) -> tuple[np.ndarray, SceneGraph]:
    """``image`` resized to ``size`` (width, height) and ``graph``'s boxes with it; unchanged when it fits."""
    h, w = image.shape[:2]
    if size is None or (w, h) == tuple(size):
        return image, graph
    resized = cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)
    return resized, scaled(graph, size[0] / w, size[1] / h)


def load_ag_videos(
    root: Path | str,
    split: str,
    detector_seed: int,
    max_videos: int | None = None,
    max_frames: int | None = None,
    fps: float = 24.0,
    size: tuple[int, int] | None = IMAGE_SIZE,
) -> list[VideoData]:
    """Videos of ``split`` (``train`` or ``test``) in AG's order, each with at most ``max_frames`` frames."""
    root = Path(root)
    if not (root / "frames").is_dir():
        raise FileNotFoundError(f"{root} has no frames/ folder (expected the Action Genome layout)")
    detector = SimulatedDetector(detector_seed)
    out = []
    for video in read_action_genome(root, split, mode="predcls", fps=fps)[:max_videos]:
        images, graphs, dets, gts = [], [], [], []
        for index, native in enumerate(video.graphs[:max_frames]):
            image, graph = fit(read_frame(frame_path(root, video.video_id, native, fps)), native, size)
            graphs.append(graph)
            frame = Frame(index, graph.stamp_ns, image, source_id=video.video_id, ground_truth=graph)
            images.append(image)
            dets.append(FrameObjects.from_detections(detector.detect_tracked(frame)))
            gts.append(FrameObjects.from_graph(graph))
        out.append(VideoData(video.video_id.removesuffix(".mp4"), np.stack(images), graphs, dets, gts))
    return out
