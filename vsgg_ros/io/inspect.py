"""`vsgg info`: what is inside a bag or a video, before running anything on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2

from vsgg_ros.io.files import VIDEO_SUFFIXES


def describe(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist")
    if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
        return _describe_video(p)
    return _describe_bag(p)


def _describe_video(path: Path) -> dict[str, Any]:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValueError(f"OpenCV cannot open video {path}")
        return {
            "path": str(path),
            "kind": "video",
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(float(capture.get(cv2.CAP_PROP_FPS)), 3),
            "frames": int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
        }
    finally:
        capture.release()


def _describe_bag(path: Path) -> dict[str, Any]:
    from rosbags.highlevel import AnyReader

    from vsgg_ros.io.bag_source import IMAGE_TYPES, bag_paths

    with AnyReader(bag_paths(path)) as reader:
        topics: dict[str, dict[str, Any]] = {}
        for conn in reader.connections:
            entry = topics.setdefault(conn.topic, {"type": conn.msgtype, "messages": 0})
            entry["messages"] += conn.msgcount
        duration = (reader.end_time - reader.start_time) / 1e9 if reader.message_count else 0.0
        return {
            "path": str(path),
            "kind": "rosbag2",
            "messages": reader.message_count,
            "duration_s": round(duration, 3),
            "image_topics": sorted(t for t, e in topics.items() if e["type"] in IMAGE_TYPES),
            "topics": dict(sorted(topics.items())),
        }
