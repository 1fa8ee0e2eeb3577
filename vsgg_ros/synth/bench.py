"""Throughput of the frames + ground-truth path (world build, simulation, rendering, masks, graphs)."""

from __future__ import annotations

import platform
import time

from vsgg_ros.synth.spec import DEFAULT_DIFFICULTY, VideoSpec
from vsgg_ros.synth.video import iter_video

BENCH_FRAMES = 100


def run_synth_bench(seconds: float, size: tuple[int, int] = (320, 240)) -> dict[str, object]:
    """Render default-difficulty videos of 100 frames for about ``seconds``; report frames per second.

    Whole videos are timed, world construction included, so the number is what a dataset writer
    or a live demo gets before any file or network I/O. ``min_video_fps`` is the slowest video,
    a guard against one cluttered room hiding behind the average.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    frames = objects = relations = 0
    per_video: list[float] = []
    start = time.perf_counter()
    index = 0
    while True:
        spec = VideoSpec(seed=0, index=index, frames=BENCH_FRAMES, size=size, difficulty=DEFAULT_DIFFICULTY)
        t0 = time.perf_counter()
        for _, graph in iter_video(spec):
            frames += 1
            objects += len(graph.objects)
            relations += len(graph.relations)
        per_video.append(BENCH_FRAMES / (time.perf_counter() - t0))
        index += 1
        if time.perf_counter() - start >= seconds:
            break
    elapsed = time.perf_counter() - start
    return {
        "size": f"{size[0]}x{size[1]}",
        "videos": index,
        "frames": frames,
        "seconds": round(elapsed, 3),
        "fps": round(frames / elapsed, 1),
        "ms_per_frame": round(1000.0 * elapsed / frames, 3),
        "min_video_fps": round(min(per_video), 1),
        "objects_per_frame": round(objects / frames, 2),
        "relations_per_frame": round(relations / frames, 2),
        "python": platform.python_version(),
    }
