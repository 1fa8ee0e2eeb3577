"""SFT/GRPO samples: frame image + previous-graph prompt -> TOON target, as JSONL (one sample per line).

Each sample uses the serving layout (``vsgg_ros.vlm.prompts``): system instructions, image, then the
image size and the previous frame's graph. Images are resized to the model's pixel budget and saved
beside the JSONL; target boxes are in those resized pixels, as at inference. Video frames are thinned
with BaseAnnot (paper 004 §4: keep a frame when its object categories or its relation count change);
frames without relations are dropped (the hallucination penalties would otherwise reward empty graphs).
A share of samples gets a corrupted previous graph (dropped and relabelled objects, jittered boxes,
dropped relations) so RL learns not to copy the context blindly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vsgg_ros.codec.toon import encode_toon, scene_graph_to_toon
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph
from vsgg_ros.vlm.prompts import fit_image, system_prompt, user_text
from vsgg_ros.vlm.schema import VlmSchema

ImageFor = Callable[[VideoGraphs, int], Path]


@dataclass(frozen=True)
class SampleOptions:
    max_pixels: int = 640 * 480
    patch_multiple: int = 28
    previous: str = "ground_truth"  # ground_truth | none
    corrupt_share: float = 0.0
    seed: int = 0


def base_annot(graphs: list[SceneGraph]) -> list[SceneGraph]:
    """BaseAnnot thinning: the first frame, then each frame whose object categories or relation count
    differ from the last kept frame."""
    kept: list[SceneGraph] = []
    last: tuple[frozenset[str], int] | None = None
    for graph in graphs:
        key = (frozenset(o.label for o in graph.objects), len(graph.relations))
        if key != last:
            kept.append(graph)
            last = key
    return kept


def corrupt_graph(graph: SceneGraph, rng: np.random.Generator, labels: tuple[str, ...]) -> SceneGraph:
    """A plausible but wrong previous graph: ~25% objects dropped, ~15% relabelled, boxes jittered by up
    to 10% of their size, ~25% relations dropped."""
    objects: list[ObjectNode] = []
    for o in graph.objects:
        if rng.random() < 0.25:
            continue
        label = str(rng.choice(labels)) if labels and rng.random() < 0.15 else o.label
        w, h = o.box[2] - o.box[0], o.box[3] - o.box[1]
        dx, dy = rng.uniform(-0.1, 0.1, 2) * (w, h)
        box = (o.box[0] + dx, o.box[1] + dy, o.box[2] + dx, o.box[3] + dy)
        objects.append(ObjectNode(o.id, label, box, -1))
    ids = {o.id for o in objects}
    relations = [r for r in graph.relations if r.subject_id in ids and r.object_id in ids and rng.random() >= 0.25]
    return SceneGraph(graph.stamp_ns, graph.frame_index, objects=objects, relations=relations)


def _scaled(graph: SceneGraph, sx: float, sy: float) -> SceneGraph:
    objects = [
        ObjectNode(o.id, o.label, (o.box[0] * sx, o.box[1] * sy, o.box[2] * sx, o.box[3] * sy), o.class_id)
        for o in graph.objects
    ]
    return SceneGraph(graph.stamp_ns, graph.frame_index, objects=objects, relations=list(graph.relations))


def graph_toon(graph: SceneGraph, schema: VlmSchema, image_size: tuple[int, int]) -> str | None:
    """TOON of ``graph`` (already in prompt pixels), or None when it cannot be written strictly."""
    relations: list[Relation] = [r for r in graph.relations if r.subject_id != r.object_id]
    g = SceneGraph(graph.stamp_ns, graph.frame_index, objects=list(graph.objects), relations=relations)
    try:
        toon, _ = scene_graph_to_toon(g, schema.toon, vocabulary=schema.vocabulary, image_size=image_size)
        return encode_toon(toon)
    except ValueError:
        return None


def make_sample(
    image: np.ndarray,
    graph: SceneGraph,
    previous: SceneGraph | None,
    schema: VlmSchema,
    image_path: Path,
    options: SampleOptions,
    rng: np.random.Generator,
) -> dict[str, object] | None:
    """One chat sample (``messages`` with the assistant answer, ``prompt`` without it, ``solution``)."""
    fitted = fit_image(image, options.max_pixels, options.patch_multiple)
    size = (int(fitted.shape[1]), int(fitted.shape[0]))
    sx, sy = size[0] / image.shape[1], size[1] / image.shape[0]
    target = graph_toon(_scaled(graph, sx, sy), schema, size)
    if target is None or not graph.relations:
        return None
    prev_text = None
    corrupted = False
    if previous is not None and options.previous == "ground_truth":
        if rng.random() < options.corrupt_share:
            previous, corrupted = corrupt_graph(previous, rng, tuple(o.label for o in graph.objects)), True
        prev_text = graph_toon(_scaled(previous, sx, sy), schema, size)
    image_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(image_path), fitted[:, :, ::-1])
    system = {"role": "system", "content": [{"type": "text", "text": system_prompt(schema)}]}
    user = {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": user_text(size, prev_text)}]}
    answer = {"role": "assistant", "content": [{"type": "text", "text": f"<answer>\n{target}\n</answer>"}]}
    return {
        "images": [str(image_path)],
        "messages": [system, user, answer],
        "prompt": [system, user],
        "solution": target,
        "image_size": list(size),
        "schema": schema.toon.value,
        "corrupted_previous": corrupted,
    }


def video_samples(
    video: VideoGraphs,
    images: Callable[[SceneGraph], np.ndarray],
    schema: VlmSchema,
    out_dir: Path,
    options: SampleOptions,
    rng: np.random.Generator,
) -> Iterator[dict[str, object]]:
    """Samples of one video after BaseAnnot thinning; the previous graph is the previous kept frame's."""
    previous: SceneGraph | None = None
    for graph in base_annot(video.graphs):
        path = out_dir / "images" / _safe(video.video_id) / f"{graph.frame_index:06d}.png"
        sample = make_sample(images(graph), graph, previous, schema, path, options, rng)
        if sample is not None:
            sample["video_id"], sample["frame_index"] = video.video_id, graph.frame_index
            yield sample
        previous = graph


def write_jsonl(samples: Iterable[dict[str, object]], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for sample in samples:
            f.write(json.dumps(sample) + "\n")
            n += 1
    return n


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read frame image {path}")
    return image[:, :, ::-1]


def dataset_images(dataset: str, root: Path, video: VideoGraphs) -> Callable[[SceneGraph], np.ndarray]:
    """Frame images of a dataset video: AG ``frames/<VIDEO>/<NNNNNN>.png`` (frame numbers from the
    reader's meta), PVSG ``<source>/frames/<video>/<NNNN>.png``, PSG the entry's ``file_name``."""
    if dataset == "action_genome":
        numbers = dict(zip((g.frame_index for g in video.graphs), video.meta["frame_numbers"], strict=True))  # type: ignore[arg-type]
        return lambda g: _read_rgb(root / "frames" / video.video_id / f"{numbers[g.frame_index]:06d}.png")
    if dataset == "pvsg":
        folder = root / str(video.meta["source"]) / "frames" / video.video_id
        return lambda g: _read_rgb(folder / f"{g.frame_index:04d}.png")
    if dataset == "psg":
        return lambda g: _read_rgb(root / str(video.meta["file_name"]))
    raise ValueError(f"no image layout known for dataset {dataset!r}")


def synthroom_videos(videos: int, frames: int, seed: int) -> Iterator[tuple[VideoGraphs, dict[int, np.ndarray]]]:
    """SynthRoom videos with their rendered frames (kept per video only)."""
    from vsgg_ros.synth import iter_video, world_specs

    for spec in world_specs(videos, frames, seed=seed)[:videos]:
        graphs, images = [], {}
        for frame, graph in iter_video(spec):
            graphs.append(graph)
            images[graph.frame_index] = frame.image
        yield VideoGraphs(spec.video_id, graphs), images
