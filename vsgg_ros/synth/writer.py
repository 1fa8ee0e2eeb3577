"""Writes a SynthRoom world to disk in the requested formats, in one pass over the frames.

Every format consumes the same stream of steps; PNGs are encoded once per frame and written on a
small thread pool (pngio.py) while the next frames render. The bag format
(``vsgg_ros.synth.bag.write_bag``) is handed an iterator of (Frame, SceneGraph) that drives the
other writers as it is consumed, so bags cost no second rendering. ``synthroom.json`` (the run's
arguments, videos, scenarios, splits and summary) and ``weak_labels.json`` are always written;
neither holds anything time-dependent, so equal arguments give byte-identical directories.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.synth.agvocab import ag_vocabulary
from vsgg_ros.synth.bag import write_bag
from vsgg_ros.synth.compose import build_world
from vsgg_ros.synth.formats_ag import AGWriter
from vsgg_ros.synth.formats_pvsg import PVSGWriter
from vsgg_ros.synth.formats_vidvrd import VidVRDWriter
from vsgg_ros.synth.pngio import PngSink
from vsgg_ros.synth.spec import DEFAULT_ANNOTATION, VideoSpec
from vsgg_ros.synth.stats import Summary
from vsgg_ros.synth.video import SynthStep, iter_steps
from vsgg_ros.synth.weak import middle_frame, weak_label
from vsgg_ros.synth.world import World

FORMATS = ("ag", "pvsg", "vidvrd", "bag")
DEFAULT_FORMATS = ("ag", "pvsg", "vidvrd")
GENERATOR_VERSION = 1


class FormatWriter(Protocol):
    def begin_video(self, spec: VideoSpec, world: World) -> None: ...
    def add(self, step: SynthStep, sink: PngSink) -> None: ...
    def end_video(self) -> None: ...
    def close(self) -> list[Path]: ...


def parse_formats(text: str) -> tuple[str, ...]:
    """``"ag,pvsg"`` -> ("ag", "pvsg"); unknown names are an error that lists the choices."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise ValueError(f"unknown format(s) {unknown or [text]!r}; choose from {', '.join(FORMATS)}")
    return names


def write_world(
    out: Path,
    specs: Sequence[VideoSpec],
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Render every video once, feed each format, and return the summary (also stored in synthroom.json)."""
    for name in formats:
        if name not in FORMATS:
            raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    vocab = ag_vocabulary()
    writers: list[FormatWriter] = []
    if "ag" in formats:
        writers.append(AGWriter(out, vocab))
    if "pvsg" in formats:
        writers.append(PVSGWriter(out, vocab))
    if "vidvrd" in formats:
        writers.append(VidVRDWriter(out))
    summary = Summary()
    weak: dict[str, Any] = {}
    videos: list[dict[str, Any]] = []
    bags: list[Path] = []
    sink = PngSink()
    try:
        for spec in specs:
            scenario, bag = _write_video(out, spec, writers, sink, summary, weak, progress, write_bag)
            if bag is not None:
                bags.append(bag)
            videos.append({"video_id": spec.video_id, "scenario": scenario, "split": spec.split})
    finally:
        sink.close()
    for w in writers:
        w.close()
    result = summary.to_dict()
    first = specs[0] if specs else VideoSpec()
    arguments: dict[str, Any] = {
        "seed": first.seed,
        "videos": len(specs),
        "frames": first.frames,
        "size": [first.width, first.height],
        "difficulty": first.difficulty,
        "fps": first.fps,
        "formats": list(formats),
    }
    if first.annotation != DEFAULT_ANNOTATION:  # absent for the default, so older manifests stay byte-identical
        arguments["annotation"] = first.annotation
    manifest = {
        "generator": "SynthRoom",
        "generator_version": GENERATOR_VERSION,
        "vocabulary": vocab.name,
        "arguments": arguments,
        "videos": videos,
        "summary": result,
    }
    _write_json(out / "synthroom.json", manifest)
    _write_json(out / "weak_labels.json", {"frame_rule": "round(0.5 * (frames - 1))", "videos": weak})
    return {**result, "bags": [str(p) for p in bags]}


def _write_video(
    out: Path,
    spec: VideoSpec,
    writers: list[FormatWriter],
    sink: PngSink,
    summary: Summary,
    weak: dict[str, Any],
    progress: Callable[[int], None] | None,
    write_bag: Callable[..., Any] | None,
) -> tuple[str, Path | None]:
    """Render one video once, feeding every writer (and the bag writer, if any).

    Returns the video's scenario and its bag path (None without the bag format).
    """
    world = build_world(spec)
    summary.begin_video(world.scenario)
    for w in writers:
        w.begin_video(spec, world)
    seen: set[int] = set()
    middle = middle_frame(spec.frames)

    def stream() -> Iterator[tuple[Frame, SceneGraph]]:
        for step in iter_steps(spec, world):
            for w in writers:
                w.add(step, sink)
            sink.submit_frame(step.frame.image)
            summary.add(step)
            seen.update(o.id for o in step.graph.objects)
            if step.frame.index == middle:
                weak[spec.video_id] = weak_label(spec.video_id, step.graph)
            if progress is not None:
                progress(1)
            yield step.frame, step.graph

    frames = stream()
    path: Path | None = None
    if write_bag is not None:
        path = out / "bags" / f"{spec.video_id}.mcap"
        path.parent.mkdir(parents=True, exist_ok=True)
        written = write_bag(path, frames, video_id=spec.video_id, fps=spec.fps)
        path = Path(written) if written is not None else path  # rosbag2 may make a folder of it
    for _ in frames:
        pass
    for w in writers:
        w.end_video()
    summary.end_video(len(seen))
    return world.scenario, path


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
