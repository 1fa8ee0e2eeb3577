"""Video files and image directories as frame sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from vsgg_ros.graph import Frame
from vsgg_ros.io.base import BadFrame, SkippingSource

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")


class VideoFileSource(SkippingSource):
    """Frames of a video file; stamps come from the container's timestamps (or index / fps)."""

    def __init__(self, path: str | Path, source_id: str = "camera", frame_id: str = "camera") -> None:
        super().__init__()
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video file not found: {self.path}")
        self.source_id = source_id
        self.frame_id = frame_id
        self._capture: cv2.VideoCapture | None = None

    def frames(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise ValueError(f"OpenCV cannot open video {self.path} (unsupported or corrupt container)")
        self._capture = capture
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        index = 0
        try:
            while True:
                ok, bgr = capture.read()
                if not ok:
                    return
                if bgr is None or bgr.size == 0:
                    self.skip(BadFrame("zero_size", "empty frame"), f"frame {index}")
                    index += 1
                    continue
                stamp_ns = round(index * 1e9 / fps)
                yield Frame(index, stamp_ns, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.frame_id, self.source_id)
                index += 1
        finally:
            self.close()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageDirSource(SkippingSource):
    """Images of a folder in name order at a nominal ``fps``; unreadable files are counted and skipped."""

    def __init__(
        self, path: str | Path, fps: float = 30.0, source_id: str = "camera", frame_id: str = "camera"
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_dir():
            raise NotADirectoryError(f"image directory not found: {self.path}")
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {self.path}")
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.fps = fps
        self.source_id = source_id
        self.frame_id = frame_id

    def frames(self) -> Iterator[Frame]:
        index = 0
        for file in self.files:
            data = np.fromfile(file, dtype=np.uint8)
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
            if bgr is None or bgr.size == 0:
                reason = "zero_size" if data.size == 0 else "corrupt_image"
                self.skip(BadFrame(reason, f"{data.size} bytes do not decode"), str(file))
                continue
            stamp_ns = round(index * 1e9 / self.fps)
            yield Frame(index, stamp_ns, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.frame_id, self.source_id)
            index += 1
