"""SynthRoom's rosbag2 format: one MCAP bag per video with camera images and the exact ground truth.

Topics: ``/camera/image_raw`` (sensor_msgs/Image, rgb8), ``/camera/image_raw/compressed`` (JPEG,
optional) and ``/vsgg/ground_truth`` (vsgg_ros/msg/SceneGraph), all stamped with the frame's time, so
``vsgg run --source <bag> --head gt`` and ``vsgg eval`` read it like any recording.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.io.bag_writer import write_recording

IMAGE_TOPIC = "/camera/image_raw"
COMPRESSED_TOPIC = "/camera/image_raw/compressed"
GT_TOPIC = "/vsgg/ground_truth"


def write_bag(
    path: str | Path,
    steps: Iterable[tuple[Frame, SceneGraph]],
    *,
    video_id: str,
    fps: float,
    compressed: bool = False,
) -> Path:
    """Write one video's frames and graphs; returns the rosbag2 folder (``x.mcap`` -> ``x/``)."""
    del video_id, fps  # carried by the frames themselves (source_id, stamps)
    from vsgg_ros.io.bag_writer import bag_folder

    write_recording(path, steps, IMAGE_TOPIC, GT_TOPIC, COMPRESSED_TOPIC if compressed else None)
    return bag_folder(path)
